/**
 * gitleaks' decoding of encoded text (detect/codec, v8.21+, `--max-decode-depth`): one pass finds
 * percent-, hex- (32+ characters) and base64- (16+ characters) encoded segments, keeps those that
 * decode to printable ASCII, and replaces them by their decoded text; the detector scans that text
 * again and maps what it finds back onto the original segments. Passes repeat on the decoded text,
 * each segment remembering the segments of the previous pass (its predecessors) it came from.
 *
 * Segments are found as gitleaks' combined pattern `(?:%[0-9A-Fa-f]{2})+|[0-9A-Fa-f]{32,}|
 * [\w/+-]{16,}={0,3}` finds them (leftmost-first: at a place where a hex run of 32 starts, the hex
 * alternative wins over a longer base64 run), but without a regex: a run of 16 base64 characters
 * covers one of every 16th place, so only those are looked at until one is a base64 character.
 * Over a file's bytes the runs come from WebAssembly (dfa.wat `runs`), which also leaves out the
 * runs with neither a digit nor one of `+/-_`: identifiers, most runs in source code, which no
 * decoder would try.
 */

/** Positions [start, end) in a text. */
export interface Span {
  start: number;
  end: number;
}

export interface EncodedSegment {
  /** The segments of the previous pass (empty on the first pass). */
  predecessors: readonly EncodedSegment[];
  /** Where the segment lies in the fragment's own text. */
  original: Span;
  /** Where it lies in the text this pass decoded, and where its decoded text lies in the result. */
  encoded: Span;
  decoded: Span;
  value: string;
  /** The encodings it went through (ENCODINGS bits, or'ed with those of the predecessors it lies in). */
  kinds: number;
  /** How many passes it took to reach it. */
  depth: number;
}

export interface DecodePass {
  text: string;
  segments: EncodedSegment[];
}

/** Name, kind bit and precedence of each encoding (a segment touching one of higher precedence waits a pass). */
const PERCENT = 1;
const HEX = 2;
const BASE64 = 4;
const NAMES: readonly [number, string][] = [
  [PERCENT, 'percent'],
  [HEX, 'hex'],
  [BASE64, 'base64'],
];
const PRECEDENCE: Record<number, number> = { [PERCENT]: 3, [HEX]: 2, [BASE64]: 1 };

const MIN_BASE64 = 16;
const MIN_HEX = 32;

/** CLASS[c] bits: 1 for `[\w/+-]`, 2 for a hex digit, 4 for a decimal digit, 8 for `+/-_` (ASCII only). */
const CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] = (/[\w/+-]/.test(ch) ? 1 : 0) | (/[0-9A-Fa-f]/.test(ch) ? 2 : 0) | (/[0-9]/.test(ch) ? 4 : 0) | (/[+/_-]/.test(ch) ? 8 : 0);
}
const classOf = (text: string, i: number): number => {
  const c = text.charCodeAt(i);
  return c < 256 ? CLASS[c]! : 0;
};

/** Base64 digit values of the standard and the URL alphabet (-1: not in it). */
const STD = new Int8Array(128).fill(-1);
const URL_SAFE = new Int8Array(128).fill(-1);
{
  const common = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < 64; i++) {
    STD[(common + '+/').charCodeAt(i)] = i;
    URL_SAFE[(common + '-_').charCodeAt(i)] = i;
  }
}

const printable = (b: number) => b > 8 && b < 127;

/**
 * One decoding pass over `text`; `predecessors` are the previous pass's segments. `runs`, when
 * given, are the text's runs of base64 characters worth decoding (WasmDfa.encodedRuns); a pass
 * after the first looks only around the previous pass's decoded text (changedZones) and does
 * not use them.
 */
