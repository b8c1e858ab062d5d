import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePurl } from '../../src/core/purl.ts';
import type { Ecosystem, Package } from '../../src/core/types.ts';
import { matchPackages, type AdvisorySource } from '../../src/vuln/match.ts';
import { readOsvRecord, type OsvRecord } from '../../src/vuln/osv/record.ts';
import { normalizePackageName, ecosystemBase } from '../../src/vuln/db/names.ts';
import { repoRoot } from '../helpers/corpus.ts';

/** An in-memory advisory source with the DB's lookup semantics. */
function source(records: OsvRecord[]): AdvisorySource {
  return {
    advisoriesFor: (ecosystem, name) =>
      records.filter((r) =>
        r.affected.some(
          (a) =>
            a.package &&
            ecosystemBase(a.package.ecosystem) === ecosystemBase(ecosystem) &&
            normalizePackageName(ecosystem, a.package.name) === normalizePackageName(ecosystem, name),
        ),
      ),
  };
}

const real = (file: string) => readOsvRecord(JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/osv-match', file), 'utf8'))).record;
/** Synthetic advisories (test data written here). */
const osv = (id: string, aliases: string[], ecosystem: string, name: string, events: Record<string, string>[], extra: Record<string, unknown> = {}) =>
  readOsvRecord({ id, modified: '2024-01-01T00:00:00Z', aliases, affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }], ...extra })
    .record;

const pkg = (ecosystem: Ecosystem, name: string, version: string | undefined, extra: Partial<Package> = {}): Package => ({
  name,
  ...(version !== undefined && { version }),
  ecosystem,
  purl: makePurl(ecosystem, name, version),
  locations: [{ path: 'lock', line: 1 }],
  scope: 'required',
  ...extra,
});

