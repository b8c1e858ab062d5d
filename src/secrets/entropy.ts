/**
 * Shannon entropy as gitleaks computes it (detect/utils.go `shannonEntropy`): character (rune)
 * frequencies, but divided by the length in UTF-8 bytes, so non-ASCII text scores lower than its
 * character count alone would give.
 */
const asciiCounts = new Int32Array(128);

export function shannonEntropy(data: string): number {
  if (data === '') return 0;
  if (isAscii(data)) return asciiEntropy(data);
  const counts = new Map<number, number>();
  let bytes = 0;
  for (const ch of data) {
    const cp = ch.codePointAt(0)!;
    counts.set(cp, (counts.get(cp) ?? 0) + 1);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  let entropy = 0;
  const inv = 1 / bytes;
  for (const count of counts.values()) {
    const freq = count * inv;
    entropy -= freq * Math.log2(freq);
  }
  return entropy;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * freq · log2(freq) for freq = count / length, per length: the common case does no logarithms.
 * The terms are computed exactly as the loop below would, so the sum is the same to the bit.
 */
const terms: (Float64Array | undefined)[] = [];
const TERM_CACHE_MAX_LENGTH = 1024;

function termsFor(length: number): Float64Array {
  let t = terms[length];
  if (!t) {
    t = new Float64Array(length + 1);
    const inv = 1 / length;
    for (let n = 1; n <= length; n++) {
      const freq = n * inv;
      t[n] = freq * Math.log2(freq);
    }
    terms[length] = t;
  }
  return t;
}

/**
 * The common case without a Map: one byte per character. The characters that occur are listed as
 * they are counted, and the terms added in character order, as a loop over all 128 would (so the
 * sum is the same to the bit) without touching the 100-odd that do not occur.
 */
function asciiEntropy(data: string): number {
  const counts = asciiCounts;
  const present = asciiPresent;
  let distinct = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (counts[c]!++ === 0) present[distinct++] = c;
  }
  sortPrefix(present, distinct);
  let entropy = 0;
  const t = data.length <= TERM_CACHE_MAX_LENGTH ? termsFor(data.length) : undefined;
  const inv = 1 / data.length;
  for (let k = 0; k < distinct; k++) {
    const c = present[k]!;
    const n = counts[c]!;
    counts[c] = 0;
    if (t) entropy -= t[n]!;
    else {
      const freq = n * inv;
      entropy -= freq * Math.log2(freq);
    }
  }
  return entropy;
}

const asciiPresent = new Int32Array(128);

/** Insertion sort of a[0, n): n is small (the distinct characters of a secret). */
function sortPrefix(a: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}
