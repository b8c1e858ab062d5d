/**
 * Findings of the CI auditor and the reporter audits use to raise them. A finding points at one
 * primary source range (file:line:column to end) and may name related places (the trigger that
 * makes a step dangerous, the step an input belongs to). Inline `# palisade: ignore[rule]` or
 * `# zizmor: ignore[rule]` comments on any line of those ranges suppress it.
 */
import type { Finding, Severity } from '../core/types.ts';
import { RULES } from './rules.ts';
import { ignoreComments, lineText, position, type Position, type Range, type SourceFile } from './yaml.ts';

/** zizmor's scale, kept because `informational` and `low` differ in practice. */
export type CiSeverity = 'info' | 'low' | 'medium' | 'high';
export const CI_SEVERITIES: readonly CiSeverity[] = ['info', 'low', 'medium', 'high'];

export type Confidence = 'low' | 'medium' | 'high';

/**
 * Who wants to see the finding: `regular` (default, high signal), `pedantic` (also code smells),
 * `auditor` (everything, including findings that need human judgement).
 */
export type Persona = 'regular' | 'pedantic' | 'auditor';
export const PERSONAS: readonly Persona[] = ['regular', 'pedantic', 'auditor'];

export interface Located {
  start: Position;
  end: Position;
  message: string;
}

export interface CiFinding {
  rule: string;
  /** The rule's one-line title, e.g. "code injection via template expansion". */
  title: string;
  /** What the primary location shows. */
  message: string;
  severity: CiSeverity;
  confidence: Confidence;
  persona: Persona;
  path: string;
  start: Position;
  end: Position;
  related: Located[];
  /** The source line of the primary location, trimmed. */
  snippet: string;
  suppressed?: { kind: 'inline' | 'config'; source: string };
}

export interface Raise {
  rule: string;
  severity: CiSeverity;
  confidence: Confidence;
  persona?: Persona;
  at: Range;
  message: string;
  related?: { at: Range; message: string }[];
  /** Ranges that do not show but accept ignore comments (the whole step, the whole job). */
  hidden?: Range[];
}

/** Collects the findings raised on one file and applies its inline suppressions. */
export class Reporter {
  readonly file: SourceFile;
  readonly findings: CiFinding[] = [];
  private ignores: Map<number, Set<string>> | undefined;

  constructor(file: SourceFile) {
    this.file = file;
  }

  raise(r: Raise): void {
    const rule = RULES[r.rule];
    if (!rule) throw new Error(`unknown CI rule ${r.rule}`);
    const start = position(this.file, r.at.start);
    const end = position(this.file, Math.max(r.at.start, r.at.end));
    const finding: CiFinding = {
      rule: r.rule,
      title: rule.title,
      message: r.message,
      severity: r.severity,
      confidence: r.confidence,
      persona: r.persona ?? 'regular',
      path: this.file.path,
      start,
      end,
      related: (r.related ?? []).map((x) => ({
        start: position(this.file, x.at.start),
        end: position(this.file, Math.max(x.at.start, x.at.end)),
        message: x.message,
      })),
      snippet: lineText(this.file, start.line).trim(),
    };
    const ignoredOn = this.ignoredLine(r);
    if (ignoredOn !== undefined) finding.suppressed = { kind: 'inline', source: `${this.file.path}:${ignoredOn}` };
    this.findings.push(finding);
  }

  /** The line of an ignore comment for this rule inside any of the finding's ranges. */
  private ignoredLine(r: Raise): number | undefined {
    this.ignores ??= ignoreComments(this.file.text);
    if (this.ignores.size === 0) return undefined;
    const names = new Set([r.rule, ...(RULES[r.rule]?.aliases ?? [])]);
    const ranges = [r.at, ...(r.related ?? []).map((x) => x.at), ...(r.hidden ?? [])];
    for (const range of ranges) {
      const from = position(this.file, range.start).line;
      const to = position(this.file, Math.max(range.start, range.end)).line;
      for (let line = from; line <= to; line++) {
        const rules = this.ignores.get(line);
        if (rules && [...names].some((n) => rules.has(n))) return line;
      }
    }
    return undefined;
  }
}

export function severityRank(s: CiSeverity): number {
  return CI_SEVERITIES.indexOf(s);
}

export function personaRank(p: Persona): number {
  return PERSONAS.indexOf(p);
}

const CORE_SEVERITY: Record<CiSeverity, Severity> = { info: 'LOW', low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };

/**
 * The findings as core `Finding`s (kind `misconfig`; the id is the CI rule id), for consumers
 * that merge CI results with other scanners. Informational findings map to LOW.
 */
export function toCoreFindings(findings: CiFinding[]): Finding[] {
  return findings.map((f) => {
    const rule = RULES[f.rule]!;
    const core: Finding = {
      kind: 'misconfig',
      id: f.rule,
      severity: CORE_SEVERITY[f.severity],
      title: `${f.title}: ${f.message}`,
      target: f.path,
      location: { path: f.path, line: f.start.line },
      evidence: f.snippet,
      remediation: rule.remediation,
      references: [rule.helpUri],
    };
    if (f.suppressed) core.suppression = { kind: 'ignore', status: 'ignored', source: f.suppressed.source };
    return core;
  });
}
