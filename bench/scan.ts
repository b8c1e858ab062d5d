/**
 * Scan benchmark.
 * 1. Matching: matchPackages of 10,000 components against a database of ≥100,000 advisories
 *    (synthesiseAdvisoryDb: the real corpus records copied under new ids and package names),
 *    timed from just after the database is opened. Two component sets, each of distinct
 *    packages: a realistic mix (10% name a package that has advisories, at a version the
 *    advisory mentions, so some are affected and some are not) and the worst case where every
 *    component does. Each pass is a fresh process (this file with MATCH_CHILD set), so its peak
 *    RSS is that of one scan's matching; median of PALISADE_BENCH_RUNS passes (default 3).
 * 2. End to end: `palisade scan examples` as a process (node src/cli/main.ts) against a database
 *    imported from ../shared/corpus/osv: cold (first run on a freshly written database file) and
 *    warm (median of 5), wall time and peak RSS from /usr/bin/time (measure()).
 * Targets (issue 3): the realistic mix under 1 s after the database is open, memory bounded.
 * PALISADE_BENCH_KEEP=1 keeps the work directory (databases, component lists) for profiling.
 * No peers: grype, trivy and osv-scanner cannot be installed offline here, so nothing is
 * measured side by side.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ecosystem, Package } from '../src/core/types.ts';
import { importOsv } from '../src/vuln/db/import.ts';
import { openVulnDb } from '../src/vuln/db/store.ts';
import { matchPackages } from '../src/vuln/match.ts';
import { schemeFor } from '../src/vuln/versions/index.ts';
import {
  corpus,
  fmt,
  loadOsvRecords,
  measure,
  medianOf,
  palisadeCli,
  printTable,
  random,
  repoRoot,
  rssSplit,
  saveResults,
  synthesiseAdvisoryDb,
  type Measurement,
  type SyntheticPackage,
} from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const WARM_RUNS = 5;
const TARGET_ADVISORIES = Number(process.env.PALISADE_BENCH_ADVISORIES ?? 120_000);
const COMPONENTS = 10_000;
const TARGET_MS = 1000;
const osvDir = join(corpus, 'osv');
/** Ecosystems whose packages are matched by release (`distro`) and source package. */
const OS_ECOSYSTEMS = new Set(['Debian', 'Ubuntu', 'Alpine']);

interface Pass {
  openMs: number;
  matchMs: number;
  scanned: number;
  findings: number;
  /** Peak RSS of the whole pass process (kernel maxrss), and the split at the end of matching. */
  peakRssMb: number;
  rssAnonMb: number;
  rssFileMb: number;
}

/** A component as a lockfile or SBOM would give it; OS packages carry their release and source. */
function component(ecosystem: string, name: string, version: string, i: number): Package {
  const base = ecosystem.split(':')[0]!;
  const pkg: Package = {
    name,
    version,
    ecosystem: base as Ecosystem,
    purl: `pkg:bench/${i}`,
    locations: [{ path: 'bench.lock', line: i + 1 }],
    scope: 'required',
  };
  if (OS_ECOSYSTEMS.has(base)) {
    pkg.distro = ecosystem;
    pkg.source = { name };
  }
  return pkg;
}

/**
 * A version the advisory itself names (listed, introduced, fixed, last affected), drawn at
 * random: installed versions near an advisory's bounds, some affected and some not.
 */
function versionFor(p: SyntheticPackage, rand: () => number): string {
  const named = [
    ...p.entry.versions,
    ...p.entry.ranges
      .filter((r) => r.type !== 'GIT')
      .flatMap((r) => r.events.map((e) => Object.values(e)[0] as string))
      .filter((v) => v !== '0' && !v.includes(',')),
  ];
  return named.length > 0 ? named[Math.floor(rand() * named.length)]! : '1.0.0';
}

/** `count` distinct packages of the database, in a seeded random order. */
function sample(packages: SyntheticPackage[], count: number, rand: () => number): SyntheticPackage[] {
  const copy = [...packages];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, count);
}

function componentSets(packages: SyntheticPackage[]): { allHits: Package[]; mixed: Package[] } {
  const rand = random(7);
  // Only ecosystems a lockfile or SBOM can yield (not OSS-Fuzz projects).
  const hits = sample(packages.filter((p) => schemeFor(p.ecosystem)), COMPONENTS, rand);
  const allHits = hits.map((p, i) => component(p.ecosystem, p.name, versionFor(p, rand), i));
  // 10% hit; the others are absent from the database, in the same ecosystem mix.
  const mixed = hits.map((p, i) =>
    i % 10 === 0 ? allHits[i]! : component(p.ecosystem, `absent-package-${i}`, versionFor(p, rand), i),
  );
  return { allHits, mixed };
}

function matchPass(path: string, packages: Package[]): Pass {
  const t0 = performance.now();
  const db = openVulnDb(path);
  const openMs = performance.now() - t0;
  const t1 = performance.now();
  const result = matchPackages(packages, db, 'bench');
  const matchMs = performance.now() - t1;
  const split = rssSplit();
  db.close();
  return {
    openMs,
    matchMs,
    scanned: result.scanned,
    findings: result.findings.length,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssAnonMb: split?.anonMb ?? NaN,
    rssFileMb: split?.fileMb ?? NaN,
  };
}

