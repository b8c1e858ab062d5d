/**
 * Package URLs per the purl spec, built with packageurl-js. One place decides how each
 * ecosystem's names split into purl namespace and name.
 */
import { PackageURL } from 'packageurl-js';
import type { Ecosystem } from './types.ts';

const PURL_TYPE: Record<Ecosystem, string> = {
  npm: 'npm',
  PyPI: 'pypi',
  Go: 'golang',
  'crates.io': 'cargo',
  RubyGems: 'gem',
  Packagist: 'composer',
  Maven: 'maven',
  NuGet: 'nuget',
  Pub: 'pub',
  Hex: 'hex',
  ConanCenter: 'conan',
  CRAN: 'cran',
  Hackage: 'hackage',
  SwiftURL: 'swift',
  CocoaPods: 'cocoapods',
  Debian: 'deb',
  Ubuntu: 'deb',
  Alpine: 'apk',
  Wolfi: 'apk',
  Chainguard: 'apk',
  'Red Hat': 'rpm',
  AlmaLinux: 'rpm',
  'Rocky Linux': 'rpm',
};

export function purlType(ecosystem: Ecosystem): string {
  return PURL_TYPE[ecosystem];
}

/** Split a package name into purl namespace and name, the way each ecosystem writes them. */
function splitName(ecosystem: Ecosystem, name: string): [string | undefined, string] {
  switch (ecosystem) {
    case 'npm': {
      // `@scope/name`: the scope (with its @) is the namespace.
      if (name.startsWith('@') && name.includes('/')) {
        const i = name.indexOf('/');
        return [name.slice(0, i), name.slice(i + 1)];
      }
      return [undefined, name];
    }
    case 'Maven': {
      // `groupId:artifactId`
      const i = name.indexOf(':');
      return i === -1 ? [undefined, name] : [name.slice(0, i), name.slice(i + 1)];
    }
    case 'Go':
    case 'Packagist':
    case 'SwiftURL': {
      // Path-like names: everything before the last `/` is the namespace.
      const i = name.lastIndexOf('/');
      return i === -1 ? [undefined, name] : [name.slice(0, i), name.slice(i + 1)];
    }
    case 'Debian':
      return ['debian', name];
    case 'Ubuntu':
      return ['ubuntu', name];
    case 'Alpine':
      return ['alpine', name];
    case 'Wolfi':
      return ['wolfi', name];
    case 'Chainguard':
      return ['chainguard', name];
    case 'Red Hat':
      return ['redhat', name];
    case 'AlmaLinux':
      return ['almalinux', name];
    case 'Rocky Linux':
      return ['rocky', name];
    default:
      return [undefined, name];
  }
}

export function makePurl(
  ecosystem: Ecosystem,
  name: string,
  version?: string,
  qualifiers?: Record<string, string>,
): string {
  const [namespace, shortName] = splitName(ecosystem, name);
  const q = qualifiers && Object.keys(qualifiers).length > 0 ? qualifiers : undefined;
  try {
    return new PackageURL(purlType(ecosystem), namespace, shortName, version || undefined, q, undefined).toString();
  } catch {
    // packageurl-js validates some types beyond the spec (and has thrown internal errors on Go
    // versions that are not full semver); a package must never be lost over its purl.
    return encodeManually(purlType(ecosystem), namespace, shortName, version, q);
  }
}

/** The purl spec's canonical form, percent-encoding each component. */
function encodeManually(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers: Record<string, string> | undefined,
): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%3A/gi, ':');
  let purl = `pkg:${type}/`;
  if (namespace) purl += namespace.split('/').map(enc).join('/') + '/';
  purl += enc(name);
  if (version) purl += `@${enc(version)}`;
  if (qualifiers) {
    const pairs = Object.entries(qualifiers)
      .filter(([, v]) => v !== '')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k.toLowerCase()}=${enc(v)}`);
    if (pairs.length > 0) purl += `?${pairs.join('&')}`;
  }
  return purl;
}
