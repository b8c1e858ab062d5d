/**
 * Go prints a float32 in its shortest form (strconv.FormatFloat(f, …, -1, 32)): the fewest
 * significant digits that read back as the same float32 (3.0841837, not 3.084183692932129).
 */

/** `f` (already a float32 value: Math.fround) to the fewest significant digits, in toPrecision's form. */
export function shortestFloat32(f: number): string {
  // Nine digits always read back. Whatever p digits read back as f, p + 1 do too (the nearest
  // p + 1-digit decimal is at least as near), so a binary search finds the fewest in four tries
  // where counting up takes up to nine (a report of a thousand findings spent ~10 ms there).
  let fewest = 9;
  let lo = 1;
  while (lo < fewest) {
    const p = (lo + fewest) >> 1;
    if (Math.fround(Number(f.toPrecision(p))) === f) fewest = p;
    else lo = p + 1;
  }
  return f.toPrecision(fewest);
}