/** Median (by matching time) of RUNS passes, each in a fresh process. */
function matchRuns(work: string, path: string, packages: Package[], label: string): Pass {
  const file = join(work, `${label}.json`);
  writeFileSync(file, JSON.stringify(packages));
  const runs = Array.from({ length: RUNS }, () => {
    const child = spawnSync(process.execPath, [import.meta.filename], {
      env: { ...process.env, MATCH_CHILD: JSON.stringify({ path, file }) },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) throw new Error(`match pass failed: ${child.stderr}`);
    return JSON.parse(child.stdout) as Pass;
  }).sort((a, b) => a.matchMs - b.matchMs);
  return runs[Math.floor(runs.length / 2)]!;
}

/** Findings of one `palisade scan --format json` run (not timed), to show what was measured. */
function countFindings(db: string): number {
  const run = spawnSync(process.execPath, [palisadeCli(), 'scan', 'examples', '--db', db, '--format', 'json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  try {
    return (JSON.parse(run.stdout) as { summary: { total: number } }).summary.total;
  } catch {
    return NaN;
  }
}

async function endToEnd(work: string): Promise<{ cold: Measurement; warm: Measurement; findings: number; importMs: number }> {
  const db = join(work, 'corpus.db');
  const t0 = performance.now();
  await importOsv(db, [osvDir]);
  const importMs = performance.now() - t0;
  const scan = () => measure(process.execPath, [palisadeCli(), 'scan', 'examples', '--db', db], { cwd: repoRoot });
  const cold = scan();
  if (!cold.ok) throw new Error(`palisade scan examples failed: ${cold.stderr}`);
  const warm = medianOf(WARM_RUNS, scan);
  if (!warm.ok) throw new Error(`palisade scan examples failed: ${warm.stderr}`);
  return { cold, warm, findings: countFindings(db), importMs };
}

const child = process.env.MATCH_CHILD;
if (child) {
  const { path, file } = JSON.parse(child) as { path: string; file: string };
  process.stdout.write(JSON.stringify(matchPass(path, JSON.parse(readFileSync(file, 'utf8')) as Package[])));
} else if (!existsSync(osvDir)) {
  process.stdout.write(`(corpus not found at ${osvDir}: scan benchmark skipped)\n`);
} else {
  const work = mkdtempSync(join(tmpdir(), 'palisade-bench-scan-'));
  try {
    const synth = await synthesiseAdvisoryDb(join(work, 'synthetic.db'), loadOsvRecords(osvDir), TARGET_ADVISORIES);
    const sets = componentSets(synth.packages);
    const mixed = matchRuns(work, synth.path, sets.mixed, 'mixed');
    const allHits = matchRuns(work, synth.path, sets.allHits, 'all-hits');
    const e2e = await endToEnd(work);
    const mb = (bytes: number) => bytes / 1024 / 1024;
    printTable(
      `Matching (median of ${RUNS}): ${COMPONENTS} components against ${synth.advisories} advisories (${fmt(mb(synth.sizeBytes), 1)} MB, built in ${fmt(synth.buildMs)} ms)`,
      ['components', 'open ms', 'match ms', 'target', 'scanned', 'findings', 'peak RSS MB', 'anon MB', 'file (mmap) MB'],
      [
        ['10% hit advisories', mixed],
        ['all hit advisories', allHits],
      ].map(([label, r]) => {
        const pass = r as Pass;
        return [
          label as string,
          fmt(pass.openMs, 1),
          fmt(pass.matchMs),
          label === '10% hit advisories' ? (pass.matchMs < TARGET_MS ? `< ${TARGET_MS} ms ✓` : `< ${TARGET_MS} ms ✗`) : '–',
          String(pass.scanned),
          String(pass.findings),
          fmt(pass.peakRssMb),
          fmt(pass.rssAnonMb),
          fmt(pass.rssFileMb),
        ];
      }),
    );
    printTable(
      `palisade scan examples (database of ../shared/corpus/osv, imported in ${fmt(e2e.importMs)} ms; ${e2e.findings} findings)`,
      ['run', 'wall ms', 'peak RSS MB'],
      [
        ['cold (fresh DB file, first run)', fmt(e2e.cold.wallMs), fmt(e2e.cold.peakRssMb)],
        [`warm (median of ${WARM_RUNS})`, fmt(e2e.warm.wallMs), fmt(e2e.warm.peakRssMb)],
      ],
    );
    process.stdout.write('\nNo peers measured: grype, trivy and osv-scanner are not installable offline here.\n');
    saveResults('scan', {
      matching: {
        components: COMPONENTS,
        advisories: synth.advisories,
        dbBytes: synth.sizeBytes,
        targetMs: TARGET_MS,
        tenPercentHits: mixed,
        allHits,
      },
      examples: {
        importMs: e2e.importMs,
        findings: e2e.findings,
        cold: { wallMs: e2e.cold.wallMs, peakRssMb: e2e.cold.peakRssMb },
        warm: { wallMs: e2e.warm.wallMs, peakRssMb: e2e.warm.peakRssMb, runs: WARM_RUNS },
      },
      peers: 'none: grype, trivy and osv-scanner are not installable offline',
    });
  } finally {
    // PALISADE_BENCH_KEEP=1 keeps the databases and component lists (e.g. to profile a pass).
    if (process.env.PALISADE_BENCH_KEEP) process.stdout.write(`(kept ${work})\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}
