/**
 * `palisade scan` of a container image, end to end: a real `docker save` archive built in the
 * test (Debian 9 base layer with a dpkg database, an npm layer), a real SQLite database with real
 * advisories (DLA-3008-1 for openssl on Debian 9, GHSA-35jh-r3h4-6jhm for lodash).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.ts';
import { buildImage, dockerArchive } from '../image/build.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-scan-image-'));
const db = join(dir, 'vuln.db');
const archive = join(dir, 'app.tar');

const STATUS = [
  'Package: libssl1.1',
  'Status: install ok installed',
  'Architecture: amd64',
  'Source: openssl',
  'Version: 1.1.0l-1~deb9u5',
  '',
  'Package: bash',
  'Status: install ok installed',
  'Architecture: amd64',
  'Version: 4.4-5',
  '',
].join('\n');

function palisade(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { encoding: 'utf8', env: { ...process.env, PALISADE_DB: db } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  const advisories = join(dir, 'osv');
  mkdirSync(advisories);
  copyFileSync(join(repoRoot, 'test/fixtures/osv-match/DLA-3008-1.json'), join(advisories, 'DLA-3008-1.json'));
  copyFileSync(join(repoRoot, 'examples/osv/GHSA-35jh-r3h4-6jhm.json'), join(advisories, 'GHSA-35jh-r3h4-6jhm.json'));
  expect(palisade('db', 'import', advisories).code).toBe(0);
  const image = await buildImage([
    {
      compression: 'gzip',
      createdBy: '/bin/sh -c #(nop) ADD file:stretch.tar.gz in /',
      entries: [
        { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\nNAME="Debian GNU/Linux"\nVERSION_ID="9"\nID=debian\n' },
        { path: 'var/lib/dpkg/status', content: STATUS },
      ],
    },
    {
      compression: 'gzip',
      createdBy: 'RUN npm install lodash@4.17.20',
      entries: [{ path: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) }],
    },
  ]);
  writeFileSync(archive, await dockerArchive(image, { legacy: false }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('palisade scan <image>', () => {
  it('finds OS (by source package and release) and language vulnerabilities, each with the layer that added it', () => {
    const r = palisade('scan', `docker-archive:${archive}`, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      results: { target: { kind: string }; vulnerabilities: { id: string; aliases: string[]; package: { name: string; ecosystem: string; locations: { layer?: { createdBy?: string } }[] }; fixedVersions: string[] }[] }[];
    };
    const vulns = report.results[0]!.vulnerabilities;
    expect(report.results[0]!.target.kind).toBe('image');
    const openssl = vulns.find((v) => v.package.name === 'libssl1.1')!;
    expect(openssl.package.ecosystem).toBe('Debian:9');
    expect(openssl.fixedVersions).toEqual(['1.1.0l-1~deb9u6']);
    expect(openssl.package.locations[0]!.layer?.createdBy).toMatch(/ADD file:stretch/);
    const lodash = vulns.find((v) => v.package.name === 'lodash')!;
    expect([lodash.id, ...lodash.aliases]).toContain('CVE-2021-23337');
    expect(lodash.package.locations[0]!.layer?.createdBy).toBe('RUN npm install lodash@4.17.20');
    expect(vulns.some((v) => v.package.name === 'bash')).toBe(false);
  });
});
