/**
 * NuGet versions (https://learn.microsoft.com/nuget/concepts/package-versioning): SemVer 2.0
 * with a fourth "revision" number, as NuGet.Versioning's VersionComparer orders them:
 *
 * - Major.Minor.Patch.Revision by value, missing parts 0 (`1.0` = `1.0.0.0`), leading zeros
 *   ignored (`1.0.01` = `1.0.1`);
 * - a pre-release sorts before the release; labels compare numerically when both are numeric,
 *   numeric before alphanumeric, alphanumeric ones case-insensitively (`1.0.0-BETA` =
 *   `1.0.0-beta`), more labels win;
 * - build metadata (`+...`) is ignored.
 *
 * Parsing is the lenient SemVer-shaped grammar of semver.ts (one or more release numbers).
 */
import { comparePaddedNumbers, defineScheme, type Ordering } from './scheme.ts';
import { comparePrerelease, parseSemverLike, type SemverLikeVersion } from './semver.ts';

const fold = (id: string): string => id.toLowerCase();

function compareNuGet(a: SemverLikeVersion, b: SemverLikeVersion): Ordering {
  return comparePaddedNumbers(a.release, b.release) || comparePrerelease(a.prerelease, b.prerelease, fold);
}

export const nuget = defineScheme({
  name: 'nuget',
  parse: (version: string) => parseSemverLike('nuget', version),
  compare: compareNuGet,
});
