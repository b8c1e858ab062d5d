/**
 * Go `time.ParseDuration`, which Kyverno uses for duration comparisons in patterns and conditions: a signed sequence
 * of decimal numbers with a unit each (`300ms`, `-1.5h`, `2h45m`), units ns, us (or µs), ms, s, m, h; the bare
 * string "0" is zero. Results are int64 nanoseconds, as a bigint so long durations stay exact.
 */

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const TWO_63 = 2n ** 63n;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

const memo = new Map<string, bigint | null>();
const MEMO_LIMIT = 4096;

/** Nanoseconds of a Go duration string, or undefined when Go's ParseDuration would fail (syntax or overflow). */
export function parseGoDuration(s: string): bigint | undefined {
  // Fast reject: a duration starts with a sign, a digit or a dot (most strings handed here are not durations).
  const c = s.charCodeAt(0);
  if (!(c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57))) return undefined;
  let d = memo.get(s);
  if (d === undefined) {
    d = parseUncached(s) ?? null;
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(s, d);
  }
  return d ?? undefined;
}

function parseUncached(s: string): bigint | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
  }
  if (s.length - i === 1 && s[i] === '0') return 0n;
  if (i >= s.length) return undefined;
  let total = 0n;
  while (i < s.length) {
    if (!(s[i] === '.' || isDigit(s[i]))) return undefined;
    // Whole part: overflow past 2^63 is an error.
    const wholeStart = i;
    let v = 0n;
    while (isDigit(s[i])) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_63) return undefined;
      i++;
    }
    const pre = i !== wholeStart;
    // Fraction: digits past uint64 precision are consumed but ignored, as Go does.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[i] === '.') {
      i++;
      const fracStart = i;
      let overflow = false;
      for (; isDigit(s[i]); i++) {
        if (overflow) continue;
        if (f > (TWO_63 - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(i) - 48);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = i !== fracStart;
    }
    if (!pre && !post) return undefined;
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    if (i === unitStart) return undefined;
    const unit = UNITS[s.slice(unitStart, i)];
    if (unit === undefined) return undefined;
    if (v > TWO_63 / unit) return undefined;
    v *= unit;
    if (f > 0n) {
      // Go adds the fraction through float64: f * (unit / scale), truncated.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return undefined;
    }
    total += v;
    if (total > TWO_63) return undefined;
  }
  if (neg) return -total;
  if (total > TWO_63 - 1n) return undefined;
  return total;
}

/** `time.Duration.Seconds()`: whole seconds plus the nanosecond remainder, as a float. */
export function durationSeconds(d: bigint): number {
  return Number(d / 1_000_000_000n) + Number(d % 1_000_000_000n) / 1e9;
}
