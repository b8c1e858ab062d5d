/**
 * CEL equality and ordering for library functions that compare elements themselves (list indexOf,
 * sets, distinct, sort): numbers compare across int/uint/double as CEL's heterogeneous equality
 * says, lists and maps structurally.
 */
import { CelEvalError } from '../errors.ts';
import { celTypeName, entriesOf } from '../values.ts';

function numeric(v: unknown): number | bigint | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && v.constructor?.name === 'UnsignedInt') return BigInt(String(v));
  return undefined;
}

export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) {
    if (na === undefined || nb === undefined) return false;
    // Loose equality compares a BigInt and a number by value, which is the point here.
    return na == nb;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => celEquals(x, b[i]));
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  const ea = entriesOf(a);
  const eb = entriesOf(b);
  if (ea.length !== eb.length) return false;
  const mb = new Map(eb.map(([k, v]) => [String(k), v]));
  return ea.every(([k, v]) => mb.has(String(k)) && celEquals(v, mb.get(String(k))));
}

/** Ordering of comparable scalars (numbers across types, strings, bools, bytes, timestamps). */
export function celCompare(a: unknown, b: unknown): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  const comparable = a as { compareTo?: (o: unknown) => number };
  if (typeof comparable?.compareTo === 'function' && b !== null && typeof b === 'object' && a?.constructor === b.constructor) return comparable.compareTo(b);
  throw new CelEvalError(`no such overload: ${celTypeName(a)} < ${celTypeName(b)}`);
}
