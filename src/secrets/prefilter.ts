/**
 * The keyword pre-filter: one Aho-Corasick automaton over every rule keyword (and every literal an
 * anchored rule looks for), run once over each fragment, case-insensitively for ASCII. A rule is
 * only tried on a fragment that contains one of its keywords, as in gitleaks (detect.go), which
 * lower-cases the fragment and runs the same kind of automaton; here the folding is built into the
 * transition table so the text is never copied.
 *
 * The table is dense over a compressed alphabet (the characters that occur in some pattern, plus
 * one class for every other character), with state numbers pre-multiplied by the alphabet size
 * and negated when the state has outputs, so the inner loop is one load and one sign test.
 */

export interface ScanResult {
  /** found[p] is 1 when pattern p occurs. */
  found: Uint8Array;
  /** Start offsets of the occurrences of recorded patterns, in text order of their ends. */
  hitStarts: Int32Array;
  hitPatterns: Int32Array;
  hitCount: number;
}

export class KeywordAutomaton {
  readonly patterns: readonly string[];
  readonly #record: Uint8Array;
  readonly #lengths: Int32Array;
  readonly #classes = new Uint8Array(256);
  readonly #width: number;
  readonly #delta: Int32Array;
  readonly #outputs: Int32Array[];
  readonly #found: Uint8Array;
  /** Per state: 1 when one of its outputs is recorded. */
  readonly #recordingState: Uint8Array;
  /** Per scan: states already reported. */
  readonly #seen: Uint8Array;
  #hitStarts = new Int32Array(1024);
  #hitPatterns = new Int32Array(1024);
  #hitCount = 0;

  /**
   * @param patterns lower-case ASCII strings (others are the caller's business)
   * @param record patterns whose every occurrence is wanted, not just whether one occurs
   */
  constructor(patterns: readonly string[], record: ReadonlySet<number> = new Set()) {
    this.patterns = patterns;
    this.#record = new Uint8Array(patterns.length);
    for (const p of record) this.#record[p] = 1;
    this.#lengths = Int32Array.from(patterns, (p) => p.length);
    this.#found = new Uint8Array(patterns.length);

    // Alphabet: one class per distinct character, upper-case letters sharing their lower-case class.
    let width = 1;
    for (const p of patterns) {
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        if (c < 128 && this.#classes[c] === 0) this.#classes[c] = width++;
      }
    }
    for (let c = 65; c <= 90; c++) this.#classes[c] = this.#classes[c + 32]!;
    this.#width = width;

    // Trie.
    const goto: Int32Array[] = [new Int32Array(width).fill(-1)];
    const outs: number[][] = [[]];
    patterns.forEach((p, id) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const k = this.#classes[p.charCodeAt(i)]!;
        if (goto[s]![k]! < 0) {
          goto.push(new Int32Array(width).fill(-1));
          outs.push([]);
          goto[s]![k] = goto.length - 1;
        }
        s = goto[s]![k]!;
      }
      if (p.length > 0) outs[s]!.push(id);
    });

    // Failure links, breadth first; missing edges become the failure state's edges.
    const fail = new Int32Array(goto.length);
    const queue: number[] = [];
    for (let k = 0; k < width; k++) {
      const t = goto[0]![k]!;
      if (t < 0) goto[0]![k] = 0;
      else queue.push(t);
    }
    for (let head = 0; head < queue.length; head++) {
      const r = queue[head]!;
      for (let k = 0; k < width; k++) {
        const u = goto[r]![k]!;
        if (u < 0) {
          goto[r]![k] = goto[fail[r]!]![k]!;
          continue;
        }
        queue.push(u);
        fail[u] = goto[fail[r]!]![k]!;
        outs[u]!.push(...outs[fail[u]!]!);
      }
    }

    this.#outputs = outs.map((o) => Int32Array.from(o));
    this.#recordingState = Uint8Array.from(outs, (o) => (o.some((p) => this.#record[p] === 1) ? 1 : 0));
    this.#seen = new Uint8Array(outs.length);
    this.#delta = new Int32Array(goto.length * width);
    for (let s = 0; s < goto.length; s++) {
      for (let k = 0; k < width; k++) {
        const t = goto[s]![k]!;
        this.#delta[s * width + k] = outs[t]!.length > 0 ? ~(t * width) : t * width;
      }
    }
  }

  /** Scans UTF-8 bytes; offsets are byte offsets. */
  scanBytes(text: Uint8Array): ScanResult {
    this.#reset();
    const delta = this.#delta;
    const classes = this.#classes;
    let st = 0;
    for (let i = 0; i < text.length; i++) {
      st = delta[st + classes[text[i]!]!]!;
      if (st < 0) {
        st = ~st;
        this.#emit(st, i);
      }
    }
    return this.#result();
  }

  /** Scans a string; offsets are UTF-16 code units. */
  scanString(text: string): ScanResult {
    this.#reset();
    const delta = this.#delta;
    const classes = this.#classes;
    let st = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      st = delta[st + (c < 256 ? classes[c]! : 0)]!;
      if (st < 0) {
        st = ~st;
        this.#emit(st, i);
      }
    }
    return this.#result();
  }

  #reset(): void {
    this.#found.fill(0);
    this.#seen.fill(0);
    this.#hitCount = 0;
  }

  /**
   * Outputs of the state reached at `end`. A state whose outputs are only keywords matters once
   * per scan; states with recorded patterns note every occurrence.
   */
  #emit(premultiplied: number, end: number): void {
    const state = premultiplied / this.#width;
    if (this.#recordingState[state] === 0) {
      if (this.#seen[state] === 1) return;
      this.#seen[state] = 1;
    }
    const outs = this.#outputs[state]!;
    for (let j = 0; j < outs.length; j++) {
      const p = outs[j]!;
      this.#found[p] = 1;
      if (this.#record[p] === 1) this.#pushHit(end - this.#lengths[p]! + 1, p);
    }
  }

  #pushHit(start: number, pattern: number): void {
    if (this.#hitCount === this.#hitStarts.length) {
      const starts = new Int32Array(this.#hitCount * 2);
      starts.set(this.#hitStarts);
      this.#hitStarts = starts;
      const pats = new Int32Array(this.#hitCount * 2);
      pats.set(this.#hitPatterns);
      this.#hitPatterns = pats;
    }
    this.#hitStarts[this.#hitCount] = start;
    this.#hitPatterns[this.#hitCount] = pattern;
    this.#hitCount++;
  }

  #result(): ScanResult {
    return { found: this.#found, hitStarts: this.#hitStarts, hitPatterns: this.#hitPatterns, hitCount: this.#hitCount };
  }
}
