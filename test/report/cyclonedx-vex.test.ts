import { describe, expect, it } from 'vitest';
import { renderCycloneDxVex } from '../../src/report/cyclonedx-vex.ts';
import type { ScanReport } from '../../src/report/scan-report.ts';
import { cycloneDxValidator } from '../helpers/schemas.ts';
import { CREATED_AT, lodash, LODASH_CVE, sampleReport } from './scan-fixture.ts';

type Json = Record<string, unknown>;
interface Vuln {
  id: string;
  source: Json;
  references?: Json[];
  ratings: Json[];
  description: string;
  detail?: string;
  recommendation: string;
  advisories?: { url: string }[];
  published?: string;
  updated?: string;
  affects: { ref: string; versions: Json[] }[];
  analysis?: Json;
}

const parse = (text: string) => JSON.parse(text) as Json & { components: Json[]; vulnerabilities: Vuln[]; serialNumber: string; metadata: Json };

describe('CycloneDX 1.6 with vulnerabilities', () => {
  const bom = parse(renderCycloneDxVex(sampleReport()));
  const byId = (id: string, doc = bom) => doc.vulnerabilities.filter((v) => v.id === id);

  it('validates against the official 1.6 schema', () => {
    const validate = cycloneDxValidator();
    expect(validate(bom), JSON.stringify(validate.errors)).toBe(true);
    const shown = parse(renderCycloneDxVex(sampleReport(), { showSuppressed: true }));
    expect(validate(shown), JSON.stringify(validate.errors)).toBe(true);
  });

  it('carries the scanned components and points every vulnerability at one of them', () => {
    const refs = new Set(bom.components.map((c) => c['bom-ref']));
    expect(refs).toEqual(new Set(['pkg:npm/lodash@4.17.20', 'pkg:npm/minimist@1.2.0', 'pkg:pypi/requests@2.19.0', 'pkg:npm/left-pad@1.3.0']));
    for (const v of bom.vulnerabilities) for (const a of v.affects) expect(refs.has(a.ref), a.ref).toBe(true);
    expect(bom.metadata.timestamp).toBe(CREATED_AT);
    // The unreadable input is stated in the document, once.
    expect(bom.metadata.properties).toEqual([
      { name: 'palisade:incomplete', value: 'true' },
      { name: 'palisade:skipped', value: 'broken/yarn.lock:7: javascript/yarn-lock: unexpected token' },
    ]);
  });

  it('describes each vulnerability: source, aliases, ratings, fix, advisories, dates, affected version', () => {
    const [v] = byId('CVE-2021-23337');
    expect(v).toEqual({
      id: 'CVE-2021-23337',
      source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' },
      references: [{ id: 'GHSA-35jh-r3h4-6jhm', source: { name: 'GitHub Advisory Database', url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm' } }],
      ratings: [
        {
          source: { name: 'OSV', url: 'https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm' },
          score: 7.2,
          severity: 'high',
          method: 'CVSSv31',
          vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H',
        },
      ],
      description: 'Command Injection in lodash',
      detail: 'Command Injection in lodash. Longer advisory text.',
      recommendation: 'upgrade lodash to 4.17.21',
      advisories: [{ url: 'https://nvd.nist.gov/vuln/detail/CVE-2021-23337' }, { url: 'https://github.com/lodash/lodash/commit/3469357' }],
      published: '2021-02-15T11:15:12Z',
      updated: '2024-03-01T00:00:00Z',
      affects: [{ ref: 'pkg:npm/lodash@4.17.20', versions: [{ version: '4.17.20', status: 'affected' }] }],
    });
    // No CVSS vector: the severity and where it came from.
    expect(byId('CVE-2018-18074')[0]!.ratings).toEqual([
      { source: { name: 'OSV', url: 'https://osv.dev/vulnerability/CVE-2018-18074' }, severity: 'medium', method: 'other', justification: 'severity from ghsa' },
    ]);
    expect(bom.vulnerabilities.map((x) => x.id).slice(0, 2)).toEqual(['CVE-2021-44906', 'CVE-2021-23337']);
  });

  it('passes VEX statements on as analysis, and leaves ignore-rule suppressions out by default', () => {
    const [vex] = byId('CVE-2023-32681');
    expect(vex!.analysis).toEqual({
      state: 'not_affected',
      justification: 'code_not_reachable',
      detail: 'VEX vex.openvex.json: not_affected (vulnerable_code_not_in_execute_path)',
    });
    expect(byId('GHSA-vh95-rmgr-6w4m')).toEqual([]);
    const shown = parse(renderCycloneDxVex(sampleReport(), { showSuppressed: true }));
    expect(byId('GHSA-vh95-rmgr-6w4m', shown)[0]!.analysis).toEqual({ detail: 'ignore rule .palisadeignore: ignored (dev tooling only)' });
    expect(byId('CVE-2021-23337', shown)[0]!.analysis).toBeUndefined();
  });

  it('merges packages sharing an id into one entry unless their analyses differ', () => {
    const report = sampleReport();
    const other = { ...lodash, name: 'lodash-es', purl: 'pkg:npm/lodash-es@4.17.20', locations: [{ path: 'web/package-lock.json', line: 90 }] };
    const otherFinding = { ...LODASH_CVE, vuln: { ...LODASH_CVE.vuln!, package: { ...LODASH_CVE.vuln!.package, name: other.name, purl: other.purl, locations: other.locations } } };
    report.targets[0]!.findings.push(otherFinding, {
      ...otherFinding,
      vuln: { ...otherFinding.vuln, package: { ...otherFinding.vuln.package, purl: 'pkg:npm/lodash-es@4.17.19', version: '4.17.19' } },
      suppression: { kind: 'vex', status: 'fixed', source: 'vendor.vex.json' },
    });
    const doc = parse(renderCycloneDxVex(report));
    expect(cycloneDxValidator()(doc)).toBe(true);
    const entries = byId('CVE-2021-23337', doc);
    expect(entries).toHaveLength(2);
    expect(entries[0]!.affects.map((a) => a.ref)).toEqual(['pkg:npm/lodash-es@4.17.20', 'pkg:npm/lodash@4.17.20']);
    expect(entries[1]!.analysis).toMatchObject({ state: 'resolved' });
    // Packages known only from findings still become components.
    expect(doc.components.map((c) => c['bom-ref'])).toContain('pkg:npm/lodash-es@4.17.19');
  });

  it('builds components from the findings when the target came without an SBOM', () => {
    const report: ScanReport = {
      tool: { name: 'palisade', version: '0.1.0' },
      createdAt: CREATED_AT,
      targets: [{ target: { kind: 'sbom', name: 'bom.json' }, findings: [LODASH_CVE], packagesScanned: 1, notScanned: [], incomplete: [] }],
    };
    const doc = parse(renderCycloneDxVex(report));
    expect(cycloneDxValidator()(doc)).toBe(true);
    expect(doc.components).toEqual([expect.objectContaining({ 'bom-ref': 'pkg:npm/lodash@4.17.20', name: 'lodash', version: '4.17.20' })]);
  });

  it('is deterministic, with a serial number derived from the content', () => {
    const text = renderCycloneDxVex(sampleReport());
    expect(renderCycloneDxVex(sampleReport())).toBe(text);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const later = sampleReport();
    later.createdAt = '2026-02-01T00:00:00Z';
    expect(parse(renderCycloneDxVex(later)).serialNumber).not.toBe(bom.serialNumber);
    const fixed = 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79';
    expect(parse(renderCycloneDxVex(sampleReport(), { serialNumber: fixed })).serialNumber).toBe(fixed);
  });
});
