/**
 * `GreaterThan`, `GreaterThanOrEquals`, `LessThan`, `LessThanOrEquals`. Only single values, never lists.
 *
 * A number key compares with a number value, or with a string value read as a duration (the key then counts as
 * seconds), a float, or an int. A string key is tried, in order, as: a duration pair (either side a duration
 * string), two quantities (both strings: `1Gi` > `1000Mi`), a float or an int (then as a number key), and finally
 * a strict semantic version compared with a semver value (`1.10.0` > `1.9.2`). Anything else is false.
 */

import { parseGoFloat, parseGoInt } from '../../pattern/gofmt.ts';
import { parseQuantity } from '../../pattern/quantity.ts';
import { compareSemver, parseSemver } from '../semver.ts';
import { durationPairSeconds, type OperatorHandler } from './common.ts';

type Relation = (a: number, b: number) => boolean;

function numericOperator(rel: Relation): OperatorHandler {
  const numberKey = (key: number, value: unknown): boolean => {
    if (typeof value === 'number') return rel(key, value);
    if (typeof value !== 'string') return false;
    const durations = durationPairSeconds(key, value);
    if (durations) return rel(durations[0], durations[1]);
    const f = parseGoFloat(value);
    if (f !== undefined) return rel(key, f);
    const i = parseGoInt(value);
    return i !== undefined && rel(key, i);
  };
  return (key, value) => {
    if (typeof key === 'number') return numberKey(key, value);
    if (typeof key !== 'string') return false;
    const durations = durationPairSeconds(key, value);
    if (durations) return rel(durations[0], durations[1]);
    if (typeof value === 'string') {
      const kq = parseQuantity(key);
      const vq = kq === undefined ? undefined : parseQuantity(value);
      if (kq !== undefined && vq !== undefined) return rel(kq < vq ? -1 : kq > vq ? 1 : 0, 0);
    }
    const f = parseGoFloat(key);
    if (f !== undefined) return numberKey(f, value);
    const i = parseGoInt(key);
    if (i !== undefined) return numberKey(i, value);
    const version = parseSemver(key);
    if (version === undefined || typeof value !== 'string') return false;
    const other = parseSemver(value);
    return other !== undefined && rel(compareSemver(version, other), 0);
  };
}

export const greaterThan = numericOperator((a, b) => a > b);
export const greaterThanOrEquals = numericOperator((a, b) => a >= b);
export const lessThan = numericOperator((a, b) => a < b);
export const lessThanOrEquals = numericOperator((a, b) => a <= b);
