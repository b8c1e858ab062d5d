/**
 * Shared benchmark helpers: run a command under GNU time for wall time and peak RSS, take the
 * median of several runs, print a table and save bench/results/<name>.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderColumns } from '../src/report/columns.ts';

export const repoRoot = join(import.meta.dirname, '..');
export const corpus = process.env.PALISADE_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus');

export interface Measurement {
  wallMs: number;
  peakRssMb: number;
  ok: boolean;
  stderr: string;
}

/** Runs `cmd args` under /usr/bin/time; wall time and peak RSS come from the kernel, not the tool. */
export function measure(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Measurement {
  const result = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %M', cmd, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(result.stderr ?? '');
  return {
    wallMs: m ? Number(m[1]) * 1000 : NaN,
    peakRssMb: m ? Number(m[2]) / 1024 : NaN,
    ok: result.status === 0,
    stderr: (result.stderr ?? '').replace(/__TIME__.*\n?/, '').slice(-2000),
  };
}

/** Median of `runs` measurements (by wall time); the first failure is returned as is. */
export function medianOf(runs: number, run: () => Measurement): Measurement {
  const results: Measurement[] = [];
  for (let i = 0; i < runs; i++) {
    const r = run();
    if (!r.ok) return r;
    results.push(r);
  }
  results.sort((a, b) => a.wallMs - b.wallMs);
  return results[Math.floor(results.length / 2)]!;
}

export function saveResults(name: string, data: unknown): void {
  const dir = join(repoRoot, 'bench', 'results');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ date: new Date().toISOString(), ...(data as object) }, null, 2) + '\n');
}

export function printTable(title: string, header: string[], rows: string[][]): void {
  process.stdout.write(`\n${title}\n${renderColumns(header, rows)}`);
}

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
