/**
 * Compatibility suite for `palisade ci audit` against zizmor's integration tests
 * (../shared/corpus/gha-audit/zizmor/expected-cases.json: per test, the inputs under test-data/,
 * the CLI arguments and the findings zizmor prints as `level[rule]` at file:line:column).
 *
 * Palisade reuses zizmor's rule ids, so each expected finding is matched on (rule, file, line,
 * column) against ours for the same persona and configuration. The suite prints recall and
 * precision per audit (precision counts only rules zizmor has) and fails when an audit we
 * implement falls below 80% recall. Online-only audits (impostor commits, ref confusion,
 * GitHub API lookups), auto-fix tests, stdin tests and pre-commit inputs are skipped with the
 * reason printed. actionlint's `ok/` fixtures must all parse and audit without an exception.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/core/errors.ts';
import { auditDocument, auditPath } from '../../src/ci/auditor.ts';
import { defaultConfig, parseConfig, type CiConfig } from '../../src/ci/config.ts';
import type { CiFinding, CiSeverity, Persona } from '../../src/ci/findings.ts';
import { kindOfContent } from '../../src/ci/discover.ts';
import { corpusDir } from '../helpers/corpus.ts';

interface ExpectedFinding {
  level: string;
  rule: string;
  message: string;
  file: string;
  line: number;
  col: number;
}

interface Case {
  test_fn: string;
  source_test_file: string;
  inputs: string[];
  args: string[];
  options: Record<string, string[]>;
  expected_findings?: ExpectedFinding[];
  external_snapshot?: boolean;
  dynamic_inputs?: boolean;
  non_cli_assertion?: boolean;
}

/** zizmor audits Palisade does not implement, with the reason; their findings are not expected of us. */
const NOT_IMPLEMENTED: Record<string, string> = {
  'insecure-url-scheme': 'pre-commit configuration is not a Palisade input',
  'impostor-commit': 'needs the GitHub API',
  'ref-confusion': 'needs the GitHub API',
  'stale-action-refs': 'needs the GitHub API',
  'ref-version-mismatch': 'needs the GitHub API to resolve the pinned commit',
};

const SEVERITY_OF_LEVEL: Record<string, CiSeverity> = { error: 'high', warning: 'medium', help: 'low', info: 'info', note: 'info' };

function skipReason(c: Case): string | undefined {
  if (c.options.offline?.some((o) => o.includes('AssertOnline'))) return 'online-only (GitHub API)';
  if (c.args.some((a) => a.startsWith('--fix'))) return 'auto-fix output';
  if (c.inputs.length === 0) return 'stdin or generated inputs';
  if (c.external_snapshot || c.dynamic_inputs || c.non_cli_assertion) return 'external snapshot or non-CLI assertion';
  if (c.options.setenv) return 'asserts on log output';
  if (c.args.some((a) => a.startsWith('--format') || a.startsWith('--collect') || a === '--no-config' || a.startsWith('--strict'))) return 'output format or collection mode';
  if (c.inputs.some((i) => i.includes('pre-commit') || i.startsWith('insecure-url-scheme') || i.startsWith('config-scenarios'))) return 'pre-commit input or config discovery scenario';
  return undefined;
}

function personaOf(args: string[]): Persona {
  for (const a of args) {
    if (a === '--pedantic') return 'pedantic';
    const m = /^--persona=(\w+)$/.exec(a);
    if (m) return m[1] as Persona;
  }
  return 'regular';
}

function isConfigInput(input: string): boolean {
  return /(^|\/)configs\//.test(input);
}

interface Tally {
  expected: number;
  found: number;
  matched: number;
  lineOnly: number;
  misses: string[];
  extras: string[];
}

const tally = new Map<string, Tally>();
function t(rule: string): Tally {
  let x = tally.get(rule);
  if (!x) tally.set(rule, (x = { expected: 0, found: 0, matched: 0, lineOnly: 0, misses: [], extras: [] }));
  return x;
}

const zizmorRules = new Set<string>();

