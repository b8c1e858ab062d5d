/**
 * `Equals` / `NotEquals` (also spelled `Equal` / `NotEqual`). The key's type decides:
 * - bool: the value must be the same bool.
 * - number: an integral key equals an integral number or a string that parses as int64; a fractional key equals
 *   the same number or a string that parses as that float.
 * - string: first as durations (either side a duration string, the other a duration or seconds), then as
 *   quantities when the key is one and the value is a string (`1Gi` equals `1024Mi`; a non-quantity value is not
 *   equal), then the value as a wildcard pattern over the key, and a numeric value compares as the number above
 *   (so "5" equals 5, in both orders).
 * - map / array: deep equality with a value of the same kind.
 * NotEquals is the negation, except that a key of an unsupported type (null) is neither equal nor not equal.
 */

import { isGoInt, parseGoFloat, parseGoInt } from '../../pattern/gofmt.ts';
import { parseQuantity } from '../../pattern/quantity.ts';
import { wildcardMatch } from '../../pattern/wildcard.ts';
import { durationPairSeconds } from './common.ts';
import { isRecord } from '../../../core/json.ts';

export function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return value === key;
  if (typeof key === 'number') return numberEquals(key, value);
  if (typeof key === 'string') return stringEquals(key, value);
  if (Array.isArray(key)) return Array.isArray(value) && deepEqual(key, value);
  if (isRecord(key)) return isRecord(value) && deepEqual(key, value);
  return false;
}

export function notEquals(key: unknown, value: unknown): boolean {
  const supported = typeof key === 'boolean' || typeof key === 'number' || typeof key === 'string' || Array.isArray(key) || isRecord(key);
  return supported && !equals(key, value);
}

function numberEquals(key: number, value: unknown): boolean {
  if (typeof value === 'number') return value === key;
  if (typeof value === 'string') return (isGoInt(key) ? parseGoInt(value) : parseGoFloat(value)) === key;
  return false;
}

function stringEquals(key: string, value: unknown): boolean {
  const durations = durationPairSeconds(key, value);
  if (durations) return durations[0] === durations[1];
  if (typeof value === 'string') {
    const keyQuantity = parseQuantity(key);
    if (keyQuantity !== undefined) return parseQuantity(value) === keyQuantity;
    return wildcardMatch(value, key);
  }
  if (typeof value === 'number') return numberEquals(value, key);
  return false;
}

/** Structural equality of decoded JSON (Go's reflect.DeepEqual on maps and slices). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a)) {
    if (!isRecord(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
