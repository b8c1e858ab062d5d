/**
 * Shannon entropy as gitleaks computes it (detect/utils.go `shannonEntropy`): character (rune)
 * frequencies, but divided by the length in UTF-8 bytes, so non-ASCII text scores lower than its
 * character count alone would give.
 */
export function shannonEntropy(data: string): number {
  if (data === '') return 0;
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
