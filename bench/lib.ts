/**
 * Shared benchmark helpers: run a command under GNU time for wall time and peak RSS, take the
 * median of several runs, print a table and save bench/results/<name>.json; and the synthetic
 * advisory database the vulnerability benchmarks share.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderColumns } from '../src/report/columns.ts';
import { rewriteAtomically } from '../src/vuln/db/store.ts';
import { readOsvRecord, type OsvAffected, type OsvRecord } from '../src/vuln/osv/record.ts';

export const repoRoot = join(import.meta.dirname, '..');
export const corpus = process.env.PALISADE_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus');

let built = false;

/**
 * The CLI as users run it: the compiled `dist/cli/main.js` behind the `palisade` bin (built once
 * per benchmark run), not the TypeScript sources, whose type stripping at load time is a
 * development convenience that users never pay.
 */
export function palisadeCli(): string {
  if (!built) {
    const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
    const result = spawnSync(tsc, ['-p', join(repoRoot, 'tsconfig.build.json')], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
    built = true;
  }
  return join(repoRoot, 'dist', 'cli', 'main.js');
}

export interface Measurement {
  wallMs: number;
  /** User plus system CPU time of the process (and its children): what it costs on a loaded machine. */
  cpuMs?: number;
  peakRssMb: number;
  ok: boolean;
  stderr: string;
}

/** Runs `cmd args` under /usr/bin/time; wall time and peak RSS come from the kernel, not the tool. */
export function measure(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Measurement {
  const result = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %M %U %S', cmd, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const m = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(result.stderr ?? '');
  return {
    wallMs: m ? Number(m[1]) * 1000 : NaN,
    cpuMs: m ? (Number(m[3]) + Number(m[4])) * 1000 : NaN,
    peakRssMb: m ? Number(m[2]) / 1024 : NaN,
    ok: result.status === 0,
    stderr: (result.stderr ?? '').replace(/__TIME__.*\n?/, '').slice(-2000),
  };
}

/**
 * A peer tool's executable, installed from npm into bench/.peers/<dir> the first time (each peer in
 * its own prefix: npm prunes what a prefix did not save). Undefined when it cannot be installed
 * (no registry access) or PALISADE_BENCH_NO_PEERS=1.
 */
export function npmPeerBinary(dir: string, packages: string[], bin: string): string | undefined {
  const prefix = join(repoRoot, 'bench', '.peers', dir);
  const path = join(prefix, 'node_modules', '.bin', bin);
  if (!existsSync(path) && process.env.PALISADE_BENCH_NO_PEERS !== '1') {
    process.stdout.write(`installing ${packages.join(' ')} into bench/.peers/${dir} for comparison…\n`);
    mkdirSync(prefix, { recursive: true });
    spawnSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', ...packages], { stdio: 'ignore', timeout: 600_000 });
  }
  return existsSync(path) ? path : undefined;
}

/**
 * How many cores this machine really gives a CPU-bound job now: the same busy loop run in one
 * process, then in `cores` processes at once; `cores` times the ratio of the two times. On a
 * shared virtual machine it can be far below the core count (other guests' steal time), and then
 * no parallel figure can be read as the code's.
 */
export function effectiveCores(cores: number): number {
  const loop = 'let x = 0; for (let i = 0; i < 2e8; i++) x = (x * 31 + i) | 0; process.exitCode = x === 7 ? 1 : 0;';
  // n copies started together by a shell, timed until the last ends.
  const time = (n: number) => {
    const started = performance.now();
    spawnSync('sh', ['-c', `${Array.from({ length: n }, () => `"${process.execPath}" -e '${loop}' &`).join(' ')} wait`]);
    return performance.now() - started;
  };
  const one = time(1);
  const all = time(cores);
  return Math.min(cores, (cores * one) / all);
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

/** Deterministic PRNG (mulberry32) so every run draws the same sample. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Resident memory split into anonymous (heap, parsed records) and file-backed pages (the
 * database's memory map, which the kernel can drop at will); Linux only.
 */
export function rssSplit(): { anonMb: number; fileMb: number } | undefined {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
  } catch {
    return undefined;
  }
}

/** Every valid record of an OSV folder (one subfolder per ecosystem), e.g. ../shared/corpus/osv. */
export function loadOsvRecords(dir: string): OsvRecord[] {
  const records: OsvRecord[] = [];
  for (const eco of readdirSync(dir, { withFileTypes: true })) {
    if (!eco.isDirectory()) continue;
    for (const file of readdirSync(join(dir, eco.name))) {
      if (!file.endsWith('.json')) continue;
      try {
        records.push(readOsvRecord(JSON.parse(readFileSync(join(dir, eco.name, file), 'utf8'))).record);
      } catch {
        // Malformed records are the import benchmark's business, not the lookups'.
      }
    }
  }
  return records;
}

export interface SyntheticPackage {
  /** As the advisory writes it (`PyPI`, `Debian:9`). */
  ecosystem: string;
  name: string;
  /** The copy's affected entry for this package (its first, when a record names it twice). */
  entry: OsvAffected;
}

export interface SyntheticDb {
  path: string;
  /** Every package the database indexes, once. */
  packages: SyntheticPackage[];
  advisories: number;
  buildMs: number;
  sizeBytes: number;
}

/**
 * A database of at least `target` advisories at `path`: the real records copied under new ids
 * (`<id>-S<n>`) and package names (`<name>-s<n>`), so that the number of advisories per package,
 * the record sizes and the ecosystem mix stay those of real data.
 */
export async function synthesiseAdvisoryDb(path: string, real: OsvRecord[], target: number): Promise<SyntheticDb> {
  const usable = real.filter((r) => !r.withdrawn && r.affected.some((a) => a.package));
  const copies = Math.ceil(target / usable.length);
  const packages: SyntheticPackage[] = [];
  const t0 = performance.now();
  let advisories = 0;
  await rewriteAtomically(path, (writer) => {
    for (let c = 0; c < copies; c++) {
      const seen = new Set<string>();
      for (const r of usable) {
        const copy: OsvRecord = {
          ...r,
          id: `${r.id}-S${c}`,
          affected: r.affected.map((a) => (a.package ? { ...a, package: { ...a.package, name: `${a.package.name}-s${c}` } } : a)),
        };
        writer.put(copy);
        advisories++;
        for (const a of copy.affected) {
          if (!a.package) continue;
          const key = `${a.package.ecosystem}\0${a.package.name}`;
          if (!seen.has(key)) packages.push({ ecosystem: a.package.ecosystem, name: a.package.name, entry: a });
          seen.add(key);
        }
      }
    }
  });
  return { path, packages, advisories, buildMs: performance.now() - t0, sizeBytes: statSync(path).size };
}
