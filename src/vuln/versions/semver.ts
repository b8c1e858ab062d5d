/**
 * Semantic Versioning 2.0.0 precedence (https://semver.org/#spec-item-11), used by npm,
 * crates.io and Hex; Go, NuGet and Pub reuse the parser with their own ordering rules.
 *
 * Grammar accepted (a superset of SemVer, as registries and advisories write versions):
 *
 *   [v|V] N(.N)* [ -PRE | [.]PRE-starting-with-a-letter ] [ +BUILD ]
 *
 * - a leading `v` is tolerated (`v1.2.3` = `1.2.3`);
 * - missing minor/patch count as 0 (`1.2` = `1.2.0`); components past the third are kept and
 *   compared numerically after it (`1.1.3.4` > `1.1.3`), which strict SemVer would reject;
 * - a pre-release that starts with a letter may follow the numbers without a hyphen
 *   (`1.0.0beta1` = `1.0.0-beta1`, as node-semver's loose mode reads it) or after a dot
 *   (`1.0.0.beta1` = `1.0.0-beta1`);
 * - PRE and BUILD are dot-separated identifiers of [0-9A-Za-z-], none empty.
 *
 * Precedence: release numbers by value (any size); a version with a pre-release sorts before
 * the same version without one; pre-release identifiers compare left to right, numeric ones
 * by value, alphanumeric ones in ASCII order, numeric before alphanumeric, and a longer list
 * wins when all shared identifiers are equal. Build metadata is ignored.
 */
import {
  ALL_DIGITS,
  InvalidVersionError,
  compareDigits,
  comparePaddedNumbers,
  compareStrings,
  defineScheme,
  type Ordering,
  type ParsedVersion,
  requirePrintable,
  trimZeros,
} from './scheme.ts';

export interface SemverLikeVersion extends ParsedVersion {
  /** Release numbers as digit strings without leading zeros (at least one). */
  readonly release: readonly string[];
  /** Pre-release identifiers; empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata identifiers; empty when absent. */
  readonly build: readonly string[];
}

const SEMVER_LIKE = /^[vV]?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+)|\.?([A-Za-z][0-9A-Za-z.-]*))?(?:\+([0-9A-Za-z.-]+))?$/;

function identifiers(scheme: string, version: string, part: string | undefined, what: string): string[] {
  if (part === undefined) return [];
  const ids = part.split('.');
  if (ids.some((id) => id === '')) throw new InvalidVersionError(scheme, version, `empty ${what} identifier`);
  return ids;
}

/** The lenient SemVer-shaped parse shared by semver, Go, NuGet and Pub. */
export function parseSemverLike(scheme: string, version: string): SemverLikeVersion {
  requirePrintable(scheme, version);
  const m = SEMVER_LIKE.exec(version);
  if (!m) throw new InvalidVersionError(scheme, version, 'expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]');
  const release = (m[1] ?? '').split('.').map(trimZeros);
  return {
    raw: version,
    release,
    prerelease: identifiers(scheme, version, m[2] ?? m[3], 'pre-release'),
    build: identifiers(scheme, version, m[4], 'build'),
  };
}

/**
 * SemVer identifier-list precedence (spec item 11.4). `fold` maps alphanumeric identifiers
 * before comparing them (NuGet compares them case-insensitively).
 */
export function compareIdentifiers(
  a: readonly string[],
  b: readonly string[],
  fold: (id: string) => string = (id) => id,
): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const xNum = ALL_DIGITS.test(x);
    const yNum = ALL_DIGITS.test(y);
    let d: Ordering;
    if (xNum && yNum) d = compareDigits(x, y);
    else if (xNum) d = -1;
    else if (yNum) d = 1;
    else d = compareStrings(fold(x), fold(y));
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** A release sorts after its pre-releases; two pre-releases compare by identifiers. */
export function comparePrerelease(
  a: readonly string[],
  b: readonly string[],
  fold?: (id: string) => string,
): Ordering {
  if (a.length === 0 || b.length === 0) {
    return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  }
  return compareIdentifiers(a, b, fold);
}

export function compareSemver(a: SemverLikeVersion, b: SemverLikeVersion): Ordering {
  return comparePaddedNumbers(a.release, b.release) || comparePrerelease(a.prerelease, b.prerelease);
}

export const semver = defineScheme({
  name: 'semver',
  parse: (version: string) => parseSemverLike('semver', version),
  compare: compareSemver,
});
