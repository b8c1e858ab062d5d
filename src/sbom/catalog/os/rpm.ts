/**
 * Packages installed by rpm (RHEL/UBI, CentOS, Rocky, AlmaLinux, Fedora, Amazon Linux, SUSE …),
 * from the package database in any of its three storage formats, recognised by content:
 * SQLite `rpmdb.sqlite`, Berkeley DB `Packages`, and ndb `Packages.db`. Each entry is an rpm
 * header; NAME, EPOCH, VERSION, RELEASE, ARCH, SOURCERPM, LICENSE, MODULARITYLABEL and the
 * require/provide names are read from it.
 */
import { ParseError } from '../../../core/errors.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import type { Cataloger, CatalogInput, CatalogResult } from '../cataloger.ts';
import { osContext, type OsContext } from './os-context.ts';
import { parseRpmHeader, TAG, type RpmHeader } from './rpm-header.ts';
import { isBerkeleyHash, readBerkeleyHash, type BlobRead } from './rpmdb-bdb.ts';
import { isNdb, readNdb } from './rpmdb-ndb.ts';
import { isSqlite, readRpmSqlite } from './rpmdb-sqlite.ts';

/** The database directories rpm has used (`/usr/share/rpm` on some minimal images). */
const RPMDB = /(?:^|\/)((?:var\/lib\/rpm|usr\/lib\/sysimage\/rpm|usr\/share\/rpm)\/(?:rpmdb\.sqlite|Packages|Packages\.db))$/;

export const rpmCataloger: Cataloger = {
  name: 'os/rpm',
  ecosystem: 'Red Hat',
  wants: (path) => RPMDB.test(path),
  catalog: catalogRpm,
};

interface Entry {
  pkg: Package;
  requires: string[];
  provides: string[];
}

async function catalogRpm(input: CatalogInput): Promise<CatalogResult> {
  const bytes = await input.bytes();
  if (bytes.length === 0) return { packages: [] };
  const read = await readBlobs(bytes);
  const ctx = await osContext(input, 'rpm', RPMDB.exec(input.path)![1]!);
  const issues: InputIssue[] = [...ctx.issues, ...read.problems.map((message) => ({ path: input.path, message: `skipped an entry: ${message}` }))];
  const entries: Entry[] = [];
  for (const blob of read.blobs) {
    let header: RpmHeader;
    try {
      header = parseRpmHeader(blob);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      issues.push({ path: input.path, message: `skipped an entry: ${err.message}` });
      continue;
    }
    const entry = toEntry(input, ctx, header);
    if (entry) entries.push(entry);
  }
  resolveDependencies(entries);
  return { packages: entries.map((e) => e.pkg), issues };
}

async function readBlobs(bytes: Buffer): Promise<BlobRead> {
  if (isSqlite(bytes)) return readRpmSqlite(bytes);
  if (isNdb(bytes)) return readNdb(bytes);
  if (isBerkeleyHash(bytes)) return readBerkeleyHash(bytes);
  throw new ParseError('not an rpm database: neither SQLite, Berkeley DB hash nor ndb');
}

function toEntry(input: CatalogInput, ctx: OsContext, h: RpmHeader): Entry | undefined {
  const name = h.string(TAG.NAME);
  // gpg-pubkey entries are the signing keys rpm imported, not software.
  if (!name || name === 'gpg-pubkey') return undefined;
  const upstream = h.string(TAG.VERSION);
  const release = h.string(TAG.RELEASE);
  const epoch = h.int32(TAG.EPOCH);
  const evr = upstream ? [upstream, release].filter(Boolean).join('-') : undefined;
  const version = evr && epoch ? `${epoch}:${evr}` : evr;
  const arch = h.string(TAG.ARCH);
  const license = h.string(TAG.LICENSE);
  const module = h.string(TAG.MODULARITYLABEL);
  const qualifiers: Record<string, string> = {
    ...(arch && { arch }),
    ...(epoch && { epoch: String(epoch) }),
    ...(module && { modularitylabel: module }),
  };
  const source = sourceOf(h.string(TAG.SOURCERPM), epoch) ?? { name, ...(version && { version }) };
  const pkg: Package = {
    name,
    ...(version && { version }),
    ecosystem: ctx.ecosystem,
    // purl rpm versions are `version-release`; the epoch is the `epoch` qualifier.
    purl: ctx.purl(name, evr, qualifiers),
    locations: [{ path: input.path }],
    scope: 'required',
    ...(license && { licenses: [license] }),
    source,
    ...(ctx.distro && { distro: ctx.distro }),
  };
  return { pkg, requires: h.strings(TAG.REQUIRENAME), provides: h.strings(TAG.PROVIDENAME) };
}

/**
 * `bash-5.1.8-6.el9.src.rpm` → bash, 5.1.8-6.el9. The file name has no epoch, but a source
 * package and the binaries built from it share one, so the binary's epoch is carried over.
 */
function sourceOf(sourceRpm: string | undefined, epoch: number | undefined): { name: string; version: string } | undefined {
  const m = sourceRpm ? /^(.+)-([^-]+-[^-]+)\.(?:no)?src\.rpm$/.exec(sourceRpm.trim()) : null;
  if (!m) return undefined;
  return { name: m[1]!, version: epoch ? `${epoch}:${m[2]}` : m[2]! };
}

/**
 * Each required name resolves to the installed package of that name, else to one providing it
 * (library sonames, `/bin/sh`, virtual names); `rpmlib(…)` features resolve to nothing.
 */
function resolveDependencies(entries: Entry[]): void {
  const providers = new Map<string, Entry>();
  for (const e of entries) if (!providers.has(e.pkg.name)) providers.set(e.pkg.name, e);
  for (const e of entries) for (const p of e.provides) if (!providers.has(p)) providers.set(p, e);
  for (const e of entries) {
    const deps = new Set<string>();
    for (const required of e.requires) {
      const target = providers.get(required);
      if (target && target !== e) deps.add(target.pkg.purl);
    }
    if (deps.size > 0) e.pkg.dependsOn = [...deps].sort();
  }
}
