/**
 * The secret scanner's byte loops in WebAssembly (dfa.wat): the keyword pre-filter's automaton, the
 * gates of anchored rules (regex/gate.ts) and the search for encoded text (decode.ts), over the
 * bytes of a file. They are the same
 * table-driven loops as they would be in JavaScript, about three times faster: WebAssembly's loads
 * carry no bounds checks or type guards.
 *
 * Each instance owns its memory: a control block, the automaton's tables, a batch of hits, the gates
 * loaded so far, then the text of the last scan (kept for its gates and the encoded-text search)
 * and the places being gated or the runs found. A text above
 * WHOLE_TEXT_MAX goes through a window chunk by chunk instead, so memory stays bounded, and its
 * places are not gated.
 */
import { DFA_WASM } from './dfa-wasm.ts';
import type { AutomatonTables } from './prefilter.ts';
import type { Gate } from './regex/gate.ts';

interface DfaExports {
  memory: WebAssembly.Memory;
  scan(control: number, end: number): number;
  scan2(a: number, endA: number, b: number, endB: number): void;
  gate(text: number, end: number, places: number, count: number, ascii: number, table: number, width: number): number;
  runs(text: number, from: number, end: number, out: number, limit: number): number;
  newlines(text: number, from: number, end: number, out: number, limit: number): number;
  longestLine(text: number, end: number): number;
  relocate(at: number, count: number, base: number): void;
  utf16Offsets(text: number, offsets: number, count: number): void;
}

let compiled: WebAssembly.Module | undefined;

const PAGE = 65536;
const WHOLE_TEXT_MAX = 64 << 20;
const CHUNK = 1 << 20;
/** Hits taken from WebAssembly per call. */
const HITS = 1 << 14;
/** Words of a list (encoded runs, line feeds) taken from WebAssembly per call. */
const LIST_BATCH = 1 << 16;
/** Room for the gates of the rules a scan tries (a gate's table is at most 64 KB; most are a few). */
const GATE_BYTES = 2 << 20;

/** The control block's words (dfa.wat `scan`), by index. */
const Control = {
  Place: 0,
  Row: 1,
  Classes: 2,
  Delta: 3,
  RowBytes: 4,
  Seen: 5,
  Recording: 6,
  OutputStart: 7,
  OutputList: 8,
  Lengths: 9,
  Record: 10,
  Found: 11,
  Starts: 12,
  Patterns: 13,
  Limit: 14,
  Base: 15,
  Count: 16,
  Size: 18,
} as const;

/** Texts from this size on are scanned as two streams at once (dfa.wat `scan2`). */
const TWO_STREAMS_MIN = 4096;

/** Where a scan's hits go: the pattern's start offset and number, appended from the given views. */
export type HitSink = (starts: Int32Array, patterns: Int32Array) => void;

export class WasmDfa {
  readonly #exports: DfaExports;
  #bytes!: Uint8Array;
  #words!: Int32Array;
  readonly #states: number;
  readonly #patterns: number;
  /** Addresses: the control blocks (the second for a second stream), then the automaton's tables, the hits, the gates, the text. */
  readonly #control = 0;
  readonly #second = Control.Size * 4;
  readonly #seen: number;
  readonly #found: number;
  readonly #starts: number;
  readonly #hitPatterns: number;
  /** The longest pattern: a second stream starts this many bytes less one before its half, to reach the state the first stream would have there. */
  readonly #longest: number;
  #gatesEnd: number;
  readonly #loaded = new Map<Gate, { ascii: number; table: number } | null>();
  readonly #text: number;
  #capacity = 0;
  /** Length of the last text scanned whole, or -1 when it went through the window. */
  #textLength = -1;

  readonly #wholeTextMax: number;
  readonly #chunk: number;

