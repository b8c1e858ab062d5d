/**
 * Which operating system a root filesystem (an image, a rootfs directory) runs, from the files
 * distributions ship for that purpose: `etc/os-release` (or `usr/lib/os-release`) first, then the
 * older `etc/lsb-release`, `etc/alpine-release`, `etc/debian_version` and `etc/redhat-release`.
 *
 * The release decides which advisories apply to OS packages: OSV names distribution releases in
 * the ecosystem (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`), and advisories of another
 * release never apply. When OSV has no ecosystem for the system, `unmatched` says why.
 */
import type { FileTree } from './catalog/tree.ts';

export interface OsInfo {
  /** os-release `ID`, lowercase: `debian`, `ubuntu`, `alpine`, `rhel`, `rocky`, `opensuse-leap` … */
  id: string;
  /** os-release `VERSION_ID` (`12`, `22.04`, `3.18.4`, `9.2`); absent on rolling releases. */
  versionId?: string;
  /** `VERSION_CODENAME` (`bookworm`, `jammy`). */
  codename?: string;
  /** `ID_LIKE`, lowercase: the distributions this one derives from. */
  idLike: string[];
  prettyName: string;
  /** OSV ecosystem with release, when OSV publishes advisories for this release. */
  osvEcosystem?: string;
  /** Why there is no `osvEcosystem`, in words for the user. */
  unmatched?: string;
}

/** Reads a root-relative path; undefined when the file does not exist. */
export type ReadFile = (path: string) => Promise<string | undefined>;

export async function detectOs(source: ReadFile | FileTree): Promise<OsInfo | undefined> {
  const read = typeof source === 'function' ? source : treeReader(source);
  const fields = parseKeyValues((await read('etc/os-release')) ?? (await read('usr/lib/os-release')) ?? '');
  let os = fields.ID ? fromOsRelease(fields) : await fromLegacyFiles(read);
  if (!os) return undefined;
  // Debian testing/sid ship an os-release without VERSION_ID; a point release's debian_version
  // (`12.5`) still gives the number when os-release lacks it.
  if (os.id === 'debian' && !os.versionId) {
    const version = (await read('etc/debian_version'))?.trim();
    if (version && /^\d+(\.\d+)*$/.test(version)) os = { ...os, versionId: version };
  }
  return withEcosystem(os);
}

function treeReader(tree: FileTree): ReadFile {
  return async (path) => {
    try {
      return await tree.input(path).text();
    } catch {
      return undefined;
    }
  };
}

/** `KEY=value` lines (os-release, lsb-release): values may be quoted, `#` starts a comment. */
export function parseKeyValues(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (!m) continue;
    fields[m[1]!] = unquote(m[2]!.trim());
  }
  return fields;
}

function unquote(value: string): string {
  const q = value[0];
  if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
    const inner = value.slice(1, -1);
    return q === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
  }
  return value;
}

