/**
 * The keyword pre-filter: one Aho-Corasick automaton over every rule keyword (and every literal an
 * anchored rule looks for), run once over each fragment, case-insensitively for ASCII; over the
 * bytes of a file in WebAssembly (wasm-dfa.ts), over a string here. A rule is
 * only tried on a fragment that contains one of its keywords, as in gitleaks (detect.go), which
 * lower-cases the fragment and runs the same kind of automaton; here the folding is built into the
 * transition table so the text is never copied.
 *
 * The table is dense over a compressed alphabet (the characters that occur in some pattern, plus
 * one class for every other character). An entry is the next state's number pre-multiplied by the
 * alphabet size, or, when that state has outputs, its plain number bitwise-negated; so the inner
 * loop is one load and one sign test, and the rare states with outputs are handled inline.
 */

import type { Span } from './decode.ts';
import type { Gate } from './regex/gate.ts';
import { WasmDfa } from './wasm-dfa.ts';

export interface ScanResult {
  /** found[p] is 1 when pattern p occurs. */
  found: Uint8Array;
  /** Start offsets of the occurrences of recorded patterns, in text order of their ends. */
  hitStarts: Int32Array;
  hitPatterns: Int32Array;
  hitCount: number;
  /** scanString only: whether every character is ASCII. */
  ascii?: boolean;
}

/** An automaton as plain data (structured-cloneable: a worker thread gets it ready-made). */
export interface AutomatonTables {
  patterns: readonly string[];
  /** record[p] is 1 when every occurrence of pattern p is wanted. */
  record: Uint8Array;
  /** Column of each byte (upper-case ASCII letters share their lower-case column). */
  classes: Uint8Array;
  width: number;
  /** Per state and column: see the module comment. */
  delta: Int32Array;
  /** Outputs of state s: outputList[outputStart[s] .. outputStart[s + 1]). */
  outputStart: Int32Array;
  outputList: Int32Array;
  /** Per state: 1 when one of its outputs is recorded. */
  recordingState: Uint8Array;
}

export class KeywordAutomaton {
  readonly tables: AutomatonTables;
  readonly patterns: readonly string[];
  readonly #record: Uint8Array;
  readonly #lengths: Int32Array;
  readonly #classes: Uint8Array;
  readonly #width: number;
  readonly #delta: Int32Array;
  readonly #outputStart: Int32Array;
  readonly #outputList: Int32Array;
  readonly #found: Uint8Array;
  readonly #recordingState: Uint8Array;
  /** Per scan: states already reported. */
  readonly #seen: Uint8Array;
  readonly #asciiPatterns: boolean;
  /** The result of the last scanBytes, while WebAssembly's memory holds its text. */
  #lastBytesScan: ScanResult | undefined;
  /** The result of the last scanUtf8, while WebAssembly's memory holds its text's UTF-8 bytes. */
  #lastUtf8Scan: ScanResult | undefined;
  /** The hits of the last scan, in buffers the next scan reuses. */
  readonly #hits = new Hits(1024);
  /** The result of the last scan of any kind: the one whose arrays this automaton's buffers still hold. */
  #current: ScanResult | undefined;
  /** The longest pattern, in code units. */
  readonly #longest: number;
  /** The WebAssembly runner, built on the first byte scan (stopword automata never need one). */
  #wasm?: WasmDfa;

  /**
   * @param patterns lower-case ASCII strings (others are the caller's business)
   * @param record patterns whose every occurrence is wanted, not just whether one occurs
   */
  static build(patterns: readonly string[], record: ReadonlySet<number> = new Set()): KeywordAutomaton {
    return new KeywordAutomaton(buildTables(patterns, record));
  }

  constructor(tables: AutomatonTables) {
    this.tables = tables;
    this.patterns = tables.patterns;
    this.#record = tables.record;
    this.#classes = tables.classes;
    this.#width = tables.width;
    this.#delta = tables.delta;
    this.#outputStart = tables.outputStart;
    this.#outputList = tables.outputList;
    this.#recordingState = tables.recordingState;
    this.#lengths = Int32Array.from(tables.patterns, (p) => p.length);
    this.#longest = Math.max(0, ...this.#lengths);
    this.#found = new Uint8Array(tables.patterns.length);
    this.#seen = new Uint8Array(tables.recordingState.length);
    this.#asciiPatterns = tables.patterns.every((p) => [...p].every((c) => c.charCodeAt(0) < 0x80));
  }