export function decodePass(text: string, predecessors: readonly EncodedSegment[], runs?: Int32Array): DecodePass {
  const matches = predecessors.length === 0 ? findEncodedMatches(text, runs) : findEncodedMatches(text, undefined, changedZones(text, predecessors));
  if (matches.length === 0) return { text, segments: [] };
  const segments: EncodedSegment[] = [];
  let shift = 0;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    if (waitsForNeighbour(matches, i)) continue;
    const value = decodeMatch(m.kind, text, m.start, m.end);
    if (value === '') continue;
    const segment: EncodedSegment = {
      predecessors,
      original: { start: 0, end: 0 },
      encoded: { start: m.start, end: m.end },
      decoded: { start: m.start + shift, end: m.start + shift + value.length },
      value,
      kinds: m.kind,
      depth: 1,
    };
    shift += value.length - (m.end - m.start);
    if (predecessors.length === 0) {
      segment.original = segment.encoded;
    } else {
      segment.depth = 1 + predecessors[0]!.depth;
      // gitleaks leaves `original` at [0, 0) when no predecessor holds the segment; so do we.
      for (const p of predecessors) {
        if (!overlaps(segment.encoded, p.decoded)) continue;
        segment.kinds |= p.kinds;
        const mapped = toOriginal(p, segment.encoded);
        segment.original = segment.original.end === 0 ? mapped : merge(segment.original, mapped);
      }
    }
    segments.push(segment);
  }
  if (segments.length === 0) return { text, segments };
  let out = '';
  let from = 0;
  for (const s of segments) {
    out += text.slice(from, s.encoded.start) + s.value;
    from = s.encoded.end;
  }
  return { text: out + text.slice(from), segments };
}

interface EncodedMatch extends Span {
  kind: number;
}

/**
 * Where a pass after the first can find a segment to decode: around the text the previous pass
 * decoded, out to the nearest character no match can hold or follow (not `[\w/+-]`, `%` or `=`)
 * on either side. A match outside lies in text the previous pass saw as it is now, from such a
 * character on, so it is a match that pass found too, and failed to decode, or waited for a
 * neighbour that is still there: the pass would fail it again. A text that decodes, in an
 * installed node_modules a quarter of the files (inline source maps), was searched whole again for
 * a second pass that in all but a few files found nothing.
 */
function changedZones(text: string, predecessors: readonly EncodedSegment[]): Span[] {
  const zones: Span[] = [];
  for (const p of predecessors) {
    let start = p.decoded.start;
    while (start > 0 && !isBoundary(text.charCodeAt(start - 1))) start--;
    let end = p.decoded.end;
    while (end < text.length && !isBoundary(text.charCodeAt(end))) end++;
    const last = zones[zones.length - 1];
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else zones.push({ start, end });
  }
  return zones;
}

/** A character no encoded match holds, and that ends none it follows (a run's `=` padding does). */
function isBoundary(c: number): boolean {
  return c >= 256 || ((CLASS[c]! & 1) === 0 && c !== 37 /* % */ && c !== 61 /* = */);
}

/**
 * The matches of gitleaks' combined encoding pattern, left to right; with `runs` (the runs worth
 * decoding, from WebAssembly), those the decoding can use: the runs left out would decode to
 * nothing and make no neighbour wait. With `zones`, only the matches within them (each zone
 * starts and ends at a boundary character, so the matches there are those of the whole text).
 */
export function findEncodedMatches(text: string, runs?: Int32Array, zones?: readonly Span[]): EncodedMatch[] {
  const out: EncodedMatch[] = [];
  if (!zones) findEncodedMatchesIn(text, 0, text.length, runs, out);
  else for (const z of zones) findEncodedMatchesIn(text, z.start, z.end, undefined, out);
  return out;
}

/** The matches in text[from, n), appended to `out`; `n` is the text's length or a boundary character's place. */
function findEncodedMatchesIn(text: string, from: number, n: number, runs: Int32Array | undefined, out: EncodedMatch[]): void {
  let pos = from;
  let percent = nextPercent(text, from, n);
  // The next run from `pos`, kept while the matches before it are taken (null: none to the end).
  let run: Span | null | undefined;
  let listed = 0;
  const nextListedRun = (from: number): Span | null => {
    for (; listed < runs!.length; listed += 2) {
      const start = Math.max(runs![listed]!, from);
      const end = runs![listed + 1]!;
      if (end - start >= MIN_BASE64) return { start, end };
    }
    return null;
  };
  while (pos < n) {
    if (percent >= 0 && percent < pos) percent = nextPercent(text, pos, n);
    if (run && run.start < pos) run = undefined;
    if (run === undefined) run = runs ? nextListedRun(pos) : nextRun(text, pos, n);
    if (run && (percent < 0 || run.start < percent)) {
      const hex = hexRun(text, run.start, run.end);
      if (hex >= MIN_HEX) {
        out.push({ start: run.start, end: run.start + hex, kind: HEX });
        pos = run.start + hex;
      } else {
        let end = run.end;
        while (end < n && end - run.end < 3 && text.charCodeAt(end) === 61 /* = */) end++;
        out.push({ start: run.start, end, kind: BASE64 });
        pos = end;
      }
    } else if (percent >= 0) {
      let end = percent;
      while (isPercentTriple(text, end)) end += 3;
      out.push({ start: percent, end, kind: PERCENT });
      pos = end;
    } else {
      break;
    }
  }
}

