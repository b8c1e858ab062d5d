/**
 * Package URLs found in other tools' SBOMs → the identity Palisade scans: OSV ecosystem, name as
 * the ecosystem writes it, version by our conventions, and for OS packages the distribution
 * release (`Debian:12`) and source package. Purls are parsed with packageurl-js.
 */
import { PackageURL } from 'packageurl-js';
import { errorMessage } from '../../core/errors.ts';
import type { Ecosystem } from '../../core/types.ts';
import { alpineEcosystem, ubuntuEcosystem } from '../os-release.ts';

export type PurlResolution =
  | {
      kind: 'package';
      /** Canonical form (packageurl-js), so equal purls from different producers compare equal. */
      purl: string;
      ecosystem: Ecosystem;
      name: string;
      version?: string;
      /** OSV ecosystem with release, from the `distro` qualifier. */
      distro?: string;
      /** From the `upstream` (syft), `source` or `origin` (osv-scalibr) qualifiers. */
      source?: { name: string; version?: string };
    }
  | { kind: 'unsupported'; purl: string; name: string; version?: string; reason: string }
  | { kind: 'invalid'; reason: string };

/** purl types whose ecosystem does not depend on the namespace. */
const LANGUAGE_TYPES: Record<string, Ecosystem> = {
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  cargo: 'crates.io',
  gem: 'RubyGems',
  composer: 'Packagist',
  maven: 'Maven',
  nuget: 'NuGet',
  pub: 'Pub',
  hex: 'Hex',
  conan: 'ConanCenter',
  cran: 'CRAN',
  hackage: 'Hackage',
  swift: 'SwiftURL',
  cocoapods: 'CocoaPods',
};

/**
 * OS package types: the namespace names the distribution. CentOS and RHEL packages are 'Red Hat'
 * (OSV has no CentOS ecosystem); other rpm and apk distributions have no ecosystem we scan.
 */
const OS_TYPES: Record<string, Record<string, Ecosystem>> = {
  deb: { debian: 'Debian', ubuntu: 'Ubuntu' },
  apk: { alpine: 'Alpine', wolfi: 'Wolfi', chainguard: 'Chainguard' },
  rpm: { redhat: 'Red Hat', rhel: 'Red Hat', centos: 'Red Hat', almalinux: 'AlmaLinux', rocky: 'Rocky Linux', rockylinux: 'Rocky Linux' },
};

/**
 * Resolve a purl string. `fallbackVersion` is the version the SBOM gives beside the purl, used
 * only when the purl has none.
 */
export function resolvePurl(text: string, fallbackVersion?: string): PurlResolution {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(text.trim());
  } catch (err) {
    return { kind: 'invalid', reason: errorMessage(err).replace(/^Invalid purl: /, '') };
  }
  const purl = canonical(parsed, text.trim());
  const rawVersion = parsed.version ?? (fallbackVersion || undefined);
  const found = ecosystemOf(parsed.type, parsed.namespace ?? distroId(parsed.qualifiers?.distro));
  if ('ecosystem' in found) return packageResolution(parsed, purl, found.ecosystem, rawVersion);
  const shortName = parsed.namespace ? `${parsed.namespace}/${parsed.name}` : parsed.name;
  return { kind: 'unsupported', purl, name: shortName, ...(rawVersion && { version: rawVersion }), reason: found.reason };
}

function ecosystemOf(type: string, namespace: string | undefined): { ecosystem: Ecosystem } | { reason: string } {
  const language = LANGUAGE_TYPES[type];
  if (language) return { ecosystem: language };
  const byNamespace = OS_TYPES[type];
  if (!byNamespace) return { reason: `purl type "${type}" has no vulnerability ecosystem Palisade scans` };
  const ns = namespace?.toLowerCase();
  const ecosystem = ns ? byNamespace[ns] : undefined;
  if (ecosystem) return { ecosystem };
  return {
    reason: ns
      ? `${type} packages of "${ns}" have no vulnerability ecosystem Palisade scans`
      : `${type} purl without a namespace naming the distribution`,
  };
}

function packageResolution(parsed: PackageURL, purl: string, ecosystem: Ecosystem, rawVersion: string | undefined): PurlResolution {
  const q = parsed.qualifiers ?? {};
  const name = packageName(ecosystem, parsed);
  const version = rawVersion === undefined ? undefined : packageVersion(ecosystem, name, rawVersion, q.epoch);
  const result: PurlResolution = { kind: 'package', purl, ecosystem, name, ...(version && { version }) };
  if (isOsEcosystem(ecosystem)) {
    const distro = osvDistro(ecosystem, q.distro ?? '');
    if (distro) result.distro = distro;
    const source = sourceQualifier(parsed.type, q);
    if (source && (source.name !== name || source.version)) result.source = source;
  }
  return result;
}

/** Names as each ecosystem writes them (npm `@scope/name`, Maven `group:artifact`, Go module paths). */
function packageName(ecosystem: Ecosystem, p: PackageURL): string {
  const ns = p.namespace;
  if (!ns) return p.name;
  switch (ecosystem) {
    case 'npm':
      return `${ns.startsWith('@') ? ns : `@${ns}`}/${p.name}`;
    case 'Maven':
      return `${ns}:${p.name}`;
    case 'Go':
    case 'Packagist':
    case 'SwiftURL':
      return `${ns}/${p.name}`;
    default:
      // Namespaces of the other types (Hex organisations, Conan users, distributions) are not
      // part of the package name their advisories use.
      return p.name;
  }
}

