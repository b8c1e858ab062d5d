/**
 * `AnyIn`, `AllIn`, `AnyNotIn`, `AllNotIn`: set membership of the key (a scalar or a list) in the value (a list, a
 * scalar, a JSON array in a string, or a range `min-max`). Numbers and bools on either side are compared as Go
 * prints them (`fmt.Sprint`). Elements match when one, as a wildcard, matches the other, in either direction.
 *
 * Scalar key: "in" when it matches an element of a list value; for a string value, when the value as a wildcard
 * matches the key, or the value is a range `a-b` containing it, or the value is a JSON array of strings holding it
 * exactly, or (not being JSON) equals it. The Not operators negate that. Other value types: all four are false.
 *
 * List key: AnyIn — some element is in; AllIn — every element is; AnyNotIn — some element is not; AllNotIn — none
 * is. A string value is split the same way (a range applies to each element; AnyNotIn turns `a-b` into `a!-b`),
 * numbers and bools count as a one-element list, and other value types make all four false.
 */

import { goSprint } from '../../pattern/gofmt.ts';
import { matchStringPattern, stringPatternOperator } from '../../pattern/value.ts';
import { wildcardMatch } from '../../pattern/wildcard.ts';
import { INVALID, isValidJson, parseJsonStringArray } from './common.ts';

type Mode = 'anyIn' | 'allIn' | 'anyNotIn' | 'allNotIn';

export const anyIn = (key: unknown, value: unknown): boolean => evaluate(key, value, 'anyIn');
export const allIn = (key: unknown, value: unknown): boolean => evaluate(key, value, 'allIn');
export const anyNotIn = (key: unknown, value: unknown): boolean => evaluate(key, value, 'anyNotIn');
export const allNotIn = (key: unknown, value: unknown): boolean => evaluate(key, value, 'allNotIn');

function evaluate(key: unknown, value: unknown, mode: Mode): boolean {
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') {
    const found = keyInValue(goSprint(key), value);
    if (found === INVALID) return false;
    return mode === 'anyIn' || mode === 'allIn' ? found : !found;
  }
  if (Array.isArray(key)) {
    const result = setInValue(key.map(goSprint), value, mode);
    return result === INVALID ? false : result;
  }
  return false;
}

function matches(a: string, b: string): boolean {
  return wildcardMatch(a, b) || wildcardMatch(b, a);
}

/** Kyverno's `handleRange`: the key checked against a range pattern such as `1-10` or `10Mi-1Gi`. */
function inRange(key: string, range: string): boolean {
  return matchStringPattern(key, range);
}

function keyInValue(key: string, value: unknown): boolean | typeof INVALID {
  if (Array.isArray(value)) return value.some((v) => matches(goSprint(v), key));
  if (typeof value !== 'string') return INVALID;
  if (wildcardMatch(value, key)) return true;
  if (stringPatternOperator(value) === 'range') return inRange(key, value);
  const values = stringValues(value);
  return values === INVALID ? INVALID : values.includes(key);
}

/** A string value as a list: a JSON array of strings, or (not being JSON at all) the string itself. */
function stringValues(value: string): string[] | typeof INVALID {
  return isValidJson(value) ? parseJsonStringArray(value) : [value];
}

function setInValue(keys: string[], value: unknown, mode: Mode): boolean | typeof INVALID {
  let values: string[];
  if (Array.isArray(value)) values = value.map(goSprint);
  else if (typeof value === 'number' || typeof value === 'boolean') values = [goSprint(value)];
  else if (typeof value === 'string') {
    if (keys.length === 1 && keys[0] === value) return mode === 'anyIn' || mode === 'allIn';
    if (stringPatternOperator(value) === 'range') return setInRange(keys, value, mode);
    const parsed = stringValues(value);
    if (parsed === INVALID) return INVALID;
    values = parsed;
  } else {
    return INVALID;
  }
  const found = (k: string): boolean => values.some((v) => matches(k, v));
  switch (mode) {
    case 'anyIn':
      return keys.some(found);
    case 'allIn':
      return keys.every(found);
    case 'anyNotIn':
      return keys.some((k) => !found(k));
    case 'allNotIn':
      return !keys.some(found);
  }
}

function setInRange(keys: string[], range: string, mode: Mode): boolean {
  switch (mode) {
    case 'anyIn':
      return keys.some((k) => inRange(k, range));
    case 'allIn':
      return keys.every((k) => inRange(k, range));
    case 'anyNotIn': {
      // Kyverno rewrites the first "-" to "!-" and asks whether any key is in that "not in range" pattern.
      const outside = range.replace('-', '!-');
      return keys.some((k) => inRange(k, outside));
    }
    case 'allNotIn':
      return !keys.some((k) => inRange(k, range));
  }
}
