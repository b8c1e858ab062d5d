/**
 * Vulnerability database benchmark.
 * 1. Import: `importOsv` of all of ../shared/corpus/osv into a fresh database (records/s, size).
 * 2. Lookups: a database of ≥100,000 advisories synthesised from the real records (each copied
 *    under new ids and package names, so the per-package advisory counts stay realistic), then
 *    10,000 `advisoriesFor` lookups right after opening it: all hits (every lookup returns
 *    records: the decoding worst case) and a realistic mix (10% of components have advisories).
 * Times come from performance.now() (median of PALISADE_BENCH_RUNS passes, default 3); each
 * lookup pass runs in its own process, whose RSS (anonymous and file-backed) is reported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOsv } from '../src/vuln/db/import.ts';
import { openVulnDb } from '../src/vuln/db/store.ts';
import { corpus, fmt, loadOsvRecords, printTable, random, rssSplit, saveResults, synthesiseAdvisoryDb } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const TARGET_ADVISORIES = Number(process.env.PALISADE_BENCH_ADVISORIES ?? 120_000);
const LOOKUPS = 10_000;
const work = process.env.LOOKUP_CHILD ? '' : mkdtempSync(join(tmpdir(), 'palisade-bench-vulndb-'));
const osvDir = join(corpus, 'osv');
const mb = (bytes: number) => bytes / 1024 / 1024;
const rssMb = () => mb(process.memoryUsage().rss);

async function importRuns() {
  const results: { ms: number; records: number; sizeBytes: number }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const path = join(work, `import-${run}.db`);
    const t0 = performance.now();
    const report = await importOsv(path, [osvDir]);
    const ms = performance.now() - t0;
    results.push({ ms, records: report.imported + report.updated + report.skipped + report.withdrawn + report.malformed, sizeBytes: statSync(path).size });
    rmSync(path);
  }
  results.sort((a, b) => a.ms - b.ms);
  return results[Math.floor(results.length / 2)]!;
}

type Query = { ecosystem: string; name: string };
type Pass = { openMs: number; lookupMs: number; found: number; rssMb: number; rssAnonMb: number; rssFileMb: number };

/**
 * Median (by lookup time) of RUNS passes. Each pass is a fresh process (this file with
 * LOOKUP_CHILD set) that opens the database and runs the queries, so its RSS is that of a
 * scan's lookups and nothing else of this benchmark.
 */
function lookups(path: string, queries: Query[]): Pass {
  const file = join(work, 'queries.json');
  writeFileSync(file, JSON.stringify(queries));
  const runs = Array.from({ length: RUNS }, () => {
    const child = spawnSync(process.execPath, [import.meta.filename], {
      env: { ...process.env, LOOKUP_CHILD: JSON.stringify({ path, file }) },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`lookup pass failed: ${child.stderr}`);
    return JSON.parse(child.stdout) as Pass;
  }).sort((a, b) => a.lookupMs - b.lookupMs);
  return runs[Math.floor(runs.length / 2)]!;
}

function lookupPass(path: string, queries: Query[]): Pass {
  const t0 = performance.now();
  const db = openVulnDb(path);
  const openMs = performance.now() - t0;
  const t1 = performance.now();
  let found = 0;
  for (const q of queries) found += db.advisoriesFor(q.ecosystem, q.name).length;
  const lookupMs = performance.now() - t1;
  const split = rssSplit();
  const result = { openMs, lookupMs, found, rssMb: rssMb(), rssAnonMb: split?.anonMb ?? NaN, rssFileMb: split?.fileMb ?? NaN };
  db.close();
  return result;
}

const child = process.env.LOOKUP_CHILD;
if (child) {
  const { path, file } = JSON.parse(child) as { path: string; file: string };
  const queries = JSON.parse(readFileSync(file, 'utf8')) as Query[];
  process.stdout.write(JSON.stringify(lookupPass(path, queries)));
} else if (!existsSync(osvDir)) {
  process.stdout.write(`(corpus not found at ${osvDir}: vuln-db benchmark skipped)\n`);
} else {
  try {
    const imp = await importRuns();
    const synth = await synthesiseAdvisoryDb(join(work, 'synthetic.db'), loadOsvRecords(osvDir), TARGET_ADVISORIES);
    const rand = random(42);
    const pick = (): Query => {
      const p = synth.packages[Math.floor(rand() * synth.packages.length)]!;
      return { ecosystem: p.ecosystem, name: p.name };
    };
    const allHits = Array.from({ length: LOOKUPS }, pick);
    const mixed = Array.from({ length: LOOKUPS }, (_, i) => (i % 10 === 0 ? pick() : { ecosystem: pick().ecosystem, name: `absent-package-${i}` }));
    const hits = lookups(synth.path, allHits);
    const mix = lookups(synth.path, mixed);
    printTable(
      'OSV import (median of runs)',
      ['records', 'ms', 'records/s', 'DB MB'],
      [[String(imp.records), fmt(imp.ms), fmt((imp.records / imp.ms) * 1000), fmt(mb(imp.sizeBytes), 1)]],
    );
    printTable(
      `Lookups (median of ${RUNS}): ${LOOKUPS} advisoriesFor calls against ${synth.advisories} advisories (${fmt(mb(synth.sizeBytes), 1)} MB, built in ${fmt(synth.buildMs)} ms)`,
      ['set', 'open ms', 'lookups ms', 'µs/lookup', 'records returned', 'RSS MB', 'anon MB', 'file (mmap) MB'],
      [hits, mix].map((r, i) => [
        i === 0 ? 'all hits' : '10% hits',
        fmt(r.openMs, 1),
        fmt(r.lookupMs),
        fmt((r.lookupMs / LOOKUPS) * 1000, 1),
        String(r.found),
        fmt(r.rssMb),
        fmt(r.rssAnonMb),
        fmt(r.rssFileMb),
      ]),
    );
    saveResults('vuln-db', {
      import: { records: imp.records, ms: imp.ms, recordsPerSecond: (imp.records / imp.ms) * 1000, dbBytes: imp.sizeBytes },
      synthetic: { advisories: synth.advisories, dbBytes: synth.sizeBytes, buildMs: synth.buildMs },
      lookups: { count: LOOKUPS, allHits: hits, tenPercentHits: mix },
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