  /** Scans UTF-8 bytes (in WebAssembly, wasm-dfa.ts); offsets are byte offsets. */
  scanBytes(text: Uint8Array): ScanResult {
    this.#hits.count = 0;
    this.#wasm ??= new WasmDfa(this.tables);
    this.#wasm.scan(text, this.#found, this.#appendHits);
    this.#lastBytesScan = this.#result();
    this.#lastUtf8Scan = undefined;
    return this.#lastBytesScan;
  }

  /**
   * Scans the UTF-8 bytes of a text with characters outside ASCII (in WebAssembly), giving the
   * hits UTF-16 offsets, as scanString would: the patterns are ASCII, and a character outside ASCII
   * sends the automaton to the same state whether it is one code unit or four bytes. Only for
   * valid UTF-8 (each invalid byte becomes a character of its own), and only while every pattern
   * is ASCII (usesUtf8Bytes).
   */
  scanUtf8(bytes: Uint8Array): ScanResult {
    const result = this.scanBytes(bytes);
    const starts = result.hitStarts.subarray(0, result.hitCount);
    if (!this.#wasm!.utf16Offsets(starts)) toUtf16Offsets(bytes, starts, starts.length);
    // Its bytes are not its characters: only what can be turned into UTF-16 offsets is read from them.
    this.#lastBytesScan = undefined;
    this.#lastUtf8Scan = result;
    return result;
  }

  /** Whether scanUtf8 may stand in for scanString: every pattern is ASCII. */
  get usesUtf8Bytes(): boolean {
    return this.#asciiPatterns;
  }

  /*
   * What WebAssembly still knows of a text once scanned: only asked with the ScanResult of that
   * text, and answered only while it is the last one scanBytes took (a Secret manifest's decoded
   * values, scanned in between, take its place); the callers fall back on their own work.
   */

  /** The places (ascending offsets into the text of `scan`) that pass `gate`, in place at the start of `places`. */
  gatePlaces(scan: ScanResult, gate: Gate, places: Int32Array): Int32Array {
    return scan === this.#lastBytesScan && this.#wasm ? this.#wasm.gate(gate, places) : places;
  }

  /** The offsets of the line feeds of the text of `scan` (WasmDfa.newlines). */
  newlines(scan: ScanResult): Int32Array | undefined {
    return scan === this.#lastBytesScan ? this.#wasm?.newlines() : undefined;
  }

  /** The length of the longest line of the text of `scan`. */
  longestLine(scan: ScanResult): number | undefined {
    return scan === this.#lastBytesScan ? this.#wasm?.longestLine() : undefined;
  }

  /**
   * The runs of base64 characters worth decoding in the text of `scan` (WasmDfa.encodedRuns). Over
   * UTF-8 bytes (scanUtf8) too: the runs are of ASCII characters, which a character outside ASCII
   * ends as any of its bytes does, and their offsets are then turned into UTF-16 ones.
   */
  encodedRuns(scan: ScanResult): Int32Array | undefined {
    if (scan === this.#lastBytesScan) return this.#wasm?.encodedRuns();
    if (scan !== this.#lastUtf8Scan) return undefined;
    const runs = this.#wasm!.encodedRuns();
    return runs && this.#wasm!.utf16Offsets(runs) ? runs : undefined;
  }

  /**
   * The result of a scan of `text`, which is the text `previous` is the result for with spans
   * replaced (`edits`, ascending: `from` in the old text became `to` in the new one), from
   * `previous` and scans of the new text around the replacements only: the hits are a scan's,
   * `found` may also hold a pattern whose only occurrences were in replaced text. Undefined when
   * another scan has since reused the buffers `previous` reads. The text is scanned as it would be
   * whole: its bytes when `ascii`, else its UTF-8 (usesUtf8Bytes) or the string itself. A decoding
   * pass replaces a few short spans of a text that may be long: scanning it whole again was most
   * of a scan of an installed node_modules.
   */
  rescanEdited(previous: ScanResult, text: string, edits: readonly { from: Span; to: Span }[], ascii: boolean): ScanResult | undefined {
    if (previous !== this.#current && (previous.found === this.#found || previous.hitStarts === this.#hits.starts || previous.hitPatterns === this.#hits.patterns)) return undefined;
    const kept = hitsOutside(previous, edits, this.#lengths);
    const found = previous.found.slice();
    const around = this.#hitsAround(text, edits, ascii, found);
    // Both lists are in the order of the hits' ends; so is their merge.
    const merged = mergeHits(kept, around, this.#lengths);
    return scanResult(found, merged.starts, merged.patterns, merged.count, ascii);
  }

  /**
   * The hits of `text` that reach into the replaced spans' new text, from windows around them (the
   * longest pattern on either side) scanned from the start state; `found` gets the patterns found
   * there. (Split from rescanEdited, as are the functions it calls: a large function that V8
   * compiled again after each deoptimisation cost more than it saved.)
   */
  #hitsAround(text: string, edits: readonly { from: Span; to: Span }[], ascii: boolean, found: Uint8Array): Hits {
    const lengths = this.#lengths;
    const margin = this.#longest;
    const out = new Hits(64);
    for (let i = 0; i < edits.length; ) {
      const start = Math.max(0, edits[i]!.to.start - margin);
      let end = Math.min(text.length, edits[i]!.to.end + margin);
      for (i++; i < edits.length && edits[i]!.to.start - margin <= end; i++) end = Math.min(text.length, edits[i]!.to.end + margin);
      const window = text.slice(start, end);
      const scan = ascii ? this.scanBytes(Buffer.from(window, 'latin1')) : this.#asciiPatterns ? this.scanUtf8(Buffer.from(window, 'utf8')) : this.scanString(window);
      for (let p = 0; p < found.length; p++) if (scan.found[p] === 1) found[p] = 1;
      for (let k = 0; k < scan.hitCount; k++) {
        const at = start + scan.hitStarts[k]!;
        const p = scan.hitPatterns[k]!;
        // One wholly in unchanged text is among the old hits.
        const next = firstEndingAfter(edits, at, 'to');
        if (next < edits.length && edits[next]!.to.start < at + lengths[p]!) out.push(at, p);
      }
    }
    return out;
  }

  /** Scans a string; offsets are UTF-16 code units. */
  scanString(text: string): ScanResult {
    this.#found.fill(0);
    this.#seen.fill(0);
    this.#hits.count = 0;
    const delta = this.#delta;
    const classes = this.#classes;
    const width = this.#width;
    const recording = this.#recordingState;
    const seen = this.#seen;
    let st = 0;
    let any = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      any |= c;
      const v = delta[st + (c < 256 ? classes[c]! : 0)]!;
      if (v >= 0) {
        st = v;
        continue;
      }
      const s = ~v;
      st = s * width;
      if (recording[s] === 0 && seen[s] === 1) continue;
      this.#emit(s, i);
    }
    const result = this.#result();
    result.ascii = any < 0x80;
    return result;
  }

  /** Whether any pattern occurs in `text` (offsets and per-pattern results are not kept). */
  containsAny(text: string): boolean {
    const delta = this.#delta;
    const classes = this.#classes;
    let st = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      st = delta[st + (c < 256 ? classes[c]! : 0)]!;
      if (st < 0) return true;
    }
    return false;
  }

  /**
   * Outputs of state `s` reached at `end`. A state whose outputs are only keywords matters once
   * per scan; states with recorded patterns note every occurrence.
   */
  #emit(s: number, end: number): void {
    if (this.#recordingState[s] === 0) this.#seen[s] = 1;
    const list = this.#outputList;
    const found = this.#found;
    const record = this.#record;
    for (let j = this.#outputStart[s]!, last = this.#outputStart[s + 1]!; j < last; j++) {
      const p = list[j]!;
      found[p] = 1;
      if (record[p] === 1) this.#hits.push(end - this.#lengths[p]! + 1, p);
    }
  }

  /** Hits from the WebAssembly runner, a batch at a time. */
  readonly #appendHits = (starts: Int32Array, patterns: Int32Array): void => this.#hits.append(starts, patterns);

  #result(): ScanResult {
    this.#current = scanResult(this.#found, this.#hits.starts, this.#hits.patterns, this.#hits.count, undefined);
    return this.#current;
  }
}

/** A scan's result, every field there from the start (one shape for the code that reads them all). */
export function scanResult(found: Uint8Array, hitStarts: Int32Array, hitPatterns: Int32Array, hitCount: number, ascii: boolean | undefined): ScanResult {
  return { found, hitStarts, hitPatterns, hitCount, ascii };
}

/** Hits as two growing lists (start, pattern). */
class Hits {
  starts: Int32Array;
  patterns: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.starts = new Int32Array(Math.max(1, capacity));
    this.patterns = new Int32Array(Math.max(1, capacity));
  }

  push(start: number, pattern: number): void {
    if (this.count === this.starts.length) this.#grow(this.count + 1);
    this.starts[this.count] = start;
    this.patterns[this.count++] = pattern;
  }

  append(starts: Int32Array, patterns: Int32Array): void {
    if (this.count + starts.length > this.starts.length) this.#grow(this.count + starts.length);
    this.starts.set(starts, this.count);
    this.patterns.set(patterns, this.count);
    this.count += starts.length;
  }

  #grow(needed: number): void {
    const size = Math.max(needed, this.starts.length * 2);
    const starts = new Int32Array(size);
    starts.set(this.starts.subarray(0, this.count));
    this.starts = starts;
    const patterns = new Int32Array(size);
    patterns.set(this.patterns.subarray(0, this.count));
    this.patterns = patterns;
  }
}

