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
 * The common case without a Map: one byte per character. The terms are added in character order,
 * as a loop over all 128 would (so the sum is the same to the bit), over the span between the
 * lowest and highest character only (`0`…`z` for most secrets), which is cleared on the way.
 */
function asciiEntropy(data: string): number {
  const counts = asciiCounts;
  let low = 127;
  let high = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    counts[c]!++;
    if (c < low) low = c;
    if (c > high) high = c;
  }
  let entropy = 0;
  const t = data.length <= TERM_CACHE_MAX_LENGTH ? termsFor(data.length) : undefined;
  const inv = 1 / data.length;
  for (let c = low; c <= high; c++) {
    const n = counts[c]!;
    if (n === 0) continue;
    counts[c] = 0;
    if (t) entropy -= t[n]!;
    else {
      const freq = n * inv;
      entropy -= freq * Math.log2(freq);
    }
  }
  return entropy;
}