function runCase(base: string, c: Case): { error?: string } {
  const persona = personaOf(c.args);
  const noIgnores = c.args.includes('--no-ignores');
  const configInputs = c.inputs.filter(isConfigInput);
  let config: CiConfig = defaultConfig();
  for (const input of configInputs) config = parseConfig(readFileSync(join(base, input), 'utf8'), input);
  const findings: { f: CiFinding; file: string }[] = [];
  for (const input of c.inputs.filter((i) => !isConfigInput(i))) {
    const abs = join(base, input);
    const report = auditPath(abs, { persona, config, noInlineIgnores: noIgnores });
    for (const f of report.findings) {
      const file = statSync(abs).isDirectory() ? `@@INPUT@@/${f.path}` : '@@INPUT@@';
      findings.push({ f, file });
    }
  }
  const minSeverity = c.args.find((a) => a.startsWith('--min-severity='))?.split('=')[1];
  const order: CiSeverity[] = ['info', 'low', 'medium', 'high'];
  const kept = findings.filter(({ f }) => !minSeverity || order.indexOf(f.severity) >= order.indexOf(minSeverity as CiSeverity));
  const expected = c.expected_findings ?? [];
  const used = new Set<number>();
  for (const e of expected) {
    zizmorRules.add(e.rule);
    if (NOT_IMPLEMENTED[e.rule]) continue;
    const x = t(e.rule);
    x.expected++;
    const exact = kept.findIndex((k, i) => !used.has(i) && k.f.rule === e.rule && k.file === e.file && k.f.start.line === e.line && k.f.start.column === e.col);
    const lineOnly = exact >= 0 ? -1 : kept.findIndex((k, i) => !used.has(i) && k.f.rule === e.rule && k.file === e.file && k.f.start.line === e.line);
    if (exact >= 0) {
      used.add(exact);
      x.matched++;
      if (SEVERITY_OF_LEVEL[e.level] !== kept[exact]!.f.severity) x.misses.push(`  (severity ${kept[exact]!.f.severity} vs ${e.level}) ${c.inputs.join(',')}:${e.line}:${e.col}`);
    } else if (lineOnly >= 0) {
      used.add(lineOnly);
      x.lineOnly++;
      x.misses.push(`column ${kept[lineOnly]!.f.start.column} vs ${e.col} at ${c.inputs.join(',')}:${e.line} (${c.test_fn})`);
    } else {
      x.misses.push(`${c.inputs.join(',')}:${e.line}:${e.col} ${e.message} (${c.test_fn}, ${persona})`);
    }
  }
  kept.forEach((k, i) => {
    if (!zizmorRules.has(k.f.rule) && !KNOWN_ZIZMOR_RULES.has(k.f.rule)) return;
    const x = t(k.f.rule);
    x.found++;
    if (!used.has(i)) x.extras.push(`${c.inputs.join(',')}:${k.f.start.line}:${k.f.start.column} ${k.f.message} (${c.test_fn}, ${persona})`);
  });
  return {};
}

/** zizmor's audit names (docs/audits.md), so our findings under those ids count toward precision. */
const KNOWN_ZIZMOR_RULES = new Set([
  'adhoc-packages', 'anonymous-definition', 'archived-uses', 'artipacked', 'bot-conditions', 'cache-poisoning', 'concurrency-limits',
  'dangerous-triggers', 'dependabot-cooldown', 'dependabot-execution', 'excessive-permissions', 'forbidden-uses', 'github-app',
  'github-env', 'hardcoded-container-credentials', 'impostor-commit', 'insecure-commands', 'insecure-url-scheme', 'known-vulnerable-actions',
  'misfeature', 'obfuscation', 'overprovisioned-secrets', 'ref-confusion', 'ref-version-mismatch', 'secrets-inherit', 'secrets-outside-env',
  'self-hosted-runner', 'self-repository', 'stale-action-refs', 'superfluous-actions', 'template-injection', 'typosquat-uses',
  'undocumented-permissions', 'unpinned-images', 'unpinned-tools', 'unpinned-uses', 'unredacted-secrets', 'unsound-condition',
  'unsound-contains', 'unsound-ternary', 'use-trusted-publishing',
]);

/**
 * Expected findings we knowingly do not reproduce, and why. They still count as misses in the
 * printed figures; the floor is checked on what remains explainable.
 */
const EXPLAINED_MISSES: Record<string, string> = {};

const base = corpusDir('gha-audit', 'zizmor');

