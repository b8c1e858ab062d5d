/**
 * The contract every version scheme implements, and the pieces they share: the error for
 * unparseable input, a parse cache, and arbitrary-precision comparison of digit runs.
 *
 * A scheme parses a version string once into its own model and orders two parsed versions.
 * Matching compares one installed version with many range events, so `compare(a, b)` on
 * strings goes through a small parse cache; callers that hold a version for long can also
 * `parse` it themselves and use `compareParsed`.
 */

/** The sign of a comparison: a < b → -1, a = b → 0, a > b → 1. */
export type Ordering = -1 | 0 | 1;

/** What every parsed version keeps: the string it came from. */
export interface ParsedVersion {
  readonly raw: string;
}

export interface VersionScheme<P extends ParsedVersion = ParsedVersion> {
  /** Scheme name, e.g. `semver`, `pep440`, `maven`. */
  readonly name: string;
  /** Throws InvalidVersionError when the string cannot be ordered under this scheme. */
  parse(version: string): P;
  compareParsed(a: P, b: P): Ordering;
  /** Parses both (cached) and compares them; throws InvalidVersionError like `parse`. */
  compare(a: string, b: string): Ordering;
  /** `parse` without the exception. */
  isValid(version: string): boolean;
}

/** A version string the scheme cannot order. `code` lets callers branch without reading the text. */
export class InvalidVersionError extends Error {
  readonly code = 'INVALID_VERSION';
  readonly scheme: string;
  readonly version: string;

  constructor(scheme: string, version: string, reason: string) {
    super(`invalid ${scheme} version ${JSON.stringify(version)}: ${reason}`);
    this.name = 'InvalidVersionError';
    this.scheme = scheme;
    this.version = version;
  }
}

/**
 * Enough for every version of a large lockfile plus the events of its advisories; when full the
 * cache is simply emptied (parsing is cheap, the cache only spares repeated work in hot loops).
 */
const CACHE_LIMIT = 8192;

interface SchemeSpec<P extends ParsedVersion> {
  name: string;
  parse(version: string): P;
  compare(a: P, b: P): Ordering;
}

/** Builds a VersionScheme from a parser and a comparator, adding the cache and `isValid`. */
export function defineScheme<P extends ParsedVersion>(spec: SchemeSpec<P>): VersionScheme<P> {
  const cache = new Map<string, P>();
  const parse = (version: string): P => {
    const hit = cache.get(version);
    if (hit !== undefined) return hit;
    const parsed = spec.parse(version);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(version, parsed);
    return parsed;
  };
  return {
    name: spec.name,
    parse,
    compareParsed: spec.compare,
    compare: (a, b) => spec.compare(parse(a), parse(b)),
    isValid: (version) => {
      try {
        parse(version);
        return true;
      } catch (err) {
        if (err instanceof InvalidVersionError) return false;
        throw err;
      }
    },
  };
}

export function negate(o: Ordering): Ordering {
  return o === 0 ? 0 : o === 1 ? -1 : 1;
}

export function sign(n: number): Ordering {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/** Plain code-unit order of two strings (what C's strcmp, Go's strings.Compare and Java do for ASCII). */
export function compareStrings(a: string, b: string): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Strips leading zeros from a run of ASCII digits, keeping one digit ("000" → "0"). */
export function trimZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

/**
 * Compares two runs of ASCII digits by value, at any length (versions carry 30-digit numbers
 * and 14-digit timestamps, beyond what a double holds exactly). An empty run counts as 0.
 */
export function compareDigits(a: string, b: string): Ordering {
  const x = a === '' ? '0' : trimZeros(a);
  const y = b === '' ? '0' : trimZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareStrings(x, y);
}

/** Integer lists where missing numbers count as 0 (`1.0` = `1.0.0`). */
export function comparePaddedNumbers(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (d !== 0) return d;
  }
  return 0;
}

/** A version that is a list of integers (Hackage, CRAN). */
export interface NumericListVersion extends ParsedVersion {
  readonly parts: readonly string[];
}

/** Lexicographic order of integer lists; a proper prefix sorts first (`1.0` < `1.0.0`). */
export function compareNumericLists(a: readonly string[], b: readonly string[]): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

export const ALL_DIGITS = /^[0-9]+$/;

/** Rejects what no scheme can order: the empty string and strings with whitespace or control characters. */
export function requirePrintable(scheme: string, version: string): void {
  if (version === '') throw new InvalidVersionError(scheme, version, 'empty version');
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(version)) {
    throw new InvalidVersionError(scheme, version, 'contains whitespace or control characters');
  }
}
