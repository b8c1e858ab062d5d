/**
 * The secret scanner's byte loops in WebAssembly (dfa.wat): the keyword pre-filter's automaton and
 * the gates of anchored rules (regex/gate.ts), over the bytes of a file. They are the same
 * table-driven loops as they would be in JavaScript, about three times faster: WebAssembly's loads
 * carry no bounds checks or type guards.
 *
 * Each instance owns its memory: the automaton's tables, an output buffer, the gates loaded so far,
 * then the text of the last scan (kept for its gates) and the places being gated. A text above
 * WHOLE_TEXT_MAX goes through a window chunk by chunk instead, so memory stays bounded, and its
 * places are not gated.
 */
import { DFA_WASM } from './dfa-wasm.ts';
import { GATE_DEAD, GATE_PASS, type Gate } from './regex/gate.ts';

interface DfaExports {
  memory: WebAssembly.Memory;
  scan(cursor: number, end: number, classes: number, delta: number, rowBytes: number, seen: number, recording: number, out: number, outEnd: number): number;
  gate(text: number, end: number, places: number, count: number, ascii: number, table: number, width: number): number;
}

let compiled: WebAssembly.Module | undefined;

const PAGE = 65536;
const WHOLE_TEXT_MAX = 64 << 20;
const CHUNK = 1 << 20;
const OUT_PAIRS = 1 << 14;
/** Room for the gates of the rules a scan tries (a gate's table is at most 64 KB; most are a few). */
const GATE_BYTES = 2 << 20;

export interface DfaTables {
  /** Column of each byte. */
  classes: Uint8Array;
  /** Per state and column: the next state times `width`, or ~state for a state with outputs. */
  delta: Int32Array;
  width: number;
  /** Per state: 1 when its outputs must be reported at every occurrence, not just the first. */
  recording: Uint8Array;
}

export class WasmDfa {
  readonly #exports: DfaExports;
  #bytes!: Uint8Array;
  #words!: Int32Array;
  readonly #states: number;
  readonly #rowBytes: number;
  /** The scan's place and state (two words). */
  readonly #cursor = 0;
  readonly #classes = 8;
  readonly #delta = 8 + 1024;
  readonly #seen: number;
  readonly #recording: number;
  readonly #out: number;
  readonly #gates: number;
  #gatesEnd: number;
  readonly #loaded = new Map<Gate, { ascii: number; table: number } | null>();
  readonly #text: number;
  #capacity = 0;
  /** Length of the last text scanned whole, or -1 when it went through the window. */
  #textLength = -1;

  constructor(tables: DfaTables) {
    compiled ??= new WebAssembly.Module(Buffer.from(DFA_WASM, 'base64'));
    this.#exports = new WebAssembly.Instance(compiled).exports as unknown as DfaExports;
    const { classes, delta, width, recording } = tables;
    this.#states = delta.length / width;
    this.#rowBytes = width * 4;
    this.#seen = this.#delta + delta.length * 4;
    this.#recording = this.#seen + this.#states;
    this.#out = align(this.#recording + this.#states);
    this.#gates = this.#gatesEnd = this.#out + OUT_PAIRS * 8;
    this.#text = this.#gates + GATE_BYTES;
    this.#reserve(this.#text + CHUNK);
    for (let c = 0; c < 256; c++) this.#words[this.#classes / 4 + c] = classes[c]! * 4;
    for (let i = 0; i < delta.length; i++) {
      const v = delta[i]!;
      this.#words[this.#delta / 4 + i] = v >= 0 ? this.#delta + (v / width) * this.#rowBytes : v;
    }
    this.#bytes.set(recording, this.#recording);
  }

  /** Runs the automaton over `text` from its start state; `emit(state, end)` for each reported state with outputs, `end` the offset of the byte that reached it. */
  scan(text: Uint8Array, emit: (state: number, end: number) => void): void {
    const ex = this.#exports;
    this.#bytes.fill(0, this.#seen, this.#seen + this.#states);
    const cursor = this.#cursor / 4;
    this.#words[cursor + 1] = this.#delta;
    const whole = text.length <= WHOLE_TEXT_MAX;
    if (whole) this.#reserve(this.#text + text.length);
    this.#textLength = whole ? text.length : -1;
    const step = whole ? Math.max(text.length, 1) : CHUNK;
    for (let offset = 0; offset < text.length; offset += step) {
      const chunk = text.subarray(offset, offset + step);
      this.#bytes.set(chunk, this.#text);
      const end = this.#text + chunk.length;
      this.#words[cursor] = this.#text;
      // Addresses in the output are one past the byte; as offsets in the text, the byte itself.
      const base = offset - this.#text - 1;
      do {
        const pairs = ex.scan(this.#cursor, end, this.#classes, this.#delta, this.#rowBytes, this.#seen, this.#recording, this.#out, this.#out + OUT_PAIRS * 8);
        const words = this.#words;
        for (let k = this.#out / 4, last = k + pairs * 2; k < last; k += 2) emit(words[k + 1]!, words[k]! + base);
      } while (this.#words[cursor]! < end);
    }
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

  /** Where the gate's tables are in memory (copied there on first use); null when the gate region is full. */
  #load(gate: Gate): { ascii: number; table: number } | null {
    let at = this.#loaded.get(gate);
    if (at !== undefined) return at;
    const size = align(128 + gate.table.length);
    if (this.#gatesEnd + size > this.#text) at = null;
    else {
      at = { ascii: this.#gatesEnd, table: this.#gatesEnd + 128 };
      this.#bytes.set(gate.ascii, at.ascii);
      // Table entries: the next state's number, or the codes dfa.wat knows for pass and dead.
      for (let i = 0; i < gate.table.length; i++) {
        const v = gate.table[i]!;
        this.#bytes[at.table + i] = v === GATE_PASS ? 254 : v === GATE_DEAD ? 255 : v / gate.width;
      }
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
