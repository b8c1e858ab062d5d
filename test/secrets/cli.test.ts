import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretsReport } from '../../src/cli/secrets.ts';
import { renderSarif } from '../../src/report/sarif.ts';
import { renderTable } from '../../src/report/table.ts';
import { defaultConfig } from '../../src/secrets/config.ts';
import type { SecretFinding } from '../../src/secrets/finding.ts';
import { repoRoot } from '../helpers/corpus.ts';

const node = process.execPath;
const main = join(repoRoot, 'src', 'cli', 'main.ts');
const run = (args: string[], input?: string) => spawnSync(node, [main, ...args], { encoding: 'utf8', ...(input !== undefined && { input }) });

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-secrets-cli-'));
  writeFileSync(join(dir, 'main.go'), 'package main\n\nconst awsToken = "AKIALALEMEL33243OLIA"\n');
  writeFileSync(join(dir, 'clean.txt'), 'nothing to see\n');
  return dir;
}

describe('palisade secrets', () => {
  it('exits at once on a usage error, although a worker thread was started ahead of the scan', () => {
    const started = performance.now();
    const r = spawnSync(node, [main, 'secrets', project(), '--no-such-option'], { encoding: 'utf8', timeout: 30_000 });
    expect([r.error, r.status]).toEqual([undefined, 2]);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('exits 1 with leaks, redacts by default, and renders the table', () => {
    const r = run(['secrets', project()]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('aws-access-key-id');
    expect(r.stdout).toContain('REDACTED');
    expect(r.stdout).not.toContain('AKIALALEMEL33243OLIA');
  });

  it('writes gitleaks reports; a JSON report is a baseline that silences the same findings', () => {
    const dir = project();
    const out = mkdtempSync(join(tmpdir(), 'palisade-secrets-out-'));
    const report = join(out, 'report.json');
    expect(run(['secrets', dir, '--no-redact', '--report-format', 'json', '--report-path', report, '-o', join(out, 'table.txt')]).status).toBe(1);
    const findings = JSON.parse(readFileSync(report, 'utf8')) as { RuleID: string; Secret: string; Fingerprint: string }[];
    expect(findings.map((f) => [f.RuleID, f.Secret, f.Fingerprint])).toEqual([['aws-access-key-id', 'AKIALALEMEL33243OLIA', 'main.go:aws-access-key-id:3']]);
    const again = run(['secrets', dir, '--no-redact', '--baseline-path', report, '-f', 'json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout).summary.secrets.total).toBe(0);
  });

  it('honours .gitleaksignore fingerprints and --exit-code', () => {
    const dir = project();
    writeFileSync(join(dir, '.gitleaksignore'), 'main.go:aws-access-key-id:3\n');
    expect(run(['secrets', dir]).status).toBe(0);
    const other = project();
    expect(run(['secrets', other, '--exit-code', '7']).status).toBe(7);
  });

  it('scans stdin with -, and prints CSV and SARIF', () => {
    const csv = run(['secrets', '-', '--report-format', 'csv', '--redact=50'], 'token = "AKIALALEMEL33243OLIA"\n');
    expect(csv.status).toBe(1);
    expect(csv.stdout.split('\n')[0]).toBe('RuleID,Commit,File,SymlinkFile,Secret,Match,StartLine,EndLine,StartColumn,EndColumn,Author,Message,Date,Email,Fingerprint,Tags');
    expect(csv.stdout).toContain(',AKIALALEME...,');
    const sarif = JSON.parse(run(['secrets', project(), '-f', 'sarif']).stdout);
    expect(sarif.runs[0].results[0]).toMatchObject({ ruleId: 'aws-access-key-id', locations: [{ physicalLocation: { artifactLocation: { uri: 'main.go' }, region: { startLine: 3 } } }] });
  });

  it('uses a .gitleaks.toml at the scan root and rejects a bad configuration naming the rule', () => {
    const dir = project();
    writeFileSync(join(dir, '.gitleaks.toml'), `[[rules]]\nid = "custom"\nregex = '''nothing to (see)'''\n`);
    const r = run(['secrets', dir, '--report-format', 'json', '--no-redact']);
    expect(JSON.parse(r.stdout).map((f: { RuleID: string }) => f.RuleID)).toEqual(['custom']);
    writeFileSync(join(dir, 'bad.toml'), `[[rules]]\nid = "broken"\nregex = '''(?<=x)y'''\n`);
    const bad = run(['secrets', dir, '--config', join(dir, 'bad.toml')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('broken: |regex| cannot be compiled');
  });

  it('renders tens of thousands of findings in one file (a minified bundle) in linear time, table and SARIF', () => {
    const finding = (i: number): SecretFinding => ({
      ruleId: 'generic-api-key', description: 'Generic API Key', startLine: 1, endLine: 1, startColumn: i, endColumn: i + 20, line: '', match: `key=s${i}`, secret: `s${i}`,
      file: 'bundle.min.js', symlinkFile: '', commit: '', entropy: 4, author: '', email: '', date: '', message: '', tags: [], fingerprint: `bundle.min.js:generic-api-key:1`,
    });
    const stats = { fragments: 1, bytes: 1, commits: 0, skippedBinary: 0, skippedTooLarge: 0, ignored: 0, baseline: 0, durationMs: 0 };
    const report = secretsReport('.', { findings: Array.from({ length: 40_000 }, (_, i) => finding(i)), config: defaultConfig(), configSource: 'default', stats, issues: [] });
    const started = performance.now();
    expect(renderTable(report, { color: false })).toContain('Secrets: 40000');
    expect(JSON.parse(renderSarif(report)).runs[0].results).toHaveLength(40_000);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('palisade scan --scanners secret reports secrets through the common renderers', () => {
    const r = run(['scan', '--scanners', 'secret', project(), '-f', 'json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0].secrets.map((s: { id: string; secret: string }) => [s.id, s.secret])).toEqual([['aws-access-key-id', 'REDACTED']]);
  });
});
