/**
 * Ignore files: `.palisadeignore`, and Trivy's `.trivyignore` / `.trivyignore.yaml` as they are.
 *
 * Two syntaxes (docs/suppressions.md has the full description):
 * - lines: `ID [exp:YYYY-MM-DD] [purl:PURL]… [path:GLOB]… [# reason]`, `#` starts a comment.
 *   A plain `.trivyignore` is this syntax without the purl/path options.
 * - YAML: `vulnerabilities:` (also `misconfigurations:`, `secrets:`, `licenses:`) lists of
 *   `{id, reason|statement, expires|expired_at, purls, paths}`, the `.trivyignore.yaml` shape.
 *   Palisade's own file requires a reason for every YAML entry; Trivy's files do not.
 *
 * A malformed entry stops the run with `file:line`: a typo must never turn into a silently
 * ignored (or silently not ignored) vulnerability.
 */
import { posix } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from 'yaml';
import { PalisadeError } from '../../core/errors.ts';
import type { Finding, FindingKind, InputIssue } from '../../core/types.ts';
import { findingIds, findingPurl, parsePurl, purlCovers, readSuppressionFile, type PurlParts } from './common.ts';

export interface IgnoreRule {
  /** Matches the finding's primary id or any alias, ignoring case. */
  id: string;
  /** Finding kinds the rule applies to (YAML sections); absent: every kind (line syntax). */
  kinds?: FindingKind[];
  /** The rule applies only to packages these purls name (a purl without version: every version). */
  purls: string[];
  /** The rule applies only to findings with a location matching one of these globs. */
  paths: string[];
  /** `YYYY-MM-DD`: from this day (UTC) on, the rule no longer applies. */
  expires?: string;
  reason?: string;
  /** Where the rule is written. */
  path: string;
  line: number;
}

/** YAML sections and the findings they cover. Palisade has no license findings: such rules only load. */
const SECTION_KINDS: Record<string, FindingKind[]> = {
  vulnerabilities: ['vuln'],
  misconfigurations: ['misconfig'],
  secrets: ['secret'],
  licenses: [],
};

const ENTRY_KEYS = ['id', 'reason', 'statement', 'expires', 'expired_at', 'purls', 'paths'];

function malformed(path: string, line: number | undefined, message: string): PalisadeError {
  return new PalisadeError('PARSE_ERROR', `${path}${line === undefined ? '' : `:${line}`}: ${message}`);
}

export async function loadIgnoreFile(path: string): Promise<IgnoreRule[]> {
  return parseIgnoreFile(await readSuppressionFile(path, 'ignore file'), path);
}

/** Parse an ignore file's text; `path` decides the flavour (Trivy's files need no reasons) and names errors. */
export function parseIgnoreFile(text: string, path: string): IgnoreRule[] {
  const clean = text.replace(/^\uFEFF/, '');
  const name = posix.basename(path.replaceAll('\\', '/'));
  if (isYaml(name, clean)) return parseYaml(clean, path, !name.startsWith('.trivyignore'));
  return parseLines(clean, path);
}

/** YAML by extension, else when the first meaningful line is a top-level key or a document marker. */
function isYaml(name: string, text: string): boolean {
  if (/\.ya?ml$/i.test(name)) return true;
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  return first !== undefined && /^(---\s*$|[A-Za-z_]+:(\s|$))/.test(first);
}

// ---------------------------------------------------------------------------------------------
// Line syntax

function parseLines(text: string, path: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    // `#` starts the reason only at the line start or after a space: purls may contain `#`.
    const hash = /(^|\s)#/.exec(raw);
    const body = hash ? raw.slice(0, hash.index) : raw;
    const [id, ...options] = body.trim().split(/\s+/).filter((t) => t !== '');
    if (id === undefined) return;
    const rule: IgnoreRule = { id, purls: [], paths: [], path, line };
    for (const option of options) addLineOption(rule, option);
    const reason = hash ? raw.slice(hash.index + hash[0].length).trim() : '';
    if (reason !== '') rule.reason = reason;
    rules.push(rule);
  });
  return rules;
}

