/**
 * Coercions shared by the condition operators (Kyverno `pkg/engine/variables/operator`). Keys and values arrive
 * already substituted, as decoded JSON.
 */

import { durationSeconds, parseGoDuration } from '../../duration.ts';
import { isGoInt } from '../../pattern/gofmt.ts';

/** A condition operator: key and value after variable substitution → does the condition hold? */
export type OperatorHandler = (key: unknown, value: unknown) => boolean;

const NANOS_PER_SECOND = 1_000_000_000n;

/** `time.Duration(n) * time.Second`: a number of seconds, a float truncated toward zero first (as Go converts). */
export function secondsToNanos(n: number): bigint {
  if (!Number.isFinite(n)) return 0n;
  return BigInt(isGoInt(n) ? n : Math.trunc(n)) * NANOS_PER_SECOND;
}

/**
 * Kyverno's `parseDuration(key, value)` for Equals/NotEquals and the numeric operators: at least one side must be a
 * duration string (the string "0" does not count); the other side may be a duration string or a number of seconds.
 * Returns both sides in seconds (`Duration.Seconds()`), or undefined when this is not a duration comparison.
 */
export function durationPairSeconds(key: unknown, value: unknown): [number, number] | undefined {
  const k = durationString(key);
  const v = durationString(value);
  if (k === undefined && v === undefined) return undefined;
  const kn = k ?? (typeof key === 'number' ? secondsToNanos(key) : undefined);
  const vn = v ?? (typeof value === 'number' ? secondsToNanos(value) : undefined);
  if (kn === undefined || vn === undefined) return undefined;
  return [durationSeconds(kn), durationSeconds(vn)];
}

function durationString(x: unknown): bigint | undefined {
  return typeof x === 'string' && x !== '0' ? parseGoDuration(x) : undefined;
}

/** Marker for a value of a type the set operators reject (Kyverno logs "expected type []string" and says false). */
export const INVALID = Symbol('invalid value type');

/**
 * `json.Unmarshal` of a string into []string, which the In operators use for values such as a ConfigMap entry
 * holding `["a", "b"]`. JSON null gives an empty list and null elements become "", as in Go; anything else that is
 * not an array of strings is INVALID.
 */
export function parseJsonStringArray(s: string): string[] | typeof INVALID {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return INVALID;
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) return INVALID;
  const out: string[] = [];
  for (const el of parsed) {
    if (el === null) out.push('');
    else if (typeof el === 'string') out.push(el);
    else return INVALID;
  }
  return out;
}

/** `json.Valid`: does the string hold one JSON value? */
export function isValidJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
