/**
 * RPM versions (Red Hat and the other RPM distributions) as rpm orders them:
 *
 *   [epoch:]version[-release]
 *
 * - the epoch is the all-digit text before the first `:` (0 when absent), compared by value;
 *   text before a `:` that is not all digits is part of the version (`a:1` has no epoch);
 * - the release is what follows the first `-`; a version without a release sorts before the
 *   same version with one, even an empty one (`1` < `1-`);
 * - version and release compare with rpmvercmp: separators (anything but ASCII letters,
 *   digits, `~` and `^`) only split segments; `~` sorts before everything, even the end
 *   (`1.0~rc1` < `1.0`); `^` sorts after the end but before anything else
 *   (`1.0` < `1.0^git1` < `1.0.1`); digit segments compare by value and beat letter segments;
 *   letter segments compare in ASCII order; when one side runs out, the side with something
 *   left wins.
 *
 * Rejected: an empty version (`""`, `1:`, `-1`) and embedded whitespace.
 */
import {
  InvalidVersionError,
  compareDigits,
  compareStrings,
  defineScheme,
  isAsciiLetter,
  isDigit,
  type Ordering,
  type ParsedVersion,
  requirePrintable,
} from './scheme.ts';

export interface RpmVersion extends ParsedVersion {
  readonly epoch: string;
  readonly version: string;
  readonly release: string | undefined;
}

const TILDE = 126;
const CARET = 94;

function parseRpm(input: string): RpmVersion {
  requirePrintable('rpm', input);
  let rest = input;
  let epoch = '0';
  const colon = rest.indexOf(':');
  if (colon !== -1 && /^\d*$/.test(rest.slice(0, colon))) {
    // rpm reads an empty epoch (`:1`) as 0.
    epoch = rest.slice(0, colon) || '0';
    rest = rest.slice(colon + 1);
  }
  let release: string | undefined;
  const hyphen = rest.indexOf('-');
  if (hyphen !== -1) {
    release = rest.slice(hyphen + 1);
    rest = rest.slice(0, hyphen);
  }
  if (rest === '') throw new InvalidVersionError('rpm', input, 'empty version');
  return { raw: input, epoch, version: rest, release };
}

const isAlnum = (code: number): boolean => isDigit(code) || isAsciiLetter(code);

/** rpmvercmp(3). */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && !isAlnum(a.charCodeAt(i)) && a.charCodeAt(i) !== TILDE && a.charCodeAt(i) !== CARET) i++;
    while (j < b.length && !isAlnum(b.charCodeAt(j)) && b.charCodeAt(j) !== TILDE && b.charCodeAt(j) !== CARET) j++;
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (x === TILDE || y === TILDE) {
      if (x !== TILDE) return 1;
      if (y !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (x === CARET || y === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (x !== CARET) return 1;
      if (y !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(x);
    const inSegment = numeric ? isDigit : isAsciiLetter;
    const si = i;
    const sj = j;
    while (i < a.length && inSegment(a.charCodeAt(i))) i++;
    while (j < b.length && inSegment(b.charCodeAt(j))) j++;
    // Segments of different kinds: a number is newer than letters.
    if (sj === j) return numeric ? 1 : -1;
    const d = numeric ? compareDigits(a.slice(si, i), b.slice(sj, j)) : compareStrings(a.slice(si, i), b.slice(sj, j));
    if (d !== 0) return d;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function compareRpm(a: RpmVersion, b: RpmVersion): Ordering {
  const d = compareDigits(a.epoch, b.epoch) || rpmvercmp(a.version, b.version);
  if (d !== 0) return d;
  if (a.release === undefined || b.release === undefined) {
    return a.release === b.release ? 0 : a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

export const rpm = defineScheme({ name: 'rpm', parse: parseRpm, compare: compareRpm });
