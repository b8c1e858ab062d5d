import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import { rpmCataloger } from '../../../../src/sbom/catalog/os/rpm.ts';
import { parseRpmHeader, TAG } from '../../../../src/sbom/catalog/os/rpm-header.ts';
import { fileInput, memoryInput } from '../../../../src/sbom/catalog/tree.ts';
import { repoRoot } from '../../../helpers/corpus.ts';
import { berkeleyHashFile, ndbFile, rpmPackageHeader, writeRpmSqlite } from '../../../helpers/rpm.ts';

const fixtures = join(repoRoot, 'test/fixtures/catalog/os/rpm');

/** The two packages of the real fixtures (rpm/hello.spec, rpm/world.spec). */
function expectRealPackages(packages: Package[], path: string, vendor: string, distroQualifier?: string) {
  const q = distroQualifier ? `&distro=${distroQualifier}` : '';
  const worldLibs = `pkg:rpm/${vendor}/world-libs@0.9-1.el9?arch=x86_64${q}`;
  const sorted = [...packages].sort((a, b) => (a.name < b.name ? -1 : 1));
  expect(sorted).toMatchObject([
    {
      name: 'hello',
      version: '2:1.2.3-4.el9',
      ecosystem: 'Red Hat',
      purl: `pkg:rpm/${vendor}/hello@1.2.3-4.el9?arch=x86_64${q}&epoch=2`,
      locations: [{ path }],
      scope: 'required',
      licenses: ['MIT AND (BSD-3-Clause OR Apache-2.0)'],
      source: { name: 'hello', version: '2:1.2.3-4.el9' },
      // Requires world-libs >= 1.0 and /bin/sh (which nothing here provides).
      dependsOn: [worldLibs],
    },
    {
      name: 'world-libs',
      version: '0.9-1.el9',
      purl: worldLibs,
      licenses: ['GPL-2.0-or-later'],
      source: { name: 'world', version: '0.9-1.el9' },
    },
  ]);
  expect(sorted[1]!.dependsOn).toBeUndefined();
}

let temp: string | undefined;
afterEach(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
  temp = undefined;
});

