/**
 * Version ordering per ecosystem, the base of vulnerability matching. One module per scheme
 * (each documents its grammar and ordering); this file is the only place that knows OSV
 * ecosystem names and maps them onto schemes.
 */
import { alpine } from './alpine.ts';
import { cran } from './cran.ts';
import { debian } from './debian.ts';
import { go } from './go.ts';
import { hackage } from './hackage.ts';
import { maven } from './maven.ts';
import { nuget } from './nuget.ts';
import { packagist } from './packagist.ts';
import { pep440 } from './pep440.ts';
import { pub } from './pub.ts';
import { rpm } from './rpm.ts';
import { rubygems } from './rubygems.ts';
import type { VersionScheme } from './scheme.ts';
import { semver } from './semver.ts';

export { InvalidVersionError, type Ordering, type ParsedVersion, type VersionScheme } from './scheme.ts';
export { alpine, cran, debian, go, hackage, maven, nuget, packagist, pep440, pub, rpm, rubygems, semver };

/**
 * OSV ecosystem name (https://ossf.github.io/osv-schema/#affectedpackage-field) → scheme.
 * Distributions that ship dpkg, apk or rpm packages share those schemes.
 */
const SCHEME_BY_ECOSYSTEM: Readonly<Record<string, VersionScheme>> = {
  npm: semver,
  'crates.io': semver,
  Hex: semver,
  Go: go,
  PyPI: pep440,
  Maven: maven,
  RubyGems: rubygems,
  NuGet: nuget,
  Packagist: packagist,
  Pub: pub,
  CRAN: cran,
  Hackage: hackage,
  Debian: debian,
  Ubuntu: debian,
  Alpine: alpine,
  Chainguard: alpine,
  Wolfi: alpine,
  MinimOS: alpine,
  'Red Hat': rpm,
  AlmaLinux: rpm,
  'Rocky Linux': rpm,
  openSUSE: rpm,
  SUSE: rpm,
  Mageia: rpm,
  openEuler: rpm,
  'Photon OS': rpm,
  'Azure Linux': rpm,
};

const BY_LOWER_NAME = new Map(Object.entries(SCHEME_BY_ECOSYSTEM).map(([name, scheme]) => [name.toLowerCase(), scheme]));

/** The OSV ecosystem names schemeFor knows (without suffixes). */
export const SUPPORTED_ECOSYSTEMS: readonly string[] = Object.keys(SCHEME_BY_ECOSYSTEM);

/**
 * The scheme for an OSV ecosystem, or undefined when Palisade cannot order its versions.
 * Accepts the suffixed forms OSV uses (`Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`,
 * `Red Hat:enterprise_linux:9::appstream`, `Maven:https://repo.example`): only the part
 * before the first `:` names the ecosystem. Names match case-insensitively.
 */
export function schemeFor(ecosystem: string): VersionScheme | undefined {
  const colon = ecosystem.indexOf(':');
  const base = (colon === -1 ? ecosystem : ecosystem.slice(0, colon)).trim().toLowerCase();
  return BY_LOWER_NAME.get(base);
}
