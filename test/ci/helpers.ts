/** Runs the CI auditor on an inline document and returns compact `rule@line:col` findings. */
import { auditDocument } from '../../src/ci/auditor.ts';
import type { CiConfig } from '../../src/ci/config.ts';
import type { CiFileKind } from '../../src/ci/discover.ts';
import type { CiFinding, Persona } from '../../src/ci/findings.ts';

export interface RunOptions {
  kind?: CiFileKind;
  persona?: Persona;
  config?: CiConfig;
  /** Only these rules. */
  rules?: string[];
}

/** Removes the common indentation of a template literal, so fixtures can be indented in tests. */
export function yaml(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function run(text: string, options: RunOptions = {}): CiFinding[] {
  const { findings } = auditDocument('wf.yml', yaml(text), options.kind ?? 'workflow', {
    persona: options.persona ?? 'regular',
    ...(options.config && { config: options.config }),
  });
  const order = ['regular', 'pedantic', 'auditor'];
  return findings.filter(
    (f) => order.indexOf(f.persona) <= order.indexOf(options.persona ?? 'regular') && !f.suppressed && (!options.rules || options.rules.includes(f.rule)),
  );
}

/** `rule@line:column` of each finding, in source order. */
export function ids(text: string, options: RunOptions = {}): string[] {
  return run(text, options)
    .sort((a, b) => a.start.line - b.start.line || a.start.column - b.start.column || (a.rule < b.rule ? -1 : 1))
    .map((f) => `${f.rule}@${f.start.line}:${f.start.column}`);
}

/** `line:column` of the n-th occurrence of `needle` in the dedented text: expected positions without counting by hand. */
export function at(text: string, needle: string, occurrence = 1): string {
  const t = yaml(text);
  let i = -1;
  for (let n = 0; n < occurrence; n++) {
    i = t.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`${needle} not found`);
  }
  const before = t.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}