function addLineOption(rule: IgnoreRule, option: string): void {
  const colon = option.indexOf(':');
  const key = colon === -1 ? '' : option.slice(0, colon);
  const value = option.slice(colon + 1);
  switch (key) {
    case 'exp':
      if (rule.expires !== undefined) throw malformed(rule.path, rule.line, `${rule.id}: exp: given twice`);
      rule.expires = checkDate(value, rule.path, rule.line);
      return;
    case 'purl':
      rule.purls.push(checkPurl(value, rule.path, rule.line));
      return;
    case 'path':
      rule.paths.push(checkGlob(value, rule.path, rule.line));
      return;
    default:
      throw malformed(
        rule.path,
        rule.line,
        `unexpected "${option}" after ${rule.id}: options are exp:YYYY-MM-DD, purl:<purl> and path:<glob>; write the reason after " #"`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// YAML syntax

function parseYaml(text: string, path: string, reasonRequired: boolean): IgnoreRule[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const error = doc.errors[0];
  if (error) throw malformed(path, error.linePos?.[0].line, `invalid YAML: ${error.message.split('\n')[0]}`);
  const lineOf = (node: Node | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;

  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) throw malformed(path, lineOf(root), 'expected a mapping such as "vulnerabilities:" with a list of entries');
  const rules: IgnoreRule[] = [];
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const kinds = SECTION_KINDS[key];
    const keyLine = lineOf(pair.key as Node);
    if (!kinds) throw malformed(path, keyLine, `unknown section "${key}" (expected ${Object.keys(SECTION_KINDS).join(', ')})`);
    const list = pair.value as Node | null;
    if (list === null || (isScalar(list) && list.value === null)) continue;
    if (!isSeq(list)) throw malformed(path, lineOf(list) ?? keyLine, `"${key}" must be a list of entries`);
    for (const item of list.items as Node[]) {
      if (!isMap(item)) throw malformed(path, lineOf(item), `each "${key}" entry must be a mapping with at least "id"`);
      rules.push(yamlEntry(item, { path, line: lineOf(item) ?? 1, kinds: [...kinds], reasonRequired, lineOf }));
    }
  }
  return rules;
}

interface EntryContext {
  path: string;
  line: number;
  kinds: FindingKind[];
  reasonRequired: boolean;
  lineOf: (node: Node | null | undefined) => number | undefined;
}

function yamlEntry(map: YAMLMap, ctx: EntryContext): IgnoreRule {
  const { path, lineOf } = ctx;
  const values = new Map<string, { node: Node | null; line: number }>();
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const line = lineOf(pair.key as Node) ?? ctx.line;
    if (!ENTRY_KEYS.includes(key)) throw malformed(path, line, `unknown key "${key}" (expected ${ENTRY_KEYS.join(', ')})`);
    values.set(key, { node: pair.value as Node | null, line });
  }
  const text = (key: string): string | undefined => {
    const entry = values.get(key);
    if (!entry) return undefined;
    if (!isScalar(entry.node) || typeof entry.node.value !== 'string' || entry.node.value.trim() === '') {
      throw malformed(path, entry.line, `"${key}" must be a non-empty string`);
    }
    return entry.node.value.trim();
  };
  const list = (key: string): { value: string; line: number }[] => {
    const entry = values.get(key);
    if (!entry) return [];
    const nodes = isSeq(entry.node) ? (entry.node.items as Node[]) : [entry.node];
    return nodes.map((node) => {
      if (!isScalar(node) || typeof node.value !== 'string') throw malformed(path, lineOf(node) ?? entry.line, `"${key}" must be a list of strings`);
      return { value: node.value, line: lineOf(node) ?? entry.line };
    });
  };
  const either = (a: string, b: string): string | undefined => {
    if (values.has(a) && values.has(b)) throw malformed(path, ctx.line, `give either "${a}" or "${b}", not both`);
    return text(a) ?? text(b);
  };

  const id = text('id');
  if (id === undefined) throw malformed(path, ctx.line, 'entry has no "id"');
  const rule: IgnoreRule = {
    id,
    kinds: ctx.kinds,
    purls: list('purls').map((p) => checkPurl(p.value, path, p.line)),
    paths: list('paths').map((p) => checkGlob(p.value, path, p.line)),
    path,
    line: ctx.line,
  };
  const expires = either('expires', 'expired_at');
  if (expires !== undefined) rule.expires = checkDate(expires, path, (values.get('expires') ?? values.get('expired_at'))?.line ?? ctx.line);
  const reason = either('reason', 'statement');
  if (reason !== undefined) rule.reason = reason;
  else if (ctx.reasonRequired) throw malformed(path, ctx.line, `entry ${id} has no "reason": say why it is safe to ignore`);
  return rule;
}

// ---------------------------------------------------------------------------------------------
// Values shared by both syntaxes

function checkDate(value: string, path: string, line: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  // Round-trip through Date to reject days that do not exist (2024-02-30).
  if (!m || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw malformed(path, line, `invalid expiry date "${value}" (expected YYYY-MM-DD)`);
  }
  return value;
}

function checkPurl(value: string, path: string, line: number): string {
  if (!parsePurl(value)) throw malformed(path, line, `invalid purl "${value}"`);
  return value;
}

function checkGlob(value: string, path: string, line: number): string {
  const glob = value.trim().replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (glob === '') throw malformed(path, line, 'empty path pattern');
  return glob;
}

// ---------------------------------------------------------------------------------------------
// Applying rules

/** An unexpired rule with its id and purls in the form matching compares. */
interface ActiveRule {
  rule: IgnoreRule;
  id: string;
  /** undefined for a purl that does not parse (only possible in rules built by code): it matches nothing. */
  purls: (PurlParts | undefined)[];
}

/**
 * Mark findings that an unexpired rule matches as suppressed (`suppression` already set by
 * another source is kept). Returns a warning for every expired rule and every rule that
 * matched nothing, in file order.
 */
export function applyIgnores(findings: Finding[], rules: IgnoreRule[], options: { today: Date }): InputIssue[] {
  const today = options.today.toISOString().slice(0, 10);
  const active: ActiveRule[] = rules
    .filter((rule) => !isExpired(rule, today))
    .map((rule) => ({ rule, id: rule.id.toUpperCase(), purls: rule.purls.map(parsePurl) }));
  const used = new Set<IgnoreRule>();
  for (const finding of findings) {
    const ids = findingIds(finding);
    const purl = findingPurl(finding);
    for (const candidate of active) {
      if (!ids.has(candidate.id) || !appliesTo(candidate, finding, purl)) continue;
      const { rule } = candidate;
      used.add(rule);
      finding.suppression ??= {
        kind: 'ignore',
        status: 'ignored',
        ...(rule.reason === undefined ? {} : { justification: rule.reason }),
        source: `${rule.path}:${rule.line}`,
      };
    }
  }
  const warnings: InputIssue[] = [];
  for (const rule of rules) {
    if (isExpired(rule, today)) {
      warnings.push({ path: rule.path, line: rule.line, message: `ignore entry ${rule.id} expired on ${rule.expires} and no longer applies` });
    } else if (!used.has(rule)) {
      warnings.push({ path: rule.path, line: rule.line, message: `ignore entry ${rule.id} matched no finding` });
    }
  }
  return warnings;
}

function isExpired(rule: IgnoreRule, today: string): boolean {
  // As in Trivy: `exp:2025-07-01` ignores until 30 June; from 1 July the finding shows again.
  return rule.expires !== undefined && rule.expires <= today;
}

function appliesTo({ rule, purls }: ActiveRule, finding: Finding, purl: PurlParts | undefined): boolean {
  if (rule.kinds && !rule.kinds.includes(finding.kind)) return false;
  if (purls.length > 0 && !(purl && purls.some((p) => p !== undefined && purlCovers(p, purl)))) return false;
  if (rule.paths.length > 0) {
    const locations = [...(finding.vuln?.package.locations ?? []), ...(finding.location ? [finding.location] : [])];
    if (!locations.some((l) => rule.paths.some((glob) => pathMatches(l.path, glob)))) return false;
  }
  return true;
}

/** A glob matches the path itself or, naming a directory, everything below it. */
function pathMatches(path: string, glob: string): boolean {
  const clean = path.replace(/^\.\//, '');
  return posix.matchesGlob(clean, glob) || posix.matchesGlob(clean, `${glob}/**`);
}
