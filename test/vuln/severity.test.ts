import { describe, expect, it } from 'vitest';
import { rateAdvisory, scoreCvss, severityOfScore } from '../../src/vuln/severity.ts';
import { readOsvRecord } from '../../src/vuln/osv/record.ts';

const record = (extra: Record<string, unknown>) => readOsvRecord({ id: 'GHSA-test', modified: '2024-01-01T00:00:00Z', ...extra }).record;

describe('CVSS scoring', () => {
  it('computes v3.1, v3.0, v4.0 and v2 base scores from vectors', () => {
    expect(scoreCvss('CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toMatchObject({ version: '3.1', score: 9.8 });
    expect(scoreCvss('CVSS_V3', 'CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N')).toMatchObject({ version: '3.0', score: 3.1 });
    expect(scoreCvss('CVSS_V4', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toMatchObject({ version: '4.0', score: 9.3 });
    expect(scoreCvss('CVSS_V2', 'AV:N/AC:L/Au:N/C:P/I:P/A:P')).toMatchObject({ version: '2.0', score: 7.5 });
  });

  it('rejects incomplete and garbage vectors with a reason', () => {
    expect(scoreCvss('CVSS_V3', 'CVSS:3.1/AV:N/AC:L')).toMatchObject({ error: expect.stringMatching(/lacks base metrics PR/) });
    expect(scoreCvss('CVSS_V3', 'garbage')).toMatchObject({ error: expect.stringMatching(/unrecognised/) });
    expect(scoreCvss('CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q')).toHaveProperty('error');
  });

  it('maps scores to Trivy severities (v2 has no CRITICAL)', () => {
    expect(severityOfScore({ version: '3.1', vector: '', score: 9.0 })).toBe('CRITICAL');
    expect(severityOfScore({ version: '3.1', vector: '', score: 8.9 })).toBe('HIGH');
    expect(severityOfScore({ version: '3.1', vector: '', score: 4.0 })).toBe('MEDIUM');
    expect(severityOfScore({ version: '3.1', vector: '', score: 3.9 })).toBe('LOW');
    expect(severityOfScore({ version: '2.0', vector: '', score: 10 })).toBe('HIGH');
  });
});

describe('advisory rating', () => {
  it('prefers v3 over v4 and v2, keeps every scored vector', () => {
    const r = rateAdvisory(
      record({
        severity: [
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N' },
        ],
      }),
    );
    expect(r).toMatchObject({ severity: 'MEDIUM', source: 'cvss', cvss: { version: '3.1', score: 6.5 } });
    expect(r.all).toHaveLength(2);
  });

  it('falls back to the GHSA rating, then the Ubuntu priority, then UNKNOWN', () => {
    expect(rateAdvisory(record({ database_specific: { severity: 'MODERATE' } }))).toMatchObject({ severity: 'MEDIUM', source: 'ghsa' });
    expect(rateAdvisory(record({ severity: [{ type: 'Ubuntu', score: 'negligible' }] }))).toMatchObject({ severity: 'LOW', source: 'ubuntu' });
    expect(rateAdvisory(record({}))).toMatchObject({ severity: 'UNKNOWN', source: 'none' });
  });

  it('warns about a vector it cannot score and still rates from the rest', () => {
    const warnings: string[] = [];
    const r = rateAdvisory(record({ severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }], database_specific: { severity: 'HIGH' } }), [], warnings);
    expect(r.severity).toBe('HIGH');
    expect(warnings[0]).toMatch(/GHSA-test: CVSS vector/);
  });

  it('per-package severities override the record-level ones', () => {
    const rec = record({ severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] });
    const r = rateAdvisory(rec, [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N' }]);
    expect(r.severity).toBe('LOW');
  });
});
