/**
 * Leaf matching of one resource value against one pattern value, as Kyverno's `pkg/engine/pattern` does it
 * (`pattern.Validate`). The tree walk in validate.ts calls this for every scalar in a pattern.
 *
 * By pattern type:
 * - bool: the value must be the same bool.
 * - number: an integer pattern (Go int64) matches an integral number or a string that parses as int64; a fractional
 *   pattern (float64) matches the same number or a string that parses as that float.
 * - null: matches a missing value, null, 0, "", false (never a map or an array).
 * - string: the value equal to the whole pattern passes at once; otherwise the pattern is split on `|` (any
 *   alternative) and each alternative on `&` (all parts), each part trimmed of spaces. A part is an operator and an
 *   operand: `>=`, `<=`, `>`, `<`, `!` (not equal), a range `a-b` or `a!-b` (numbers with an optional unit), or plain
 *   equality. A comparison tries, in order: both sides as Go durations, both sides as Kubernetes quantities (a missing
 *   value counts as "0", a float value is printed with 6 decimals), and only for equality and `!` the pattern as a
 *   wildcard against the value printed as text (a float prints as `1.5E+00`, a missing value never matches).
 */

import { parseGoDuration } from '../duration.ts';
import { formatGoFloat, isGoInt, parseGoFloat, parseGoInt } from './gofmt.ts';
import { parseQuantity } from './quantity.ts';
import { wildcardMatch } from './wildcard.ts';
import { isRecord } from '../../core/json.ts';

/** The comparison of one pattern part: '' is equality, '!' inequality. */
export type CompareOp = '' | '!' | '>' | '<' | '>=' | '<=';

/** Operators Kyverno recognises at the start of a string pattern part, ranges included. */
export type StringPatternOp = CompareOp | 'range' | 'notRange';

const IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;
const NOT_IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)!-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;

/** `operator.GetOperatorFromStringPattern`: the operator a pattern part starts with (or is, for ranges). */
export function stringPatternOperator(pattern: string): StringPatternOp {
  if (pattern.length < 2) return '';
  if (pattern.startsWith('>=')) return '>=';
  if (pattern.startsWith('<=')) return '<=';
  if (pattern[0] === '>') return '>';
  if (pattern[0] === '<') return '<';
  if (pattern[0] === '!') return '!';
  if (NOT_IN_RANGE.test(pattern)) return 'notRange';
  if (IN_RANGE.test(pattern)) return 'range';
  return '';
}

/** One comparison with its operand parsed once (undefined: not a duration / not a quantity). */
interface Comparison {
  kind: 'cmp';
  op: CompareOp;
  operand: string;
  duration: bigint | undefined;
  quantity: bigint | undefined;
}

/** `a-b` is `>= a` and `<= b`; `a!-b` is `< a` or `> b`. */
interface RangeCheck {
  kind: 'range';
  inside: boolean;
  low: Comparison;
  high: Comparison;
}

type Part = Comparison | RangeCheck;

/** A string pattern compiled once: alternatives (`|`) of conjunctions (`&`). */
interface CompiledPattern {
  alternatives: Part[][];
}

const compiled = new Map<string, CompiledPattern>();
const COMPILED_LIMIT = 4096;

function compile(pattern: string): CompiledPattern {
  let c = compiled.get(pattern);
  if (c) return c;
  c = {
    alternatives: pattern.split('|').map((alt) => trimSpaces(alt).split('&').map((part) => compilePart(trimSpaces(part)))),
  };
  if (compiled.size >= COMPILED_LIMIT) compiled.clear();
  compiled.set(pattern, c);
  return c;
}

/** Go's strings.Trim(s, " "): spaces only, not tabs or newlines. */
function trimSpaces(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s[start] === ' ') start++;
  while (end > start && s[end - 1] === ' ') end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function compilePart(part: string): Part {
  const op = stringPatternOperator(part);
  if (op === 'range' || op === 'notRange') {
    const m = (op === 'range' ? IN_RANGE : NOT_IN_RANGE).exec(part)!;
    const inside = op === 'range';
    return {
      kind: 'range',
      inside,
      low: comparison(inside ? '>=' : '<', m[1]!),
      high: comparison(inside ? '<=' : '>', m[2]!),
    };
  }
  return comparison(op, part.slice(op.length).trim());
}

