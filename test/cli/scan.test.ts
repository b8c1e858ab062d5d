/**
 * `palisade scan` end to end, as a user runs it: a real process, a real SQLite database built
 * from the sample advisories in examples/osv, the sample project in examples/storefront.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.ts';
import { sarifValidator } from '../helpers/schemas.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-scan-cli-'));
const db = join(dir, 'vuln.db');
const sample = join(repoRoot, 'examples/storefront');

function palisade(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PALISADE_DB: db, NO_COLOR: '1' },
    cwd: dir,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonReport {
  results: { vulnerabilities: { id: string; severity: string; package: { name: string; version: string }; status: string }[] }[];
  summary: { total: number; suppressed: number };
}
const ids = (report: JsonReport) => report.results.flatMap((r) => r.vulnerabilities.map((v) => `${v.package.name}@${v.package.version}:${v.id}`)).sort();

beforeAll(() => {
  const imported = palisade('db', 'import', join(repoRoot, 'examples/osv'));
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('palisade scan', () => {
  it('fails clearly without a database, telling both ways to get one', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'scan', sample], {
      encoding: 'utf8',
      env: { ...process.env, PALISADE_DB: join(dir, 'absent.db') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/palisade db update/);
    expect(r.stderr).toMatch(/palisade db import/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('finds the sample project vulnerabilities and exits 0 by default, --exit-code N otherwise', () => {
    const r = palisade('scan', sample, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(ids(report)).toContain('lodash@4.17.20:CVE-2021-23337');
    expect(ids(report)).toContain('urllib3@1.26.4:CVE-2023-43804');
    expect(ids(report)).toContain('github.com/gin-gonic/gin@1.6.3:CVE-2023-29401');
    expect(palisade('scan', sample, '--exit-code', '5', '-q').code).toBe(5);
  });

  it('filters by severity and fix state; the exit code follows what is left', () => {
    const high = JSON.parse(palisade('scan', sample, '--format', 'json', '--severity', 'HIGH,CRITICAL').stdout) as JsonReport;
    expect(high.results.flatMap((r) => r.vulnerabilities).every((v) => v.severity === 'HIGH' || v.severity === 'CRITICAL')).toBe(true);
    expect(high.summary.total).toBeGreaterThan(0);
    const none = palisade('scan', join(sample, 'web/package-lock.json'), '--severity', 'CRITICAL', '--exit-code', '1', '-q');
    expect(none.code).toBe(0);
    expect(palisade('scan', sample, '--severity', 'SEVERE').code).toBe(2);
  });

  it('scans a CycloneDX SBOM of the sample to the same findings as the sample itself', () => {
    const bom = join(dir, 'storefront.cdx.json');
    expect(palisade('sbom', sample, '-f', 'cyclonedx-json', '-o', bom, '-q').code).toBe(0);
    const fromSbom = JSON.parse(palisade('scan', bom, '--format', 'json').stdout) as JsonReport;
    const fromDir = JSON.parse(palisade('scan', sample, '--format', 'json').stdout) as JsonReport;
    expect(ids(fromSbom)).toEqual(ids(fromDir));
  });

  it('rejects a file that is neither a lockfile nor an SBOM with exit 2', () => {
    const junk = join(dir, 'notes.json');
    writeFileSync(junk, '{"hello": "world"}');
    const r = palisade('scan', junk);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.json/);
  });

  it('applies an OpenVEX statement and an ignore file, and shows suppressed findings on request', () => {
    const vex = join(dir, 'vex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/1',
        author: 'Storefront team',
        timestamp: '2026-01-01T00:00:00Z',
        version: 1,
        statements: [
          { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': 'pkg:npm/lodash' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
        ],
      }),
    );
    const ignore = join(dir, '.palisadeignore');
    writeFileSync(ignore, 'CVE-2023-43804 # urllib3 redirects are disabled in our client\n');
    const r = palisade('scan', sample, '--format', 'json', '--vex', vex, '--ignorefile', ignore);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(ids(report)).not.toContain('lodash@4.17.20:CVE-2021-23337');
    expect(ids(report)).not.toContain('urllib3@1.26.4:CVE-2023-43804');
    expect(report.summary.suppressed).toBe(2);
    const table = palisade('scan', sample, '--vex', vex, '--ignorefile', ignore, '--show-suppressed').stdout;
    expect(table).toMatch(/CVE-2021-23337/);
  });

  it('writes SARIF that validates against the SARIF 2.1.0 schema', () => {
    const out = join(dir, 'scan.sarif');
    expect(palisade('scan', sample, '--format', 'sarif', '-o', out, '-q').code).toBe(0);
    const validate = sarifValidator();
    const sarif = JSON.parse(palisade('scan', sample, '--format', 'sarif').stdout) as unknown;
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
  });
});
