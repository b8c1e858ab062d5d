/**
 * The detector: gitleaks' detection pipeline (detect/detect.go `Detect`, `detectRule`, `filter`)
 * over one fragment at a time.
 *
 * 1. The config and baseline files are never reported; global allowlists may skip the fragment by
 *    commit or path.
 * 2. One pre-filter pass finds which rule keywords occur (prefilter.ts); a rule runs when it has
 *    no keywords or one of them occurs.
 * 3. For each rule: its allowlists by commit/path, its `path` (alone: a finding per matching file),
 *    then every regex match, located by line and column as gitleaks does, skipped on a line with
 *    `gitleaks:allow`; the secret is `secretGroup` or the first non-empty group of the pattern
 *    re-run on the match; the entropy floor; global then rule allowlists (secret, match or line;
 *    stopwords; OR/AND); composite rules (`[[rules.required]]`).
 * 4. A `generic…` finding is dropped where another rule found a secret containing it on the same line.
 */
import type { Allowlist, Rule, SecretsConfig } from './config.ts';
import { shannonEntropy } from './entropy.ts';
import { redactFinding, type Fragment, type SecretFinding } from './finding.ts';
import { KeywordAutomaton, type ScanResult } from './prefilter.ts';
import { NON_ASCII_FOLDS } from './regex/emit.ts';
import { analyzeSecretManifests, SECRET_MANIFEST_RULE } from './kubernetes.ts';

const ALLOW_SIGNATURE = 'gitleaks:allow';

export interface DetectorOptions {
  /** Percentage of each secret to mask (0 = none, 100 = `REDACTED`). */
  redact?: number;
  /** Report findings on lines marked `gitleaks:allow` too. */
  ignoreGitleaksAllow?: boolean;
  /** Paths (as findings name them) never reported: the configuration and baseline files. */
  skipPaths?: string[];
}

interface PreparedRule {
  rule: Rule;
  /** Pre-filter pattern ids of the keywords. */
  keywordIds: number[];
  /** Keywords the ASCII automaton cannot fold; checked on the lower-cased text. */
  slowKeywords: string[];
  /** Pattern ids of the literals of the rule's anchor plan. */
  anchorIds?: Set<number>;
}

/** Per-fragment state shared by the rules that run on it. */
interface FragmentContext {
  fragment: Fragment;
  ascii: boolean;
  scan: ScanResult;
  newlines?: Int32Array;
  lower?: string;
  /** Whether the text holds a character that `(?i)` folds onto ASCII (anchor plans then step aside). */
  nonAsciiFold?: boolean;
}

export class Detector {
  readonly config: SecretsConfig;
  readonly #options: DetectorOptions;
  readonly #prepared: PreparedRule[];
  readonly #byId = new Map<string, PreparedRule>();
  readonly #automaton: KeywordAutomaton;