function fromOsRelease(f: Record<string, string>): OsInfo {
  const id = f.ID!.toLowerCase();
  const os: OsInfo = {
    id,
    idLike: (f.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    prettyName: f.PRETTY_NAME || [f.NAME || id, f.VERSION_ID].filter(Boolean).join(' '),
  };
  if (f.VERSION_ID) os.versionId = f.VERSION_ID;
  const codename = f.VERSION_CODENAME || f.UBUNTU_CODENAME;
  if (codename) os.codename = codename;
  return os;
}

/** Systems without os-release (old releases, minimal images). */
async function fromLegacyFiles(read: ReadFile): Promise<OsInfo | undefined> {
  const lsb = parseKeyValues((await read('etc/lsb-release')) ?? '');
  if (lsb.DISTRIB_ID) {
    const id = lsb.DISTRIB_ID.toLowerCase();
    return {
      id,
      idLike: [],
      prettyName: lsb.DISTRIB_DESCRIPTION || [lsb.DISTRIB_ID, lsb.DISTRIB_RELEASE].filter(Boolean).join(' '),
      ...(lsb.DISTRIB_RELEASE && { versionId: lsb.DISTRIB_RELEASE }),
      ...(lsb.DISTRIB_CODENAME && { codename: lsb.DISTRIB_CODENAME }),
    };
  }
  const alpine = (await read('etc/alpine-release'))?.trim();
  if (alpine) return { id: 'alpine', versionId: alpine, idLike: [], prettyName: `Alpine Linux v${alpine}` };
  const debian = (await read('etc/debian_version'))?.trim();
  if (debian) {
    // `12.5` on releases, `trixie/sid` on testing and unstable.
    const numeric = /^\d+(\.\d+)*$/.test(debian);
    return { id: 'debian', idLike: [], prettyName: `Debian GNU/Linux ${debian}`, ...(numeric ? { versionId: debian } : { codename: debian }) };
  }
  const redhat = (await read('etc/redhat-release'))?.trim();
  return redhat ? fromRedhatRelease(redhat) : undefined;
}

/** `CentOS Linux release 7.9.2009 (Core)`, `Red Hat Enterprise Linux Server release 7.9 (Maipo)`. */
const REDHAT_RELEASE_IDS: [RegExp, string][] = [
  [/^red hat enterprise linux/i, 'rhel'],
  [/^centos/i, 'centos'],
  [/^rocky/i, 'rocky'],
  [/^almalinux/i, 'almalinux'],
  [/^fedora/i, 'fedora'],
  [/^oracle/i, 'ol'],
];

function fromRedhatRelease(line: string): OsInfo | undefined {
  const id = REDHAT_RELEASE_IDS.find(([pattern]) => pattern.test(line))?.[1];
  if (!id) return undefined;
  const version = /release\s+(\d+(?:\.\d+)*)/i.exec(line)?.[1];
  return { id, idLike: [], prettyName: line.split('\n')[0]!, ...(version && { versionId: version }) };
}

/**
 * `Ubuntu:22.04:LTS` or `Ubuntu:23.10`, as OSV names Ubuntu releases: LTS releases are the April
 * releases of even years (18.04, 20.04, 22.04, 24.04). `release` is `YY.MM`.
 */
export function ubuntuEcosystem(release: string): string {
  const [year, month] = release.split('.');
  return Number(year) % 2 === 0 && month === '04' ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
}

/** `Alpine:v3.18`: OSV names Alpine branches by major.minor with a `v`. */
export function alpineEcosystem(major: string, minor: string): string {
  return `Alpine:v${major}.${minor}`;
}

/** OSV publishes no advisories for these; their packages are listed but not matched. */
const WITHOUT_OSV = new Set(['amzn', 'centos', 'fedora', 'ol', 'mariner']);

function withEcosystem(os: OsInfo): OsInfo {
  const result = osvEcosystemOf(os);
  return typeof result === 'string' ? { ...os, osvEcosystem: result } : { ...os, unmatched: result.unmatched };
}

function osvEcosystemOf(os: OsInfo): string | { unmatched: string } {
  const version = os.versionId ?? '';
  const major = /^(\d+)/.exec(version)?.[1];
  const noRelease = { unmatched: `${os.prettyName} has no release number, and OSV publishes advisories per release` };
  switch (os.id) {
    case 'debian':
      return major ? `Debian:${major}` : noRelease;
    case 'ubuntu': {
      const m = /^(\d+)\.(\d+)/.exec(version);
      if (!m) return noRelease;
      return ubuntuEcosystem(`${m[1]}.${m[2]}`);
    }
    case 'alpine': {
      const m = /^(\d+)\.(\d+)/.exec(version);
      // Edge is the development branch: VERSION_ID `3.19.0_alpha20230901`, PRETTY_NAME `… edge`.
      if (!m || version.includes('_alpha') || /\bedge\b/i.test(os.prettyName)) {
        return { unmatched: `${os.prettyName} is the development branch, which has no OSV release` };
      }
      return alpineEcosystem(m[1]!, m[2]!);
    }
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    case 'rhel':
      // OSV streams are CPE-like (`Red Hat:enterprise_linux:9::baseos`, `…::appstream`); the
      // repository a package came from is not recorded, so this names the product release.
      return major ? `Red Hat:enterprise_linux:${major}` : noRelease;
    case 'rocky':
      return major ? `Rocky Linux:${major}` : noRelease;
    case 'almalinux':
      return major ? `AlmaLinux:${major}` : noRelease;
    case 'photon':
    case 'azurelinux': {
      const release = /^\d+\.\d+/.exec(version)?.[0];
      return release ? `${os.id === 'photon' ? 'Photon OS' : 'Azure Linux'}:${release}` : noRelease;
    }
    default:
      break;
  }
  // SUSE and openSUSE name releases by PRETTY_NAME without the vendor word: `SUSE:Linux
  // Enterprise Server 15 SP5`, `openSUSE:Leap 15.5`, `openSUSE:Tumbleweed`.
  if (os.id.startsWith('opensuse')) return `openSUSE:${os.prettyName.replace(/^openSUSE\s+/i, '')}`;
  if (os.id.startsWith('sle')) return `SUSE:${os.prettyName.replace(/^SUSE\s+/i, '')}`;
  if (WITHOUT_OSV.has(os.id)) return { unmatched: `OSV publishes no advisories for ${os.prettyName}` };
  return { unmatched: `${os.prettyName} is not a distribution Palisade knows the OSV ecosystem of` };
}
