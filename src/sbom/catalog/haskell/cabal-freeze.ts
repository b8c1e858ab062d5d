/**
 * cabal.project.freeze, written by `cabal freeze` (https://cabal.readthedocs.io/en/stable/cabal-project-description-file.html):
 * cabal.project syntax, where the `constraints:` field pins every package of the build plan:
 *   constraints: any.aeson ==2.2.1.0,
 *                any.aeson +ordered-keymap,
 *                any.base ==4.18.2.1,
 * A field's value continues on the lines indented deeper than the field name. Only version pins
 * are packages; flag settings (`+flag`/`-flag`) and `installed` constraints pin nothing.
 * `cabal freeze` always qualifies pins with `any.`; an unqualified pin (`foo ==1.0`, which binds
 * only the top-level goal) is reported and skipped, as the upstream extractor does.
 */
import { ParseError } from '../../../core/errors.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type Cataloger, type CatalogInput, type CatalogResult } from '../cataloger.ts';

const FIELD = /^(\s*)([A-Za-z][\w-]*)\s*:(.*)$/;
const PIN = /^any\.([A-Za-z0-9][A-Za-z0-9-]*)\s*==\s*(\d+(?:\.\d+)*)$/;
const OTHER_PIN = /^\S+\s*==/;

export const cabalFreezeCataloger: Cataloger = {
  name: 'haskell/cabal-freeze',
  ecosystem: 'Hackage',
  wants: (path) => baseName(path) === 'cabal.project.freeze',
  catalog: catalogCabalFreeze,
};

interface Segment {
  text: string;
  line: number;
}

async function catalogCabalFreeze(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  if (text.trim() === '') throw new ParseError('empty file');
  const issues: InputIssue[] = [];
  const constraints = constraintSegments(text, (line, message) => issues.push({ path: input.path, line, message }));
  const packages: Package[] = [];
  for (const { text: spec, line } of constraints) {
    const pin = PIN.exec(spec);
    if (pin) packages.push(makePackage(pin[1]!, pin[2]!, input.path, line));
    else if (OTHER_PIN.test(spec)) {
      issues.push({ path: input.path, line, message: `skipped constraint \`${spec}\`: not an \`any.\` version pin` });
    }
  }
  return { packages, ...(issues.length > 0 && { issues }) };
}

/** The comma-separated items of every `constraints:` field, each with the line it is on. */
function constraintSegments(text: string, issue: (line: number, message: string) => void): Segment[] {
  const segments: Segment[] = [];
  let field: { name: string; indent: number } | undefined;
  let fields = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const content = raw.trimEnd();
    // Cabal comments are whole lines starting with `--`.
    if (content.trim() === '' || content.trimStart().startsWith('--')) return;
    const indent = content.length - content.trimStart().length;
    let value = content;
    if (field === undefined || indent <= field.indent) {
      const m = FIELD.exec(content);
      if (!m) {
        field = undefined;
        issue(line, `skipped line \`${content.trim()}\`: not a \`field:\` or its continuation`);
        return;
      }
      field = { name: m[2]!.toLowerCase(), indent: m[1]!.length };
      fields++;
      value = m[3]!;
    }
    if (field.name !== 'constraints') return;
    for (const item of value.split(',')) {
      if (item.trim() !== '') segments.push({ text: item.trim(), line });
    }
  });
  if (fields === 0) throw new ParseError('not a cabal.project.freeze: no `field:` lines');
  return segments;
}

function makePackage(name: string, version: string, path: string, line: number): Package {
  return {
    name,
    version,
    ecosystem: 'Hackage',
    purl: makePurl('Hackage', name, version),
    locations: [{ path, line }],
    scope: 'required',
  };
}
