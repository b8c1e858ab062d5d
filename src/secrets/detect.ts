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
 *
 * What makes it fast without changing a finding: the pre-filter pass also records where each
 * anchor literal occurs, and a rule with an anchor plan (regex/emit.ts) is only tried there, its
 * submatch included; the checks that only drop a match run cheapest first (secret and entropy,
 * then the allowlists that do not need the line, then the location); line verdicts are shared by
 * the matches on a line. Very long lines (minified files) stay linear: rules that can run along a
 * whole line switch to re2js there, and a finding keeps a window of such a line, not all of it.
 */
import type { Allowlist, Rule, SecretsConfig } from './config.ts';
import { shannonEntropy } from './entropy.ts';
import { redactFinding, type Fragment, type SecretFinding } from './finding.ts';
import { KeywordAutomaton, scanResult, type AutomatonTables, type ScanResult } from './prefilter.ts';
import { foldOntoAscii, NON_ASCII_FOLDS } from './regex/emit.ts';
import type { GoRegex } from './regex/compile.ts';
import { analyzeSecretManifests, SECRET_MANIFEST_RULE } from './kubernetes.ts';
import { decodedLine, decodePass, originalSpan, segmentsOverlapping, segmentTags, type EncodedSegment } from './decode.ts';

const ALLOW_SIGNATURE = 'gitleaks:allow';

export interface DetectorOptions {
  /** Percentage of each secret to mask (0 = none, 100 = `REDACTED`). */
  redact?: number;
  /** Report findings on lines marked `gitleaks:allow` too. */
  ignoreGitleaksAllow?: boolean;
  /** Paths (as findings name them) never reported: the configuration and baseline files. */
  skipPaths?: string[];
  /** How many passes decode encoded text and scan it again (decode.ts); 0 turns decoding off. */
  maxDecodeDepth?: number;
}

/** gitleaks' default `--max-decode-depth` (cmd/root.go). */
export const DEFAULT_MAX_DECODE_DEPTH = 5;

interface PreparedRule {
  rule: Rule;
  /** Pre-filter pattern ids of the keywords. */
  keywordIds: number[];
  /** Keywords the ASCII automaton cannot fold; checked on the lower-cased text. */
  slowKeywords: string[];
  /** anchorMask[p] is 1 for the pre-filter patterns that are literals of the rule's anchor plan. */
  anchorMask?: Uint8Array;
  /** The rule's allowlists that do not look at the line (decided before the match is located), then those that do. */
  early: PreparedAllowlist[];
  late: PreparedAllowlist[];
  /** Places the rule has been tried at so far (its gate is only built once there are many). */
  placesTried: number;
}

interface PreparedAllowlist {
  list: Allowlist;
  /** Whether any stopword is a substring of a (lower-cased) secret; an automaton when they are ASCII. */
  stopword: (lowerSecret: string) => boolean;
}

/** Per-fragment state shared by the rules that run on it. */
interface FragmentContext {
  fragment: Fragment;
  ascii: boolean;
  /** Whether the pre-filter ran over the fragment's bytes (so that gates can run over them too). */
  scannedBytes: boolean;
  scan: ScanResult;
  newlines?: Int32Array;
  lower?: string;
  /** Whether the text holds a character that `(?i)` folds onto ASCII (ſ, K). */
  nonAsciiFold?: boolean;
  /** Then, the pre-filter's result over a copy with those folded (anchor plans take their places from it). */
  foldedScan?: ScanResult;
  /** Length of the longest line (computed for long texts only). */
  longestLine?: number;
  /** Where `gitleaks:allow` occurs, ascending. */
  allowMarks?: Int32Array;
  /** The line the line-target allowlists were last tried on, and their verdicts there. */
  lineTests?: { start: number; end: number; verdicts: Map<Allowlist, boolean> };
  /** Set when the text is a decoding pass over the fragment `outer` scanned first. */
  decoding?: { outer: FragmentContext; segments: readonly EncodedSegment[] };
  /** What the Secret manifest rule found in the values it decoded (findingKey), which decoding passes do not report again. */
  manifestDecoded?: Set<string>;
}

/**
 * A fragment's context with every field there from the start, in one order: fields added as they
 * are worked out gave each context a shape of its own, and the hot code that reads them, seeing
 * many, was deoptimised and compiled again and again (a hundred times over node_modules).
 */
function fragmentContext(fragment: Fragment, ascii: boolean, scannedBytes: boolean, scan: ScanResult, decoding?: FragmentContext['decoding']): FragmentContext {
  return {
    fragment,
    ascii,
    scannedBytes,
    scan,
    newlines: undefined,
    lower: undefined,
    nonAsciiFold: undefined,
    foldedScan: undefined,
    longestLine: undefined,
    allowMarks: undefined,
    lineTests: undefined,
    decoding,
    manifestDecoded: undefined,
  };
}

/** What a match is checked against before it becomes a finding. */
class Candidate {
  readonly match: string;
  readonly secret: string;
  #lower?: string;

  constructor(match: string, secret: string) {
    this.match = match;
    this.secret = secret;
  }

  /** The secret lower-cased (for stopwords; worked out when first asked for). */
  get lowerSecret(): string {
    this.#lower ??= this.secret.toLowerCase();
    return this.#lower;
  }
}