/** The hits of `previous` outside the replaced spans, moved by what the replacements before them added. */
function hitsOutside(previous: ScanResult, edits: readonly { from: Span; to: Span }[], lengths: Int32Array): Hits {
  // added[k]: what the first k replacements added to the text's length.
  const added = new Int32Array(edits.length + 1);
  for (let k = 0; k < edits.length; k++) added[k + 1] = added[k]! + (edits[k]!.to.end - edits[k]!.to.start) - (edits[k]!.from.end - edits[k]!.from.start);
  const out = new Hits(previous.hitCount);
  for (let i = 0; i < previous.hitCount; i++) {
    const start = previous.hitStarts[i]!;
    const p = previous.hitPatterns[i]!;
    // The replacements before it are those that end by its start; the next one must start after its end.
    const before = firstEndingAfter(edits, start, 'from');
    if (before === edits.length || edits[before]!.from.start >= start + lengths[p]!) out.push(start + added[before]!, p);
  }
  return out;
}

/** Two lists of hits, each in the order of the hits' ends, as one in that order. */
function mergeHits(a: Hits, b: Hits, lengths: Int32Array): Hits {
  const out = new Hits(a.count + b.count);
  let i = 0;
  let j = 0;
  while (i < a.count || j < b.count) {
    if (j === b.count || (i < a.count && a.starts[i]! + lengths[a.patterns[i]!]! <= b.starts[j]! + lengths[b.patterns[j]!]!)) {
      out.push(a.starts[i]!, a.patterns[i]!);
      i++;
    } else {
      out.push(b.starts[j]!, b.patterns[j]!);
      j++;
    }
  }
  return out;
}