/** A root filesystem in a temporary directory: files by root-relative path. */
function rootfs(files: Record<string, Buffer | string>): string {
  temp = mkdtempSync(join(tmpdir(), 'palisade-rpm-test-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(temp, path)), { recursive: true });
    writeFileSync(join(temp, path), content);
  }
  return temp;
}

const rockyRelease = 'ID="rocky"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n';
const leapRelease = 'ID="opensuse-leap"\nVERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n';

const syntheticBlobs = () => [
  rpmPackageHeader({
    name: 'openssl-libs',
    version: '3.0.7',
    release: '25.el9_3',
    epoch: 1,
    arch: 'x86_64',
    sourceRpm: 'openssl-3.0.7-25.el9_3.src.rpm',
    license: 'Apache-2.0',
    requires: ['libc.so.6()(64bit)', 'rpmlib(PayloadIsZstd)', 'openssl-libs'],
    provides: ['libcrypto.so.3()(64bit)', 'openssl-libs(x86-64)'],
  }),
  rpmPackageHeader({
    name: 'glibc',
    version: '2.34',
    release: '83.el9',
    epoch: 0,
    arch: 'x86_64',
    sourceRpm: 'glibc-2.34-83.el9.src.rpm',
    license: 'LGPL-2.1-or-later',
    provides: ['libc.so.6()(64bit)'],
  }),
  rpmPackageHeader({
    name: 'nodejs',
    version: '18.18.2',
    release: '2.module+el9.3.0+20464+d4b4b3b5',
    epoch: 1,
    arch: 'x86_64',
    sourceRpm: 'nodejs-18.18.2-2.module+el9.3.0+20464+d4b4b3b5.src.rpm',
    modularityLabel: 'nodejs:18:9030020231120082734:rhel9',
    requires: ['libcrypto.so.3()(64bit)'],
  }),
  rpmPackageHeader({ name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b' }),
  rpmPackageHeader({ name: 'no-source', version: '1.0', release: '1' }),
];

describe('os/rpm', () => {
  it('reads a SQLite rpmdb written by rpm (RHEL 9.2)', async () => {
    const { packages, issues } = await rpmCataloger.catalog(fileInput(join(fixtures, 'ubi9'), 'var/lib/rpm/rpmdb.sqlite'));
    expect(issues).toEqual([]);
    expectRealPackages(packages, 'var/lib/rpm/rpmdb.sqlite', 'redhat', 'rhel-9.2');
    for (const p of packages) expect(p.distro).toBe('Red Hat:enterprise_linux:9');
  });

  it('reads a Berkeley DB Packages file with overflow pages (CentOS 7)', async () => {
    const { packages, issues } = await rpmCataloger.catalog(fileInput(join(fixtures, 'centos7'), 'var/lib/rpm/Packages'));
    expectRealPackages(packages, 'var/lib/rpm/Packages', 'centos', 'centos-7');
    // OSV has no CentOS advisories: listed without a release (matching reports them as not scanned).
    for (const p of packages) expect(p.distro).toBeUndefined();
    expect(issues).toEqual([]);
  });

  it('reads a Berkeley DB Packages file with headers on the hash pages, without an OS release', async () => {
    const { packages, issues } = await rpmCataloger.catalog(fileInput(join(fixtures, 'bdb-large-pages'), 'var/lib/rpm/Packages'));
    expectRealPackages(packages, 'var/lib/rpm/Packages', 'redhat');
    expect((issues ?? []).map((i) => i.message)).toEqual([expect.stringMatching(/^no OS release file/)]);
  });

  it('reads epochs, modularity labels, provides, and skips signing keys (hand-encoded SQLite, Rocky Linux)', async () => {
    const root = rootfs({ 'etc/os-release': rockyRelease });
    mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
    writeRpmSqlite(join(root, 'var/lib/rpm/rpmdb.sqlite'), syntheticBlobs());
    const { packages, issues } = await rpmCataloger.catalog(fileInput(root, 'var/lib/rpm/rpmdb.sqlite'));
    expect(issues).toEqual([]);
    expect(packages.map((p) => p.name)).toEqual(['openssl-libs', 'glibc', 'nodejs', 'no-source']);
    const [openssl, glibc, nodejs, noSource] = packages;
    const q = 'distro=rocky-9.3';
    expect(openssl).toMatchObject({
      version: '1:3.0.7-25.el9_3',
      ecosystem: 'Rocky Linux',
      distro: 'Rocky Linux:9',
      purl: `pkg:rpm/rocky/openssl-libs@3.0.7-25.el9_3?arch=x86_64&${q}&epoch=1`,
      source: { name: 'openssl', version: '1:3.0.7-25.el9_3' },
      // libc.so.6()(64bit) → glibc; itself and rpmlib() features are not edges.
      dependsOn: [glibc!.purl],
    });
    // Epoch 0 is no epoch.
    expect(glibc).toMatchObject({ version: '2.34-83.el9', purl: `pkg:rpm/rocky/glibc@2.34-83.el9?arch=x86_64&${q}`, source: { name: 'glibc', version: '2.34-83.el9' } });
    expect(nodejs!.purl).toBe(
      `pkg:rpm/rocky/nodejs@18.18.2-2.module+el9.3.0+20464+d4b4b3b5?arch=x86_64&${q}&epoch=1&modularitylabel=nodejs%3A18%3A9030020231120082734%3Arhel9`,
    );
    expect(nodejs!.dependsOn).toEqual([openssl!.purl]);
    expect(noSource).toMatchObject({ version: '1.0-1', source: { name: 'no-source', version: '1.0-1' }, purl: `pkg:rpm/rocky/no-source@1.0-1?${q}` });
  });

  it('reads an ndb Packages.db (openSUSE Leap) and reports a damaged blob without failing', async () => {
    const db = ndbFile(syntheticBlobs().slice(0, 2));
    // Corrupt one byte of the second blob's data: its checksum no longer matches.
    db[db.length - 20] = db[db.length - 20]! ^ 0xff;
    const root = rootfs({ 'etc/os-release': leapRelease, 'usr/lib/sysimage/rpm/Packages.db': db });
    const { packages, issues } = await rpmCataloger.catalog(fileInput(root, 'usr/lib/sysimage/rpm/Packages.db'));
    expect(packages.map((p) => p.name)).toEqual(['openssl-libs']);
    expect(packages[0]).toMatchObject({
      ecosystem: 'Red Hat',
      distro: 'openSUSE:Leap 15.5',
      purl: 'pkg:rpm/opensuse/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=opensuse-leap-15.5&epoch=1',
    });
    expect(issues).toEqual([{ path: 'usr/lib/sysimage/rpm/Packages.db', message: 'skipped an entry: package 2: blob checksum does not match' }]);
  });

  it('reads big-endian Berkeley DB files (s390x, ppc64)', async () => {
    const blobs = syntheticBlobs();
    const inline = berkeleyHashFile(blobs, { pageSize: 4096, littleEndian: false, inlineMax: 400 });
    const input = memoryInput('var/lib/rpm/Packages', inline, () => undefined);
    const { packages, issues } = await rpmCataloger.catalog(input);
    expect(packages.map((p) => p.name)).toEqual(['openssl-libs', 'glibc', 'nodejs', 'no-source']);
    expect((issues ?? []).map((i) => i.message)).toEqual([expect.stringMatching(/^no OS release file/)]);
    const overflow = berkeleyHashFile(blobs, { pageSize: 512, littleEndian: false });
    const again = await rpmCataloger.catalog(memoryInput('var/lib/rpm/Packages', overflow, () => undefined));
    expect(again.packages.map((p) => p.purl)).toEqual(packages.map((p) => p.purl));
  });

  it('stops at a cycle in an overflow chain and keeps the other entries', async () => {
    const db = berkeleyHashFile(syntheticBlobs().slice(0, 2), { pageSize: 512, littleEndian: true });
    // The first value's chain starts at page 2: let that page hold 10 bytes and point back at itself.
    db.writeUInt16LE(10, 2 * 512 + 22);
    db.writeUInt32LE(2, 2 * 512 + 16);
    const { packages, issues } = await rpmCataloger.catalog(memoryInput('var/lib/rpm/Packages', db, () => undefined));
    expect(packages.map((p) => p.name)).toEqual(['glibc']);
    expect((issues ?? []).map((i) => i.message)).toContain('skipped an entry: hash page 1 item 1: overflow chain reaches page 2, outside the file or already read');
  });

  it('reports an entry that is not an rpm header and keeps the others', async () => {
    const root = rootfs({});
    mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
    writeRpmSqlite(join(root, 'var/lib/rpm/rpmdb.sqlite'), [Buffer.from('garbage!'), syntheticBlobs()[1]!]);
    const { packages, issues } = await rpmCataloger.catalog(fileInput(root, 'var/lib/rpm/rpmdb.sqlite'));
    expect(packages.map((p) => p.name)).toEqual(['glibc']);
    expect((issues ?? []).map((i) => i.message)).toContain('skipped an entry: not an rpm header (1734439522 tags, 1634166049 data bytes in a 8-byte blob)');
  });

  it('rejects files that are not rpm databases', async () => {
    const at = (bytes: Buffer) => memoryInput('var/lib/rpm/Packages', bytes, () => undefined);
    await expect(rpmCataloger.catalog(at(Buffer.from('Package: foo\nVersion: 1\n')))).rejects.toThrow(/not an rpm database/);
    await expect(rpmCataloger.catalog(at(Buffer.alloc(4096, 0xab)))).rejects.toThrow(ParseError);
    const root = rootfs({});
    mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
    const { DatabaseSync } = await import('node:sqlite');
    const other = new DatabaseSync(join(root, 'var/lib/rpm/rpmdb.sqlite'));
    other.exec('CREATE TABLE Something (x)');
    other.close();
    await expect(rpmCataloger.catalog(fileInput(root, 'var/lib/rpm/rpmdb.sqlite'))).rejects.toThrow(/without a Packages table/);
    // A damaged ndb slot page, and a Berkeley DB that is not a hash database.
    const ndb = ndbFile([syntheticBlobs()[1]!]);
    ndb.write('XXXX', 48, 'latin1');
    await expect(rpmCataloger.catalog(memoryInput('usr/lib/sysimage/rpm/Packages.db', ndb, () => undefined))).rejects.toThrow(/bad magic/);
    const btree = berkeleyHashFile([], { pageSize: 512, littleEndian: true });
    btree[25] = 9;
    await expect(rpmCataloger.catalog(at(btree))).rejects.toThrow(/not a hash database/);
  });

  it('reads an empty file as no packages', async () => {
    expect(await rpmCataloger.catalog(memoryInput('var/lib/rpm/Packages', Buffer.alloc(0), () => undefined))).toEqual({ packages: [] });
  });

  it('removes its temporary copy of a SQLite database', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('palisade-rpmdb-')).length;
    await rpmCataloger.catalog(fileInput(join(fixtures, 'ubi9'), 'var/lib/rpm/rpmdb.sqlite'));
    await rpmCataloger.catalog(memoryInput('var/lib/rpm/rpmdb.sqlite', Buffer.from('SQLite format 3\0 and then junk'), () => undefined)).catch(() => {});
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('palisade-rpmdb-')).length).toBe(before);
  });

  it('wants the database files in the directories rpm uses', () => {
    for (const path of [
      'var/lib/rpm/Packages',
      'var/lib/rpm/rpmdb.sqlite',
      'var/lib/rpm/Packages.db',
      'usr/lib/sysimage/rpm/rpmdb.sqlite',
      'usr/lib/sysimage/rpm/Packages.db',
      'usr/share/rpm/rpmdb.sqlite',
      'rootfs/var/lib/rpm/Packages',
    ]) {
      expect(rpmCataloger.wants(path), path).toBe(true);
    }
    for (const path of ['var/lib/rpm/Name', 'var/lib/rpm/rpmdb.sqlite-wal', 'var/lib/rpm/Index.db', 'var/lib/rpm/Packages.bak', 'lib/rpm/Packages', 'Packages']) {
      expect(rpmCataloger.wants(path), path).toBe(false);
    }
  });
});

describe('rpm header blobs', () => {
  it('decodes strings, string arrays and 32-bit integers', () => {
    const h = parseRpmHeader(rpmPackageHeader({ name: 'x', version: '1', release: '2', epoch: 7, provides: ['a', 'b'] }));
    expect([h.string(TAG.NAME), h.int32(TAG.EPOCH), h.strings(TAG.PROVIDENAME), h.string(TAG.ARCH)]).toEqual(['x', 7, ['a', 'b'], undefined]);
  });

  it('rejects offsets and strings outside the data store', () => {
    const blob = rpmPackageHeader({ name: 'x', version: '1', release: '2' });
    const badOffset = Buffer.from(blob);
    badOffset.writeInt32BE(10_000, 8 + 8);
    expect(() => parseRpmHeader(badOffset).string(TAG.NAME)).toThrow(/outside the data store/);
    const unterminated = blob.subarray(0, blob.length - 1);
    const shortened = Buffer.from(unterminated);
    shortened.writeUInt32BE(shortened.readUInt32BE(4) - 1, 4);
    expect(() => parseRpmHeader(shortened).string(TAG.RELEASE)).toThrow(/runs past the data store/);
    expect(() => parseRpmHeader(Buffer.alloc(4))).toThrow(/too short/);
  });
});
