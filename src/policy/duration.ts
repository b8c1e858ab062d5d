/**
 * Go's time.Duration: `time.ParseDuration` syntax (`1h30m`, `1.5s`, `300ms`, `-2h`) and the
 * `Duration.String()` form Kyverno returns (`1h0m5s`, `1m40s`, `500ms`). Nanoseconds are bigints
 * so the full int64 range stays exact.
 */

export const NS_PER_SECOND = 1_000_000_000n;
const MAX_DURATION = (1n << 63n) - 1n;

const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: NS_PER_SECOND,
  m: 60n * NS_PER_SECOND,
  h: 3600n * NS_PER_SECOND,
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Nanoseconds, or undefined when `s` is not a Go duration. */
export function parseGoDuration(input: string): bigint | undefined {
  let s = input;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) return undefined;
    let i = 0;
    while (isDigit(s[i])) i++;
    const intPart = s.slice(0, i);
    let fracPart = '';
    if (s[i] === '.') {
      const start = ++i;
      while (isDigit(s[i])) i++;
      fracPart = s.slice(start, i);
    }
    if (intPart === '' && fracPart === '') return undefined;
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const unit = UNITS[s.slice(unitStart, i)];
    if (unit === undefined) return undefined;
    s = s.slice(i);
    let value = BigInt(intPart || '0') * unit;
    if (fracPart !== '') {
      // Go scales the fraction in float64 (nanosecond-accurate up to hours) and truncates.
      const digits = fracPart.slice(0, 18);
      value += BigInt(Math.trunc(Number(digits) * (Number(unit) / 10 ** digits.length)));
    }
    total += value;
    if (total > MAX_DURATION + 1n) return undefined;
  }
  if (negative) return -total;
  return total > MAX_DURATION ? undefined : total;
}

/** Duration.String(): `72h3m0.5s`, `1.5ms`, `0s`. */
export function formatGoDuration(nanos: bigint): string {
  const negative = nanos < 0n;
  let u = negative ? -nanos : nanos;
  let out: string;
  if (u < NS_PER_SECOND) {
    if (u === 0n) return '0s';
    let unit: string;
    let precision: number;
    if (u < 1_000n) [unit, precision] = ['ns', 0];
    else if (u < 1_000_000n) [unit, precision] = ['µs', 3];
    else [unit, precision] = ['ms', 6];
    out = `${formatFraction(u, precision)}${unit}`;
  } else {
    const seconds = u / NS_PER_SECOND;
    const frac = fractionDigits(u % NS_PER_SECOND, 9);
    out = `${seconds % 60n}${frac}s`;
    u = seconds / 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** `v / 10^precision` with trailing zeros of the fraction removed. */
function formatFraction(v: bigint, precision: number): string {
  const div = 10n ** BigInt(precision);
  return `${v / div}${fractionDigits(v % div, precision)}`;
}

function fractionDigits(frac: bigint, precision: number): string {
  if (frac === 0n) return '';
  return `.${frac.toString().padStart(precision, '0').replace(/0+$/, '')}`;
}

/** Duration.Seconds() as Go computes it (whole seconds plus the nanosecond remainder). */
export function durationSeconds(nanos: bigint): number {
  return Number(nanos / NS_PER_SECOND) + Number(nanos % NS_PER_SECOND) / 1e9;
}

/** time.Duration(seconds * float64(time.Second)): float converted back, truncated toward zero. */
export function durationFromSeconds(seconds: number): bigint {
  const ns = Math.trunc(seconds * 1e9);
  if (!Number.isFinite(ns)) return ns > 0 ? MAX_DURATION : -MAX_DURATION - 1n;
  return BigInt(ns);
}
