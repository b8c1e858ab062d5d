/**
 * Packagist (Composer) versions, ordered as PHP's version_compare() orders them (Composer's
 * Comparator runs it), after dropping one leading `v`/`V` as Composer does (`v1.0` = `1.0`).
 *
 * Canonical form: `-`, `_`, `+` and other characters that are neither letters nor digits
 * become `.` (never two in a row), and a `.` goes between digits and non-digits
 * (`1.0rc1` → `1.0.rc.1`, `1.0-dev` → `1.0.dev`). Parts then compare left to right:
 * - two numbers by value (any size, where PHP would saturate at PHP_INT_MAX);
 * - otherwise by stability, from the start of the part (case-sensitive, as PHP):
 *   anything else < `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` < a number < `pl` = `p`;
 * - when one side has parts left: a number there makes it greater (`1.0.0` > `1.0`);
 *   otherwise the rest compares against a number (`1.0-dev` < `1.0` < `1.0pl1`).
 *
 * `#` is kept as a part of its own, equal to any number: PHP uses `#` for "a number" in its
 * stability table, and OSV's tooling (whose vectors say `1.2.3.#` = `1.2.3`) reads it so.
 *
 * Rejected: empty, whitespace, and a version that starts with `.` (PHP would recurse forever).
 */
import {
  InvalidVersionError,
  compareDigits,
  defineScheme,
  isAsciiLetter,
  isDigit,
  type Ordering,
  type ParsedVersion,
  requirePrintable,
  sign,
} from './scheme.ts';

export interface PackagistVersion extends ParsedVersion {
  /** version_compare's canonical form, e.g. `1.0.rc.1`. */
  readonly canonical: string;
}

const HASH = 35;
const DOT = 46;

/** PHP's php_canonicalize_version, except that `#` is kept like a letter (see above). */
function canonicalize(version: string): string {
  let out = version.charAt(0);
  for (let i = 1; i < version.length; i++) {
    const ch = version.charAt(i);
    const c = version.charCodeAt(i);
    const previous = version.charCodeAt(i - 1);
    const separator = out.charCodeAt(out.length - 1) === DOT ? '' : '.';
    if (ch === '-' || ch === '_' || ch === '+') out += separator;
    else if (previous !== DOT && c !== DOT && isDigit(previous) !== isDigit(c)) out += separator + ch;
    else if (isDigit(c) || isAsciiLetter(c) || c === HASH) out += ch;
    else out += separator;
  }
  return out;
}

const STABILITY: readonly (readonly [string, number])[] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

/** PHP's compare_special_version_forms weight: the first form the part starts with, else -1. */
function stability(part: string): number {
  for (const [form, order] of STABILITY) if (part.startsWith(form)) return order;
  return -1;
}

/** Stands for "a number" when a number meets a word, and for the tail of a longer version. */
const NUMBER = '#N#';

function comparePart(x: string, y: string): Ordering {
  const xNum = isDigit(x.charCodeAt(0));
  const yNum = isDigit(y.charCodeAt(0));
  if (xNum && yNum) return compareDigits(x, y);
  return sign(stability(xNum ? NUMBER : x) - stability(yNum ? NUMBER : y));
}

/** PHP's php_version_compare on two canonical versions. */
function versionCompare(a: string, b: string): Ordering {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? -1 : 1;
  const x = a.split('.');
  const y = b.split('.');
  let i = 0;
  for (; i < x.length && i < y.length; i++) {
    const xp = x[i] ?? '';
    const yp = y[i] ?? '';
    // An empty part (a trailing `.`) stops the walk; what is left of `a` is then weighed.
    if (xp === '' || yp === '') return weighTail(x.slice(i).join('.'), 1);
    const d = comparePart(xp, yp);
    if (d !== 0) return d;
  }
  if (i < x.length) return weighTail(x.slice(i).join('.'), 1);
  if (i < y.length) return weighTail(y.slice(i).join('.'), -1);
  return 0;
}

/** The parts one side has left: greater when they start with a number, else compared with one. */
function weighTail(tail: string, side: 1 | -1): Ordering {
  if (isDigit(tail.charCodeAt(0))) return side;
  return side === 1 ? versionCompare(tail, NUMBER) : versionCompare(NUMBER, tail);
}

function parsePackagist(version: string): PackagistVersion {
  requirePrintable('packagist', version);
  const stripped = /^[vV]/.test(version) ? version.slice(1) : version;
  if (stripped === '' || stripped.startsWith('.')) {
    throw new InvalidVersionError('packagist', version, 'expected a version after the optional "v"');
  }
  return { raw: version, canonical: canonicalize(stripped) };
}

export const packagist = defineScheme({
  name: 'packagist',
  parse: parsePackagist,
  compare: (a: PackagistVersion, b: PackagistVersion) => versionCompare(a.canonical, b.canonical),
});
