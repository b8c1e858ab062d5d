/**
 * Kubernetes' quantity library: `quantity(string)`, `isQuantity(string)`, `isInteger()`,
 * `asInteger()`, `asApproximateFloat()`, `sign()`, `add`/`sub` (quantity or int),
 * `isLessThan`, `isGreaterThan`, `compareTo`. Arithmetic is exact (the policy engine's decimal
 * quantities, after apimachinery's resource.Quantity).
 */
import type { Environment } from '@marcbachmann/cel-js';
import {
  addQuantities,
  formatQuantity,
  integerQuantity,
  integralValue,
  parseQuantity,
  quantityToNumber,
  subtractQuantities,
  type Quantity,
} from '../../variables/quantity.ts';
import { CelEvalError } from '../errors.ts';

export class CelQuantity {
  readonly q: Quantity;

  constructor(q: Quantity) {
    this.q = q;
  }

  compareTo(other: CelQuantity): number {
    const d = subtractQuantities(this.q, other.q).unscaled;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }

  toString(): string {
    return formatQuantity(this.q);
  }

  toJSON(): string {
    return this.toString();
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function parse(s: string): CelQuantity {
  const q = parseQuantity(s);
  if (!q) throw new CelEvalError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  return new CelQuantity(q);
}

function asInteger(q: CelQuantity): bigint {
  const v = integralValue(q.q);
  if (v === undefined || v > INT64_MAX || v < INT64_MIN) throw new CelEvalError('cannot convert value to integer');
  return v;
}

const int = (n: bigint) => new CelQuantity(integerQuantity(n, 'DecimalSI'));

export function registerQuantity(env: Environment): void {
  env
    .registerType('Quantity', CelQuantity)
    .registerFunction('quantity(string): Quantity', (s: string) => parse(s))
    .registerFunction('isQuantity(string): bool', (s: string) => parseQuantity(s) !== undefined)
    .registerFunction('Quantity.isInteger(): bool', (q: CelQuantity) => {
      const v = integralValue(q.q);
      return v !== undefined && v <= INT64_MAX && v >= INT64_MIN;
    })
    .registerFunction('Quantity.asInteger(): int', asInteger)
    .registerFunction('Quantity.asApproximateFloat(): double', (q: CelQuantity) => quantityToNumber(q.q))
    .registerFunction('Quantity.sign(): int', (q: CelQuantity) => BigInt(q.q.unscaled > 0n ? 1 : q.q.unscaled < 0n ? -1 : 0))
    .registerFunction('Quantity.add(Quantity): Quantity', (a: CelQuantity, b: CelQuantity) => new CelQuantity(addQuantities(a.q, b.q)))
    .registerFunction('Quantity.add(int): Quantity', (a: CelQuantity, b: bigint) => new CelQuantity(addQuantities(a.q, int(b).q)))
    .registerFunction('Quantity.sub(Quantity): Quantity', (a: CelQuantity, b: CelQuantity) => new CelQuantity(subtractQuantities(a.q, b.q)))
    .registerFunction('Quantity.sub(int): Quantity', (a: CelQuantity, b: bigint) => new CelQuantity(subtractQuantities(a.q, int(b).q)))
    .registerFunction('Quantity.isLessThan(Quantity): bool', (a: CelQuantity, b: CelQuantity) => a.compareTo(b) < 0)
    .registerFunction('Quantity.isGreaterThan(Quantity): bool', (a: CelQuantity, b: CelQuantity) => a.compareTo(b) > 0)
    .registerFunction('Quantity.compareTo(Quantity): int', (a: CelQuantity, b: CelQuantity) => BigInt(a.compareTo(b)))
    .registerFunction('string(Quantity): string', (q: CelQuantity) => q.toString())
    .registerOperator('Quantity == Quantity', (a: CelQuantity, b: CelQuantity) => a.compareTo(b) === 0);
}
