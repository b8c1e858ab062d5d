import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import type { Package } from '../../../../src/core/types.ts';
import { dpkgCataloger } from '../../../../src/sbom/catalog/os/dpkg.ts';
import { fileInput, memoryInput } from '../../../../src/sbom/catalog/tree.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/catalog/os/dpkg');

async function catalog(root: string, path = 'var/lib/dpkg/status') {
  return dpkgCataloger.catalog(fileInput(join(fixtures, root), path));
}

function byName(packages: Package[], name: string, arch?: string): Package {
  const found = packages.find((p) => p.name === name && (!arch || p.purl.includes(`arch=${arch}`)));
  if (!found) throw new Error(`no package ${name}`);
  return found;
}

describe('os/dpkg', () => {
  it('reads a Debian 12 status file with the release, sources, lines and edges', async () => {
    const { packages, issues } = await catalog('bookworm');
    expect(issues).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'accountsservice@22.08.8-6',
      'acl@2.3.1-3',
      'adduser@3.131',
      'admin-session@2023.06.26.c543406313-00',
      'attr@1:2.5.1-4',
      'libacl1@2.3.1-3',
      'util-linux-extra@2.38.1-5+b1',
    ]);
    expect(byName(packages, 'acl')).toEqual({
      name: 'acl',
      version: '2.3.1-3',
      ecosystem: 'Debian',
      purl: 'pkg:deb/debian/acl@2.3.1-3?arch=amd64&distro=debian-12',
      locations: [{ path: 'var/lib/dpkg/status', line: 19 }],
      scope: 'required',
      source: { name: 'acl', version: '2.3.1-3' },
      distro: 'Debian:12',
      // Depends: libacl1 (= 2.3.1-3), libc6 (>= 2.34): libc6 is not installed here.
      dependsOn: ['pkg:deb/debian/libacl1@2.3.1-3?arch=amd64&distro=debian-12'],
      // From the machine-readable usr/share/doc/acl/copyright.
      licenses: ['GPL-2+', 'LGPL-2+'],
    });
    expect(byName(packages, 'libacl1').source).toEqual({ name: 'acl', version: '2.3.1-3' });
    // A binNMU: the binary version differs from its source's.
    expect(byName(packages, 'util-linux-extra').source).toEqual({ name: 'util-linux', version: '2.38.1-5' });
    expect(byName(packages, 'attr').purl).toBe('pkg:deb/debian/attr@1:2.5.1-4?arch=amd64&distro=debian-12');
    // adduser's copyright file is free text: no license is guessed from it.
    expect(byName(packages, 'adduser').licenses).toBeUndefined();
  });

  it('handles multi-arch, package states, Provides, Pre-Depends and alternatives (Ubuntu 22.04)', async () => {
    const { packages, issues } = await catalog('jammy-edge-cases');
    expect(packages.map((p) => p.name)).toEqual(['libc6', 'libc6', 'libgcc-s1', 'gcc-12-base', 'mawk', 'base-files', 'libpam-modules']);
    expect(issues).toEqual([{ path: 'var/lib/dpkg/status', line: 54, message: 'skipped a stanza without a Package field' }]);
    const purl = (name: string, version: string, arch = 'amd64') => `pkg:deb/ubuntu/${name}@${version}?arch=${arch}&distro=ubuntu-22.04`;
    const libc = byName(packages, 'libc6', 'amd64');
    expect(libc).toMatchObject({ ecosystem: 'Ubuntu', distro: 'Ubuntu:22.04:LTS', source: { name: 'glibc', version: '2.35-0ubuntu3.4' } });
    expect(libc.purl).toBe(purl('libc6', '2.35-0ubuntu3.4'));
    expect(byName(packages, 'libc6', 'i386').purl).toBe(purl('libc6', '2.35-0ubuntu3.4', 'i386'));
    // The amd64 libc6 is preferred over the i386 one for an amd64 package.
    expect(byName(packages, 'libgcc-s1').dependsOn).toEqual([purl('gcc-12-base', '12.3.0-1ubuntu1~22.04'), purl('libc6', '2.35-0ubuntu3.4')]);
    expect(byName(packages, 'mawk').dependsOn).toEqual([purl('libc6', '2.35-0ubuntu3.4')]);
    // Pre-Depends: awk (provided by mawk); `missing-pkg | mawk:any [amd64] <!stage1>` → mawk;
    // `libc6 | libgcc-s1` → libc6, the first installed alternative.
    expect(byName(packages, 'base-files').dependsOn).toEqual([purl('libc6', '2.35-0ubuntu3.4'), purl('mawk', '1.3.4.20200120-3')]);
    expect(byName(packages, 'gcc-12-base').locations).toEqual([{ path: 'var/lib/dpkg/status', line: 24 }]);
    expect(byName(packages, 'libpam-modules').source).toEqual({ name: 'pam', version: '1.4.0-11ubuntu2' });
  });

  it('reads distroless status.d files, which have no Status field', async () => {
    const base = await catalog('distroless', 'var/lib/dpkg/status.d/base-files');
    expect(base.issues).toEqual([]);
    expect(base.packages).toEqual([
      {
        name: 'base-files',
        version: '12.4+deb12u5',
        ecosystem: 'Debian',
        purl: 'pkg:deb/debian/base-files@12.4+deb12u5?arch=amd64&distro=debian-12',
        locations: [{ path: 'var/lib/dpkg/status.d/base-files', line: 1 }],
        scope: 'required',
        source: { name: 'base-files', version: '12.4+deb12u5' },
        distro: 'Debian:12',
      },
    ]);
    const ssl = await catalog('distroless', 'var/lib/dpkg/status.d/libssl3');
    expect(ssl.packages[0]).toMatchObject({ name: 'libssl3', source: { name: 'openssl', version: '3.0.11-1~deb12u2' } });
  });

  it('lists packages without a release when os-release is missing (with an issue) or names no release', async () => {
    const none = await catalog('no-os-release');
    expect(none.packages).toEqual([
      {
        name: 'zlib1g',
        version: '1:1.2.13.dfsg-1',
        ecosystem: 'Debian',
        purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=arm64',
        locations: [{ path: 'var/lib/dpkg/status', line: 1 }],
        scope: 'required',
        source: { name: 'zlib', version: '1:1.2.13.dfsg-1' },
      },
    ]);
    expect(none.issues).toEqual([
      {
        path: 'var/lib/dpkg/status',
        message:
          'no OS release file (etc/os-release) found for this package database: its packages are listed without a distribution release, so distribution advisories cannot be matched',
      },
    ]);
    const sid = await catalog('sid');
    expect(sid.packages[0]!.distro).toBeUndefined();
    expect(sid.packages[0]!.purl).toBe('pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=arm64');
    expect(sid.issues).toEqual([]);
  });

  it('finds the OS release relative to a database below the scan root', async () => {
    const input = memoryInput('images/app/var/lib/dpkg/status', Buffer.from('Package: a\nStatus: install ok installed\nVersion: 1\n'), (p) =>
      p === 'images/app/etc/os-release' ? Buffer.from('ID=ubuntu\nVERSION_ID="24.04"\n') : undefined,
    );
    const { packages, issues } = await dpkgCataloger.catalog(input);
    expect(issues).toEqual([]);
    expect(packages[0]).toMatchObject({ ecosystem: 'Ubuntu', distro: 'Ubuntu:24.04:LTS', purl: 'pkg:deb/ubuntu/a@1?distro=ubuntu-24.04' });
  });

  it('does not give dpkg packages the release of another distribution', async () => {
    const input = memoryInput('var/lib/dpkg/status', Buffer.from('Package: a\nVersion: 1\n'), (p) =>
      p === 'etc/os-release' ? Buffer.from('ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME="Alpine Linux v3.18"\n') : undefined,
    );
    const { packages, issues } = await dpkgCataloger.catalog(input);
    expect(packages[0]).toMatchObject({ ecosystem: 'Debian', purl: 'pkg:deb/debian/a@1' });
    expect(packages[0]!.distro).toBeUndefined();
    expect(issues?.[0]?.message).toMatch(/^dpkg packages on Alpine Linux v3.18 are not in Alpine:v3.18: /);
  });

  it('wants the status file and status.d entries, not their md5sums or look-alikes', () => {
    for (const path of ['var/lib/dpkg/status', 'rootfs/var/lib/dpkg/status', 'var/lib/dpkg/status.d/libc6', 'var/lib/dpkg/status.d/base-files']) {
      expect(dpkgCataloger.wants(path), path).toBe(true);
    }
    for (const path of [
      'var/lib/dpkg/status.d/base-files.md5sums',
      'var/lib/dpkg/status-old',
      'var/lib/dpkg/available',
      'var/lib/dpkg/status.d/sub/dir',
      'lib/dpkg/status',
      'myvar/lib/dpkg/status',
      'status',
    ]) {
      expect(dpkgCataloger.wants(path), path).toBe(false);
    }
  });

  it('rejects files that are not deb822', async () => {
    await expect(catalog('invalid')).rejects.toThrow(ParseError);
    await expect(catalog('invalid')).rejects.toMatchObject({ line: 1 });
    const binary = memoryInput('var/lib/dpkg/status', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), () => undefined);
    await expect(dpkgCataloger.catalog(binary)).rejects.toThrow(/binary content/);
    const continuation = memoryInput('var/lib/dpkg/status', Buffer.from(' leading continuation\n'), () => undefined);
    await expect(dpkgCataloger.catalog(continuation)).rejects.toMatchObject({ line: 1 });
  });

  it('reads an empty status file as no packages', async () => {
    const empty = memoryInput('var/lib/dpkg/status', Buffer.from(''), () => Buffer.from('ID=debian\nVERSION_ID=12\n'));
    expect(await dpkgCataloger.catalog(empty)).toEqual({ packages: [], issues: [] });
  });
});