/** The next `%XX` in [from, to), or -1. */
function nextPercent(text: string, from: number, to: number): number {
  // Within a zone, a search of the whole rest of the text for each would add up to the text's length times the zones'.
  if (to < text.length) {
    for (let i = from; i < to; i++) if (text.charCodeAt(i) === 37 && isPercentTriple(text, i)) return i;
    return -1;
  }
  for (let i = text.indexOf('%', from); i >= 0; i = text.indexOf('%', i + 1)) if (isPercentTriple(text, i)) return i;
  return -1;
}

function isPercentTriple(text: string, i: number): boolean {
  return text.charCodeAt(i) === 37 && (classOf(text, i + 1) & 2) !== 0 && (classOf(text, i + 2) & 2) !== 0;
}

/**
 * The first run of MIN_BASE64 or more base64 characters in [from, n), counted from `from` at the
 * earliest (the pattern resumes there), or null. A window of MIN_BASE64 places is read from its end: the first
 * other character found, usually after a few reads, moves the window past it.
 */
function nextRun(text: string, from: number, n: number): Span | null {
  // Invariant: `start` is `from` or follows a character outside the run class.
  let start = from;
  while (start + MIN_BASE64 <= n) {
    let j = start + MIN_BASE64 - 1;
    while (j >= start && (classOf(text, j) & 1) !== 0) j--;
    if (j >= start) {
      start = j + 1;
      continue;
    }
    let end = start + MIN_BASE64;
    while (end < n && (classOf(text, end) & 1) !== 0) end++;
    return { start, end };
  }
  return null;
}

/** Length of the hex run at `start` (within [start, end)). */
function hexRun(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && (classOf(text, i) & 2) !== 0) i++;
  return i - start;
}

/** gitleaks' skipDecode: a match touching a neighbour of higher precedence is left for the next pass. */
function waitsForNeighbour(matches: readonly EncodedMatch[], i: number): boolean {
  const m = matches[i]!;
  const prev = matches[i - 1];
  if (prev && prev.end === m.start && PRECEDENCE[prev.kind]! > PRECEDENCE[m.kind]!) return true;
  const next = matches[i + 1];
  return next !== undefined && m.end === next.start && PRECEDENCE[next.kind]! > PRECEDENCE[m.kind]!;
}

/** Bytes decoded so far (grown on demand); decoded text is only made for segments that decode. */
let buffer = new Uint8Array(4096);
const ascii = new TextDecoder('latin1');

/** The text [start, end) decodes to, or '' when it is not printable ASCII (or not valid in the encoding). */
function decodeMatch(kind: number, text: string, start: number, end: number): string {
  if (buffer.length < end - start) buffer = new Uint8Array(2 * (end - start));
  const n = kind === PERCENT ? decodePercent(text, start, end) : kind === HEX ? decodeHex(text, start, end) : decodeBase64(text, start, end);
  return n <= 0 ? '' : ascii.decode(buffer.subarray(0, n));
}

/* Each decoder writes the bytes into `buffer` and returns their number, or -1 at the first failure. */

function decodePercent(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i += 3) {
    const b = (hexValue(text.charCodeAt(i + 1)) << 4) | hexValue(text.charCodeAt(i + 2));
    if (!printable(b)) return -1;
    buffer[n++] = b;
  }
  return n;
}