describe.skipIf(!base)('zizmor compatibility', () => {
  const data = base ? (JSON.parse(readFileSync(join(base, 'expected-cases.json'), 'utf8')) as { cases: Case[] }) : { cases: [] };
  const testData = base ? join(base, 'test-data') : '';

  it('reproduces zizmor findings with at least 80% recall per implemented audit', () => {
    const skipped = new Map<string, number>();
    let run = 0;
    const configErrors: string[] = [];
    for (const c of data.cases) {
      const reason = skipReason(c);
      if (reason) {
        skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
        continue;
      }
      if (c.options.expects_failure) {
        // Invalid configurations must be rejected, as zizmor rejects them.
        const configs = c.inputs.filter(isConfigInput);
        const rejected = configs.some((input) => {
          try {
            parseConfig(readFileSync(join(testData, input), 'utf8'), input);
            return false;
          } catch (err) {
            return err instanceof ParseError;
          }
        });
        const invalidWorkflow = c.inputs.some((i) => i.startsWith('invalid/'));
        if (!rejected && !invalidWorkflow) configErrors.push(`${c.test_fn} ${c.inputs.join(',')}: configuration accepted`);
        run++;
        continue;
      }
      runCase(testData, c);
      run++;
    }
    const rows: string[] = [];
    let expected = 0;
    let matched = 0;
    let found = 0;
    let exactFound = 0;
    const failing: string[] = [];
    for (const [rule, x] of [...tally].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const recall = x.expected ? x.matched / x.expected : 1;
      const precisionHits = x.found - x.extras.length;
      const precision = x.found ? precisionHits / x.found : 1;
      expected += x.expected;
      matched += x.matched;
      found += x.found;
      exactFound += precisionHits;
      rows.push(
        `${rule.padEnd(34)} ${String(x.matched).padStart(3)}/${String(x.expected).padEnd(3)} recall ${(recall * 100).toFixed(0).padStart(3)}%  precision ${(precision * 100).toFixed(0).padStart(3)}% (${precisionHits}/${x.found})${x.lineOnly ? `  +${x.lineOnly} right line, other column` : ''}`,
      );
      if (x.expected > 0 && recall < 0.8 && !EXPLAINED_MISSES[rule]) failing.push(rule);
    }
    const lines = [
      `[compat] zizmor: ${run} cases run; skipped ${[...skipped].map(([r, n]) => `${n} ${r}`).join(', ')}`,
      ...rows,
      `[compat] zizmor overall: recall ${((matched / expected) * 100).toFixed(1)}% (${matched}/${expected}), precision ${((exactFound / found) * 100).toFixed(1)}% (${exactFound}/${found})`,
      `[compat] not implemented: ${Object.entries(NOT_IMPLEMENTED).map(([r, why]) => `${r} (${why})`).join('; ')}`,
    ];
    if (process.env.ZIZMOR_COMPAT_VERBOSE) {
      for (const [rule, x] of tally) {
        for (const m of x.misses) lines.push(`  miss  ${rule}: ${m}`);
        for (const e of x.extras) lines.push(`  extra ${rule}: ${e}`);
      }
    }
    console.log(lines.join('\n'));
    expect(configErrors).toEqual([]);
    expect(failing).toEqual([]);
  });
});

const actionlint = corpusDir('gha-audit', 'actionlint', 'testdata');

describe.skipIf(!actionlint)('actionlint fixtures', () => {
  it('parses and audits every ok/ workflow without an exception', () => {
    const dir = join(actionlint!, 'ok');
    let audited = 0;
    const failures: string[] = [];
    for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
      const text = readFileSync(join(dir, name), 'utf8');
      try {
        auditDocument(`ok/${name}`, text, kindOfContent(text) === 'action' ? 'action' : 'workflow', { persona: 'auditor' });
        audited++;
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
    console.log(`[compat] actionlint ok/: ${audited} audited, ${failures.length} rejected`);
    expect(failures).toEqual([]);
  });

  it('never throws anything but a ParseError on err/ and examples/ inputs', () => {
    let count = 0;
    for (const sub of ['err', 'examples']) {
      const dir = join(actionlint!, sub);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
        const text = readFileSync(join(dir, name), 'utf8');
        try {
          auditDocument(`${sub}/${name}`, text, 'workflow', { persona: 'auditor' });
        } catch (err) {
          expect(err, `${sub}/${name}`).toBeInstanceOf(ParseError);
        }
        count++;
      }
    }
    console.log(`[compat] actionlint err/ + examples/: ${count} inputs, no crash`);
  });
});
