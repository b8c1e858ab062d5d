import { describe, expect, it } from 'vitest';
import { renderColumns, visibleLength } from '../../src/report/columns.ts';
import type { ScanReport } from '../../src/report/scan-report.ts';
import { renderTable } from '../../src/report/table.ts';
import { CREATED_AT, lodash, LODASH_CVE, sampleReport } from './scan-fixture.ts';

const ESC = '\x1b';

/** The lines of one file's group: from its header to the next blank-line-separated header. */
function group(out: string, header: string): string[] {
  const lines = out.split('\n');
  const start = lines.indexOf(header);
  expect(start, `no group ${header}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start + 3 && /^\S+ \(\S+\)$/.test(l));
  return lines.slice(start, end === -1 ? undefined : end);
}

describe('scan table', () => {
  const plain = renderTable(sampleReport(), { color: false });

  it('groups findings by file, sorted by path, with per-severity totals', () => {
    const headers = plain.split('\n').filter((l) => /^\S+ \((npm|PyPI)\)$/.test(l));
    expect(headers).toEqual(['api/package-lock.json (npm)', 'requirements.txt (PyPI)', 'web/package-lock.json (npm)']);
    const web = group(plain, 'web/package-lock.json (npm)');
    expect(web[1]).toBe('Total: 3 (CRITICAL: 1, HIGH: 1, MEDIUM: 0, LOW: 1, UNKNOWN: 0)');
    // A package found in two lockfiles is listed under both: each must be fixed.
    expect(group(plain, 'api/package-lock.json (npm)').some((l) => l.includes('CVE-2021-23337'))).toBe(true);
    expect(web.some((l) => l.includes('CVE-2021-23337'))).toBe(true);
    expect(plain).toContain('No vulnerabilities in 1 other scanned file.');
  });

  it('sorts rows by severity then package and fills every column', () => {
    const web = group(plain, 'web/package-lock.json (npm)');
    const header = web.find((l) => l.startsWith('LIBRARY'))!;
    expect(header.split(/\s{2,}/)).toEqual(['LIBRARY', 'VULNERABILITY', 'SEVERITY', 'STATUS', 'INSTALLED', 'FIXED VERSION', 'TITLE']);
    const body = web.slice(web.indexOf(header) + 2);
    const rows = body.slice(0, body.indexOf(''));
    expect(rows.map((r) => r.split(/\s{2,}/).slice(0, 3))).toEqual([
      ['minimist', 'CVE-2021-44906', 'CRITICAL'],
      ['lodash', 'CVE-2021-23337', 'HIGH'],
      ['lodash', 'GHSA-29mw-wpgm-hmr9', 'LOW'],
    ]);
    expect(rows[0]!.split(/\s{2,}/)).toEqual(['minimist', 'CVE-2021-44906', 'CRITICAL', 'fixed', '1.2.0', '1.2.6', 'Prototype Pollution in minimist']);
    expect(rows[2]!.split(/\s{2,}/)[3]).toBe('unfixed');
  });

  it('strips control characters from untrusted text and truncates long titles', () => {
    expect(plain).not.toContain(ESC);
    const row = plain.split('\n').find((l) => l.includes('GHSA-29mw-wpgm-hmr9'))!;
    const title = row.slice(row.indexOf('Regular'));
    expect(title.endsWith('…')).toBe(true);
    expect(title.length).toBeLessThanOrEqual(60);
    expect(renderTable(sampleReport(), { color: false, titleWidth: 20 })).toContain('Regular Expression…');
  });

  it('colours severities only when asked, keeping columns aligned', () => {
    const coloured = renderTable(sampleReport(), { color: true });
    expect(coloured).toContain(`${ESC}[1;31mCRITICAL${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[31mHIGH${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[1;31mINCOMPLETE${ESC}[0m`);
    // Colour codes take no room: the TITLE column starts at the same visible offset on every row.
    const web = group(coloured, 'web/package-lock.json (npm)').filter((l) => l.includes('lodash') || l.startsWith('LIBRARY'));
    const offsets = web.map((l) => visibleLength(l.slice(0, l.search(/TITLE|Command|Regular/))));
    expect(new Set(offsets).size).toBe(1);
    expect(coloured.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '')).toBe(plain);
  });

  it('hides suppressed findings by default and counts them', () => {
    expect(plain).not.toContain('CVE-2023-32681');
    expect(plain).not.toContain('GHSA-vh95-rmgr-6w4m');
    expect(group(plain, 'requirements.txt (PyPI)')).toContain('1 suppressed (VEX/ignore)');
    expect(group(plain, 'requirements.txt (PyPI)')[1]).toBe('Total: 1 (CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 0, UNKNOWN: 0)');
    expect(plain).toContain('Suppressed: 2 (VEX/ignore), hidden; --show-suppressed lists them');
  });

  it('lists suppressed findings with their statement when asked', () => {
    const shown = renderTable(sampleReport(), { color: false, showSuppressed: true });
    const row = shown.split('\n').find((l) => l.includes('CVE-2023-32681'))!;
    expect(row.split(/\s{2,}/)).toEqual(['requests', 'CVE-2023-32681', 'MEDIUM', '2.19.0', 'not_affected', 'vulnerable_code_not_in_execute_path', 'VEX vex.openvex.json']);
    expect(shown).toContain('ignore rule .palisadeignore');
    // Suppressed findings never count towards the totals.
    expect(group(shown, 'requirements.txt (PyPI)')[1]).toBe('Total: 1 (CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 0, UNKNOWN: 0)');
    expect(shown).toContain('Suppressed: 2 (VEX/ignore), listed above');
  });

  it('closes with what was scanned, skipped and could not be read', () => {
    const summary = plain.slice(plain.indexOf('Summary\n'));
    expect(summary).toContain('Vulnerabilities: 4 (CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1, UNKNOWN: 0)');
    expect(summary).toContain('Packages scanned: 4');
    expect(summary).toContain('Not scanned: 3 (no pinned version: 2; no version ordering for ecosystem CRAN: 1)');
    expect(summary).toContain('Vulnerability DB: schema 1, updated 2026-01-12T00:00:00Z, 3 days old');
    expect(summary).toContain('INCOMPLETE: 1 input could not be read; vulnerabilities in it may be missing:');
    expect(summary).toContain('  broken/yarn.lock:7: javascript/yarn-lock: unexpected token');
    expect(plain.split('\n')[0]).toBe('examples/app (dir) [INCOMPLETE]');
  });

  it('says so when nothing was found, and is deterministic', () => {
    const clean: ScanReport = {
      tool: { name: 'palisade', version: '0.1.0' },
      createdAt: CREATED_AT,
      targets: [{ target: { kind: 'lockfile', name: 'package-lock.json' }, findings: [], packagesScanned: 0, notScanned: [], incomplete: [] }],
    };
    const out = renderTable(clean, { color: false });
    expect(out).toContain('No vulnerabilities found.');
    expect(out).not.toContain('INCOMPLETE');
    expect(out).not.toContain('Suppressed');
    expect(renderTable(sampleReport(), { color: false })).toBe(plain);
  });

  it('falls back to the finding location, then the target, when the package has none', () => {
    const f = { ...LODASH_CVE, vuln: { ...LODASH_CVE.vuln!, package: { ...LODASH_CVE.vuln!.package, locations: [] } } };
    const report: ScanReport = {
      tool: { name: 'palisade', version: '0.1.0' },
      createdAt: CREATED_AT,
      targets: [{ target: { kind: 'sbom', name: 'bom.json' }, findings: [f, { ...f, location: undefined, id: 'CVE-1' }], packagesScanned: 1, notScanned: [], incomplete: [] }],
    };
    const out = renderTable(report, { color: false });
    expect(out).toContain(`${lodash.locations[0]!.path} (npm)`);
    expect(out).toContain('bom.json (npm)');
  });
});

describe('renderColumns', () => {
  it('pads by visible width and leaves plain tables unchanged', () => {
    expect(renderColumns(['A', 'BB'], [['xyz', '1']])).toBe('A    BB\n───  ──\nxyz  1\n');
    expect(renderColumns(['A', 'BB'], [[`${ESC}[31mxyz${ESC}[0m`, '1']])).toBe(`A    BB\n───  ──\n${ESC}[31mxyz${ESC}[0m  1\n`);
  });
});