/**
 * Go versions drop the `v` (and the stdlib's `go` prefix) as our Go catalogers do; Debian and
 * RPM versions carry the epoch in front (`1:1.0.2k-16.el7`) as their advisories do, whether the
 * purl puts it in the version or in the `epoch` qualifier.
 */
function packageVersion(ecosystem: Ecosystem, name: string, version: string, epoch: string | undefined): string {
  if (ecosystem === 'Go') return name === 'stdlib' ? version.replace(/^(go|v)/, '') : version.replace(/^v/, '');
  if (epoch && epoch !== '0' && !version.includes(':') && usesEpoch(ecosystem)) return `${epoch}:${version}`;
  return version;
}

function usesEpoch(ecosystem: Ecosystem): boolean {
  return ecosystem === 'Debian' || ecosystem === 'Ubuntu' || ecosystem === 'Red Hat' || ecosystem === 'AlmaLinux' || ecosystem === 'Rocky Linux';
}

export function isOsEcosystem(ecosystem: Ecosystem): boolean {
  return Object.values(OS_TYPES).some((m) => Object.values(m).includes(ecosystem));
}

/**
 * Source package from qualifiers: syft's `upstream` (`busybox`, `util-linux@2.33.1-0.1`, or for
 * rpm the source RPM file name), osv-scalibr's `source` (deb) and `origin` (apk).
 */
function sourceQualifier(type: string, q: Record<string, string>): { name: string; version?: string } | undefined {
  const upstream = q.upstream ?? q.source ?? q.origin;
  if (!upstream) return undefined;
  if (type === 'rpm') return sourceRpm(upstream) ?? { name: upstream };
  const at = upstream.indexOf('@');
  return at > 0 ? { name: upstream.slice(0, at), version: upstream.slice(at + 1) } : { name: upstream };
}

/** `openssl-1.0.2k-16.el7.src.rpm` → openssl, 1.0.2k-16.el7. */
export function sourceRpm(fileName: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+-[^-]+)\.src\.rpm$/.exec(fileName.trim());
  return m ? { name: m[1]!, version: m[2]! } : undefined;
}

const DEBIAN_CODENAMES: Record<string, string> = {
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

const UBUNTU_CODENAMES: Record<string, string> = {
  trusty: '14.04',
  xenial: '16.04',
  bionic: '18.04',
  focal: '20.04',
  jammy: '22.04',
  kinetic: '22.10',
  lunar: '23.04',
  mantic: '23.10',
  noble: '24.04',
  oracular: '24.10',
  plucky: '25.04',
  questing: '25.10',
};

/** `debian-12.5` → `debian`; bare versions and codenames have no id. */
function distroId(value: string | undefined): string | undefined {
  return value ? /^([a-z][a-z-]*?)-\d/i.exec(value.trim())?.[1]?.toLowerCase() : undefined;
}

/**
 * A distribution release as OSV spells it in ecosystem names: `Debian:12`, `Alpine:v3.18`,
 * `Ubuntu:22.04:LTS` (LTS = an even year's .04 release), `Ubuntu:23.10`, `Rocky Linux:9`.
 * `value` is what producers write in the purl `distro` qualifier or the OS component: `debian-12`,
 * `debian-12.5`, `bookworm`, `alpine-3.18.0`, `3.15.0`, `ubuntu-22.04`, `focal`. Wolfi and
 * Chainguard have no releases. Undefined when the release cannot be told (Red Hat streams are
 * named after products and repositories, which a purl does not record).
 */
export function osvDistro(ecosystem: Ecosystem, value: string): string | undefined {
  if (ecosystem === 'Wolfi' || ecosystem === 'Chainguard') return ecosystem;
  const release = value
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z-]*?-(?=\d|[a-z]+$)/, '');
  if (!release) return undefined;
  switch (ecosystem) {
    case 'Debian': {
      const major = DEBIAN_CODENAMES[release] ?? /^(\d+)(\.|$)/.exec(release)?.[1];
      return major ? `Debian:${major}` : undefined;
    }
    case 'Ubuntu': {
      const version = UBUNTU_CODENAMES[release] ?? /^(\d+\.\d+)(\.|$)/.exec(release)?.[1];
      return version ? ubuntuEcosystem(version) : undefined;
    }
    case 'Alpine': {
      const m = /^v?(\d+)\.(\d+)/.exec(release);
      return m ? alpineEcosystem(m[1]!, m[2]!) : undefined;
    }
    case 'AlmaLinux':
    case 'Rocky Linux': {
      const major = /^(\d+)(\.|$)/.exec(release)?.[1];
      return major ? `${ecosystem}:${major}` : undefined;
    }
    default:
      return undefined;
  }
}

/** The ecosystem an operating system (CycloneDX `operating-system` component, SPDX OS package) ships. */
export function osEcosystem(osName: string): Ecosystem | undefined {
  const id = osName.trim().toLowerCase();
  for (const byNamespace of Object.values(OS_TYPES)) {
    if (byNamespace[id]) return byNamespace[id];
  }
  return undefined;
}

function canonical(parsed: PackageURL, text: string): string {
  try {
    return parsed.toString();
  } catch {
    return text;
  }
}