  /** `limits` (tests): texts above `wholeTextMax` bytes go through a window of `chunk` bytes. */
  constructor(tables: AutomatonTables, limits: { wholeTextMax?: number; chunk?: number } = {}) {
    this.#wholeTextMax = limits.wholeTextMax ?? WHOLE_TEXT_MAX;
    this.#chunk = limits.chunk ?? CHUNK;
    compiled ??= new WebAssembly.Module(Buffer.from(DFA_WASM, 'base64'));
    this.#exports = new WebAssembly.Instance(compiled).exports as unknown as DfaExports;
    const { classes, delta, width, recordingState, outputStart, outputList, record, patterns } = tables;
    this.#states = recordingState.length;
    this.#patterns = patterns.length;
    const rowBytes = width * 4;
    let at = 2 * Control.Size * 4;
    const take = (bytes: number) => {
      const address = at;
      at = align(at + bytes);
      return address;
    };
    const classesAt = take(256 * 4);
    const deltaAt = take(delta.length * 4);
    this.#seen = take(this.#states);
    const recordingAt = take(this.#states);
    const outputStartAt = take(outputStart.length * 4);
    const outputListAt = take(outputList.length * 4);
    const lengthsAt = take(this.#patterns * 4);
    const recordAt = take(this.#patterns);
    this.#found = take(this.#patterns);
    this.#starts = take(HITS * 4);
    this.#hitPatterns = take(HITS * 4);
    const secondStarts = take(HITS * 4);
    const secondPatterns = take(HITS * 4);
    this.#gatesEnd = take(GATE_BYTES);
    this.#text = at;
    this.#reserve(this.#text + this.#chunk);

    const words = this.#words;
    for (let c = 0; c < 256; c++) words[classesAt / 4 + c] = classes[c]! * 4;
    // Row numbers become addresses: an entry v = state * width becomes deltaAt + state * rowBytes.
    words.set(delta, deltaAt / 4);
    this.#exports.relocate(deltaAt, delta.length, deltaAt);
    this.#bytes.set(recordingState, recordingAt);
    words.set(outputStart, outputStartAt / 4);
    words.set(outputList, outputListAt / 4);
    for (let p = 0; p < this.#patterns; p++) words[lengthsAt / 4 + p] = patterns[p]!.length;
    this.#bytes.set(record, recordAt);
    this.#longest = patterns.reduce((most, p) => Math.max(most, p.length), 1);
    let mostOutputs = 0;
    for (let s = 0; s < this.#states; s++) mostOutputs = Math.max(mostOutputs, outputStart[s + 1]! - outputStart[s]!);

    const control = this.#control / 4;
    words[control + Control.Classes] = classesAt;
    words[control + Control.Delta] = deltaAt;
    words[control + Control.RowBytes] = rowBytes;
    words[control + Control.Seen] = this.#seen;
    words[control + Control.Recording] = recordingAt;
    words[control + Control.OutputStart] = outputStartAt;
    words[control + Control.OutputList] = outputListAt;
    words[control + Control.Lengths] = lengthsAt;
    words[control + Control.Record] = recordAt;
    words[control + Control.Found] = this.#found;
    words[control + Control.Starts] = this.#starts;
    words[control + Control.Patterns] = this.#hitPatterns;
    // A call stops once this many hits are written: the outputs of one more state still fit.
    words[control + Control.Limit] = HITS - mostOutputs;
    words[control + Control.Row] = deltaAt;
    // The second stream's block: the same tables, hits of its own.
    const second = this.#second / 4;
    words.copyWithin(second, control, control + Control.Size);
    words[second + Control.Starts] = secondStarts;
    words[second + Control.Patterns] = secondPatterns;
  }

  /**
   * Runs the automaton over `text` from its start state: `found[p]` is set to 1 for every pattern
   * that occurs, and the recorded patterns' occurrences go to `sink` (start offsets in text order
   * of their ends), in batches.
   */
  scan(text: Uint8Array, found: Uint8Array, sink: HitSink): void {
    const control = this.#control / 4;
    const whole = text.length <= this.#wholeTextMax;
    if (whole) this.#reserve(this.#text + text.length);
    const bytes = this.#bytes;
    const words = this.#words;
    bytes.fill(0, this.#seen, this.#seen + this.#states);
    bytes.fill(0, this.#found, this.#found + this.#patterns);
    words[control + Control.Row] = words[control + Control.Delta]!;
    this.#textLength = whole ? text.length : -1;
    const step = whole ? Math.max(text.length, 1) : this.#chunk;
    for (let offset = 0; offset < text.length; offset += step) {
      const chunk = text.subarray(offset, offset + step);
      bytes.set(chunk, this.#text);
      const end = this.#text + chunk.length;
      words[control + Control.Place] = this.#text;
      // Addresses in the text are one past a byte once it is read: this makes them offsets.
      words[control + Control.Base] = offset - this.#text;
      if (whole && chunk.length >= TWO_STREAMS_MIN) this.#scanTwoStreams(end, sink);
      else this.#scanFrom(this.#control, end, sink);
    }
    found.set(bytes.subarray(this.#found, this.#found + this.#patterns));
  }

  /** Runs the stream of the control block at `block` on to `end`, its hits to `sink`. */
  #scanFrom(block: number, end: number, sink: HitSink): void {
    const words = this.#words;
    const at = block / 4;
    do {
      const n = this.#exports.scan(block, end);
      if (n > 0) this.#sinkHits(block, n, sink);
    } while (words[at + Control.Place]! < end);
  }

  #sinkHits(block: number, n: number, sink: HitSink): void {
    const words = this.#words;
    const starts = words[block / 4 + Control.Starts]! / 4;
    const patterns = words[block / 4 + Control.Patterns]! / 4;
    sink(words.subarray(starts, starts + n), words.subarray(patterns, patterns + n));
  }

  /**
   * The text [text, end) (whose first block is set up) as two streams: the first half by the first
   * block, the second by the second, which starts `longest - 1` bytes early with its hits thrown
   * away, so that from the half on it is in the state the first stream would be in (no pattern
   * ending there is longer). Hits go to `sink` in the order of their ends: the first stream's as
   * they come, the second's once the first is done (a full second stream waits for the first).
   */
  #scanTwoStreams(end: number, sink: HitSink): void {
    const words = this.#words;
    const a = this.#control;
    const b = this.#second;
    const half = this.#text + ((end - this.#text) >> 1);
    const limit = words[a / 4 + Control.Limit]!;
    words[b / 4 + Control.Base] = words[a / 4 + Control.Base]!;
    words[b / 4 + Control.Row] = words[a / 4 + Control.Delta]!;
    words[b / 4 + Control.Place] = Math.max(this.#text, half - (this.#longest - 1));
    while (words[b / 4 + Control.Place]! < half) this.#exports.scan(b, half);
    words[a / 4 + Control.Count] = 0;
    words[b / 4 + Control.Count] = 0;
    for (;;) {
      this.#exports.scan2(a, half, b, end);
      const n = words[a / 4 + Control.Count]!;
      if (n > 0) this.#sinkHits(a, n, sink);
      words[a / 4 + Control.Count] = 0;
      if (words[a / 4 + Control.Place]! >= half || words[b / 4 + Control.Place]! >= end || words[b / 4 + Control.Count]! >= limit) break;
    }
    this.#scanFrom(a, half, sink);
    const n = words[b / 4 + Control.Count]!;
    if (n > 0) this.#sinkHits(b, n, sink);
    this.#scanFrom(b, end, sink);
  }

  /**
   * The places (ascending offsets into the text of the last scan) that pass `gate`, in place at
   * the start of `places`; all of them when the text was not kept whole or the gate has no room.
   */
  gate(gate: Gate, places: Int32Array): Int32Array {
    const at = this.#load(gate);
    if (!at || this.#textLength < 0 || places.length === 0) return places;
    const list = align(this.#text + this.#textLength);
    this.#reserve(list + places.length * 4);
    this.#words.set(places, list / 4);
    const kept = this.#exports.gate(this.#text, this.#text + this.#textLength, list, places.length, at.ascii, at.table, gate.width);
    places.set(this.#words.subarray(list / 4, list / 4 + kept));
    return places.subarray(0, kept);
  }

  /**
   * The runs of base64 characters in the text of the last scan that the encoded-text search could
   * decode (dfa.wat `runs`): start and end offsets, two numbers a run; undefined when the text was
   * not kept whole.
   */
  encodedRuns(): Int32Array | undefined {
    return this.#collect((from, end, out, limit) => this.#exports.runs(this.#text, from, end, out, limit), 2);
  }

  /** The offsets of the line feeds in the text of the last scan, ascending; undefined when it was not kept whole. */
  newlines(): Int32Array | undefined {
    return this.#collect((from, end, out, limit) => this.#exports.newlines(this.#text, from, end, out, limit), 1);
  }

  /**
   * Turns byte offsets into the text of the last scan (valid UTF-8), ascending or in the order of
   * the hits of that scan, into UTF-16 offsets, in place (dfa.wat `utf16Offsets`); false, leaving
   * them, when the text was not kept whole.
   */
  utf16Offsets(offsets: Int32Array): boolean {
    if (this.#textLength < 0) return false;
    const list = align(this.#text + this.#textLength);
    this.#reserve(list + offsets.length * 4);
    this.#words.set(offsets, list / 4);
    this.#exports.utf16Offsets(this.#text, list, offsets.length);
    offsets.set(this.#words.subarray(list / 4, list / 4 + offsets.length));
    return true;
  }

  /** The length of the longest line of the text of the last scan; undefined when it was not kept whole. */
  longestLine(): number | undefined {
    if (this.#textLength < 0) return undefined;
    // Up to 15 bytes past the end are read (and masked off): they must be memory.
    this.#reserve(this.#text + this.#textLength + 16);
    return this.#exports.longestLine(this.#text, this.#text + this.#textLength);
  }

  /**
   * What a WebAssembly function lists over the text of the last scan, in batches: `call` lists
   * from an address to the end into `out`, at most `limit` items of `width` words, and returns
   * how many; the next batch starts after the last word written.
   */
  #collect(call: (from: number, end: number, out: number, limit: number) => number, width: number): Int32Array | undefined {
    if (this.#textLength < 0) return undefined;
    const end = this.#text + this.#textLength;
    // WebAssembly reads up to 15 bytes past the end (and masks them off): they are the list's.
    const out = align(end);
    this.#reserve(out + LIST_BATCH * 4);
    const limit = LIST_BATCH / width;
    let found = new Int32Array(0);
    for (let from = this.#text; ; ) {
      const n = call(from, end, out, limit);
      const more = this.#words.subarray(out / 4, out / 4 + width * n);
      if (found.length === 0 && n < limit) return more.slice();
      const joined = new Int32Array(found.length + more.length);
      joined.set(found);
      joined.set(more, found.length);
      found = joined;
      if (n < limit) return found;
      from = this.#text + more[more.length - 1]! + 1;
    }
  }

  /** Where the gate's tables are in memory (copied there on first use); null when the gate region is full. */
  #load(gate: Gate): { ascii: number; table: number } | null {
    let at = this.#loaded.get(gate);
    if (at !== undefined) return at;
    const size = align(128 + gate.table.length);
    if (this.#gatesEnd + size > this.#text) at = null;
    else {
      at = { ascii: this.#gatesEnd, table: this.#gatesEnd + 128 };
      this.#bytes.set(gate.ascii, at.ascii);
      this.#bytes.set(gate.table, at.table);
      this.#gatesEnd += size;
    }
    this.#loaded.set(gate, at);
    return at;
  }

  /**
   * Grows the memory to at least `bytes`, renewing the views (growing detaches the old buffer).
   * Only this class grows it, so its size is kept here: asking the memory costs more than a scan of a small file.
   */
  #reserve(bytes: number): void {
    if (bytes <= this.#capacity) return;
    const memory = this.#exports.memory;
    const size = memory.buffer.byteLength;
    if (size < bytes) memory.grow(Math.ceil((bytes - size) / PAGE));
    this.#bytes = new Uint8Array(memory.buffer);
    this.#words = new Int32Array(memory.buffer);
    this.#capacity = this.#bytes.length;
  }
}

function align(address: number): number {
  return (address + 7) & ~7;
}
