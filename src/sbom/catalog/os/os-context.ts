/**
 * What an OS package database needs from the system it belongs to: the ecosystem its packages
 * are matched in, the distribution release (`Package.distro`) and the purl's vendor and `distro`
 * qualifier. Catalogers see one file at a time, so the OS release files are read as siblings of
 * the database, found by walking up from its fixed place below the root (`var/lib/dpkg/status`
 * → `../../../etc/os-release`).
 */
import { PackageURL } from 'packageurl-js';
import { makePurl } from '../../../core/purl.ts';
import type { Ecosystem, InputIssue } from '../../../core/types.ts';
import { detectOs, type OsInfo } from '../../os-release.ts';
import type { CatalogInput } from '../cataloger.ts';

export type PackageDbKind = 'dpkg' | 'apk' | 'rpm';

export interface OsContext {
  ecosystem: Ecosystem;
  /** OSV ecosystem with release (`Debian:12`), when advisories for it can apply. */
  distro?: string;
  /** No release file found, or one of another distribution family: the packages lack their release. */
  issues: InputIssue[];
  /** The package's purl with the vendor namespace and the `distro` qualifier added. */
  purl(name: string, version: string | undefined, qualifiers: Record<string, string>): string;
  /**
   * Read a file by its path from the root of the system (`usr/share/doc/acl/copyright`);
   * undefined when absent.
   */
  readFromRoot(path: string): Promise<string | undefined>;
}

/** The ecosystem a database kind defaults to when the release cannot be read. */
const DEFAULT_ECOSYSTEM: Record<PackageDbKind, Ecosystem> = { dpkg: 'Debian', apk: 'Alpine', rpm: 'Red Hat' };

/**
 * `dbPathFromRoot` is the database's path below the system root as matched by the cataloger
 * (`var/lib/dpkg/status`, `usr/lib/sysimage/rpm/rpmdb.sqlite`); the root is that many levels up.
 */
export async function osContext(input: CatalogInput, kind: PackageDbKind, dbPathFromRoot: string): Promise<OsContext> {
  const up = '../'.repeat(dbPathFromRoot.split('/').length - 1);
  const readFromRoot = (path: string) => input.sibling(up + path);
  const os = await detectOs(readFromRoot);
  const ecosystem = os ? ecosystemFor(kind, os) : DEFAULT_ECOSYSTEM[kind];
  const issues: InputIssue[] = [];
  // A database of another family than the system's (dpkg on Alpine) gets neither its release nor its qualifier.
  const foreign = os?.osvEcosystem !== undefined && !belongsTo(ecosystem, os.osvEcosystem);
  if (!os) {
    issues.push({ path: input.path, message: `no OS release file (etc/os-release) found for this package database: ${UNMATCHED}` });
  } else if (foreign) {
    issues.push({ path: input.path, message: `${kind} packages on ${os.prettyName} are not in ${os.osvEcosystem}: ${UNMATCHED}` });
  }
  // A known system without an OSV ecosystem (CentOS, Debian sid) is no problem with this input:
  // the package list is complete, and matching reports those packages as not scanned.
  const distro = foreign ? undefined : os?.osvEcosystem;
  const qualifierValue = os?.versionId && !foreign ? `${os.id}-${os.versionId}` : undefined;
  const namespace = kind === 'rpm' && os ? rpmVendor(os.id) : undefined;
  return {
    ecosystem,
    ...(distro && { distro }),
    issues,
    readFromRoot,
    purl: (name, version, qualifiers) => {
      const q = { ...qualifiers, ...(qualifierValue && { distro: qualifierValue }) };
      return (namespace && rpmPurl(namespace, name, version, q)) || makePurl(ecosystem, name, version, q);
    },
  };
}

const UNMATCHED = 'its packages are listed without a distribution release, so distribution advisories cannot be matched';

function ecosystemFor(kind: PackageDbKind, os: OsInfo): Ecosystem {
  const family = [os.id, ...os.idLike];
  switch (kind) {
    case 'dpkg':
      return family.includes('ubuntu') ? 'Ubuntu' : 'Debian';
    case 'apk':
      return os.id === 'wolfi' ? 'Wolfi' : os.id === 'chainguard' ? 'Chainguard' : 'Alpine';
    case 'rpm':
      return os.id === 'rocky' ? 'Rocky Linux' : os.id === 'almalinux' ? 'AlmaLinux' : 'Red Hat';
  }
}

/**
 * Whether packages of `ecosystem` are what the OSV ecosystem's advisories describe. RPM systems
 * without an ecosystem of their own here (SUSE, openSUSE, Photon OS, Azure Linux) are catalogued
 * as 'Red Hat' packages and matched in their own OSV ecosystem through `distro`.
 */
function belongsTo(ecosystem: Ecosystem, osvEcosystem: string): boolean {
  const base = osvEcosystem.split(':')[0]!;
  if (base === ecosystem) return true;
  return ecosystem === 'Red Hat' && ['SUSE', 'openSUSE', 'Photon OS', 'Azure Linux'].includes(base);
}

/**
 * The purl namespace of an rpm vendor, after the purl spec's examples (`pkg:rpm/fedora/…`,
 * `pkg:rpm/opensuse/…`). RHEL, Rocky and AlmaLinux keep makePurl's namespace for their ecosystem.
 */
function rpmVendor(id: string): string | undefined {
  if (id === 'rhel' || id === 'rocky' || id === 'almalinux') return undefined;
  if (id.startsWith('opensuse')) return 'opensuse';
  if (id.startsWith('sle')) return 'suse';
  if (id === 'amzn') return 'amazon';
  if (id === 'ol') return 'oracle';
  return id;
}

function rpmPurl(namespace: string, name: string, version: string | undefined, q: Record<string, string>): string | undefined {
  try {
    return new PackageURL('rpm', namespace, name, version || undefined, q, undefined).toString();
  } catch {
    return undefined;
  }
}