describe('matchPackages', () => {
  it('matches npm names case-insensitively (GHSA names the package "Axios")', () => {
    const result = matchPackages([pkg('npm', 'axios', '1.7.2')], source([real('GHSA-8hc4-vh64-cxmj.json')]), 't');
    expect(result.findings.map((f) => f.id)).toEqual(['CVE-2024-39338']);
    expect(result.findings[0]!.vuln).toMatchObject({ aliases: ['GHSA-8hc4-vh64-cxmj'], fixedVersions: ['1.7.4'], status: 'fixed' });
    expect(result.findings[0]!.severity).toBe('HIGH');
  });

  it('merges records that alias each other into one finding, keeping every advisory id', () => {
    const records = [
      osv('PYSEC-2023-1', ['CVE-2023-1'], 'PyPI', 'Requests', [{ introduced: '0' }, { fixed: '2.31.0' }]),
      osv('GHSA-aaaa-bbbb-cccc', ['CVE-2023-1'], 'PyPI', 'requests', [{ introduced: '2.3.0' }, { fixed: '2.31.0' }], {
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N' }],
      }),
      osv('PYSEC-2020-9', [], 'PyPI', 'requests', [{ introduced: '0' }, { fixed: '2.20.0' }]),
    ];
    const result = matchPackages([pkg('PyPI', 'requests', '2.25.1')], source(records), 't');
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ id: 'CVE-2023-1', severity: 'MEDIUM' });
    expect(result.findings[0]!.vuln!.advisories).toEqual(['GHSA-aaaa-bbbb-cccc', 'PYSEC-2023-1']);
  });

  it('matches OS packages by source package and release only, honouring backported fixes', () => {
    const dla = real('DLA-3008-1.json'); // openssl, Debian:9, fixed 1.1.0l-1~deb9u6
    const libssl = (version: string, distro = 'Debian:9') =>
      pkg('Debian', 'libssl1.1', version, { distro, source: { name: 'openssl', version } });
    const result = matchPackages([libssl('1.1.0l-1~deb9u5'), libssl('1.1.0l-1~deb9u6'), libssl('1.1.0l-1~deb9u5', 'Debian:10')], source([dla]), 't');
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]!.vuln!.package).toMatchObject({ name: 'libssl1.1', version: '1.1.0l-1~deb9u5', ecosystem: 'Debian:9' });
  });

  it('reports an advisory without a fix as unfixed', () => {
    const r = osv('GHSA-x', [], 'npm', 'left-pad', [{ introduced: '0' }]);
    expect(matchPackages([pkg('npm', 'left-pad', '1.3.0')], source([r]), 't').findings[0]!.vuln!.status).toBe('unfixed');
  });

  it('names the lowest fix above the installed version first', () => {
    const r = readOsvRecord({
      id: 'GHSA-multi',
      modified: '2024-01-01T00:00:00Z',
      affected: [
        { package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0.0' }, { fixed: '2.5.1' }] }] },
        { package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.9.9' }] }] },
      ],
    }).record;
    const f = matchPackages([pkg('npm', 'a', '2.1.0')], source([r]), 't').findings[0]!;
    expect(f.vuln!.fixedVersions).toEqual(['2.5.1']);
    expect(f.remediation).toBe('upgrade a to 2.5.1');
  });

  it('does not scan unresolved, unpinned or release-less OS packages, and says why', () => {
    const r = osv('GHSA-y', [], 'PyPI', 'black', [{ introduced: '0' }]);
    const result = matchPackages(
      [pkg('PyPI', 'black', undefined), pkg('PyPI', 'black', '21.0', { groups: ['unpinned'] }), pkg('Debian', 'bash', '5.1-2')],
      source([r]),
      't',
    );
    expect(result.findings).toEqual([]);
    expect(result.scanned).toBe(0);
    expect(result.notScanned.map((n) => n.reason)).toEqual([
      'no pinned version',
      'version 21.0 is a lower bound, not the installed version',
      'OS package without a known distribution release',
    ]);
  });

  it('keeps going past malformed advisory data and reports it once', () => {
    const result = matchPackages([pkg('npm', 'protobufjs', '6.11.3'), pkg('npm', 'protobufjs', '7.0.0')], source([real('GHSA-h755-8qp9-cq85.json')]), 't');
    expect(result.findings).toHaveLength(2);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/GHSA-h755-8qp9-cq85 \(protobufjs\): fixed "7\.2\.4, 6\.11\.4"/);
  });

  it('sorts findings by severity, then package, then id', () => {
    const records = [
      osv('GHSA-low', [], 'npm', 'b', [{ introduced: '0' }], { database_specific: { severity: 'LOW' } }),
      osv('GHSA-crit', [], 'npm', 'c', [{ introduced: '0' }], { database_specific: { severity: 'CRITICAL' } }),
      osv('GHSA-high', [], 'npm', 'a', [{ introduced: '0' }], { database_specific: { severity: 'HIGH' } }),
    ];
    const result = matchPackages([pkg('npm', 'a', '1.0.0'), pkg('npm', 'b', '1.0.0'), pkg('npm', 'c', '1.0.0')], source(records), 't');
    expect(result.findings.map((f) => f.id)).toEqual(['GHSA-crit', 'GHSA-high', 'GHSA-low']);
  });

  it('looks each name up once per call, however many packages share it', () => {
    const records = [osv('PYSEC-2023-1', [], 'PyPI', 'requests', [{ introduced: '0' }, { fixed: '2.31.0' }])];
    const inner = source(records);
    const lookups: string[] = [];
    const counting: AdvisorySource = { advisoriesFor: (e, n) => (lookups.push(`${e}/${n}`), inner.advisoriesFor(e, n)) };
    const packages = [
      pkg('PyPI', 'requests', '2.25.1', { purl: 'a' }),
      pkg('PyPI', 'Requests', '2.31.0', { purl: 'b' }),
      pkg('PyPI', 'urllib3', '1.0.0'),
      pkg('PyPI', 'requests', '2.30.0', { purl: 'c' }),
    ];
    const result = matchPackages(packages, counting, 't');
    expect(lookups.sort()).toEqual(['PyPI/requests', 'PyPI/urllib3']);
    expect(result.findings.map((f) => f.vuln!.package.purl).sort()).toEqual(['a', 'c']);
  });
});

describe('matchPackages: distribution streams', () => {
  it('matches a RHEL package against every repository stream of its release, and no other release', () => {
    const r = osv('RHSA-2024:0001', ['CVE-2024-1'], 'Red Hat:enterprise_linux:9::appstream', 'openssl', [{ introduced: '0' }, { fixed: '1:3.0.7-25.el9_3' }]);
    const rpm = (version: string, distro: string) => pkg('Red Hat', 'openssl-libs', version, { distro, source: { name: 'openssl', version } });
    const result = matchPackages([rpm('1:3.0.7-24.el9', 'Red Hat:enterprise_linux:9'), rpm('1:3.0.7-24.el9', 'Red Hat:enterprise_linux:8')], source([r]), 't');
    expect(result.findings.map((f) => f.vuln!.package.ecosystem)).toEqual(['Red Hat:enterprise_linux:9']);
  });

  it('keeps Ubuntu Pro and LTS streams apart', () => {
    const r = osv('UBUNTU-CVE-X', [], 'Ubuntu:Pro:22.04:LTS', 'bash', [{ introduced: '0' }, { fixed: '5.1-6ubuntu1.1' }]);
    const deb = pkg('Ubuntu', 'bash', '5.1-6ubuntu1', { distro: 'Ubuntu:22.04:LTS' });
    expect(matchPackages([deb], source([r]), 't').findings).toEqual([]);
  });
});
