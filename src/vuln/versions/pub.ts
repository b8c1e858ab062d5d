/**
 * Pub (Dart) versions, ordered as package:pub_semver's Version.compareTo does. It follows
 * SemVer for the release and pre-release, but unlike SemVer it does not ignore build metadata:
 *
 * - a version without a build sorts before the same version with one (`1.0.0` < `1.0.0+1`);
 * - two builds compare like pre-releases: dot-separated parts, numeric parts by value,
 *   numbers before strings, strings in code-unit order (`+a9` < `+b2`, `+9` < `+a`), a
 *   missing part before a present one.
 *
 * Pre-release parts follow the same part rules (`1.2.3-r100` < `1.2.3-r2`, `-R2` < `-r100`).
 * Parsing is the lenient SemVer-shaped grammar of semver.ts (a leading `v` is tolerated).
 */
import { comparePaddedNumbers, defineScheme, type Ordering } from './scheme.ts';
import { compareIdentifiers, comparePrerelease, parseSemverLike, type SemverLikeVersion } from './semver.ts';

function compareBuild(a: readonly string[], b: readonly string[]): Ordering {
  if (a.length === 0 || b.length === 0) {
    return a.length === b.length ? 0 : a.length === 0 ? -1 : 1;
  }
  return compareIdentifiers(a, b);
}

function comparePub(a: SemverLikeVersion, b: SemverLikeVersion): Ordering {
  return (
    comparePaddedNumbers(a.release, b.release) ||
    comparePrerelease(a.prerelease, b.prerelease) ||
    compareBuild(a.build, b.build)
  );
}

export const pub = defineScheme({
  name: 'pub',
  parse: (version: string) => parseSemverLike('pub', version),
  compare: comparePub,
});
