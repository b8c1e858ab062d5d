/**
 * `DurationGreaterThan(OrEquals)`, `DurationLessThan(OrEquals)` (deprecated since the numeric operators understand
 * durations). Each side is a Go duration string (`1h30m`) or a number of seconds (a float is truncated to whole
 * seconds first, as Go's conversion does); anything else, or an unparsable string, is false.
 */

import { parseGoDuration } from '../../duration.ts';
import { secondsToNanos, type OperatorHandler } from './common.ts';

function toNanos(x: unknown): bigint | undefined {
  if (typeof x === 'number') return secondsToNanos(x);
  if (typeof x === 'string') return parseGoDuration(x);
  return undefined;
}

function durationOperator(rel: (a: bigint, b: bigint) => boolean): OperatorHandler {
  return (key, value) => {
    const k = toNanos(key);
    if (k === undefined) return false;
    const v = toNanos(value);
    return v !== undefined && rel(k, v);
  };
}

export const durationGreaterThan = durationOperator((a, b) => a > b);
export const durationGreaterThanOrEquals = durationOperator((a, b) => a >= b);
export const durationLessThan = durationOperator((a, b) => a < b);
export const durationLessThanOrEquals = durationOperator((a, b) => a <= b);