/** The index of the first edit whose `side` span (ascending, not overlapping) ends after `at`: how many end by it. */
function firstEndingAfter(edits: readonly { from: Span; to: Span }[], at: number, side: 'from' | 'to'): number {
  let lo = 0;
  let hi = edits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edits[mid]![side].end <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function buildTables(patterns: readonly string[], recorded: ReadonlySet<number>): AutomatonTables {
  const record = new Uint8Array(patterns.length);
  for (const p of recorded) record[p] = 1;

  // Alphabet: one class per distinct character, upper-case letters sharing their lower-case class.
  const classes = new Uint8Array(256);
  let width = 1;
  let chars = 0;
  for (const p of patterns) {
    chars += p.length;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 128 && classes[c] === 0) classes[c] = width++;
    }
  }
  for (let c = 65; c <= 90; c++) classes[c] = classes[c + 32]!;

  // Trie, in one flat table (-1: no edge yet); each state but the root has one parent and class.
  const trie = new Int32Array((chars + 1) * width).fill(-1);
  const outs: number[][] = [[]];
  const parentOf: number[] = [-1];
  const classOf: number[] = [-1];
  patterns.forEach((p, id) => {
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const k = classes[p.charCodeAt(i)]!;
      if (trie[s * width + k]! < 0) {
        trie[s * width + k] = outs.length;
        outs.push([]);
        parentOf.push(s);
        classOf.push(k);
      }
      s = trie[s * width + k]!;
    }
    if (p.length > 0) outs[s]!.push(id);
  });
  const states = outs.length;

  // Children of each state, grouped (states are numbered in the order the trie grew).
  const childStart = new Int32Array(states + 1);
  for (let u = 1; u < states; u++) childStart[parentOf[u]! + 1]!++;
  for (let s = 0; s < states; s++) childStart[s + 1]! += childStart[s]!;
  const children = new Int32Array(Math.max(0, states - 1));
  const fill = childStart.slice(0, states);
  for (let u = 1; u < states; u++) children[fill[parentOf[u]!]!++] = u;

  // The dense table, breadth first: a state's row is its failure state's row (complete, being
  // shallower) with its own trie edges written over it, so each row is one copy plus a few edges
  // instead of a pass over every column. A state's outputs include its failure state's; an entry
  // is encoded (see the module comment) when its target is found, and that never changes after.
  const delta = new Int32Array(states * width);
  const fail = new Int32Array(states);
  const hasOutputs = new Uint8Array(states);
  const encode = (t: number) => (hasOutputs[t] === 1 ? ~t : t * width);
  const stateOf = (v: number) => (v < 0 ? ~v : v / width);
  const queue = new Int32Array(states);
  queue[0] = 0;
  let tail = 1;
  for (let head = 0; head < tail; head++) {
    const r = queue[head]!;
    if (r !== 0) delta.copyWithin(r * width, fail[r]! * width, fail[r]! * width + width);
    for (let c = childStart[r]!; c < childStart[r + 1]!; c++) {
      const u = children[c]!;
      const k = classOf[u]!;
      fail[u] = r === 0 ? 0 : stateOf(delta[fail[r]! * width + k]!);
      if (outs[fail[u]!]!.length > 0) outs[u]!.push(...outs[fail[u]!]!);
      hasOutputs[u] = outs[u]!.length > 0 ? 1 : 0;
      delta[r * width + k] = encode(u);
      queue[tail++] = u;
    }
  }

  const outputStart = new Int32Array(states + 1);
  const list: number[] = [];
  for (let s = 0; s < states; s++) {
    outputStart[s] = list.length;
    for (const p of outs[s]!) list.push(p);
  }
  outputStart[states] = list.length;
  return {
    patterns,
    record,
    classes,
    width,
    delta,
    outputStart,
    outputList: Int32Array.from(list),
    recordingState: Uint8Array.from(outs, (o) => (o.some((p) => record[p] === 1) ? 1 : 0)),
  };
}

/**
 * Turns byte offsets of ASCII characters in valid UTF-8 into UTF-16 offsets, in place. The offsets
 * come in the order of their matches' ends, so they only ever step back by less than a pattern's
 * length: one cursor walks the bytes, counting a code unit per character (two from a four-byte one).
 */
function toUtf16Offsets(bytes: Uint8Array, offsets: Int32Array, count: number): void {
  let b = 0;
  let u = 0;
  for (let i = 0; i < count; i++) {
    const target = offsets[i]!;
    for (; b < target; b++) {
      const c = bytes[b]!;
      if ((c & 0xc0) !== 0x80) u += c >= 0xf0 ? 2 : 1;
    }
    while (b > target) {
      const c = bytes[--b]!;
      if ((c & 0xc0) !== 0x80) u -= c >= 0xf0 ? 2 : 1;
    }
    offsets[i] = u;
  }
}
