import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/json.ts';
import { CREATED_AT, sampleReport } from './scan-fixture.ts';

type Doc = {
  schemaVersion: number;
  tool: { name: string; version: string };
  createdAt: string;
  db: unknown;
  results: Record<string, unknown>[];
  summary: { bySeverity: Record<string, number>; total: number; suppressed: number };
};

const parse = (text: string) => JSON.parse(text) as Doc;

describe('scan JSON', () => {
  const text = renderJson(sampleReport());
  const doc = parse(text);

  it('has the documented top-level shape', () => {
    expect(Object.keys(doc)).toEqual(['schemaVersion', 'tool', 'createdAt', 'db', 'results', 'summary']);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.tool).toEqual({ name: 'palisade', version: '0.1.0' });
    expect(doc.createdAt).toBe(CREATED_AT);
    expect(doc.db).toEqual({ schemaVersion: 1, updatedAt: '2026-01-12T00:00:00Z', ageDays: 3 });
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('reports each target with what was and was not scanned', () => {
    const r = doc.results[0]!;
    expect(Object.keys(r)).toEqual(['target', 'complete', 'packagesScanned', 'notScanned', 'incomplete', 'vulnerabilities']);
    expect(r.target).toEqual({ kind: 'dir', name: 'examples/app' });
    expect(r.complete).toBe(false);
    expect(r.packagesScanned).toBe(4);
    expect(r.notScanned).toContainEqual({ purl: 'pkg:pypi/black', reason: 'no pinned version' });
    expect(r.incomplete).toEqual([{ path: 'broken/yarn.lock', line: 7, message: 'javascript/yarn-lock: unexpected token' }]);
  });

  it('lists unsuppressed vulnerabilities sorted by severity, with their details', () => {
    const vulns = doc.results[0]!.vulnerabilities as Record<string, unknown>[];
    expect(vulns.map((v) => v.id)).toEqual(['CVE-2021-44906', 'CVE-2021-23337', 'CVE-2018-18074', 'GHSA-29mw-wpgm-hmr9']);
    const lodash = vulns[1]!;
    expect(lodash).toMatchObject({
      id: 'CVE-2021-23337',
      aliases: ['GHSA-35jh-r3h4-6jhm'],
      severity: 'HIGH',
      severitySource: 'cvss',
      cvss: { version: '3.1', score: 7.2 },
      title: 'Command Injection in lodash',
      status: 'fixed',
      fixedVersions: ['4.17.21'],
      remediation: 'upgrade lodash to 4.17.21',
      references: ['https://nvd.nist.gov/vuln/detail/CVE-2021-23337', 'https://github.com/lodash/lodash/commit/3469357'],
      published: '2021-02-15T11:15:12Z',
      package: { name: 'lodash', version: '4.17.20', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.20', scope: 'required' },
    });
    expect((lodash.package as { locations: unknown[] }).locations).toHaveLength(2);
    expect(lodash.suppression).toBeUndefined();
    const requests = vulns[2]!;
    expect(requests.cvss).toBeUndefined();
    expect(requests.severitySource).toBe('ghsa');
  });

  it('counts suppressed findings and lists them only when asked', () => {
    expect(doc.summary).toEqual({ bySeverity: { CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1, UNKNOWN: 0 }, total: 4, suppressed: 2 });
    expect(doc.results[0]!.suppressed).toBeUndefined();
    const shown = parse(renderJson(sampleReport(), { showSuppressed: true }));
    const suppressed = shown.results[0]!.suppressed as Record<string, unknown>[];
    expect(suppressed.map((s) => s.id)).toEqual(['CVE-2023-32681', 'GHSA-vh95-rmgr-6w4m']);
    expect(suppressed[0]!.suppression).toEqual({
      kind: 'vex',
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      source: 'vex.openvex.json',
    });
    // Listing them changes nothing else.
    expect(shown.summary).toEqual(doc.summary);
    expect((shown.results[0]!.vulnerabilities as unknown[]).length).toBe(4);
  });

  it('is deterministic and keeps db null when no database was used', () => {
    expect(renderJson(sampleReport())).toBe(text);
    const noDb = sampleReport();
    delete noDb.db;
    expect(parse(renderJson(noDb)).db).toBeNull();
  });
});
