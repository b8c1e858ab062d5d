/**
 * Compatibility suite: the rules files Falco ships (../shared/corpus/falco) must load unchanged.
 * - falcosecurity/rules: falco_rules.yaml, falco-incubating_rules.yaml (layered on falco_rules.yaml,
 *   whose macros it uses), archive/application_rules.yaml;
 * - falcosecurity/plugins: k8saudit rules (and k8saudit-gke's copy, stored as a symlink text);
 * - the copies the legacy regression tests pinned (falco-rules 1.0.1, k8saudit rules 0.6.0);
 * - gcpaudit's rules need a plugin and source this engine does not have: they must fail with a
 *   clear plugin error and their rules be reported as skipped, never silently kept.
 * Prints per file the rules loaded per source, warnings by code, the rules skipped and why, and for
 * syscall rules the fields a Tetragon export cannot provide with how many rules read each.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLoadMessage, loadRules, TETRAGON_FIELDS, type LoadResult } from '../../src/runtime/index.ts';
import { corpusDir } from '../helpers/corpus.ts';

const base = corpusDir('falco');

interface FileSet {
  label: string;
  files: string[];
  /** Expected to fail because of a plugin requirement this engine cannot meet. */
  unsupportedPlugin?: string;
  minRules: number;
}

const SETS: FileSet[] = [
  { label: 'falco_rules.yaml', files: ['rules/rules/falco_rules.yaml'], minRules: 25 },
  { label: 'falco-incubating_rules.yaml', files: ['rules/rules/falco_rules.yaml', 'rules/rules/falco-incubating_rules.yaml'], minRules: 56 },
  { label: 'archive/application_rules.yaml', files: ['rules/archive/application_rules.yaml'], minRules: 0 },
  { label: 'k8saudit k8s_audit_rules.yaml', files: ['plugins/k8saudit/rules/k8s_audit_rules.yaml'], minRules: 48 },
  { label: 'k8saudit-gke k8s_audit_rules.yaml', files: ['plugins/k8saudit-gke/rules/k8s_audit_rules.yaml'], minRules: 48 },
  { label: 'legacy falco_rules.yaml (1.0.1)', files: ['legacy-regression-tests/rules-at-test-time/falco_rules.yaml'], minRules: 80 },
  { label: 'legacy k8s_audit_rules.yaml (0.6.0)', files: ['legacy-regression-tests/rules-at-test-time/k8s_audit_rules.yaml'], minRules: 43 },
  { label: 'gcpaudit gcp_auditlog_rules.yaml', files: ['plugins/gcpaudit/rules/gcp_auditlog_rules.yaml'], unsupportedPlugin: 'gcpaudit', minRules: 0 },
];

/** Contents of a rules file; a file holding only a relative path is a git symlink, followed. */
function readRules(path: string): string {
  const text = readFileSync(path, 'utf8');
  return /^\.\.?\/[^\n]+\.ya?ml$/.test(text.trim()) ? readRules(resolve(dirname(path), text.trim())) : text;
}

function ruleCount(result: LoadResult): Map<string, number> {
  return new Map([...(result.ruleset?.sources.values() ?? [])].map((s) => [s.source, s.rules.length]));
}

describe.skipIf(!base)('Falco rules files load (../shared/corpus/falco)', () => {
  it.each(SETS)('$label', (set) => {
    const files = set.files.map((f) => ({ name: f, text: readRules(join(base!, f)) }));
    const result = loadRules(files);
    const counts = ruleCount(result);
    const warnings = new Map<string, number>();
    for (const w of result.warnings) warnings.set(w.code, (warnings.get(w.code) ?? 0) + 1);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(
      `[compat] falco rules ${set.label}: ${result.ok ? 'loaded' : 'FAILED'}, ${total} rules (${[...counts].map(([s, n]) => `${s}: ${n}`).join(', ') || 'none'}), warnings ${JSON.stringify(Object.fromEntries(warnings))}`,
    );
    for (const e of result.errors) console.log(`[compat]   error: ${formatLoadMessage(e)}`);

    // Unknown fields are load errors (never a rule that silently matches nothing).
    expect(result.errors.filter((e) => /nonexistent field/.test(e.message))).toEqual([]);
    if (set.unsupportedPlugin) {
      expect(result.ok).toBe(false);
      expect(result.errors.map((e) => e.itemName)).toContain(set.unsupportedPlugin);
      const skipped = result.warnings.filter((w) => w.code === 'LOAD_UNKNOWN_SOURCE');
      console.log(`[compat]   unsupported: plugin ${set.unsupportedPlugin}; ${skipped.length} rules depend on its source (${[...new Set(skipped.map((w) => w.message))].join('; ')})`);
      expect(skipped.length).toBeGreaterThan(0);
      return;
    }
    expect(result.errors).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(set.minRules);

    const syscall = result.ruleset?.sources.get('syscall');
    if (syscall) {
      const provided = new Set(TETRAGON_FIELDS);
      const byField = new Map<string, number>();
      for (const rule of syscall.rules) for (const f of rule.fields) if (!provided.has(f) && !f.startsWith('evt.')) byField.set(f, (byField.get(f) ?? 0) + 1);
      const list = [...byField].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} (${n})`);
      console.log(`[compat]   fields a Tetragon export cannot provide (rules reading them): ${list.join(', ') || 'none'}`);
    }
  });
});
