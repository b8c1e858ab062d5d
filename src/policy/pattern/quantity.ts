/**
 * Kubernetes resource quantities (k8s.io/apimachinery `resource.ParseQuantity`), which Kyverno compares by value in
 * patterns (`<=1Gi`, `100m-2`) and conditions (`1Gi` Equals `1024Mi`).
 *
 * Grammar: `[+-] digits [. digits] suffix`, suffix one of the binary `Ki Mi Gi Ti Pi Ei`, the decimal
 * `n u m "" k M G T P E`, or an exponent `e<int>` / `E<int>`. The parser's leniencies are kept on purpose: "1." and
 * ".5" are numbers, and a suffix without digits ("m", "-", ".") parses as zero, exactly as in Go.
 *
 * A quantity is returned as a bigint count of nano-units, which is exact: Go keeps values it can hold in an int64
 * at scale >= -9 as they are, and rounds anything else up (away from zero) to 1e-9 and caps it at 2^63-1.
 */

/** The decimal SI suffixes and their powers of ten. */
export const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { '': 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SUFFIX_CHARS = 'eEinumkKMGTP';
const NANO = 1_000_000_000n;
export const INT64_MAX = 2n ** 63n - 1n;
const MAX_NANOS = INT64_MAX * NANO;
// Exponents this large only make absurd numbers; clamping keeps BigInt sizes sane.
const EXPONENT_CLAMP = 1000;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

interface QuantityParts {
  negative: boolean;
  num: string;
  denom: string;
  suffix: string;
}

/** `parseQuantityString`: sign, integer digits (leading zeros dropped), fraction digits and raw suffix. */
export function splitQuantity(str: string): QuantityParts | undefined {
  const end = str.length;
  let pos = 0;
  let negative = false;
  if (str[0] === '-' || str[0] === '+') {
    negative = str[0] === '-';
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { negative, num: '0', denom: '', suffix: '' };
  const numStart = pos;
  while (isDigit(str[pos])) pos++;
  const num = str.slice(numStart, pos) || '0';
  if (pos >= end) return { negative, num, denom: '', suffix: '' };
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    const denomStart = pos;
    while (isDigit(str[pos])) pos++;
    denom = str.slice(denomStart, pos);
    if (pos >= end) return { negative, num, denom, suffix: '' };
  }
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (isDigit(str[pos])) pos++;
  if (pos < end) return undefined;
  return { negative, num, denom, suffix: str.slice(suffixStart) };
}

/** How a quantity was written, which decides how arithmetic results print (resource.Format). */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Base, exponent and format of a suffix (`interpret`), undefined for an unknown suffix. */
export function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  const dec = DECIMAL_SUFFIX[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIX[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const parsed = BigInt(suffix.slice(1));
    if (parsed > INT64_MAX || parsed < -INT64_MAX - 1n) return undefined;
    // Go stores the exponent as int32(parsed), wrapping around.
    const wrapped = Number(BigInt.asIntN(32, parsed));
    return { base: 10, exponent: Math.max(-EXPONENT_CLAMP, Math.min(EXPONENT_CLAMP, wrapped)), format: 'DecimalExponent' };
  }
  return undefined;
}

// Resource values repeat a lot ("512Mi", "500m"); a bounded memo saves the BigInt work.
const memo = new Map<string, bigint | null>();
const MEMO_LIMIT = 4096;

/** Nano-units of a Kubernetes quantity string, or undefined when ParseQuantity would fail. */
export function parseQuantity(str: string): bigint | undefined {
  let q = memo.get(str);
  if (q === undefined) {
    q = parseUncached(str) ?? null;
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(str, q);
  }
  return q ?? undefined;
}

function parseUncached(str: string): bigint | undefined {
  if (str.length === 0) return undefined;
  const parts = splitQuantity(str);
  if (!parts) return undefined;
  const unit = interpretSuffix(parts.suffix);
  if (!unit) return undefined;
  const { negative, num, denom } = parts;
  const digits = BigInt(num + denom);
  let nanos: bigint;
  let exact: boolean;
  if (unit.base === 10) {
    const scale = unit.exponent - denom.length;
    // Go's int64 fast path: at most 18 digits and a scale no finer than nano; nothing is rounded or capped.
    exact = num.length + denom.length <= 18 && scale >= -9;
    nanos = scaleNanos(digits, 10n ** BigInt(Math.max(0, scale + 9)), 10n ** BigInt(Math.max(0, -(scale + 9))));
  } else {
    const factor = 2n ** BigInt(unit.exponent);
    const precision = 15 - num.length - Math.trunc((unit.exponent * 3) / 10) - 1;
    exact = denom.length === 0 && precision >= 0 && digits * factor <= INT64_MAX;
    nanos = scaleNanos(digits * factor, NANO, 10n ** BigInt(denom.length));
  }
  if (!exact && nanos > MAX_NANOS) nanos = MAX_NANOS;
  return negative ? -nanos : nanos;
}

/** numerator × mul / div, rounded up: Go rounds a non-zero amount up to the next nano-unit. */
function scaleNanos(value: bigint, mul: bigint, div: bigint): bigint {
  const n = value * mul;
  return div === 1n ? n : (n + div - 1n) / div;
}

/** Compare two parsed quantities: -1, 0 or 1 (`Quantity.Cmp`). */
export function compareQuantities(a: bigint, b: bigint): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}
