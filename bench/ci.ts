/**
 * CI audit benchmark: 1,000 workflow files generated from the corpus (zizmor's test workflows,
 * poutine's scan target and actionlint's valid fixtures, copied round-robin under new names into
 * one `.github/workflows/` directory).
 * 1. In process: auditPath over the directory with the default persona and with the auditor
 *    persona (every audit runs), median of PALISADE_BENCH_RUNS passes (default 3), wall and CPU
 *    time (CPU time is what the work costs on one core, whatever else loads the machine).
 * 2. End to end: `palisade ci audit DIR -f json` through the compiled CLI, wall time and peak RSS.
 * Target (issue #11): under 2 s for the 1,000 files.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditPath } from '../src/ci/auditor.ts';
import type { Persona } from '../src/ci/findings.ts';
import { kindOfContent } from '../src/ci/discover.ts';
import { corpus, fmt, measure, medianOf, palisadeCli, printTable, saveResults, type Measurement } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const FILES = 1_000;
const TARGET_MS = 2_000;

/** Workflow sources from the corpus (files whose content reads as a workflow). */
function sources(): string[] {
  const roots = ['gha-audit/zizmor/test-data', 'gha-audit/poutine/messypoutine-gravy-overflow/.github/workflows', 'gha-audit/actionlint/testdata/ok'].map((r) =>
    join(corpus, r),
  );
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) {
        const text = readFileSync(path, 'utf8');
        if (kindOfContent(text) === 'workflow') out.push(text);
      }
    }
  };
  for (const r of roots) walk(r);
  return out;
}

const texts = sources();
if (texts.length === 0) {
  process.stdout.write(`skipped: no workflows under ${corpus}/gha-audit\n`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-ci-bench-'));
  try {
    const wf = join(dir, '.github', 'workflows');
    mkdirSync(wf, { recursive: true });
    let bytes = 0;
    for (let i = 0; i < FILES; i++) {
      const text = texts[i % texts.length]!;
      bytes += text.length;
      writeFileSync(join(wf, `wf-${String(i).padStart(4, '0')}.yml`), text);
    }

    const inProcess = (persona: Persona) => {
      const passes: { wall: number; cpu: number }[] = [];
      let findings = 0;
      let issues = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const report = auditPath(dir, { persona });
        const c = process.cpuUsage(c0);
        passes.push({ wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 });
        findings = report.findings.length;
        issues = report.issues.length;
      }
      passes.sort((a, b) => a.wall - b.wall);
      return { ...passes[Math.floor(passes.length / 2)]!, findings, issues };
    };
    const regular = inProcess('regular');
    const auditor = inProcess('auditor');

    // The fixtures include invalid workflows on purpose, so exit code 2 is expected; time is what counts.
    const cliRun = (): Measurement => ({ ...measure(process.execPath, [palisadeCli(), 'ci', 'audit', dir, '-f', 'json', '-o', join(dir, 'out.json')]), ok: true });
    const cli: Measurement = medianOf(RUNS, cliRun);
    const cliMs = cli.wallMs;

    printTable(
      `CI audit: ${FILES} workflows (${fmt(bytes / 1024 / 1024, 1)} MiB from ${texts.length} corpus files), ${RUNS} runs, median`,
      ['measure', 'wall (ms)', 'CPU (ms)', 'files/s (CPU)', 'findings', 'unreadable', 'peak RSS (MB)', `target < ${TARGET_MS} ms`],
      [
        ['in process, default persona', fmt(regular.wall), fmt(regular.cpu), fmt((FILES / regular.cpu) * 1000), String(regular.findings), String(regular.issues), '', regular.cpu < TARGET_MS ? 'yes' : 'NO'],
        ['in process, auditor persona', fmt(auditor.wall), fmt(auditor.cpu), fmt((FILES / auditor.cpu) * 1000), String(auditor.findings), String(auditor.issues), '', auditor.cpu < TARGET_MS ? 'yes' : 'NO'],
        ['palisade ci audit (CLI)', fmt(cliMs), '', '', '', '', fmt(cli.peakRssMb), cliMs < TARGET_MS ? 'yes' : 'NO'],
      ],
    );
    saveResults('ci', {
      files: FILES,
      bytes,
      sources: texts.length,
      runs: RUNS,
      regular,
      auditor,
      cliMs,
      cliPeakRssMb: cli.peakRssMb,
      targetMs: TARGET_MS,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
