/**
 * The deprecated `In` / `NotIn` operators (replaced by AnyIn/AllIn and AnyNotIn/AllNotIn), kept with their own
 * rules:
 * - a scalar key (numbers and bools printed as Go prints them) is in a list value when it wildcard-matches an
 *   element in either direction, or in a string value when the value, as a wildcard, matches it or the value is a
 *   JSON array of strings containing it exactly;
 * - a list key is in the value when every element is (NotIn: when one is not), compared exactly, without
 *   wildcards; a list value must hold only strings, and a string value equal to a single-element key counts as
 *   "in" for both operators (Kyverno's shortcut).
 * A value of any other type, or a string that is not a JSON string array, makes both operators false.
 */

import { goSprint } from '../../pattern/gofmt.ts';
import { wildcardMatch } from '../../pattern/wildcard.ts';
import { INVALID, parseJsonStringArray } from './common.ts';

export function inOperator(key: unknown, value: unknown): boolean {
  return evaluate(key, value, false);
}

export function notIn(key: unknown, value: unknown): boolean {
  return evaluate(key, value, true);
}

function evaluate(key: unknown, value: unknown, negate: boolean): boolean {
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') {
    const found = keyInValue(goSprint(key), value);
    if (found === INVALID) return false;
    return negate ? !found : found;
  }
  if (Array.isArray(key)) {
    const result = setInValue(key.map(goSprint), value, negate);
    return result === INVALID ? false : result;
  }
  return false;
}

function keyInValue(key: string, value: unknown): boolean | typeof INVALID {
  if (Array.isArray(value)) {
    return value.some((v) => {
      const s = goSprint(v);
      return wildcardMatch(s, key) || wildcardMatch(key, s);
    });
  }
  if (typeof value === 'string') {
    if (wildcardMatch(value, key)) return true;
    const arr = parseJsonStringArray(value);
    return arr === INVALID ? INVALID : arr.includes(key);
  }
  return INVALID;
}

/** In: every key element is in the value; NotIn: some key element is not. */
function setInValue(keys: string[], value: unknown, negate: boolean): boolean | typeof INVALID {
  let values: string[];
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'string')) return INVALID;
    values = value as string[];
  } else if (typeof value === 'string') {
    if (keys.length === 1 && keys[0] === value) return true;
    const arr = parseJsonStringArray(value);
    if (arr === INVALID) return INVALID;
    values = arr;
  } else {
    return INVALID;
  }
  const set = new Set(values);
  return negate ? keys.some((k) => !set.has(k)) : keys.every((k) => set.has(k));
}