  constructor(config: SecretsConfig, options: DetectorOptions = {}) {
    this.config = config;
    this.#options = options;
    const patterns: string[] = [];
    const ids = new Map<string, number>();
    const recorded = new Set<number>();
    const idOf = (p: string) => {
      let id = ids.get(p);
      if (id === undefined) {
        id = patterns.length;
        patterns.push(p);
        ids.set(p, id);
      }
      return id;
    };
    this.#prepared = [];
    for (const id of config.orderedRules) {
      const rule = config.rules.get(id);
      if (!rule || this.#byId.has(id)) continue;
      const ascii = rule.keywords.filter((k) => /^[\x20-\x7e]+$/.test(k));
      const prepared: PreparedRule = {
        rule,
        keywordIds: ascii.map(idOf),
        slowKeywords: rule.keywords.filter((k) => !ascii.includes(k) && k !== ''),
      };
      const plan = rule.regex?.plan;
      if (plan) {
        prepared.anchorIds = new Set(plan.literals.map(idOf));
        for (const a of prepared.anchorIds) recorded.add(a);
      }
      this.#prepared.push(prepared);
      this.#byId.set(id, prepared);
    }
    this.#automaton = new KeywordAutomaton(patterns, recorded);
  }

  /** Findings in one fragment, deduplicated and redacted (no fingerprints, ignores or baseline yet). */
  detect(fragment: Fragment): SecretFinding[] {
    if (fragment.filePath !== '' && this.#options.skipPaths?.includes(fragment.filePath)) return [];
    if (commitOrPathAllowed(fragment, this.config.allowlists)) return [];
    // The byte loop is the fast one; text without bytes at hand (git hunks, stdin) is encoded first.
    const bytes = fragment.bytes ?? Buffer.from(fragment.raw, 'utf8');
    const ascii = bytes.length === fragment.raw.length;
    const scan = ascii ? this.#automaton.scanBytes(bytes) : this.#automaton.scanString(fragment.raw);
    const ctx: FragmentContext = { fragment, ascii, scan };
    const findings: SecretFinding[] = [];
    for (const prepared of this.#prepared) {
      if (!this.#selected(prepared, ctx)) continue;
      findings.push(...this.#detectRule(prepared, ctx, false));
    }
    return filterFindings(dropManifestDuplicates(findings), this.#options.redact ?? 0);
  }

  #selected(prepared: PreparedRule, ctx: FragmentContext): boolean {
    if (prepared.keywordIds.length === 0 && prepared.slowKeywords.length === 0) return true;
    for (const id of prepared.keywordIds) if (ctx.scan.found[id] === 1) return true;
    if (prepared.slowKeywords.length > 0) {
      ctx.lower ??= ctx.fragment.raw.toLowerCase();
      for (const k of prepared.slowKeywords) if (ctx.lower.includes(k)) return true;
    }
    return false;
  }

  #detectRule(prepared: PreparedRule, ctx: FragmentContext, inherited: boolean): SecretFinding[] {
    const { rule } = prepared;
    const { fragment } = ctx;
    if (rule.skipReport && !inherited) return [];
    if (commitOrPathAllowed(fragment, rule.allowlists)) return [];
    if (rule.path) {
      const pathMatches = rule.path.test(fragment.filePath);
      if (!rule.regex) return pathMatches ? [this.#pathFinding(rule, fragment)] : [];
      if (!pathMatches) return [];
    }
    if (!rule.regex) return [];
    if (rule.id === SECRET_MANIFEST_RULE) return this.#secretManifest(rule, ctx);

    const raw = fragment.raw;
    const matches = rule.regex.findAll(raw, this.#candidates(prepared, ctx));
    const findings: SecretFinding[] = [];
    for (const m of matches) {
      const finding = this.#findingAt(rule, ctx, m.start, m.end);
      if (finding) findings.push(finding);
    }
    if (inherited || rule.required.length === 0) return findings;
    return this.#requiredRules(rule, ctx, findings);
  }

  /** Where the rule's anchor literals start, ascending; undefined when the rule has no anchor plan. */
  #candidates(prepared: PreparedRule, ctx: FragmentContext): number[] | undefined {
    const ids = prepared.anchorIds;
    if (!ids) return undefined;
    if (ctx.nonAsciiFold === undefined) ctx.nonAsciiFold = !ctx.ascii && NON_ASCII_FOLDS.some((c) => ctx.fragment.raw.includes(c));
    if (ctx.nonAsciiFold) return undefined;
    const { hitStarts, hitPatterns, hitCount } = ctx.scan;
    const out: number[] = [];
    for (let i = 0; i < hitCount; i++) if (ids.has(hitPatterns[i]!)) out.push(hitStarts[i]!);
    out.sort((a, b) => a - b);
    return out;
  }

  /**
   * A match at [start, end) of the fragment turned into a finding, or undefined when gitleaks
   * would drop it. The secret and its entropy are worked out before the location: most generic
   * matches fail the entropy floor, and every check only drops findings, so the order does not
   * change the result.
   */
  #findingAt(rule: Rule, ctx: FragmentContext, start: number, matchEnd: number, tags: string[] = []): SecretFinding | undefined {
    const { fragment } = ctx;
    const raw = fragment.raw;
    const matchText = trimNewlines(raw.slice(start, matchEnd));
    let secret = matchText;
    const groups = rule.regex!.submatch(matchText);
    if (groups && groups.length >= 2) {
      if (rule.secretGroup > 0) {
        if (groups.length <= rule.secretGroup) return undefined;
        secret = groups[rule.secretGroup]!;
      } else {
        const first = groups.slice(1).find((g) => g.length > 0);
        if (first !== undefined) secret = first;
      }
    }
    const entropy = shannonEntropy(secret);
    if (rule.entropy !== 0 && entropy <= rule.entropy) return undefined;

    // gitleaks keeps the start and moves the end to start + trimmed length (detect.go, issue 1352).
    const end = start + matchText.length;
    ctx.newlines ??= newlineIndex(raw);
    const loc = locate(ctx.newlines, raw, start, end, ctx.ascii);
    if (end > loc.endLineIndex) loc.endLineIndex = end;
    const finding: SecretFinding = {
      ruleId: rule.id,
      description: rule.description,
      startLine: fragment.startLine + loc.startLine,
      endLine: fragment.startLine + loc.endLine,
      startColumn: loc.startColumn,
      endColumn: loc.endColumn,
      line: raw.slice(loc.startLineIndex, loc.endLineIndex),
      match: matchText,
      secret,
      file: fragment.filePath,
      symlinkFile: fragment.symlinkFile ?? '',
      commit: fragment.commit?.sha ?? '',
      entropy: Math.fround(entropy),
      author: fragment.commit?.author ?? '',
      email: fragment.commit?.email ?? '',
      date: fragment.commit?.date ?? '',
      message: fragment.commit?.message ?? '',
      tags: [...rule.tags, ...tags],
      fingerprint: '',
    };
    if (!this.#options.ignoreGitleaksAllow && finding.line.includes(ALLOW_SIGNATURE)) return undefined;
    if (findingAllowed(finding, fragment, finding.line, this.config.allowlists)) return undefined;
    if (findingAllowed(finding, fragment, finding.line, rule.allowlists)) return undefined;
    return finding;
  }

  #pathFinding(rule: Rule, fragment: Fragment): SecretFinding {
    return {
      ruleId: rule.id,
      description: rule.description,
      startLine: 0,
      endLine: 0,
      startColumn: 0,
      endColumn: 0,
      line: '',
      match: `file detected: ${fragment.filePath}`,
      secret: '',
      file: fragment.filePath,
      symlinkFile: fragment.symlinkFile ?? '',
      commit: fragment.commit?.sha ?? '',
      entropy: 0,
      author: fragment.commit?.author ?? '',
      email: fragment.commit?.email ?? '',
      date: fragment.commit?.date ?? '',
      message: fragment.commit?.message ?? '',
      tags: [...rule.tags],
      fingerprint: '',
    };
  }

  /** detect.go `processRequiredRules`: a composite rule reports only when each required rule matched nearby. */
  #requiredRules(rule: Rule, ctx: FragmentContext, primaries: SecretFinding[]): SecretFinding[] {
    if (primaries.length === 0) return primaries;
    const found = new Map<string, SecretFinding[]>();
    for (const req of rule.required) {
      const prepared = this.#byId.get(req.id);
      if (prepared) found.set(req.id, this.#detectRule(prepared, ctx, true));
    }
    return primaries.filter((p) =>
      rule.required.every((req) =>
        (found.get(req.id) ?? []).some((r) => {
          if (req.withinLines !== undefined && Math.abs(p.startLine - r.startLine) > req.withinLines) return false;
          if (req.withinColumns !== undefined && Math.abs(p.startColumn - r.startColumn) > req.withinColumns) return false;
          return true;
        }),
      ),
    );
  }

  /**
   * Kubernetes Secret manifests: a finding per non-empty value, and the decoded values scanned
   * with every other rule (kubernetes.ts).
   */
  #secretManifest(rule: Rule, ctx: FragmentContext): SecretFinding[] {
    const { fragment } = ctx;
    if (!rule.regex!.test(fragment.raw)) return [];
    const out: SecretFinding[] = [];
    for (const value of analyzeSecretManifests(fragment.raw)) {
      const finding = this.#findingAt(rule, ctx, value.start, value.end, value.decoded !== undefined ? ['decoded:base64'] : []);
      if (!finding) continue;
      // The value as written is the secret (it is what the line shows and what redaction hides).
      finding.match = finding.secret = value.text;
      finding.entropy = Math.fround(shannonEntropy(finding.secret));
      if (findingAllowed(finding, fragment, finding.line, this.config.allowlists) || findingAllowed(finding, fragment, finding.line, rule.allowlists)) continue;
      out.push(finding);
      if (value.decoded !== undefined) {
        // The decoded text, scanned with the other rules and reported at the value's place.
        for (const inner of this.detect({ raw: value.decoded, filePath: fragment.filePath, startLine: 1, ...(fragment.commit && { commit: fragment.commit }) })) {
          if (inner.ruleId === rule.id) continue;
          out.push({ ...inner, startLine: finding.startLine, endLine: finding.endLine, startColumn: finding.startColumn, endColumn: finding.endColumn, line: finding.line, tags: [...inner.tags, 'decoded:base64'] });
        }
      }
    }
    return out;
  }
}

/* ── allowlists ── */

function commitAllowedBy(a: Allowlist, commit: string): boolean {
  return commit !== '' && a.commits.includes(commit.toLowerCase());
}

function pathAllowedBy(a: Allowlist, path: string): boolean {
  return path !== '' && a.paths.some((p) => p.test(path));
}

/** detect.go `checkCommitOrPathAllowed`. */
export function commitOrPathAllowed(fragment: Fragment, allowlists: readonly Allowlist[]): boolean {
  const commit = fragment.commit?.sha ?? '';
  if (fragment.filePath === '' && commit === '') return false;
  for (const a of allowlists) {
    const commitOk = commitAllowedBy(a, commit);
    const pathOk = pathAllowedBy(a, fragment.filePath);
    if (a.condition === 'AND') {
      // Allowlists with regexes or stopwords are decided per finding.
      if (a.regexes.length > 0 || a.stopwords.length > 0) continue;
      const checks: boolean[] = [];
      if (a.commits.length > 0) checks.push(commitOk);
      if (a.paths.length > 0) checks.push(pathOk);
      if (checks.every(Boolean)) return true;
    } else if (commitOk || pathOk) {
      return true;
    }
  }
  return false;
}

/** detect.go `checkFindingAllowed`. */
export function findingAllowed(finding: SecretFinding, fragment: Fragment, line: string, allowlists: readonly Allowlist[]): boolean {
  for (const a of allowlists) {
    const target = a.regexTarget === 'match' ? finding.match : a.regexTarget === 'line' ? line : finding.secret;
    const regexOk = target !== '' && a.regexes.some((r) => r.test(target));
    const lowerSecret = finding.secret.toLowerCase();
    const stopwordOk = finding.secret !== '' && a.stopwords.some((w) => lowerSecret.includes(w));
    if (a.condition === 'AND') {
      const checks: boolean[] = [];
      if (a.commits.length > 0) checks.push(commitAllowedBy(a, fragment.commit?.sha ?? ''));
      if (a.paths.length > 0) checks.push(pathAllowedBy(a, fragment.filePath));
      if (a.regexes.length > 0) checks.push(regexOk);
      if (a.stopwords.length > 0) checks.push(stopwordOk);
      if (checks.every(Boolean)) return true;
    } else if (regexOk || stopwordOk) {
      return true;
    }
  }
  return false;
}

/* ── dedupe and redaction (detect/utils.go `filter`) ── */

/** gitleaks' own regex rule for Secret manifests, superseded where the manifest was parsed. */
const GITLEAKS_SECRET_YAML_RULE = 'kubernetes-secret-yaml';

/** Where the manifest was parsed, each value already has its own finding. */
function dropManifestDuplicates(findings: SecretFinding[]): SecretFinding[] {
  if (!findings.some((f) => f.ruleId === SECRET_MANIFEST_RULE)) return findings;
  return findings.filter((f) => f.ruleId !== GITLEAKS_SECRET_YAML_RULE);
}

export function filterFindings(findings: SecretFinding[], redact: number): SecretFinding[] {
  const out: SecretFinding[] = [];
  for (const f of findings) {
    const generic = f.ruleId.toLowerCase().includes('generic');
    const shadowed =
      generic &&
      findings.some(
        (g) =>
          g.startLine === f.startLine &&
          g.commit === f.commit &&
          g.ruleId !== f.ruleId &&
          g.secret.includes(f.secret) &&
          !g.ruleId.toLowerCase().includes('generic'),
      );
    if (shadowed) continue;
    out.push(f);
  }
  // Redact after deciding, so the comparison above sees the real secrets.
  if (redact > 0) for (const f of out) redactFinding(f, redact);
  return out;
}

/* ── locations (detect/location.go) ── */

interface Loc {
  startLine: number;
  endLine: number;
  startColumn: number;
  endColumn: number;
  startLineIndex: number;
  endLineIndex: number;
}

export function newlineIndex(raw: string): Int32Array {
  let out = new Int32Array(64);
  let k = 0;
  for (let i = raw.indexOf('\n'); i >= 0; i = raw.indexOf('\n', i + 1)) {
    if (k === out.length) {
      const grown = new Int32Array(k * 2);
      grown.set(out);
      out = grown;
    }
    out[k++] = i;
  }
  return out.subarray(0, k);
}

/**
 * gitleaks' `location`, quirks included: lines are 0-based from the fragment start, columns count
 * from the preceding newline (so they are one more than the character position after the first
 * line), and a match after the last newline gets a line that starts at the fragment's start.
 * Columns are byte columns, as Go strings are bytes.
 */
function locate(newlines: Int32Array, raw: string, start: number, end: number, ascii: boolean): Loc {
  const width = (a: number, b: number) => (ascii || a >= b ? b - a : Buffer.byteLength(raw.slice(a, b)));
  const nl = newlines.length > 0 ? newlines : Int32Array.of(raw.length);
  const loc: Loc = { startLine: 0, endLine: 0, startColumn: 0, endColumn: 0, startLineIndex: 0, endLineIndex: 0 };
  const prevOf = (j: number) => (j === 0 ? 0 : nl[j - 1]!);
  const js = upperBound(nl, start);
  const startSet = js < nl.length;
  const je = lowerBound(nl, end);
  const endSet = je < nl.length && (je > 0 || end > 0);
  const applyStart = () => {
    loc.startLine = js;
    loc.endLine = js;
    loc.startColumn = width(prevOf(js), start) + 1;
    loc.startLineIndex = prevOf(js);
    loc.endLineIndex = nl[js]!;
  };
  const applyEnd = () => {
    loc.endLine = je;
    loc.endColumn = width(prevOf(je), end);
    loc.endLineIndex = nl[je]!;
  };
  if (startSet && endSet && je < js) {
    applyEnd();
    applyStart();
  } else {
    if (startSet) applyStart();
    if (endSet) applyEnd();
  }
  if (!startSet) {
    const prev = nl[nl.length - 1]!;
    loc.startColumn = width(prev, start) + 1;
    loc.endColumn = width(prev, end);
    loc.startLine = nl.length;
    loc.endLine = nl.length;
    let i = end;
    while (i < raw.length && raw[i] !== '\n' && raw[i] !== '\r') i++;
    loc.endLineIndex = i;
  }
  return loc;
}

/** First index with a[i] > x. */
function upperBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with a[i] >= x. */
function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function trimNewlines(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 10) a++;
  while (b > a && s.charCodeAt(b - 1) === 10) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
