/**
 * Compatibility suite against poutine (../shared/corpus/gha-audit/poutine): the repository
 * snapshot `TestSnapshotAnalyzeRepo` lists poutine's findings on messypoutine/gravy-overflow.
 * poutine reports per job (often once per offending step); Palisade's equivalent rules report
 * the cause (the untrusted checkout, the injected expression), so findings are compared per
 * (file, rule, job). Prints recall and precision per mapped rule; floor 80% recall overall.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPath } from '../../src/ci/auditor.ts';
import { parseWorkflow } from '../../src/ci/model.ts';
import { loadYaml, position } from '../../src/ci/yaml.ts';
import { corpusDir } from '../helpers/corpus.ts';

/** poutine rule → Palisade rule. Rules without an entry need data Palisade does not have. */
const RULE_MAP: Record<string, string> = {
  injection: 'template-injection',
  untrusted_checkout_exec: 'untrusted-checkout',
  debug_enabled: 'debug-enabled',
  known_vulnerability_in_build_component: 'known-vulnerable-actions',
  pr_runs_on_self_hosted: 'self-hosted-runner',
  job_all_secrets: 'overprovisioned-secrets',
  if_always_true: 'unsound-condition',
  unverified_script_exec: 'curl-pipe-shell',
  default_permissions_on_risky_events: 'excessive-permissions',
  confused_deputy_auto_merge: 'bot-conditions',
};
const NOT_MAPPED: Record<string, string> = {
  github_action_from_unverified_creator_used: 'needs the GitHub Marketplace verified-creator list',
  known_vulnerability_in_build_platform: 'needs the version of the self-hosted CI platform',
};

interface PoutineFinding {
  rule_id: string;
  meta: { path: string; job?: string; line?: number };
}

const base = corpusDir('gha-audit', 'poutine');

describe.skipIf(!base)('poutine compatibility', () => {
  it('finds what poutine finds on messypoutine/gravy-overflow, per file, rule and job', () => {
    const snap = readFileSync(join(base!, 'test', 'snapshot', '__snapshots__', 'snapshot_test.snap'), 'utf8');
    const section = snap.slice(snap.indexOf('[TestSnapshotAnalyzeRepo - 1]'));
    const json = JSON.parse(section.slice(section.indexOf('{'), section.lastIndexOf('}') + 1)) as { findings: PoutineFinding[] };
    const repo = join(base!, 'messypoutine-gravy-overflow');
    const expected = new Set<string>();
    const skipped = new Map<string, number>();
    for (const f of json.findings) {
      const rule = RULE_MAP[f.rule_id];
      if (!rule) {
        skipped.set(f.rule_id, (skipped.get(f.rule_id) ?? 0) + 1);
        continue;
      }
      expected.add(`${f.meta.path}|${rule}|${f.meta.job ?? ''}`);
    }
    const report = auditPath(repo, { persona: 'regular' });
    const jobOf = (path: string, line: number): string => {
      const file = loadYaml(path, readFileSync(join(repo, path), 'utf8'));
      for (const job of parseWorkflow(file).jobs) {
        const start = position(file, job.entry.keyNode.range![0]).line;
        const end = position(file, job.entry.value!.range![1]).line;
        if (line >= start && line <= end) return job.id;
      }
      return '';
    };
    const mapped = new Set(Object.values(RULE_MAP));
    const found = new Set(
      report.findings.filter((f) => mapped.has(f.rule)).map((f) => `${f.path}|${f.rule}|${f.rule === 'excessive-permissions' ? '' : jobOf(f.path, f.start.line)}`),
    );
    const lines: string[] = [];
    let hits = 0;
    for (const rule of [...new Set([...expected].map((e) => e.split('|')[1]!))].sort()) {
      const exp = [...expected].filter((e) => e.split('|')[1] === rule);
      const got = [...found].filter((e) => e.split('|')[1] === rule);
      const matched = exp.filter((e) => found.has(e));
      hits += matched.length;
      lines.push(`${rule.padEnd(26)} recall ${matched.length}/${exp.length}  precision ${got.filter((g) => expected.has(g)).length}/${got.length}`);
      for (const miss of exp.filter((e) => !found.has(e))) lines.push(`  miss ${miss}`);
    }
    console.log(
      [
        `[compat] poutine (TestSnapshotAnalyzeRepo, per file/rule/job): recall ${hits}/${expected.size}`,
        ...lines,
        `[compat] poutine rules not mapped: ${[...skipped].map(([r, n]) => `${r} ×${n} (${NOT_MAPPED[r] ?? 'no equivalent'})`).join('; ')}`,
      ].join('\n'),
    );
    expect(hits / expected.size).toBeGreaterThanOrEqual(0.8);
  });
});
