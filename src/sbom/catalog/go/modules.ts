/**
 * What the Go catalogers share: module versions and paths as Go writes them, and the Go standard
 * library as a package (`stdlib`, as the Go vulnerability database names it).
 */
import type { Location, Package } from '../../../core/types.ts';
import { makePurl } from '../../../core/purl.ts';

/** Canonical semver with Go's `v` (`v1.2.3`, `v0.0.0-20220715151400-c0bba94af5f8`, `v2.0.0+incompatible`). */
const MODULE_VERSION =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isModuleVersion(version: string): boolean {
  return MODULE_VERSION.test(version);
}

/** A module path: `/`-separated non-empty elements without spaces (`golang.org/x/net`, `gopkg.in/yaml.v2`). */
export function isModulePath(path: string): boolean {
  return /^[^\s/]+(\/[^\s/]+)*$/.test(path);
}

/** Go reads a replacement path as a directory when it is rooted or starts with `./` or `../`. */
export function isLocalPath(path: string): boolean {
  return /^(\.{1,2}([/\\]|$)|[/\\]|[A-Za-z]:[/\\])/.test(path);
}

/** A module at a Go version (`v1.2.3`): the version is reported without `v`, the purl keeps it. */
export function modulePackage(name: string, goVersion: string, location: Location): Package {
  return {
    name,
    version: goVersion.replace(/^v/, ''),
    ecosystem: 'Go',
    purl: makePurl('Go', name, goVersion),
    locations: [location],
    scope: 'required',
  };
}

/**
 * `go1.22.3` → `1.22.3`. Builds can append a vendor note after a space (`go1.21.5 (Red Hat …)`),
 * enabled experiments (`go1.22.3 X:loopvar`, `go1.22.3-X:boringcrypto`) or a `-suffix` naming a
 * custom build of that release (`go1.23.6-xyz`). Development toolchains (`devel …`) have no release
 * version: undefined.
 */
export function goReleaseVersion(name: string): string | undefined {
  return /^go(\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?)/.exec(name.split(' ')[0]!)?.[1];
}

/**
 * The standard library of a Go release (`1.23.6`). Go releases are not semver (`1.23`,
 * `1.21rc1`), so the purl carries the release number as is, without a `v`.
 */
export function stdlibPackage(version: string, location: Location): Package {
  return {
    name: 'stdlib',
    version,
    ecosystem: 'Go',
    purl: makePurl('Go', 'stdlib', version),
    locations: [location],
    scope: 'required',
  };
}
