/**
 * RubyGems versions, ordered as Gem::Version#<=> does:
 *
 * - a `-` means a pre-release: it reads as `.pre.` (`1.0-1` = `1.0.pre.1`);
 * - the version splits into segments, each a run of digits (a number) or of letters (a string);
 *   `1.0.a10` = `1.0.a.10`, `1.0a2` = `1.0.a.2`;
 * - a version with any string segment is a pre-release; trailing zero numbers are dropped from
 *   the release numbers and from the pre-release part (`1.0` = `1`, `1.0.b1` = `1.b.1`);
 * - segments compare left to right, missing ones counting as 0: numbers by value, strings
 *   byte-wise (case-sensitive), and a string before a number, so `1.0.a` < `1.0` < `1.0.1`.
 *
 * Accepted: a digit first, then digits, letters, `.` and `-` (surrounding whitespace is
 * trimmed). Gem::Version would reject a letter directly after the numbers (`1beta`); it is
 * accepted here and reads as `1.beta`.
 */
import {
  InvalidVersionError,
  compareDigits,
  compareStrings,
  defineScheme,
  isDigit,
  type Ordering,
  type ParsedVersion,
  trimZeros,
} from './scheme.ts';

export interface GemVersion extends ParsedVersion {
  /** Canonical segments: digit strings (numbers, no leading zeros) and letter strings. */
  readonly segments: readonly string[];
}

const isNumber = (segment: string): boolean => isDigit(segment.charCodeAt(0));

function dropTrailingZeros(segments: string[]): string[] {
  let end = segments.length;
  while (end > 0 && segments[end - 1] === '0') end--;
  return segments.slice(0, end);
}

function parseGem(input: string): GemVersion {
  const version = input.trim();
  if (!/^[0-9][0-9A-Za-z.-]*$/.test(version)) {
    throw new InvalidVersionError('rubygems', input, 'expected digits, letters, "." and "-", starting with a digit');
  }
  const segments = (version.replaceAll('-', '.pre.').match(/[0-9]+|[A-Za-z]+/g) ?? []).map((s) =>
    isNumber(s) ? trimZeros(s) : s,
  );
  const firstString = segments.findIndex((s) => !isNumber(s));
  const split = firstString === -1 ? segments.length : firstString;
  return {
    raw: input,
    segments: [...dropTrailingZeros(segments.slice(0, split)), ...dropTrailingZeros(segments.slice(split))],
  };
}

function compareGem(a: GemVersion, b: GemVersion): Ordering {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i] ?? '0';
    const y = b.segments[i] ?? '0';
    const xNum = isNumber(x);
    const yNum = isNumber(y);
    const d = xNum && yNum ? compareDigits(x, y) : xNum ? 1 : yNum ? -1 : compareStrings(x, y);
    if (d !== 0) return d;
  }
  return 0;
}

export const rubygems = defineScheme({ name: 'rubygems', parse: parseGem, compare: compareGem });