function comparison(op: CompareOp, operand: string): Comparison {
  return { kind: 'cmp', op, operand, duration: parseGoDuration(operand), quantity: parseQuantity(operand) };
}

/**
 * `pattern.Validate(value, pattern)`: does one resource value satisfy one pattern value? Maps and arrays as
 * patterns are handled by the tree walk; here a map pattern only checks that the value is a map, and an array
 * pattern never matches.
 */
export function matchValue(value: unknown, pattern: unknown): boolean {
  if (value === undefined) value = null;
  if (typeof pattern === 'string') return matchStringPattern(value, pattern);
  if (pattern === null || pattern === undefined) return matchNilPattern(value);
  if (typeof pattern === 'boolean') return value === pattern;
  if (typeof pattern === 'number') return isGoInt(pattern) ? matchIntPattern(value, pattern) : matchFloatPattern(value, pattern);
  if (Array.isArray(pattern)) return false;
  if (isRecord(pattern)) return isRecord(value);
  return false;
}

function matchNilPattern(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value === 'number') return value === 0;
  if (typeof value === 'string') return value === '';
  if (typeof value === 'boolean') return !value;
  return false;
}

function matchIntPattern(value: unknown, pattern: number): boolean {
  if (typeof value === 'number') return value === pattern;
  if (typeof value === 'string') return parseGoInt(value) === pattern;
  return false;
}

function matchFloatPattern(value: unknown, pattern: number): boolean {
  if (typeof value === 'number') return value === pattern;
  if (typeof value === 'string') return parseGoFloat(value) === pattern;
  return false;
}

/** `validateStringPatterns`: whole-pattern equality, then `|` alternatives of `&` parts. */
export function matchStringPattern(value: unknown, pattern: string): boolean {
  if (value === pattern) return true;
  const { alternatives } = compile(pattern);
  return alternatives.some((parts) => parts.every((part) => matchPart(value, part)));
}

function matchPart(value: unknown, part: Part): boolean {
  if (part.kind === 'range') {
    return part.inside
      ? compare(value, part.low) && compare(value, part.high)
      : compare(value, part.low) || compare(value, part.high);
  }
  return compare(value, part);
}

/** `validateString`: durations first, then quantities, then (equality only) wildcard text. */
function compare(value: unknown, c: Comparison): boolean {
  if (c.duration !== undefined || c.quantity !== undefined) {
    const text = numberToString(value);
    if (text !== undefined) {
      if (c.duration !== undefined) {
        const d = parseGoDuration(text);
        if (d !== undefined) return applyOp(d, c.duration, c.op);
      }
      if (c.quantity !== undefined) {
        const q = parseQuantity(text);
        if (q !== undefined) return applyOp(q, c.quantity, c.op);
      }
    }
  }
  return compareText(value, c.operand, c.op);
}

function applyOp(a: bigint, b: bigint, op: CompareOp): boolean {
  switch (op) {
    case '':
      return a === b;
    case '!':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
  }
}

/** `convertNumberToString`: what duration and quantity parsing see of a value (nil counts as "0"). */
function numberToString(value: unknown): string | undefined {
  if (value === null || value === undefined) return '0';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return isGoInt(value) ? String(value) : formatGoFloat(value, 'f', 6);
  return undefined;
}

/** `compareString`: wildcard match for equality and `!`; ordering operators never apply to text. */
function compareText(value: unknown, operand: string, op: CompareOp): boolean {
  if (op !== '' && op !== '!') return false;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (typeof value === 'number') text = isGoInt(value) ? String(value) : formatGoFloat(value, 'E');
  else return false;
  const matched = wildcardMatch(operand, text);
  return op === '!' ? !matched : matched;
}
