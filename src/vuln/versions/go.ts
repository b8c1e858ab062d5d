/**
 * Go module versions (https://go.dev/ref/mod#versions): SemVer with a `v` prefix, ordered
 * exactly as semver.ts orders them. Two Go conventions fall out of SemVer precedence:
 *
 * - `+incompatible` (a v2+ module without a go.mod) is build metadata, so it is ignored:
 *   `v2.0.0+incompatible` = `v2.0.0`;
 * - pseudo-versions are pre-releases whose identifiers sort by commit time:
 *   `v0.0.0-20191109021931-daa7c04131f5` < `v0.0.0-20200101000000-aaaaaaaaaaaa` < `v0.0.0`,
 *   and `v1.2.4-0.20191109021931-daa7c04131f5` (built after v1.2.3) sorts before `v1.2.4`.
 *
 * The `v` is optional here because advisories (OSV SEMVER ranges) write Go versions without it.
 */
import { defineScheme } from './scheme.ts';
import { compareSemver, parseSemverLike } from './semver.ts';

export const go = defineScheme({
  name: 'go',
  parse: (version: string) => parseSemverLike('go', version),
  compare: compareSemver,
});
