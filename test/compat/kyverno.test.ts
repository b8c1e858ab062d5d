/**
 * Kyverno compatibility suite: every kyverno-test.yaml of Kyverno's policy library and of the
 * kyverno CLI's own test data, run through the same code path as `palisade policy test`.
 *
 * Prints pass/fail per suite (the test's policy directory), per category, the unsupported features
 * hit (so we see what to build next) and the totals. Floor: 90% of the expected results pass in the
 * tests whose features are all supported; the figure including unsupported features is printed too.
 */
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTestFiles } from '../../src/policy/cli-test/test-file.ts';
import { runTestFile, type TestCaseReport } from '../../src/policy/cli-test/runner.ts';
import { corpusDir } from '../helpers/corpus.ts';

const FLOOR = 0.9;

interface SuiteScore {
  suite: string;
  category: string;
  passed: number;
  failed: number;
  unsupported: Map<string, number>;
  failures: string[];
}

function suiteName(root: string, testPath: string): string {
  return relative(root, testPath).replace(/\/(\.kyverno-test\/)?kyverno-test\.yaml$/, '');
}

async function scoreCorpus(label: string, root: string): Promise<SuiteScore[]> {
  const scores: SuiteScore[] = [];
  for (const file of await findTestFiles([root])) {
    const report: TestCaseReport | undefined = await runTestFile(file);
    if (!report || report.rows.length === 0) continue;
    const suite = `${label}/${suiteName(root, file)}`;
    const score: SuiteScore = { suite, category: `${label}/${suite.split('/')[1]}`, passed: 0, failed: 0, unsupported: new Map(), failures: [] };
    // kyverno's test-fail suites are negative tests: kyverno's CI expects each of their results to fail.
    const negative = suite.includes('/test-fail/');
    for (const row of report.rows) {
      if (row.passed !== negative) score.passed++;
      else if (negative) {
        score.failed++;
        score.failures.push(`${row.policy}/${row.rule}/${row.resource}: passed, but this negative test should fail`);
      }
      else {
        score.failed++;
        if (row.unsupported) score.unsupported.set(row.unsupported, (score.unsupported.get(row.unsupported) ?? 0) + 1);
        else score.failures.push(`${row.policy}/${row.rule}/${row.resource}: ${row.reason}${row.message && row.message !== row.reason ? ` — ${row.message.slice(0, 160)}` : ''}`);
      }
    }
    scores.push(score);
  }
  return scores;
}

const pct = (a: number, b: number) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`);

describe('kyverno compatibility', () => {
  const roots = [
    ['policies', corpusDir('kyverno/policies')],
    ['cli', corpusDir('kyverno/kyverno-engine-tests/test/cli')],
  ] as const;

  it.skipIf(roots.some(([, r]) => !r))('runs the kyverno-test.yaml suites', { timeout: 600_000 }, async () => {
    const scores: SuiteScore[] = [];
    for (const [label, root] of roots) scores.push(...(await scoreCorpus(label, root!)));

    const lines: string[] = ['', 'Kyverno compat: per suite (passed/total; unsupported features)'];
    for (const s of scores) {
      const unsupported = [...s.unsupported.entries()].map(([f, n]) => `${f} ×${n}`).join(', ');
      const mark = s.failed === 0 ? 'ok  ' : s.unsupported.size > 0 && s.failures.length === 0 ? 'unsp' : 'FAIL';
      lines.push(`  ${mark} ${s.suite}: ${s.passed}/${s.passed + s.failed}${unsupported ? `  [${unsupported}]` : ''}`);
      for (const f of s.failures.slice(0, 5)) lines.push(`         ${f}`);
    }

    const categories = new Map<string, { passed: number; total: number; supportedPassed: number; supportedTotal: number }>();
    const features = new Map<string, { results: number; suites: number }>();
    let passed = 0;
    let total = 0;
    let supportedPassed = 0;
    let supportedTotal = 0;
    for (const s of scores) {
      const n = s.passed + s.failed;
      const supported = s.unsupported.size === 0;
      passed += s.passed;
      total += n;
      if (supported) {
        supportedPassed += s.passed;
        supportedTotal += n;
      }
      const c = categories.get(s.category) ?? { passed: 0, total: 0, supportedPassed: 0, supportedTotal: 0 };
      c.passed += s.passed;
      c.total += n;
      if (supported) {
        c.supportedPassed += s.passed;
        c.supportedTotal += n;
      }
      categories.set(s.category, c);
      for (const [f, count] of s.unsupported) {
        const e = features.get(f) ?? { results: 0, suites: 0 };
        e.results += count;
        e.suites++;
        features.set(f, e);
      }
    }
    lines.push('', 'Per category: passed/total (supported suites: passed/total)');
    for (const [name, c] of [...categories.entries()].sort()) {
      lines.push(`  ${name}: ${c.passed}/${c.total} ${pct(c.passed, c.total)}  (supported ${c.supportedPassed}/${c.supportedTotal} ${pct(c.supportedPassed, c.supportedTotal)})`);
    }
    lines.push('', 'Unsupported features hit (failed results, suites):');
    for (const [f, e] of [...features.entries()].sort((a, b) => b[1].results - a[1].results)) lines.push(`  ${f}: ${e.results} results in ${e.suites} suites`);
    lines.push(
      '',
      `Suites: ${scores.length}, of which ${scores.filter((s) => s.unsupported.size === 0).length} use only supported features`,
      `Supported suites: ${supportedPassed}/${supportedTotal} results pass (${pct(supportedPassed, supportedTotal)}); floor ${FLOOR * 100}%`,
      `Overall, unsupported included: ${passed}/${total} (${pct(passed, total)})`,
    );
    console.log(lines.join('\n'));

    expect(supportedTotal).toBeGreaterThan(0);
    expect(supportedPassed / supportedTotal).toBeGreaterThanOrEqual(FLOOR);
  });
});
