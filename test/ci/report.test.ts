import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPath } from '../../src/ci/auditor.ts';
import { toCoreFindings } from '../../src/ci/findings.ts';
import { renderJson } from '../../src/ci/report/json.ts';
import { renderSarif } from '../../src/ci/report/sarif.ts';
import { renderTable } from '../../src/ci/report/table.ts';
import { sarifValidator } from '../helpers/schemas.ts';

const repo = join(import.meta.dirname, '../fixtures/ci/repo');
const meta = { tool: { name: 'palisade', version: '0.0.0-test' }, createdAt: '2026-01-01T00:00:00.000Z' };

describe('CI report renderers', () => {
  const report = auditPath(repo, { showSuppressed: true });

  it('renders a table with positions, fixes, the SLSA section and a summary', () => {
    const text = renderTable(report);
    expect(text).toMatch(/^\.github\/workflows\/pr-target\.yml$/m);
    expect(text).toMatch(/HIGH {3}14:29 +template-injection: code injection via template expansion/);
    expect(text).toMatch(/fix: Pass the value through an environment variable/);
    expect(text).toMatch(/\.github\/workflows\/release\.yml \(release\): Build L3/);
    expect(text).toMatch(/suppressed \(\.github\/actions\/greet\/action\.yml:9\)/);
    expect(text.trimEnd().split('\n').pop()).toMatch(/^\d+ findings in 5 files \(1 suppressed, \d+ hidden by persona\): \d+ high/);
  });

  it('renders stable JSON with locations, rule documentation, SLSA levels and a summary', () => {
    const doc = JSON.parse(renderJson(report, meta));
    expect(doc.schemaVersion).toBe(1);
    const injection = doc.findings.find((f: { rule: string }) => f.rule === 'template-injection' && !('suppressed' in f));
    expect(injection).toMatchObject({
      severity: 'high',
      confidence: 'high',
      location: { path: '.github/workflows/pr-target.yml', line: 14, column: 29, endLine: 14, endColumn: 60 },
      helpUri: 'https://docs.zizmor.sh/audits/#template-injection',
    });
    expect(doc.summary.slsa['.github/workflows/release.yml']).toBe(3);
    expect(doc.summary.suppressed).toBe(1);
    expect(renderJson(report, meta)).toBe(renderJson(auditPath(repo, { showSuppressed: true }), meta));
  });

  it('renders schema-valid SARIF with rules, regions, related locations and in-source suppressions', () => {
    const sarif = JSON.parse(renderSarif(report, { tool: meta.tool }));
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = sarif.runs[0];
    const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === 'untrusted-checkout');
    expect(rule.properties['security-severity']).toBe('8.0');
    const result = run.results.find((r: { ruleId: string }) => r.ruleId === 'untrusted-checkout');
    expect(result.locations[0].physicalLocation.region).toEqual({ startLine: 12, startColumn: 11, endLine: 12, endColumn: 57 });
    expect(result.relatedLocations[0].message.text).toBe('privileged trigger');
    expect(run.results.find((r: { suppressions?: unknown[] }) => r.suppressions)?.suppressions[0].kind).toBe('inSource');
  });

  it('maps findings to core misconfig findings', () => {
    const core = toCoreFindings(report.findings.filter((f) => f.rule === 'known-vulnerable-actions'));
    expect(core[0]).toMatchObject({ kind: 'misconfig', id: 'known-vulnerable-actions', severity: 'HIGH', location: { path: '.github/workflows/pr-target.yml', line: 18 } });
  });
});

describe('documentation', () => {
  it('lists every rule in docs/ci-audit.md', async () => {
    const { readFileSync } = await import('node:fs');
    const { allRules } = await import('../../src/ci/rules.ts');
    const doc = readFileSync(join(import.meta.dirname, '../../docs/ci-audit.md'), 'utf8');
    expect(allRules().filter((r) => !doc.includes(`| \`${r.id}\` |`)).map((r) => r.id)).toEqual([]);
  });
});
