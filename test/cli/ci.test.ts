import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ciCommand } from '../../src/cli/ci.ts';

const fixtures = join(import.meta.dirname, '../fixtures/ci');
let stdout: string;
let dir: string;
beforeEach(() => {
  stdout = '';
  dir = mkdtempSync(join(tmpdir(), 'palisade-ci-'));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => ciCommand(() => ({ quiet: true })).parseAsync(['audit', ...args], { from: 'user' });
const pin = (...args: string[]) => ciCommand(() => ({ quiet: true })).parseAsync(['pin', ...args], { from: 'user' });

describe('palisade ci audit', () => {
  it('prints a table and exits 0 by default, --exit-code N when findings remain', async () => {
    await run(join(fixtures, 'repo'));
    expect(stdout).toMatch(/untrusted-checkout: checkout of untrusted code in a privileged workflow/);
    await expect(run(join(fixtures, 'repo'), '--exit-code', '5')).rejects.toMatchObject({ code: 5 });
  });

  it('filters by severity and persona', async () => {
    await run(join(fixtures, 'repo'), '-f', 'json', '--min-severity', 'high');
    const high = JSON.parse(stdout) as { findings: { severity: string }[] };
    expect(high.findings.length).toBeGreaterThan(0);
    expect(high.findings.every((f) => f.severity === 'high')).toBe(true);
    stdout = '';
    await run(join(fixtures, 'repo'), '-f', 'json', '--pedantic');
    const pedantic = JSON.parse(stdout) as { findings: { persona: string }[] };
    expect(pedantic.findings.some((f) => f.persona === 'pedantic')).toBe(true);
  });

  it('exits 0 with --exit-code when the filters leave nothing', async () => {
    await run(join(fixtures, 'repo', '.github', 'workflows', 'clean.yml'), '--exit-code', '3');
    expect(stdout).toMatch(/^No findings\.$/m);
  });

  it('writes SARIF to a file', async () => {
    const out = join(dir, 'ci.sarif');
    await run(join(fixtures, 'repo'), '-f', 'sarif', '-o', out);
    expect(JSON.parse(readFileSync(out, 'utf8')).version).toBe('2.1.0');
  });

  it('audits the readable files and exits 2 when one cannot be parsed', async () => {
    await expect(run(join(fixtures, 'broken'), '-f', 'json')).rejects.toMatchObject({ exitCode: 2 });
    const doc = JSON.parse(stdout) as { issues: { path: string; line: number }[]; files: { path: string }[] };
    expect(doc.issues).toEqual([{ path: '.github/workflows/bad.yml', line: 6, message: expect.stringMatching(/^invalid YAML/) }]);
    expect(doc.files.map((f) => f.path)).toEqual(['.github/workflows/ok.yml']);
  });

  it('rejects a missing path, an unknown rule and an invalid configuration with exit code 2', async () => {
    await expect(run(join(dir, 'nope'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', exitCode: 2 });
    await expect(run(join(fixtures, 'repo'), '--disable', 'no-such-rule')).rejects.toMatchObject({ exitCode: 2 });
    const config = join(dir, 'zizmor.yml');
    writeFileSync(config, 'rules:\n  unpinned-uses:\n    config:\n      policies:\n        "a/b@v1": any\n');
    await expect(run(join(fixtures, 'repo'), '--config', config)).rejects.toMatchObject({ code: 'PARSE_ERROR', exitCode: 2 });
  });

  it('reads zizmor.yml from the audited directory and honours --allow-unpinned', async () => {
    await run(join(fixtures, 'repo'), '-f', 'json', '--allow-unpinned', 'actions/*', '--allow-unpinned', 'tj-actions/*');
    const findings = (JSON.parse(stdout) as { findings: { rule: string }[] }).findings;
    expect(findings.filter((f) => f.rule === 'unpinned-uses').length).toBe(1);
    stdout = '';
    const repo = join(dir, 'r');
    const wf = join(repo, '.github', 'workflows');
    (await import('node:fs')).mkdirSync(wf, { recursive: true });
    writeFileSync(join(wf, 'ci.yml'), 'on: push\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n');
    writeFileSync(join(repo, 'zizmor.yml'), 'rules:\n  artipacked:\n    disable: true\n  unpinned-uses:\n    ignore: [ci.yml:7]\n');
    await run(repo, '-f', 'json');
    expect((JSON.parse(stdout) as { findings: unknown[] }).findings).toEqual([]);
  });

  it('pins references from a resolution file, and refuses to guess without one', async () => {
    const repo = join(dir, 'r');
    const wf = join(repo, '.github', 'workflows');
    (await import('node:fs')).mkdirSync(wf, { recursive: true });
    writeFileSync(join(wf, 'ci.yml'), 'on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n');
    await expect(pin(repo)).rejects.toMatchObject({ code: 'USAGE', exitCode: 2 });
    writeFileSync(join(dir, 'pins.json'), JSON.stringify({ 'actions/checkout@v4': 'b'.repeat(40) }));
    await pin(repo, '--resolve', join(dir, 'pins.json'), '--dry-run');
    expect(readFileSync(join(wf, 'ci.yml'), 'utf8')).toContain('actions/checkout@v4\n');
    await pin(repo, '--resolve', join(dir, 'pins.json'));
    expect(stdout).toContain(`.github/workflows/ci.yml:6:15: actions/checkout@v4 -> ${'b'.repeat(40)}`);
    expect(readFileSync(join(wf, 'ci.yml'), 'utf8')).toContain(`actions/checkout@${'b'.repeat(40)} # v4\n`);
  });
});
