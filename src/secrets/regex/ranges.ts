/** Character sets as sorted, non-overlapping, inclusive code-point ranges: [lo0, hi0, lo1, hi1, …]. */
export type Ranges = number[];

export const MAX_CODE_POINT = 0x10ffff;

/** Union of two normalised range sets (sorted, merged, adjacent ranges joined). */
export function union(a: Ranges, b: Ranges): Ranges {
  if (b.length === 0) return a;
  if (a.length === 0) return b.length === 2 ? b : normalise(b);
  const out: Ranges = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let lo: number;
    let hi: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      lo = a[i]!;
      hi = a[i + 1]!;
      i += 2;
    } else {
      lo = b[j]!;
      hi = b[j + 1]!;
      j += 2;
    }
    const last = out.length - 1;
    if (out.length > 0 && lo <= out[last]! + 1) {
      if (hi > out[last]!) out[last] = hi;
    } else out.push(lo, hi);
  }
  return out;
}

/** Sorts and merges arbitrary [lo, hi] pairs. */
export function normalise(r: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i]!, r[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (out.length > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

export function negate(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i]! > next) out.push(next, r[i]! - 1);
    next = r[i + 1]! + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

export function rangesHas(r: Ranges, cp: number): boolean {
  let lo = 0;
  let hi = r.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < r[mid * 2]!) hi = mid - 1;
    else if (cp > r[mid * 2 + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}
