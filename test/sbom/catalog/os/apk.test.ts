import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import { apkCataloger } from '../../../../src/sbom/catalog/os/apk.ts';
import { fileInput, memoryInput } from '../../../../src/sbom/catalog/tree.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/catalog/os/apk');

function byName(packages: Package[], name: string): Package {
  const found = packages.find((p) => p.name === name);
  if (!found) throw new Error(`no package ${name}`);
  return found;
}

describe('os/apk', () => {
  it('reads an Alpine 3.18 database with origins, licenses, lines and resolved dependencies', async () => {
    const { packages, issues } = await apkCataloger.catalog(fileInput(join(fixtures, 'alpine-3.18'), 'lib/apk/db/installed'));
    expect(issues).toEqual([]);
    expect(packages).toHaveLength(15);
    const purl = (name: string, version: string, arch = 'x86_64') => `pkg:apk/alpine/${name}@${version}?arch=${arch}&distro=alpine-3.18.4`;
    expect(byName(packages, 'alpine-baselayout')).toEqual({
      name: 'alpine-baselayout',
      version: '3.4.3-r1',
      ecosystem: 'Alpine',
      purl: purl('alpine-baselayout', '3.4.3-r1'),
      locations: [{ path: 'lib/apk/db/installed', line: 2 }],
      scope: 'required',
      licenses: ['GPL-2.0-only'],
      source: { name: 'alpine-baselayout', version: '3.4.3-r1' },
      distro: 'Alpine:v3.18',
      // D:alpine-baselayout-data=3.4.3-r1 /bin/sh — /bin/sh is provided by busybox-binsh.
      dependsOn: [purl('alpine-baselayout-data', '3.4.3-r1'), purl('busybox-binsh', '1.36.0-r9')],
    });
    expect(byName(packages, 'libssl3').source).toEqual({ name: 'openssl', version: '3.1.0-r4' });
    // so: dependencies resolve through the p: lines of musl and libcrypto3.
    expect(byName(packages, 'libssl3').dependsOn).toEqual([purl('libcrypto3', '3.1.0-r4'), purl('musl', '1.2.4-r0')]);
    expect(byName(packages, 'ssl_client').source).toEqual({ name: 'busybox', version: '1.36.0-r9' });
  });

  it('handles Wolfi, usr/lib/apk, conflicts, versioned dependencies and records without a name', async () => {
    const { packages, issues } = await apkCataloger.catalog(fileInput(join(fixtures, 'wolfi-edge-cases'), 'usr/lib/apk/db/installed'));
    expect(packages.map((p) => p.name)).toEqual(['glibc', 'wolfi-baselayout', 'libcrypto3', 'ca-certificates-bundle']);
    expect(issues).toEqual([{ path: 'usr/lib/apk/db/installed', line: 34, message: 'skipped a record without a package name (P:)' }]);
    const purl = (name: string, version: string, arch = 'x86_64') => `pkg:apk/wolfi/${name}@${version}?arch=${arch}&distro=wolfi-20230201`;
    const crypto = byName(packages, 'libcrypto3');
    expect(crypto).toMatchObject({ ecosystem: 'Wolfi', distro: 'Wolfi', purl: purl('libcrypto3', '3.1.4-r0'), source: { name: 'openssl' } });
    // so:… → glibc through its provides; `!libcrypto1.1` is a conflict; `wolfi-baselayout>=…` a versioned dependency.
    expect(crypto.dependsOn).toEqual([purl('glibc', '2.38-r5'), purl('wolfi-baselayout', '20230201-r7')]);
    expect(byName(packages, 'wolfi-baselayout').source).toEqual({ name: 'wolfi-base', version: '20230201-r7' });
    expect(byName(packages, 'ca-certificates-bundle')).toMatchObject({
      licenses: ['MPL-2.0 AND MIT'],
      source: { name: 'ca-certificates-bundle', version: '20230506-r0' },
      dependsOn: [purl('libcrypto3', '3.1.4-r0')],
    });
  });

  it('lists packages without a release when no OS release file is found', async () => {
    const input = memoryInput('lib/apk/db/installed', Buffer.from('P:musl\nV:1.2.4-r2\nA:aarch64\no:musl\n'), () => undefined);
    const { packages, issues } = await apkCataloger.catalog(input);
    expect(packages).toEqual([
      {
        name: 'musl',
        version: '1.2.4-r2',
        ecosystem: 'Alpine',
        purl: 'pkg:apk/alpine/musl@1.2.4-r2?arch=aarch64',
        locations: [{ path: 'lib/apk/db/installed', line: 1 }],
        scope: 'required',
        source: { name: 'musl', version: '1.2.4-r2' },
      },
    ]);
    expect(issues).toHaveLength(1);
    expect(issues?.[0]?.message).toMatch(/^no OS release file/);
  });

  it('falls back to etc/alpine-release', async () => {
    const input = memoryInput('lib/apk/db/installed', Buffer.from('P:musl\nV:1.2.4-r2\n'), (p) =>
      p === 'etc/alpine-release' ? Buffer.from('3.19.1\n') : undefined,
    );
    const { packages } = await apkCataloger.catalog(input);
    expect(packages[0]).toMatchObject({ distro: 'Alpine:v3.19', purl: 'pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.19.1' });
  });

  it('wants lib/apk/db/installed and usr/lib/apk/db/installed only', () => {
    for (const path of ['lib/apk/db/installed', 'usr/lib/apk/db/installed', 'rootfs/lib/apk/db/installed']) {
      expect(apkCataloger.wants(path), path).toBe(true);
    }
    for (const path of ['lib/apk/db/installed.bak', 'lib/apk/db/scripts.tar', 'apk/db/installed', 'mylib/apk/db/installed', 'installed']) {
      expect(apkCataloger.wants(path), path).toBe(false);
    }
  });

  it('rejects files that are not apk databases', async () => {
    const invalid = fileInput(join(fixtures, 'invalid'), 'lib/apk/db/installed');
    await expect(apkCataloger.catalog(invalid)).rejects.toThrow(ParseError);
    await expect(apkCataloger.catalog(invalid)).rejects.toMatchObject({ line: 1 });
    const binary = memoryInput('lib/apk/db/installed', Buffer.from([0x1f, 0x8b, 8, 0, 0]), () => undefined);
    await expect(apkCataloger.catalog(binary)).rejects.toThrow(/binary content/);
  });

  it('reads an empty database as no packages', async () => {
    const empty = memoryInput('lib/apk/db/installed', Buffer.from(''), () => Buffer.from('ID=alpine\nVERSION_ID=3.20.0\n'));
    expect(await apkCataloger.catalog(empty)).toEqual({ packages: [], issues: [] });
  });
});
