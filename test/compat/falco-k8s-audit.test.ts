/**
 * Compatibility suite: Falco's legacy k8s audit regression tests
 * (../shared/corpus/falco/legacy-regression-tests: expected-k8s-audit.json, derived from
 * falco_k8s_audit_tests.yaml). Each case loads its rules files in order — the BUILD_DIR rules are the
 * copies pinned at test time (rules-at-test-time/: falco-rules 1.0.1 and k8saudit rules 0.6.0) —
 * replays its audit trace, and checks what falco_test.py checks: `detect` (some alert / no alert at
 * all), `detect_level` (at least one alert at that priority) and `detect_counts` (exact alert
 * count per rule). Rule matching is Falco's default (first match wins). Floor: 90%, and every
 * failure is printed with its reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventsFromText, formatLoadMessage, loadRules, newCounters, parsePriority, RuntimeEngine } from '../../src/runtime/index.ts';
import { corpusDir } from '../helpers/corpus.ts';

interface Case {
  case: string;
  trace_file: string;
  rules_files: string[];
  detect: boolean;
  detect_level: string | null;
  detect_counts: Record<string, number>[] | null;
}

const base = corpusDir('falco', 'legacy-regression-tests');

function rulesPath(root: string, file: string): string {
  if (file.includes('falcosecurity-rules-falco')) return join(root, 'rules-at-test-time', 'falco_rules.yaml');
  if (file.includes('k8saudit-rules')) return join(root, 'rules-at-test-time', 'k8s_audit_rules.yaml');
  return join(root, 'test', file);
}

/** Empty when the case passes, else why not. */
function runCase(root: string, c: Case): string[] {
  const files = c.rules_files.map((f) => ({ name: f.replace(/^.*\//, ''), text: readFileSync(rulesPath(root, f), 'utf8') }));
  const loaded = loadRules(files);
  if (!loaded.ok || !loaded.ruleset) return loaded.errors.map((e) => `load: ${formatLoadMessage(e)}`);
  const engine = new RuntimeEngine(loaded.ruleset);
  const counters = newCounters();
  const counts = new Map<string, number>();
  const levels = new Map<string, number>();
  for (const evt of eventsFromText(readFileSync(join(root, 'test', c.trace_file), 'utf8'), counters)) {
    for (const rule of engine.evaluate(evt)) {
      counts.set(rule.name, (counts.get(rule.name) ?? 0) + 1);
      levels.set(rule.priority, (levels.get(rule.priority) ?? 0) + 1);
    }
  }
  const problems: string[] = [];
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const seen = JSON.stringify(Object.fromEntries(counts));
  if (c.detect && counters.events === 0) problems.push(`no events read from ${c.trace_file}`);
  if (c.detect && total === 0) problems.push('expected alerts, got none');
  if (!c.detect && total > 0) problems.push(`expected no alert, got ${seen}`);
  if (c.detect && c.detect_level) {
    const level = parsePriority(c.detect_level);
    if (!level || !(levels.get(level)! > 0)) problems.push(`expected an alert at ${c.detect_level}, got ${seen}`);
  }
  for (const expected of c.detect_counts ?? []) {
    for (const [rule, n] of Object.entries(expected)) {
      if ((counts.get(rule) ?? 0) !== n) problems.push(`expected ${rule}: ${n}, got ${counts.get(rule) ?? 0}`);
    }
  }
  return problems;
}

describe.skipIf(!base)('Falco k8s audit regression tests (../shared/corpus/falco/legacy-regression-tests)', () => {
  it('detects what Falco detected', () => {
    const root = base!;
    const cases = JSON.parse(readFileSync(join(root, 'expected-k8s-audit.json'), 'utf8')) as Case[];
    const failures: string[] = [];
    for (const c of cases) {
      const problems = runCase(root, c);
      if (problems.length > 0) failures.push(`${c.case}: ${problems.join('; ')}`);
    }
    const passed = cases.length - failures.length;
    console.log(`[compat] falco k8s audit: ${passed}/${cases.length} (${((100 * passed) / cases.length).toFixed(1)}%)`);
    for (const f of failures) console.log(`[compat]   ✗ ${f}`);
    expect(cases.length).toBeGreaterThan(40);
    expect(passed / cases.length).toBeGreaterThanOrEqual(0.9);
  });
});