export class Detector {
  readonly config: SecretsConfig;
  readonly #options: DetectorOptions;
  readonly #prepared: PreparedRule[];
  readonly #byId = new Map<string, PreparedRule>();
  readonly #automaton: KeywordAutomaton;
  /** The pre-filter pattern of `gitleaks:allow`, whose places it records. */
  readonly #allowPattern: number;
  readonly #globalEarly: PreparedAllowlist[];
  readonly #globalLate: PreparedAllowlist[];
  readonly #allowlists = new Map<Allowlist, PreparedAllowlist>();
  /** Reused buffers for a rule's candidate places, and for those within one match. */
  #places = new Int32Array(1024);
  #tried = new Int32Array(1024);
  #relative = new Int32Array(64);

  /**
   * @param automaton the pre-filter of a detector built from the same configuration (a worker
   *   thread gets the main thread's instead of building it again); ignored if its patterns differ
   */
  constructor(config: SecretsConfig, options: DetectorOptions = {}, automaton?: AutomatonTables) {
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
    const anchors: [PreparedRule, number[]][] = [];
    for (const id of config.orderedRules) {
      const rule = config.rules.get(id);
      if (!rule || this.#byId.has(id)) continue;
      const ascii = rule.keywords.filter((k) => /^[\x20-\x7e]+$/.test(k));
      const [early, late] = this.#split(rule.allowlists);
      const prepared: PreparedRule = {
        rule,
        keywordIds: ascii.map(idOf),
        slowKeywords: rule.keywords.filter((k) => !ascii.includes(k) && k !== ''),
        early,
        late,
        placesTried: 0,
      };
      const plan = rule.regex?.plan;
      if (plan) {
        const literalIds = plan.literals.map(idOf);
        for (const a of literalIds) recorded.add(a);
        anchors.push([prepared, literalIds]);
      }
      this.#prepared.push(prepared);
      this.#byId.set(id, prepared);
    }
    for (const [prepared, literalIds] of anchors) {
      prepared.anchorMask = new Uint8Array(patterns.length);
      for (const a of literalIds) prepared.anchorMask[a] = 1;
    }
    [this.#globalEarly, this.#globalLate] = this.#split(config.allowlists);
    this.#allowPattern = idOf(ALLOW_SIGNATURE);
    recorded.add(this.#allowPattern);
    const same = automaton?.patterns.length === patterns.length && automaton.patterns.every((p, i) => p === patterns[i]);
    this.#automaton = same ? new KeywordAutomaton(automaton) : KeywordAutomaton.build(patterns, recorded);
  }

  /** The pre-filter as plain data, for a detector built in another thread. */
  get automaton(): AutomatonTables {
    return this.#automaton.tables;
  }

  #split(lists: readonly Allowlist[]): [PreparedAllowlist[], PreparedAllowlist[]] {
    const early: PreparedAllowlist[] = [];
    const late: PreparedAllowlist[] = [];
    for (const list of lists) {
      let prepared = this.#allowlists.get(list);
      if (!prepared) {
        prepared = { list, stopword: stopwordMatcher(list.stopwords) };
        this.#allowlists.set(list, prepared);
      }
      (list.regexTarget === 'line' && list.regexes.length > 0 ? late : early).push(prepared);
    }
    return [early, late];
  }

  /** Findings in one fragment, deduplicated and redacted (no fingerprints, ignores or baseline yet). */
  detect(fragment: Fragment): SecretFinding[] {
    if (fragment.filePath !== '' && this.#options.skipPaths?.includes(fragment.filePath)) return [];
    if (commitOrPathAllowed(fragment, this.config.allowlists)) return [];
    // Offsets are UTF-16 ones: the bytes of a file serve when they are one per character.
    const { bytes, raw } = fragment;
    let ascii: boolean;
    let scan: ScanResult;
    if (bytes && bytes.length === raw.length) {
      ascii = true;
      scan = this.#automaton.scanBytes(bytes);
    } else {
      scan = this.#scanText(raw, this.#utf8Of(raw, bytes));
      // A file's text is ASCII when its bytes are one per character (git's and stdin's are re-encoded).
      ascii = bytes ? false : scan.ascii!;
    }
    const ctx = fragmentContext(fragment, ascii, ascii && bytes !== undefined, scan);
    const findings: SecretFinding[] = [];
    for (const prepared of this.#prepared) {
      if (!this.#selected(prepared, ctx)) continue;
      for (const f of this.#detectRule(prepared, ctx, false)) findings.push(f);
    }
    this.#detectDecoded(ctx, findings);
    return filterFindings(dropManifestDuplicates(findings), this.#options.redact ?? 0);
  }

  /**
   * detect.go's decoding loop: each pass decodes the encoded segments of the previous pass's text
   * and runs the rules again over the result; a match counts only where it overlaps a segment
   * decoded in that pass (the rest was seen before). The outer fragment is done with by then: a
   * pass's text, ASCII when the fragment's was (decoded segments are printable ASCII), replaces it
   * in WebAssembly's memory, for its own pre-filter, gates and the
   * next pass's search for encoded runs; other text goes through the string path.
   */
  #detectDecoded(outer: FragmentContext, findings: SecretFinding[]): void {
    const maxDepth = this.#options.maxDecodeDepth ?? DEFAULT_MAX_DECODE_DEPTH;
    const { fragment } = outer;
    let text = fragment.raw;
    let segments: EncodedSegment[] = [];
    // The pre-filter's result for the text to decode: each pass's comes from the pass before's.
    let scanned = outer.scan;
    for (let depth = 1; depth <= maxDepth; depth++) {
      const encoded = text;
      // The first pass takes the fragment's runs from WebAssembly, which holds its text; later
      // passes look only around what the pass before decoded (decode.ts).
      ({ text, segments } = decodePass(encoded, segments, depth === 1 ? this.#automaton.encodedRuns(outer.scan) : undefined));
      if (segments.length === 0) return;
      // The pre-filter's result is about to be the decoded text's: note the fragment's own marks first.
      if (depth === 1) allowMarks(outer, this.#allowPattern);
      // The fragment's own fields, in its shape: the rules read decoded texts and files alike.
      const decoded: Fragment = { ...fragment, raw: text, bytes: undefined };
      // The text is the one before with a few spans replaced: scanned around them only, it gives
      // the same places, and keywords that may include one found only in a replaced span. A rule
      // that ran for such a keyword could report what gitleaks would not: a pass that finds
      // anything (most find nothing) is run again with a scan of the whole text.
      const around = this.#automaton.rescanEdited(scanned, text, segments.map((s) => ({ from: s.encoded, to: s.decoded })), outer.ascii);
      const before = findings.length;
      if (around) {
        this.#detectPass(decoded, outer, segments, around, false, findings);
        scanned = around;
        if (findings.length === before) continue;
        findings.length = before;
      }
      scanned = outer.ascii ? this.#automaton.scanBytes(Buffer.from(text, 'latin1')) : this.#scanText(text, this.#utf8Of(text));
      this.#detectPass(decoded, outer, segments, scanned, outer.ascii, findings);
    }
  }

  /** The rules over one decoding pass's text, with the pre-filter's result for it. */
  #detectPass(decoded: Fragment, outer: FragmentContext, segments: readonly EncodedSegment[], scan: ScanResult, scannedBytes: boolean, findings: SecretFinding[]): void {
    // Decoding replaces ASCII with ASCII: the text is ASCII when the fragment's was.
    const ctx = fragmentContext(decoded, outer.ascii, scannedBytes, scan, { outer, segments });
    // Decoded segments are ASCII: the text holds ſ or K where the fragment did, outside them.
    if (outer.nonAsciiFold !== undefined) ctx.nonAsciiFold = outer.nonAsciiFold;
    for (const prepared of this.#prepared) {
      if (!this.#selected(prepared, ctx)) continue;
      for (const f of this.#detectRule(prepared, ctx, false)) findings.push(f);
    }
  }

  /**
   * The pre-filter over a text that is not one byte per character: over its UTF-8 bytes in
   * WebAssembly unless a pattern is not ASCII. A file's own bytes serve unless the text holds a
   * replacement character (invalid UTF-8, whose bytes do not map onto the characters): then the
   * text is encoded again, the replacement characters as UTF-8.
   */
  #scanText(text: string, utf8: Uint8Array | undefined): ScanResult {
    if (!utf8) return this.#automaton.scanString(text);
    const scan = this.#automaton.scanUtf8(utf8);
    scan.ascii = utf8.length === text.length;
    return scan;
  }

  /** The UTF-8 bytes #scanText reads for `text` (a file's `bytes`, when they are its encoding), or none. */
  #utf8Of(text: string, bytes?: Uint8Array): Uint8Array | undefined {
    if (!this.#automaton.usesUtf8Bytes) return undefined;
    return bytes && !text.includes('\uFFFD') ? bytes : Buffer.from(text, 'utf8');
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
      // The file was reported by the first pass; decoding passes only look at text.
      if (!rule.regex) return pathMatches && !ctx.decoding ? [this.#pathFinding(rule, fragment)] : [];
      if (!pathMatches) return [];
    }
    if (!rule.regex) return [];
    if (rule.id === SECRET_MANIFEST_RULE) return ctx.decoding ? [] : this.#secretManifest(prepared, ctx);

    const raw = fragment.raw;
    // A rule that can run along a whole line goes to the linear engine on very long lines (a
    // minified bundle, a source map), where trying it at each of many places would take
    // quadratic time. That engine is slow (~110 ns a character), so a rule with few places worth
    // trying (`curl` but not `curly`), each reading at most the text, is still tried at them.
    const candidates = this.#candidates(prepared, ctx);
    const linear = rule.regex.reach !== undefined && this.#longText(ctx, rule.regex.reach) && !(candidates && rule.regex.placesToTry(raw, candidates) * raw.length <= BOUNDED_ATTEMPTS_MAX);
    let places = linear ? undefined : candidates;
    if (places && ctx.decoding) places = placesNearSegments(places, ctx.decoding.segments, rule.regex);
    const matches = (linear ? rule.regex.linear() : rule.regex).findAll(raw, places && this.#gated(prepared, ctx, places));
    const findings: SecretFinding[] = [];
    for (const m of matches) {
      const finding = this.#findingAt(prepared, ctx, places, m.start, m.end);
      if (finding) findings.push(finding);
    }
    if (inherited || rule.required.length === 0) return findings;
    return this.#requiredRules(rule, ctx, findings);
  }

  /**
   * The candidate places that pass the rule's gate (regex/gate.ts), in a buffer of their own: the
   * submatch of each match still gets every place within it, since a place the gate rejects in
   * the whole text may start a match in the match's text alone (`$`, `\b` at its end). A gate
   * takes a few milliseconds to build: only rules tried at many places get one.
   */
  #gated(prepared: PreparedRule, ctx: FragmentContext, places: Int32Array): Int32Array {
    prepared.placesTried += places.length;
    if (!ctx.scannedBytes || prepared.placesTried < GATE_AFTER_PLACES) return places;
    const gate = prepared.rule.regex!.gate();
    if (!gate) return places;
    if (this.#tried.length < places.length) this.#tried = new Int32Array(places.length);
    const tried = this.#tried.subarray(0, places.length);
    tried.set(places);
    return this.#automaton.gatePlaces(ctx.scan, gate, tried);
  }

  /** The places in [from, to), relative to `from` (a view of a buffer reused by the next call). */
  #within(places: Int32Array, from: number, to: number): Int32Array {
    const i = lowerBound(places, from);
    let j = i;
    while (j < places.length && places[j]! < to) j++;
    if (this.#relative.length < j - i) this.#relative = new Int32Array(j - i);
    const out = this.#relative.subarray(0, j - i);
    for (let k = 0; k < out.length; k++) out[k] = places[i + k]! - from;
    return out;
  }

  /** The line feeds of a fragment's text: from WebAssembly while its memory holds the text, else by indexOf. */
  #newlines(ctx: FragmentContext): Int32Array {
    ctx.newlines ??= (ctx.scannedBytes && this.#automaton.newlines(ctx.scan)) || newlineIndex(ctx.fragment.raw);
    return ctx.newlines;
  }

  /** Whether the fragment has a line (`line`) or is itself (`text`) longer than LONG_LINE. */
  #longText(ctx: FragmentContext, reach: 'line' | 'text'): boolean {
    const raw = ctx.fragment.raw;
    if (raw.length <= LONG_LINE) return false;
    if (reach === 'text') return true;
    // From WebAssembly while it holds the text (no line index needed: most files have no finding to locate).
    if (ctx.longestLine === undefined && ctx.newlines === undefined && ctx.scannedBytes) ctx.longestLine = this.#automaton.longestLine(ctx.scan);
    if (ctx.longestLine === undefined) {
      // From the newline index, which locating the matches needs anyway: one pass over the text, not two.
      const newlines = this.#newlines(ctx);
      let longest = 0;
      let from = 0;
      for (let i = 0; i < newlines.length && longest <= LONG_LINE; i++) {
        longest = Math.max(longest, newlines[i]! - from);
        from = newlines[i]! + 1;
      }
      ctx.longestLine = Math.max(longest, raw.length - from);
    }
    return ctx.longestLine > LONG_LINE;
  }

  /**
   * Where the rule's anchor literals start, ascending (a view of a buffer reused by the next rule);
   * undefined when the rule has no anchor plan.
   */
  #candidates(prepared: PreparedRule, ctx: FragmentContext): Int32Array | undefined {
    const mask = prepared.anchorMask;
    if (!mask) return undefined;
    if (ctx.nonAsciiFold === undefined) ctx.nonAsciiFold = !ctx.ascii && NON_ASCII_FOLDS.some((c) => ctx.fragment.raw.includes(c));
    if (ctx.nonAsciiFold) ctx.foldedScan ??= this.#foldedScan(ctx);
    const { hitStarts, hitPatterns, hitCount } = ctx.foldedScan ?? ctx.scan;
    if (this.#places.length < hitCount) this.#places = new Int32Array(hitCount);
    const out = this.#places;
    let n = 0;
    let sorted = true;
    for (let i = 0; i < hitCount; i++) {
      if (mask[hitPatterns[i]!] !== 1) continue;
      const start = hitStarts[i]!;
      if (n > 0 && start < out[n - 1]!) sorted = false;
      out[n++] = start;
    }
    const places = out.subarray(0, n);
    if (!sorted) places.sort();
    return places;
  }

  /**
   * The pre-filter folds case for ASCII only, so its hits miss a literal spelled with ſ or K,
   * which a `(?i)` pattern matches (Go folds them onto s and k). The places come from a scan of
   * a copy with those two folded: one code unit for one, so the offsets are the text's. Which
   * rules run stays as gitleaks decides it, by the keywords of the text as it is.
   */
  #foldedScan(ctx: FragmentContext): ScanResult {
    // A scan reuses the pre-filter's buffers: the fragment's own result is kept apart first.
    ctx.scan = copyScan(ctx.scan);
    const folded = foldOntoAscii(ctx.fragment.raw);
    return copyScan(this.#scanText(folded, this.#utf8Of(folded)));
  }

  /**
   * A match at [start, end) of the fragment turned into a finding, or undefined when gitleaks
   * would drop it. The secret, the allowlists that do not look at the line and the entropy are
   * worked out before the location: most generic matches fail one of them, and every check only
   * drops findings, so the order does not change the result.
   */
  #findingAt(prepared: PreparedRule, ctx: FragmentContext, places: Int32Array | undefined, start: number, matchEnd: number, tags: string[] = [], span?: { start: number; end: number }): SecretFinding | undefined {
    const { rule } = prepared;
    const { fragment, decoding } = ctx;
    const raw = fragment.raw;
    // A decoding pass reports only matches that reach into text decoded in that pass.
    const segments = decoding && segmentsOverlapping(decoding.segments, start, matchEnd);
    if (segments?.length === 0) return undefined;
    let from = start;
    while (from < matchEnd && raw.charCodeAt(from) === 10) from++;
    let to = matchEnd;
    while (to > from && raw.charCodeAt(to - 1) === 10) to--;
    const matchText = raw.slice(from, to);
    let secret = matchText;
    const groups = rule.regex!.submatch(matchText, places && this.#within(places, from, to));
    if (groups && groups.length >= 2) {
      if (rule.secretGroup > 0) {
        if (groups.length <= rule.secretGroup) return undefined;
        secret = groups[rule.secretGroup]!;
      } else {
        for (let g = 1; g < groups.length; g++) {
          if (groups[g]!.length === 0) continue;
          secret = groups[g]!;
          break;
        }
      }
    }
    const candidate = new Candidate(matchText, secret);
    // The rule's own lists first: they drop 99% of the generic rule's matches in a source tree
    // (stopwords, variable names), and cost less than the entropy.
    if (allowedBy(prepared.early, candidate, fragment, '')) return undefined;
    const entropy = shannonEntropy(secret);
    if (rule.entropy !== 0 && entropy <= rule.entropy) return undefined;
    if (allowedBy(this.#globalEarly, candidate, fragment, '')) return undefined;
    if (decoding && segments) return this.#decodedFindingAt(prepared, decoding.outer, candidate, entropy, segments, raw, start, matchEnd);

    // gitleaks keeps the start and moves the end to start + trimmed length (detect.go, issue 1352).
    const end = start + matchText.length;
    const loc = locate(this.#newlines(ctx), raw, start, end, ctx.ascii);
    if (end > loc.endLineIndex) loc.endLineIndex = end;
    const lineStart = loc.startLineIndex;
    const lineEnd = loc.endLineIndex;
    if (!this.#options.ignoreGitleaksAllow && allowMarkWithin(ctx, this.#allowPattern, lineStart, lineEnd)) return undefined;
    if (prepared.late.length > 0 || this.#globalLate.length > 0) {
      // Many matches share a line: each allowlist tries its regexes on a given line once.
      if (ctx.lineTests?.start !== lineStart || ctx.lineTests.end !== lineEnd) ctx.lineTests = { start: lineStart, end: lineEnd, verdicts: new Map() };
      const line = raw.slice(lineStart, lineEnd);
      const verdicts = ctx.lineTests.verdicts;
      const lineRegex = (a: Allowlist) => {
        let ok = verdicts.get(a);
        if (ok === undefined) verdicts.set(a, (ok = a.regexes.some((r) => r.test(line))));
        return ok;
      };
      if (allowedBy(prepared.late, candidate, fragment, line, lineRegex) || allowedBy(this.#globalLate, candidate, fragment, line, lineRegex)) return undefined;
    }
    if (span) [span.start, span.end] = [lineStart, lineEnd];
    const line = lineEnd - lineStart <= LINE_MAX ? raw.slice(lineStart, lineEnd) : lineWindow(raw, lineStart, lineEnd, start, end, secret);
    return this.#finding(rule, fragment, loc, line, candidate, entropy, tags);
  }

  /**
   * The rest of #findingAt for a match at [start, matchEnd) of a decoding pass's text: as gitleaks
   * does, the finding lies over the encoded segments in the fragment's own text (widened where
   * the match goes beyond them) and shows that line, `gitleaks:allow` is looked for there, and
   * line-target allowlists see the decoded line.
   */
  #decodedFindingAt(prepared: PreparedRule, outer: FragmentContext, candidate: Candidate, entropy: number, segments: EncodedSegment[], text: string, start: number, matchEnd: number): SecretFinding | undefined {
    const fragment = outer.fragment;
    const raw = fragment.raw;
    const { start: from, end } = originalSpan(segments, start, matchEnd);
    const loc = locate(this.#newlines(outer), raw, from, end, outer.ascii);
    if (end > loc.endLineIndex) loc.endLineIndex = end;
    const lineStart = loc.startLineIndex;
    const lineEnd = loc.endLineIndex;
    if (!this.#options.ignoreGitleaksAllow && allowMarkWithin(outer, this.#allowPattern, lineStart, lineEnd)) return undefined;
    if (outer.manifestDecoded?.has(findingKey(prepared.rule.id, fragment.startLine + loc.startLine, candidate.secret))) return undefined;
    const decodedText = decodedLine(segments, text);
    if (allowedBy(prepared.late, candidate, fragment, decodedText) || allowedBy(this.#globalLate, candidate, fragment, decodedText)) return undefined;
    const line = lineEnd - lineStart <= LINE_MAX ? raw.slice(lineStart, lineEnd) : lineWindow(raw, lineStart, lineEnd, from, end, candidate.secret);
    return this.#finding(prepared.rule, fragment, loc, line, candidate, entropy, segmentTags(segments));
  }

  #finding(rule: Rule, fragment: Fragment, loc: Loc, line: string, candidate: Candidate, entropy: number, tags: string[]): SecretFinding {
    return {
      ruleId: rule.id,
      description: rule.description,
      startLine: fragment.startLine + loc.startLine,
      endLine: fragment.startLine + loc.endLine,
      startColumn: loc.startColumn,
      endColumn: loc.endColumn,
      line,
      match: candidate.match,
      secret: candidate.secret,
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

  /** detect.go `checkFindingAllowed`, with the allowlists prepared in the constructor. */
  #findingAllowed(finding: SecretFinding, fragment: Fragment, line: string, allowlists: readonly Allowlist[]): boolean {
    return allowedBy(
      allowlists.map((list) => this.#allowlists.get(list)!),
      new Candidate(finding.match, finding.secret),
      fragment,
      line,
    );
  }

  /**
   * Kubernetes Secret manifests: a finding per non-empty value, and the decoded values scanned
   * with every other rule (kubernetes.ts).
   */
  #secretManifest(prepared: PreparedRule, ctx: FragmentContext): SecretFinding[] {
    const { rule } = prepared;
    const { fragment } = ctx;
    // Where `kind` occurs, when the pre-filter knows: a test of the whole text took as long as
    // every other rule together on a tree of YAML files without a Secret.
    const places = this.#candidates(prepared, ctx);
    if (places ? rule.regex!.findAll(fragment.raw, places).length === 0 : !rule.regex!.test(fragment.raw)) return [];
    // Scanning the decoded values reuses the pre-filter: keep this fragment's result for the rules after this one.
    ctx.scan = copyScan(ctx.scan);
    const out: SecretFinding[] = [];
    const span = { start: 0, end: 0 };
    for (const value of analyzeSecretManifests(fragment.raw)) {
      const finding = this.#findingAt(prepared, ctx, undefined, value.start, value.end, value.decoded !== undefined ? ['decoded:base64'] : [], span);
      if (!finding) continue;
      // The value as written is the secret (it is what the line shows and what redaction hides).
      finding.match = finding.secret = value.text;
      finding.entropy = Math.fround(shannonEntropy(finding.secret));
      const line = fragment.raw.slice(span.start, span.end);
      if (this.#findingAllowed(finding, fragment, line, this.config.allowlists) || this.#findingAllowed(finding, fragment, line, rule.allowlists)) continue;
      out.push(finding);
      if (value.decoded !== undefined) {
        // The decoded text, scanned with the other rules and reported at the value's place.
        for (const inner of this.detect({ raw: value.decoded, filePath: fragment.filePath, startLine: 1, ...(fragment.commit && { commit: fragment.commit }) })) {
          if (inner.ruleId === rule.id) continue;
          (ctx.manifestDecoded ??= new Set()).add(findingKey(inner.ruleId, finding.startLine, inner.secret));
          out.push({ ...inner, startLine: finding.startLine, endLine: finding.endLine, startColumn: finding.startColumn, endColumn: finding.endColumn, line: finding.line, tags: [...inner.tags, 'decoded:base64'] });
        }
      }
    }
    return out;
  }
}

const GATE_AFTER_PLACES = 2048;
/** Characters attempts at the candidate places of a rule may read in all, on a long line, before the linear engine is the cheaper one. */
const BOUNDED_ATTEMPTS_MAX = 50_000_000;

function findingKey(ruleId: string, startLine: number, secret: string): string {
  return `${ruleId}\0${startLine}\0${secret}`;
}

/** Lines above this many characters are long: rules that can run along a line use the linear engine there. */
const LONG_LINE = 16_384;
/** A finding's `line` is the whole line up to this length, else a window around the match. */
const LINE_MAX = LONG_LINE;
const LINE_CONTEXT = 256;

/**
 * Whether `gitleaks:allow` occurs wholly within [start, end). The pre-filter records where it
 * occurs (case-insensitively; gitleaks' check is case-sensitive, so each place is confirmed).
 */
function allowMarkWithin(ctx: FragmentContext, allowPattern: number, start: number, end: number): boolean {
  const marks = allowMarks(ctx, allowPattern);
  const i = lowerBound(marks, start);
  return i < marks.length && marks[i]! + ALLOW_SIGNATURE.length <= end;
}

/** Where `gitleaks:allow` starts in the fragment, from its pre-filter result (read once, while it is the fragment's). */
function allowMarks(ctx: FragmentContext, allowPattern: number): Int32Array {
  if (!ctx.allowMarks) {
    const raw = ctx.fragment.raw;
    const { hitStarts, hitPatterns, hitCount } = ctx.scan;
    const marks: number[] = [];
    for (let i = 0; i < hitCount; i++) if (hitPatterns[i] === allowPattern && raw.startsWith(ALLOW_SIGNATURE, hitStarts[i])) marks.push(hitStarts[i]!);
    ctx.allowMarks = Int32Array.from(marks);
  }
  return ctx.allowMarks;
}

/**
 * The part of a very long line (a minified file) a finding keeps: the match and LINE_CONTEXT
 * characters either side, widened so as not to cut through a copy of the secret (redaction would
 * leave part of it). Every check has seen the whole line already.
 */
function lineWindow(raw: string, lineStart: number, lineEnd: number, start: number, end: number, secret: string): string {
  let a = Math.max(lineStart, start - LINE_CONTEXT);
  let b = Math.min(lineEnd, end + LINE_CONTEXT);
  const n = secret.length;
  if (n > 0) {
    // A copy starting in (a - n, a) or ending in (b, b + n); searched for in those spans only.
    for (let moved = true; moved && a > lineStart; ) {
      const from = Math.max(lineStart, a - n + 1);
      const i = raw.slice(from, a + n - 1).indexOf(secret);
      moved = i >= 0 && from + i < a;
      if (moved) a = from + i;
    }
    for (let moved = true; moved && b < lineEnd; ) {
      const from = Math.max(a, b - n + 1);
      const i = raw.slice(from, Math.min(lineEnd, b + n - 1)).lastIndexOf(secret);
      moved = i >= 0 && from + i + n > b;
      if (moved) b = from + i + n;
    }
  }
  return raw.slice(a, b);
}

function copyScan(scan: ScanResult): ScanResult {
  return scanResult(scan.found.slice(), scan.hitStarts.slice(0, scan.hitCount), scan.hitPatterns.slice(0, scan.hitCount), scan.hitCount, scan.ascii);
}

/**
 * Whether any of `words` is a substring of `lowerSecret`. A long list (gitleaks' generic rule has
 * about 1,500 stopwords) gets an automaton once it has been consulted often enough to pay for it.
 */
function stopwordMatcher(words: readonly string[]): (lowerSecret: string) => boolean {
  if (words.length === 0) return () => false;
  const some = (s: string) => words.some((w) => s.includes(w));
  if (words.length < 8 || !words.every((w) => /^[\x20-\x7e]+$/.test(w))) return some;
  let calls = 0;
  let automaton: KeywordAutomaton | undefined;
  // Stopwords are lower-cased, like the secret, so the automaton's ASCII folding changes nothing.
  return (s) => {
    if (automaton) return automaton.containsAny(s);
    if (++calls === STOPWORD_AUTOMATON_AFTER) automaton = KeywordAutomaton.build(words);
    return some(s);
  };
}

const STOPWORD_AUTOMATON_AFTER = 200;

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

/** `lineRegex`, when given, answers for the regexes of line-target allowlists (the caller memoises them). */
function allowedBy(allowlists: readonly PreparedAllowlist[], c: Candidate, fragment: Fragment, line: string, lineRegex?: (a: Allowlist) => boolean): boolean {
  for (const { list: a, stopword } of allowlists) {
    const target = a.regexTarget === 'match' ? c.match : a.regexTarget === 'line' ? line : c.secret;
    const regexOk = target !== '' && (lineRegex && a.regexTarget === 'line' ? lineRegex(a) : a.regexes.some((r) => r.test(target)));
    // Either one allows an OR list: the stopwords are only looked up when the regexes did not.
    if (a.condition !== 'AND' && regexOk) return true;
    const stopwordOk = c.secret !== '' && stopword(c.lowerSecret);
    if (a.condition === 'AND') {
      const checks: boolean[] = [];
      if (a.commits.length > 0) checks.push(commitAllowedBy(a, fragment.commit?.sha ?? ''));
      if (a.paths.length > 0) checks.push(pathAllowedBy(a, fragment.filePath));
      if (a.regexes.length > 0) checks.push(regexOk);
      if (a.stopwords.length > 0) checks.push(stopwordOk);
      if (checks.every(Boolean)) return true;
    } else if (stopwordOk) {
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
  const isGeneric = (f: SecretFinding) => f.ruleId.toLowerCase().includes('generic');
  const lineOf = (f: SecretFinding) => `${f.startLine}\0${f.commit}`;
  // Generic and other findings by line (a minified file can have thousands on one).
  const lines = new Map<string, { generic: SecretFinding[]; others: string[] }>();
  for (const f of findings) {
    const key = lineOf(f);
    let entry = lines.get(key);
    if (!entry) lines.set(key, (entry = { generic: [], others: [] }));
    if (isGeneric(f)) entry.generic.push(f);
    else entry.others.push(f.secret);
  }
  const shadowed = new Set<SecretFinding>();
  for (const { generic, others } of lines.values()) {
    if (generic.length > 0 && others.length > 0) for (const f of shadowedOnLine(generic, others)) shadowed.add(f);
  }
  for (const f of findings) if (!shadowed.has(f)) out.push(f);
  // Redact after deciding, so the comparison above sees the real secrets.
  if (redact > 0) for (const f of out) redactFinding(f, redact);
  return out;
}

/**
 * The generic findings whose secret is a substring of one of `others` (the secrets other rules
 * found on the same line). The other secrets are joined by NULs, so a secret without one is a
 * substring of one of them exactly when it is one of the joined text. When a line has many of
 * both (a minified file), a set of the hashes of the joined text's GRAM-character substrings rules
 * out most secrets before any search.
 */
function shadowedOnLine(generic: SecretFinding[], others: string[]): SecretFinding[] {
  const joined = others.join('\0');
  const contained = (secret: string) => (secret.includes('\0') ? others.some((o) => o.includes(secret)) : joined.includes(secret));
  if (generic.length * others.length < 4096 || joined.length < GRAM) return generic.filter((f) => contained(f.secret));
  const grams = new GramSet(joined);
  return generic.filter((f) => (f.secret.length < GRAM || f.secret.includes('\0') || grams.has(f.secret)) && contained(f.secret));
}

const GRAM = 8;

/** Hashes of every GRAM-unit substring of a text, in an open-addressing table. */
class GramSet {
  readonly #table: Int32Array;
  readonly #mask: number;

  constructor(text: string) {
    let size = 1024;
    while (size < text.length * 2) size *= 2;
    this.#table = new Int32Array(size);
    this.#mask = size - 1;
    for (let i = 0; i + GRAM <= text.length; i++) this.#add(gramHash(text, i));
  }

  /** Whether the first GRAM units of `s` occur in the text (false positives possible, no false negatives). */
  has(s: string): boolean {
    const h = gramHash(s, 0);
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const v = this.#table[slot]!;
      if (v === 0) return false;
      if (v === h) return true;
    }
  }

  #add(h: number): void {
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const v = this.#table[slot]!;
      if (v === h) return;
      if (v === 0) {
        this.#table[slot] = h;
        return;
      }
    }
  }
}

/** A non-zero hash of s[from, from + GRAM). */
function gramHash(s: string, from: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + GRAM; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h === 0 ? 1 : h;
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

/**
 * In a decoding pass, which reports only matches that reach into a decoded segment, the places of
 * a rule worth trying. A match from a place starts at most `back` characters before it (a prefix
 * plan's run; none for a lead plan) and ends at most `reach` after it (its longest match, in code
 * units). Places come in clusters parted by gaps no match crosses: from one cluster to the next,
 * the scan starts afresh, so the matches of a cluster do not depend on the places before it. A
 * cluster none of whose matches can touch a segment is left out whole; the others give the matches
 * a scan of every place gives there. Unbounded patterns keep every place.
 */
function placesNearSegments(places: Int32Array, segments: readonly EncodedSegment[], regex: GoRegex): Int32Array {
  const plan = regex.plan;
  if (regex.maxLength === undefined || !plan || places.length === 0) return places;
  const back = plan.kind === 'prefix' ? plan.max : 0;
  if (!Number.isFinite(back)) return places;
  // A code point of the pattern may be two UTF-16 code units of the text.
  const reach = 2 * regex.maxLength;
  const kept: number[] = [];
  let s = 0;
  for (let i = 0; i < places.length; ) {
    let j = i;
    while (j + 1 < places.length && places[j + 1]! - places[j]! <= back + reach + 1) j++;
    const from = places[i]! - back - 1;
    const to = places[j]! + reach + 1;
    // Segments are in text order: those ending before this cluster are behind every later one too.
    while (s < segments.length && segments[s]!.decoded.end < from) s++;
    if (s < segments.length && segments[s]!.decoded.start <= to) for (let k = i; k <= j; k++) kept.push(places[k]!);
    i = j + 1;
  }
  return kept.length === places.length ? places : Int32Array.from(kept);
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
  const nl = newlines.length > 0 ? newlines : Int32Array.of(raw.length);
  const loc: Loc = { startLine: 0, endLine: 0, startColumn: 0, endColumn: 0, startLineIndex: 0, endLineIndex: 0 };
  const js = upperBound(nl, start);
  const startSet = js < nl.length;
  const je = lowerBound(nl, end);
  const endSet = je < nl.length && (je > 0 || end > 0);
  // gitleaks sets the start's fields, then the end's; when the end's line comes first it sets
  // them the other way round, and the start's line is also the end's.
  if (startSet) {
    loc.startLineIndex = js === 0 ? 0 : nl[js - 1]!;
    loc.startLine = js;
    loc.startColumn = byteWidth(raw, loc.startLineIndex, start, ascii) + 1;
  }
  if (endSet) loc.endColumn = byteWidth(raw, je === 0 ? 0 : nl[je - 1]!, end, ascii);
  if (startSet && endSet && je >= js) {
    loc.endLine = je;
    loc.endLineIndex = nl[je]!;
  } else if (startSet) {
    loc.endLine = js;
    loc.endLineIndex = nl[js]!;
  } else {
    // After the last newline: columns from it, and the line runs to the end of the text's line.
    const prev = nl[nl.length - 1]!;
    loc.startColumn = byteWidth(raw, prev, start, ascii) + 1;
    loc.endColumn = byteWidth(raw, prev, end, ascii);
    loc.startLine = nl.length;
    loc.endLine = nl.length;
    let i = end;
    while (i < raw.length && raw[i] !== '\n' && raw[i] !== '\r') i++;
    loc.endLineIndex = i;
  }
  return loc;
}

/** The bytes of raw[a, b) as Go counts them (UTF-8); a text all ASCII is one per character. */
function byteWidth(raw: string, a: number, b: number, ascii: boolean): number {
  return ascii || a >= b ? b - a : Buffer.byteLength(raw.slice(a, b));
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
