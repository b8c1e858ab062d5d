import { describe, expect, it } from 'vitest';
import { KeywordAutomaton, type ScanResult } from '../../src/secrets/prefilter.ts';
import { WasmDfa } from '../../src/secrets/wasm-dfa.ts';
import { GATE_DEAD } from '../../src/secrets/regex/gate.ts';
import { newlineIndex } from '../../src/secrets/detect.ts';

/** The result as plain data: which patterns occur, and every recorded occurrence. */
function summary(result: ScanResult) {
  return {
    found: [...result.found].flatMap((f, p) => (f ? [p] : [])),
    hits: Array.from({ length: result.hitCount }, (_, i) => [result.hitStarts[i], result.hitPatterns[i]]),
  };
}

describe('keyword pre-filter', () => {
  const patterns = ['key', 'token', 'secret', 'api', 'ey', 'apikey', 'akia', 'x'];
  const recorded = new Set([0, 3, 4, 5, 6]);

  it('finds keywords case-insensitively, recording every occurrence of recorded patterns', () => {
    const automaton = KeywordAutomaton.build(patterns, recorded);
    const text = 'my APIKey and a Token; AKIA. key';
    const result = summary(automaton.scanBytes(Buffer.from(text)));
    expect(result.found.map((p) => patterns[p])).toEqual(['key', 'token', 'api', 'ey', 'apikey', 'akia']);
    // Occurrences of recorded patterns in order of their ends ('apikey' before the 'key' it ends with); 'token' is a keyword only.
    expect(result.hits).toEqual([
      [3, 3],
      [3, 5],
      [6, 0],
      [7, 4],
      [23, 6],
      [29, 0],
      [30, 4],
    ]);
  });

  it('gives the same result over bytes (WebAssembly) as over a string, across chunks and output batches', () => {
    const automaton = KeywordAutomaton.build(patterns, recorded);
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = 'keyKEYapiAPItokenskia x.-=\n';
    for (const length of [0, 1, 100, 70_000, (1 << 20) + 3]) {
      let text = '';
      while (text.length < length) text += alphabet[Math.floor(rnd() * alphabet.length)];
      // A keyword across the 1 MiB chunk boundary of the byte scanner.
      if (length > 1 << 20) text = text.slice(0, (1 << 20) - 2) + 'apikey' + text.slice((1 << 20) + 4);
      const fromBytes = summary(automaton.scanBytes(Buffer.from(text, 'latin1')));
      const fromString = summary(automaton.scanString(text));
      expect(fromBytes.hits.length, `length ${length}`).toBe(fromString.hits.length);
      expect(fromBytes).toEqual(fromString);
    }
  });

  it('gives the same result when a text is scanned as two streams whose hits fill their batches at different times', () => {
    const automaton = KeywordAutomaton.build(patterns, recorded);
    const dense = 'apikey eyKEY '.repeat(30_000);
    const sparse = 'x.'.repeat(200_000);
    // Around the middle a pattern runs across the split, and one ends just before it.
    const at = (n: number, word: string, length: number) => `${'x'.repeat(n)}${word}`.padEnd(length, 'y');
    for (const text of [sparse + dense, dense + sparse, dense + dense, sparse + dense + sparse + dense, dense + sparse + sparse + sparse, `${'x'.repeat(5_000)}apikey${'y'.repeat(4_997)}akia`, at(2_497, 'apikey', 10_000), at(7_497, 'token', 10_000)]) {
      expect(summary(automaton.scanBytes(Buffer.from(text, 'latin1')))).toEqual(summary(automaton.scanString(text)));
    }
  });

  it('gives the same offsets over UTF-8 bytes as over the string, for text with characters of two to four bytes', () => {
    const automaton = KeywordAutomaton.build(patterns, recorded);
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = ['key', 'API', 'akia', 'token', ' ', 'x', 'é', 'ſ', '€', '😀', '\n', 'ey', '\u00ff', '\ufffd'];
    for (const length of [10, 1_000, 50_000]) {
      let text = '';
      while (text.length < length) text += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(summary(automaton.scanUtf8(Buffer.from(text, 'utf8')))).toEqual(summary(automaton.scanString(text)));
    }
    // Few hits, far apart: the offsets are carried over long stretches (16 bytes a step) too.
    for (const length of [100, 5_000, 80_000]) {
      let text = '';
      while (text.length < length) text += rnd() < 0.02 ? alphabet[Math.floor(rnd() * 4)] : alphabet[4 + Math.floor(rnd() * 9)]!.repeat(1 + Math.floor(rnd() * 40));
      expect(summary(automaton.scanUtf8(Buffer.from(text, 'utf8'))), `length ${length}`).toEqual(summary(automaton.scanString(text)));
    }
  });

  it('lists the line feeds of the text it holds as indexOf finds them, in batches, and its longest line; nothing for another text', () => {
    const automaton = KeywordAutomaton.build(patterns, recorded);
    let seed = 5;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (const length of [0, 15, 16, 17, 1_000, 300_000]) {
      let text = '';
      while (text.length < length) text += rnd() < 0.4 ? '\n' : 'key x';
      const scan = automaton.scanBytes(Buffer.from(text, 'latin1'));
      expect([...automaton.newlines(scan)!], `length ${length}`).toEqual([...newlineIndex(text)]);
      expect(automaton.longestLine(scan), `length ${length}`).toBe(Math.max(0, ...text.split('\n').map((l) => l.length)));
    }
    const first = automaton.scanBytes(Buffer.from('a\nb'));
    automaton.scanBytes(Buffer.from('\n\n'));
    expect(automaton.newlines(first)).toBeUndefined();
    expect(automaton.longestLine(first)).toBeUndefined();
    expect(automaton.newlines(automaton.scanUtf8(Buffer.from('é\n')))).toBeUndefined();
  });

  it('gives the same result through a window, for a text above the size kept whole (and then gates nothing)', () => {
    const tables = KeywordAutomaton.build(patterns, recorded).tables;
    const dfa = new WasmDfa(tables, { wholeTextMax: 1000, chunk: 256 });
    const text = 'apikey x KEY token '.repeat(200) + 'akia';
    const found = new Uint8Array(patterns.length);
    const starts: number[] = [];
    const kinds: number[] = [];
    dfa.scan(Buffer.from(text), found, (s, p) => {
      starts.push(...s);
      kinds.push(...p);
    });
    const reference = summary(KeywordAutomaton.build(patterns, recorded).scanString(text));
    expect({ found: [...found].flatMap((f, p) => (f ? [p] : [])), hits: starts.map((s, i) => [s, kinds[i]]) }).toEqual(reference);
    // A gate that turns every place away is not applied to a text that was not kept whole.
    const rejectAll = { ascii: new Uint8Array(128), width: 1, table: Uint8Array.of(GATE_DEAD) };
    expect([...dfa.gate(rejectAll, Int32Array.of(1, 2, 3))]).toEqual([1, 2, 3]);
  });

  it('scans a second text from the start state, with nothing left over from the first', () => {
    const automaton = KeywordAutomaton.build(patterns, recorded);
    automaton.scanBytes(Buffer.from('ak'));
    expect(summary(automaton.scanBytes(Buffer.from('ia')))).toEqual({ found: [], hits: [] });
    expect(summary(automaton.scanBytes(Buffer.from('secret secret'))).found).toEqual([2]);
  });
});