function decodeHex(text: string, start: number, end: number): number {
  // gitleaks skips hex runs without a decimal digit (long words made of a-f).
  if ((end - start) % 2 !== 0 || !hasClass(text, start, end, 4)) return -1;
  let n = 0;
  for (let i = start; i < end; i += 2) {
    const b = (hexValue(text.charCodeAt(i)) << 4) | hexValue(text.charCodeAt(i + 1));
    if (!printable(b)) return -1;
    buffer[n++] = b;
  }
  return n;
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function decodeBase64(text: string, start: number, end: number): number {
  // Identifiers without a digit or one of `+/-_` are not tried (gitleaks' likelyBase64Chars).
  if (!hasClass(text, start, end, 12)) return -1;
  const n = decodeBase64With(text, start, end, STD, true);
  return n >= 0 ? n : decodeBase64With(text, start, end, URL_SAFE, false);
}

/**
 * Go's base64 decoding (not strict: trailing bits are ignored) with the padded standard or the
 * unpadded URL alphabet, failing as soon as a byte is not printable.
 */
function decodeBase64With(text: string, start: number, end: number, alphabet: Int8Array, padded: boolean): number {
  let body = end;
  while (body > start && text.charCodeAt(body - 1) === 61) body--;
  const pad = end - body;
  if (padded ? (end - start) % 4 !== 0 || pad > 2 : pad > 0 || (body - start) % 4 === 1) return -1;
  let n = 0;
  let bits = 0;
  let count = 0;
  for (let i = start; i < body; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? alphabet[c]! : -1;
    if (v < 0) return -1;
    bits = ((bits << 6) | v) & 0xffff;
    count += 6;
    if (count >= 8) {
      count -= 8;
      const b = (bits >> count) & 0xff;
      if (!printable(b)) return -1;
      buffer[n++] = b;
    }
  }
  return n;
}

function hasClass(text: string, start: number, end: number, bits: number): boolean {
  for (let i = start; i < end; i++) if ((classOf(text, i) & bits) !== 0) return true;
  return false;
}

/* ── mapping findings back (detect/codec/segment.go) ── */

/** Spans overlap when they share a position or touch (gitleaks' comparison is inclusive). */
function overlaps(a: Span, b: Span): boolean {
  return b.start <= a.end && b.end >= a.start;
}

function merge(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** A span of `segment`'s pass output mapped onto the fragment's own text. */
function toOriginal(segment: EncodedSegment, span: Span): Span {
  const d = segment.decoded;
  if (d.start <= span.start && span.end <= d.end) return segment.original;
  // Beyond the decoded text: widen the encoded span by as much, then map it through the predecessors.
  const relative = { start: segment.encoded.start + Math.min(d.start, span.start) - d.start, end: segment.encoded.end + Math.max(d.end, span.end) - d.end };
  let original: Span = { start: 0, end: 0 };
  for (const p of segment.predecessors) {
    if (!overlaps(p.decoded, relative)) continue;
    original = original.end === 0 ? toOriginal(p, relative) : merge(original, toOriginal(p, relative));
  }
  return original.end === 0 ? relative : original;
}

/** The segments whose decoded text overlaps [start, end) of the pass output. */
export function segmentsOverlapping(segments: readonly EncodedSegment[], start: number, end: number): EncodedSegment[] {
  const span = { start, end };
  return segments.filter((s) => overlaps(s.decoded, span));
}

/** Where a match at [start, end) of the pass output lies in the fragment's text (`segments` overlap it). */
export function originalSpan(segments: readonly EncodedSegment[], start: number, end: number): Span {
  const span = { start, end };
  let out = toOriginal(segments[0]!, span);
  for (let i = 1; i < segments.length; i++) out = merge(out, toOriginal(segments[i]!, span));
  return out;
}

/** `decoded:<encoding>` for each encoding the segments went through, then `decode-depth:<n>`. */
export function segmentTags(segments: readonly EncodedSegment[]): string[] {
  let kinds = 0;
  for (const s of segments) kinds |= s.kinds;
  const tags = NAMES.filter(([bit]) => (kinds & bit) !== 0).map(([, name]) => `decoded:${name}`);
  tags.push(`decode-depth:${segments[0]!.depth}`);
  return tags;
}

/**
 * The line of the pass output holding the segments (gitleaks' CurrentLine: from the newline
 * before them, included, to the one after), which line-target allowlists are tried on.
 */
export function decodedLine(segments: readonly EncodedSegment[], text: string): string {
  let span = segments[0]!.decoded;
  for (let i = 1; i < segments.length; i++) span = merge(span, segments[i]!.decoded);
  const before = span.start < text.length ? text.lastIndexOf('\n', span.start) : text.lastIndexOf('\n', text.length - 1);
  const after = text.indexOf('\n', span.end);
  return text.slice(Math.max(before, 0), after < 0 ? text.length : after);
}
