/**
 * `palisade runtime check|replay|validate|fields` through main(), and `serve` as a child process
 * on loopback: alerts on stdout (text or JSON), summaries and load errors on stderr, exit codes
 * 0 / N (--exit-code with alerts) / 1 (validate: does not load) / 2 (bad rules or input).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseListen } from '../../src/cli/runtime.ts';
import { repoRoot } from '../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/runtime');
const rules = join(fixtures, 'rules.yaml');
const dir = mkdtempSync(join(tmpdir(), 'palisade-runtime-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function palisade(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await main(['node', 'palisade', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('palisade runtime check', () => {
  it('alerts on audit events in text, with a summary on stderr', async () => {
    const r = await palisade(['runtime', 'check', '-r', rules, '--events', join(fixtures, 'audit.jsonl')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '10:00:00.123456000: Warning Privileged pod (user=alice pod=web-1 ns=default images=(nginx:1.25))\n' +
        '10:00:01.000000000: Informational Secret read (user=bob secret=default/db)\n',
    );
    expect(r.stderr).toContain('loaded 3 rules (k8s_audit: 2, syscall: 1)');
    expect(r.stderr).toContain('events: 3 evaluated, 2 skipped (not JSON: 1, not an event: 1, oversized: 0); alerts: 2');
  });

  it('alerts on syscall-style events (flat fields, Falco alerts, Tetragon) as JSON', async () => {
    const r = await palisade(['runtime', 'replay', join(fixtures, 'syscall.jsonl'), '-r', rules, '--json', '--hostname', 'h1']);
    expect(r.code).toBe(0);
    const alerts = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts.map((a) => a.output_fields['proc.cmdline'])).toEqual(['bash -i', 'zsh', 'bash -c id']);
    expect(alerts[0]).toMatchObject({ hostname: 'h1', priority: 'Notice', rule: 'Shell In Container', source: 'syscall', tags: ['container', 'shell'], time: '2024-05-01T10:00:00.000000001Z' });
  });

  it('filters by priority and tag, and sets --exit-code when alerts remain', async () => {
    const high = await palisade(['runtime', 'check', '-r', rules, '-e', join(fixtures, 'audit.jsonl'), '--min-priority', 'warning', '--exit-code', '4']);
    expect(high.code).toBe(4);
    expect(high.stdout.trim().split('\n')).toHaveLength(1);
    const none = await palisade(['runtime', 'check', '-r', rules, '-e', join(fixtures, 'audit.jsonl'), '--disable-tag', 'k8s', '--exit-code', '4']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
  });

  it('writes alerts to a file too', async () => {
    const file = join(dir, 'alerts.txt');
    await palisade(['runtime', 'check', '-r', rules, '-e', join(fixtures, 'audit.jsonl'), '--output-file', file]);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('refuses rules that do not load (exit 2), naming file, item and position', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- rule: R\n  desc: d\n  condition: evt.type=open and proc.nobody=x\n  output: o\n  priority: INFO\n');
    const r = await palisade(['runtime', 'check', '-r', bad, '-e', join(fixtures, 'audit.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:3:32: rule 'R': LOAD_ERR_COMPILE_CONDITION: filter_check called with nonexistent field proc.nobody`);
  });

  it('reports a missing events file (exit 2)', async () => {
    const r = await palisade(['runtime', 'check', '-r', rules, '-e', join(dir, 'missing.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read events');
  });
});

describe('palisade runtime validate', () => {
  it("prints Falco's load results and exits 1 when a file does not load", async () => {
    const base = join(dir, 'base.yaml');
    const over = join(dir, 'over.yaml');
    writeFileSync(base, '- macro: some macro\n  condition: evt.type=execve\n');
    writeFileSync(over, '- macro: some macro\n  condition: foo\n');
    const r = await palisade(['runtime', 'validate', '-r', base, over, '--json']);
    expect(r.code).toBe(1);
    const results = JSON.parse(r.stdout).falco_load_results;
    expect(results.map((f: { successful: boolean }) => f.successful)).toEqual([true, false]);
    expect(results[1].errors[0]).toMatchObject({
      code: 'LOAD_ERR_VALIDATE',
      codedesc: 'Error validating rule/macro/list/exception objects',
      message: "Undefined macro 'foo' used in filter.",
      context: { locations: [{ item_type: 'macro', item_name: 'some macro', position: { name: over, line: 2 } }] },
    });
  });

  it('prints Ok for files that load', async () => {
    const r = await palisade(['runtime', 'validate', '-r', rules]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${rules}: Ok`);
    expect(r.stdout).toContain('rules k8s_audit: 2, syscall: 1');
  });
});

describe('palisade runtime fields', () => {
  it('lists fields with type and argument', async () => {
    const r = await palisade(['runtime', 'fields', '--source', 'k8s_audit']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/k8s_audit\s+k8saudit\s+ka\.req\.pod\.containers\.image\s+string \(list\)\s+index\?/);
    expect(r.stdout).toMatch(/k8s_audit\s+json\s+jevt\.value\s+string\s+key\s/);
  });
});

describe('palisade runtime serve', () => {
  it('parses listen addresses', () => {
    expect(parseListen(':9765')).toEqual({ port: 9765 });
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(() => parseListen('nope')).toThrow('is not HOST:PORT');
  });

  it('receives webhook batches and prints alerts', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'runtime', 'serve', '-r', rules, '--listen', '127.0.0.1:0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (c) => {
        stderr += c;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\/k8s-audit/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    const body = readFileSync(join(fixtures, 'audit.jsonl'), 'utf8').split('\n')[0]!;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/k8s-audit', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    await vi.waitFor(() => expect(stdout).toContain('"rule":"Privileged Pod"'), { timeout: 5000 });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopped: 1 batches, 1 events, 1 alerts');
  });
});