describe('a scan around edits', () => {
  const patterns = ['key', 'token', 'secret', 'ghp_', 'aws', 'ke', 'keyring', '=='];
  const automaton = KeywordAutomaton.build(patterns, new Set([0, 1, 3, 5, 6, 7]));
  let seed = 11;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
  const pieces = ['key', 'KEY', 'token', 'Secret', 'ghp_', 'aws', 'keyring', '==', 'x', ' ', 'é', '😀', 'abc', 'k', 'ey'];
  const text = (n: number) => Array.from({ length: n }, () => pick(pieces)).join('');
  const hits = (s: ScanResult) => Array.from({ length: s.hitCount }, (_, i) => [s.hitStarts[i], s.hitPatterns[i]]);

  it('gives the hits of a scan of the whole edited text, and every pattern it finds', () => {
    for (let n = 0; n < 300; n++) {
      const ascii = n % 2 === 0;
      const clean = (s: string) => (ascii ? s.replace(/[^ -~]/gu, '-') : s);
      const old = clean(text(5 + rnd(60)));
      // Replace a few spans, ascending and apart, by other text.
      const edits: { from: { start: number; end: number }; to: { start: number; end: number } }[] = [];
      let out = '';
      let at = 0;
      while (at < old.length && edits.length < 4) {
        const start = at + rnd(12);
        const end = Math.min(old.length, start + rnd(10));
        if (start >= old.length) break;
        const value = clean(text(rnd(4)));
        out += old.slice(at, start);
        edits.push({ from: { start, end }, to: { start: out.length, end: out.length + value.length } });
        out += value;
        at = end;
      }
      out += old.slice(at);
      if (edits.length === 0) continue;
      const previous = ascii ? automaton.scanBytes(Buffer.from(old, 'latin1')) : automaton.scanUtf8(Buffer.from(old, 'utf8'));
      const around = automaton.rescanEdited(previous, out, edits, ascii)!;
      const whole = ascii ? automaton.scanBytes(Buffer.from(out, 'latin1')) : automaton.scanUtf8(Buffer.from(out, 'utf8'));
      expect(hits(around)).toEqual(hits(whole));
      for (let p = 0; p < patterns.length; p++) if (whole.found[p]) expect(around.found[p]).toBe(1);
    }
  });

  it('is not given when another scan has reused the buffers of the result it would start from', () => {
    const previous = automaton.scanBytes(Buffer.from('a key here'));
    automaton.scanBytes(Buffer.from('another token'));
    expect(automaton.rescanEdited(previous, 'a key there', [{ from: { start: 6, end: 10 }, to: { start: 6, end: 11 } }], true)).toBeUndefined();
  });
});
