import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directoryTree } from '../../src/sbom/catalog/tree.ts';
import { detectOs, parseKeyValues } from '../../src/sbom/os-release.ts';
import { repoRoot } from '../helpers/corpus.ts';

/** A read function over an in-memory root filesystem. */
function files(entries: Record<string, string>) {
  return async (path: string) => entries[path];
}

function osRelease(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}="${v}"`)
    .join('\n');
}

describe('detectOs', () => {
  it.each([
    [{ ID: 'debian', VERSION_ID: '12', VERSION_CODENAME: 'bookworm', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' }, 'Debian:12'],
    [{ ID: 'debian', VERSION_ID: '9', PRETTY_NAME: 'Debian GNU/Linux 9 (stretch)' }, 'Debian:9'],
    [{ ID: 'ubuntu', VERSION_ID: '22.04', PRETTY_NAME: 'Ubuntu 22.04.3 LTS' }, 'Ubuntu:22.04:LTS'],
    [{ ID: 'ubuntu', VERSION_ID: '18.04', PRETTY_NAME: 'Ubuntu 18.04.6 LTS' }, 'Ubuntu:18.04:LTS'],
    [{ ID: 'ubuntu', VERSION_ID: '23.10', PRETTY_NAME: 'Ubuntu 23.10' }, 'Ubuntu:23.10'],
    [{ ID: 'ubuntu', VERSION_ID: '23.04', PRETTY_NAME: 'Ubuntu 23.04' }, 'Ubuntu:23.04'],
    [{ ID: 'alpine', VERSION_ID: '3.18.4', PRETTY_NAME: 'Alpine Linux v3.18' }, 'Alpine:v3.18'],
    [{ ID: 'wolfi', VERSION_ID: '20230201', PRETTY_NAME: 'Wolfi' }, 'Wolfi'],
    [{ ID: 'chainguard', VERSION_ID: '20230214', PRETTY_NAME: 'Chainguard' }, 'Chainguard'],
    [{ ID: 'rhel', VERSION_ID: '9.2', PRETTY_NAME: 'Red Hat Enterprise Linux 9.2 (Plow)' }, 'Red Hat:enterprise_linux:9'],
    [{ ID: 'rocky', VERSION_ID: '8.9', PRETTY_NAME: 'Rocky Linux 8.9 (Green Obsidian)' }, 'Rocky Linux:8'],
    [{ ID: 'almalinux', VERSION_ID: '9.3', PRETTY_NAME: 'AlmaLinux 9.3 (Shamrock Pampas Cat)' }, 'AlmaLinux:9'],
    [{ ID: 'opensuse-leap', VERSION_ID: '15.5', PRETTY_NAME: 'openSUSE Leap 15.5' }, 'openSUSE:Leap 15.5'],
    [{ ID: 'opensuse-tumbleweed', VERSION_ID: '20231201', PRETTY_NAME: 'openSUSE Tumbleweed' }, 'openSUSE:Tumbleweed'],
    [{ ID: 'sles', VERSION_ID: '15.5', PRETTY_NAME: 'SUSE Linux Enterprise Server 15 SP5' }, 'SUSE:Linux Enterprise Server 15 SP5'],
    [{ ID: 'photon', VERSION_ID: '5.0', PRETTY_NAME: 'VMware Photon OS/Linux' }, 'Photon OS:5.0'],
    [{ ID: 'azurelinux', VERSION_ID: '3.0.20240824', PRETTY_NAME: 'Microsoft Azure Linux 3.0' }, 'Azure Linux:3.0'],
  ])('maps %o to %s', async (fields, ecosystem) => {
    const os = await detectOs(files({ 'etc/os-release': osRelease(fields) }));
    expect(os?.osvEcosystem).toBe(ecosystem);
    expect(os?.unmatched).toBeUndefined();
    expect(os?.id).toBe(fields.ID);
    expect(os?.versionId).toBe(fields.VERSION_ID);
  });

  it('reads ID_LIKE, the codename and the pretty name', async () => {
    const os = await detectOs(
      files({
        'etc/os-release': 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 22.04.3 LTS"\nVERSION_CODENAME=jammy\n',
      }),
    );
    expect(os).toEqual({
      id: 'ubuntu',
      versionId: '22.04',
      codename: 'jammy',
      idLike: ['debian'],
      prettyName: 'Ubuntu 22.04.3 LTS',
      osvEcosystem: 'Ubuntu:22.04:LTS',
    });
  });

  it('falls back to usr/lib/os-release', async () => {
    const os = await detectOs(files({ 'usr/lib/os-release': 'ID=debian\nVERSION_ID="11"\n' }));
    expect(os?.osvEcosystem).toBe('Debian:11');
    expect(os?.prettyName).toBe('debian 11');
  });

  it('says that Debian testing/sid has no release number', async () => {
    const os = await detectOs(
      files({
        'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n',
        'etc/debian_version': 'trixie/sid\n',
      }),
    );
    expect(os?.osvEcosystem).toBeUndefined();
    expect(os?.unmatched).toBe('Debian GNU/Linux trixie/sid has no release number, and OSV publishes advisories per release');
  });

  it('takes the Debian release from debian_version when os-release lacks VERSION_ID', async () => {
    const os = await detectOs(files({ 'etc/os-release': 'ID=debian\n', 'etc/debian_version': '12.5\n' }));
    expect(os?.versionId).toBe('12.5');
    expect(os?.osvEcosystem).toBe('Debian:12');
  });

  it('says that Alpine edge has no OSV release', async () => {
    const os = await detectOs(
      files({ 'etc/os-release': 'ID=alpine\nVERSION_ID=3.19.0_alpha20230901\nPRETTY_NAME="Alpine Linux edge"\n' }),
    );
    expect(os?.osvEcosystem).toBeUndefined();
    expect(os?.unmatched).toMatch(/development branch/);
  });

  it.each([
    ['amzn', '2', 'Amazon Linux 2'],
    ['centos', '7', 'CentOS Linux 7 (Core)'],
    ['fedora', '39', 'Fedora Linux 39 (Container Image)'],
    ['ol', '8.9', 'Oracle Linux Server 8.9'],
  ])('has no OSV ecosystem for %s', async (id, version, pretty) => {
    const os = await detectOs(files({ 'etc/os-release': `ID="${id}"\nVERSION_ID="${version}"\nPRETTY_NAME="${pretty}"\n` }));
    expect(os?.osvEcosystem).toBeUndefined();
    expect(os?.unmatched).toBe(`OSV publishes no advisories for ${pretty}`);
  });

  it('names unknown systems without guessing an ecosystem', async () => {
    const os = await detectOs(files({ 'etc/os-release': 'ID=arch\nPRETTY_NAME="Arch Linux"\nBUILD_ID=rolling\n' }));
    expect(os?.osvEcosystem).toBeUndefined();
    expect(os?.unmatched).toBe('Arch Linux is not a distribution Palisade knows the OSV ecosystem of');
  });

  it('reads lsb-release before debian_version (Ubuntu ships both)', async () => {
    const os = await detectOs(
      files({
        'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=16.04\nDISTRIB_CODENAME=xenial\nDISTRIB_DESCRIPTION="Ubuntu 16.04.7 LTS"\n',
        'etc/debian_version': 'stretch/sid\n',
      }),
    );
    expect(os).toMatchObject({ id: 'ubuntu', versionId: '16.04', codename: 'xenial', prettyName: 'Ubuntu 16.04.7 LTS', osvEcosystem: 'Ubuntu:16.04:LTS' });
  });

  it('reads alpine-release', async () => {
    const os = await detectOs(files({ 'etc/alpine-release': '3.9.6\n' }));
    expect(os).toMatchObject({ id: 'alpine', versionId: '3.9.6', osvEcosystem: 'Alpine:v3.9' });
  });

  it.each([
    ['8.11', 'Debian:8', undefined],
    ['buster/sid', undefined, 'buster/sid'],
  ])('reads debian_version %s', async (content, ecosystem, codename) => {
    const os = await detectOs(files({ 'etc/debian_version': `${content}\n` }));
    expect(os?.id).toBe('debian');
    expect(os?.osvEcosystem).toBe(ecosystem);
    expect(os?.codename).toBe(codename);
  });

  it.each([
    ['Red Hat Enterprise Linux Server release 7.9 (Maipo)', 'rhel', '7.9', 'Red Hat:enterprise_linux:7'],
    ['CentOS Linux release 7.9.2009 (Core)', 'centos', '7.9.2009', undefined],
    ['Rocky Linux release 8.8 (Green Obsidian)', 'rocky', '8.8', 'Rocky Linux:8'],
    ['AlmaLinux release 9.2 (Turquoise Kodkod)', 'almalinux', '9.2', 'AlmaLinux:9'],
  ])('reads redhat-release "%s"', async (line, id, version, ecosystem) => {
    const os = await detectOs(files({ 'etc/redhat-release': `${line}\n` }));
    expect(os).toMatchObject({ id, versionId: version, prettyName: line });
    expect(os?.osvEcosystem).toBe(ecosystem);
  });

  it('returns undefined when no release file exists', async () => {
    expect(await detectOs(files({}))).toBeUndefined();
    expect(await detectOs(files({ 'etc/redhat-release': 'Something else entirely\n' }))).toBeUndefined();
  });

  it('reads from a FileTree', async () => {
    const tree = directoryTree(join(repoRoot, 'test/fixtures/catalog/os/dpkg/bookworm'));
    const os = await detectOs(tree);
    expect(os).toMatchObject({ id: 'debian', versionId: '12', codename: 'bookworm', osvEcosystem: 'Debian:12' });
    expect(await detectOs(directoryTree(join(repoRoot, 'test/fixtures/catalog/os/dpkg/no-os-release')))).toBeUndefined();
  });
});

describe('parseKeyValues', () => {
  it('unquotes values and skips comments and junk', () => {
    expect(parseKeyValues('# comment\nA="x y"\nB=\'z\'\nC=plain\nD="esc \\"q\\""\nnot a line\n E=spaced\n')).toEqual({
      A: 'x y',
      B: 'z',
      C: 'plain',
      D: 'esc "q"',
      E: 'spaced',
    });
  });
});
