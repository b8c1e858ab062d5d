/**
 * Kubernetes resource quantities (`250m`, `1Gi`, `1e3`) with the parsing, exact decimal arithmetic
 * and canonical printing of k8s.io/apimachinery's `resource.Quantity`, which Kyverno's arithmetic
 * functions delegate to. Values are exact decimals: `unscaled × 10^-scale`, where `scale` is the
 * inf.Dec scale Kubernetes would hold (it decides the precision of a division by a number). The
 * grammar (sign, digits, suffix, exponent bounds) is pattern/quantity.ts's, which compares them.
 */
import { DECIMAL_SUFFIX, INT64_MAX, interpretSuffix, splitQuantity, type QuantityFormat } from '../pattern/quantity.ts';

export interface Quantity {
  readonly unscaled: bigint;
  readonly scale: number;
  readonly format: QuantityFormat;
}

/** Kubernetes keeps at most nano precision and rounds anything finer up. */
const NANO_SCALE = 9;

export function parseQuantity(str: string): Quantity | undefined {
  if (str.length === 0) return undefined;
  if (str === '0') return { unscaled: 0n, scale: 0, format: 'DecimalSI' };
  const parts = splitQuantity(str);
  if (!parts) return undefined;
  const suffix = interpretSuffix(parts.suffix);
  if (!suffix) return undefined;
  const { num, denom } = parts;
  const digits = BigInt(num + denom);
  const sign = parts.negative ? -1n : 1n;
  let unscaled: bigint;
  let scale: number;
  let exact: boolean;
  if (suffix.base === 10) {
    unscaled = digits;
    scale = denom.length - suffix.exponent;
    // apimachinery's int64 fast path keeps this scale; longer or finer values take the inf.Dec path.
    exact = 18 - (num.length + denom.length) >= 0 && -scale >= -NANO_SCALE;
  } else {
    const fastPrecision = 15 - num.length - Math.trunc((suffix.exponent * 3) / 10) - 1;
    exact = suffix.exponent >= 0 && denom.length === 0 && fastPrecision >= 0;
    unscaled = digits << BigInt(suffix.exponent);
    scale = denom.length;
  }
  if (!exact && unscaled !== 0n) {
    unscaled = rescaleRoundUp(unscaled, scale, NANO_SCALE);
    scale = NANO_SCALE;
    // ParseQuantity caps the magnitude at the largest int64.
    if (unscaled > INT64_MAX * 10n ** BigInt(NANO_SCALE)) {
      unscaled = INT64_MAX;
      scale = 0;
    }
  }
  return { unscaled: sign * unscaled, scale, format: suffix.format };
}

/** Changes the scale of a non-negative magnitude, rounding away from zero (inf.RoundUp). */
function rescaleRoundUp(unscaled: bigint, from: number, to: number): bigint {
  if (to >= from) return unscaled * 10n ** BigInt(to - from);
  const div = 10n ** BigInt(from - to);
  const q = unscaled / div;
  return unscaled % div === 0n ? q : q + 1n;
}

/** Aligns two decimals to the larger scale. */
function align(a: Quantity, b: Quantity): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.unscaled * 10n ** BigInt(scale - a.scale), b.unscaled * 10n ** BigInt(scale - b.scale), scale];
}

/** Quantity.Add: the receiver's format wins unless it is zero. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const [x, y, scale] = align(a, b);
  return { unscaled: x + y, scale, format: a.unscaled === 0n ? b.format : a.format };
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  const [x, y, scale] = align(a, b);
  return { unscaled: x - y, scale, format: a.unscaled === 0n ? b.format : a.format };
}

/** Exact product; the result keeps the format of `q` (resource.NewDecimalQuantity(prod, q.Format)). */
export function multiplyQuantities(q: Quantity, factor: Quantity): Quantity {
  return { unscaled: q.unscaled * factor.unscaled, scale: q.scale + factor.scale, format: q.format };
}

/** inf.Dec.QuoRound at the larger of both scales, truncating toward zero. */
export function divideQuantityRoundDown(q: Quantity, divisor: Quantity): Quantity {
  const scale = Math.max(q.scale, divisor.scale);
  // q / d at `scale` = q.unscaled × 10^(scale - q.scale + d.scale) / d.unscaled
  const shift = scale - q.scale + divisor.scale;
  const unscaled =
    shift >= 0 ? (q.unscaled * 10n ** BigInt(shift)) / divisor.unscaled : q.unscaled / (divisor.unscaled * 10n ** BigInt(-shift));
  return { unscaled, scale, format: q.format };
}

/** Quantity.AsApproximateFloat64: the unscaled value times a power of ten. */
export function quantityToNumber(q: Quantity): number {
  const base = Number(q.unscaled);
  if (q.scale === 0) return base;
  return q.scale > 0 ? base * (1 / 10 ** q.scale) : base * 10 ** -q.scale;
}

/** An integral quantity (resource.NewQuantity(value, format)). */
export function integerQuantity(value: bigint, format: QuantityFormat): Quantity {
  return { unscaled: value, scale: 0, format };
}

/** The integer value when the quantity has no fractional part (Quantity.AsScale(0) exact). */
export function integralValue(q: Quantity): bigint | undefined {
  if (q.scale <= 0) return q.unscaled * 10n ** BigInt(-q.scale);
  const div = 10n ** BigInt(q.scale);
  return q.unscaled % div === 0n ? q.unscaled / div : undefined;
}

/** Quantity.String(): canonical mantissa with the largest suffix that keeps it integral. */
export function formatQuantity(q: Quantity): string {
  if (q.unscaled === 0n) return '0';
  let format = q.format;
  let integral: bigint | undefined;
  if (format === 'BinarySI') {
    integral = integralValue(q);
    // Small or fractional binary quantities print in decimal so nothing is rounded.
    if (integral === undefined || (integral > -1024n && integral < 1024n)) format = 'DecimalSI';
  }
  if (format === 'BinarySI' && integral !== undefined) {
    let amount = integral;
    let exponent = 0;
    while (amount % 1024n === 0n && exponent < 6) {
      amount /= 1024n;
      exponent++;
    }
    return `${amount}${exponent === 0 ? '' : (['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][exponent - 1] as string)}`;
  }
  let amount = q.unscaled;
  let exponent = -q.scale;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    amount *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
  // apimachinery prints no suffix for decimal exponents it has no name for (below nano or above
  // exa); that is its behaviour, reproduced so results compare equal.
  const name = Object.entries(DECIMAL_SUFFIX).find(([, e]) => e === exponent)?.[0] ?? '';
  return `${amount}${name}`;
}
