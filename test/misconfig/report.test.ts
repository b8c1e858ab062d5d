/** The common renderers on misconfiguration findings (vulnerability rendering is covered in test/report). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/core/types.ts';
import { scanMisconfig } from '../../src/misconfig/scan.ts';
import { renderJson } from '../../src/report/json.ts';
import { renderSarif } from '../../src/report/sarif.ts';
import type { ScanReport, ScanTargetResult } from '../../src/report/scan-report.ts';
import { renderTable } from '../../src/report/table.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { sarifValidator } from '../helpers/schemas.ts';

const CREATED_AT = '2026-01-15T10:00:00.000Z';

async function report(): Promise<ScanReport> {
  const result = await scanMisconfig(join(repoRoot, 'test/fixtures/misconfig/k8s'));
  result.target.name = 'k8s';
  return { tool: { name: 'palisade', version: '0.1.0' }, createdAt: CREATED_AT, targets: [result], scanners: ['misconfig'] };
}

function suppress(r: ScanReport, id: string): void {
  for (const f of r.targets[0]!.findings) if (f.id === id) f.suppression = { kind: 'ignore', status: 'ignored', source: '.palisadeignore:3' };
}

describe('table', () => {
  it('groups by file, counts clean files, flags the incomplete target', async () => {
    const r = await report();
    const out = renderTable(r, { color: false });
    expect(out.startsWith('k8s (dir) [INCOMPLETE]\n')).toBe(true);
    expect(out).toContain('rbac.yaml (kubernetes)\nMisconfigurations: 3 (CRITICAL: 0, HIGH: 3, MEDIUM: 0, LOW: 0, UNKNOWN: 0)');
    expect(out).toContain('No misconfigurations in 2 other configuration files.'); // hardened.yaml, invalid.yaml's valid ConfigMap
    expect(out).toMatch(/INCOMPLETE: 1 input could not be read; findings in it may be missing:\n {2}invalid\.yaml:13: invalid YAML/);
    // Worst first, then by line.
    const rbac = out.slice(out.indexOf('rbac.yaml (kubernetes)')).split('\n');
    expect(rbac.slice(5, 8).map((l) => l.split(/\s{2,}/)[0] + '@' + l.split(/\s{2,}/)[4])).toEqual(['PAL-K8S-030@8', 'PAL-K8S-031@10', 'PAL-K8S-032@26']);
  });

  it('counts suppressed misconfigurations, and lists them with --show-suppressed', async () => {
    const r = await report();
    suppress(r, 'PAL-K8S-032');
    expect(renderTable(r, { color: false })).toContain('1 suppressed (VEX/ignore)');
    expect(renderTable(r, { color: false })).toContain('Suppressed misconfigurations: 1 (ignore rules), hidden; --show-suppressed lists them');
    const shown = renderTable(r, { color: false, showSuppressed: true });
    expect(shown).toMatch(/PAL-K8S-032 +HIGH +ClusterRoleBinding ci-admin +26 +ignored +ignore rule \.palisadeignore:3/);
  });

  it('renders misconfig findings from other producers (no details) without failing', () => {
    const f: Finding = { kind: 'misconfig', id: 'template-injection', severity: 'HIGH', title: 'code injection', target: '.', location: { path: '.github/workflows/ci.yml', line: 12 } };
    const result: ScanTargetResult = { target: { kind: 'dir', name: '.' }, findings: [f], packagesScanned: 0, notScanned: [], incomplete: [] };
    const out = renderTable({ tool: { name: 'palisade', version: '0' }, createdAt: CREATED_AT, targets: [result], scanners: ['misconfig'] }, { color: false });
    expect(out).toContain('.github/workflows/ci.yml (config)');
    expect(out).toMatch(/template-injection +HIGH +code injection +12/);
  });
});

describe('JSON', () => {
  it('adds misconfigurations beside vulnerabilities, with a summary of their own', async () => {
    const r = await report();
    suppress(r, 'PAL-K8S-032');
    const doc = JSON.parse(renderJson(r)) as {
      results: { vulnerabilities: unknown[]; misconfigurations: Record<string, unknown>[]; configFiles: string[]; kubernetesObjects: number; suppressedMisconfigurations?: unknown[] }[];
      summary: { total: number; misconfigurations: { total: number; suppressed: number; bySeverity: Record<string, number> } };
    };
    const result = doc.results[0]!;
    expect(result.vulnerabilities).toEqual([]);
    expect(result.kubernetesObjects).toBe(25);
    expect(result.configFiles).toContain('list.yaml');
    expect(result.suppressedMisconfigurations).toBeUndefined();
    const wildcard = result.misconfigurations.find((m) => m.id === 'PAL-K8S-030')!;
    expect(wildcard).toEqual({
      id: 'PAL-K8S-030',
      aliases: ['KSV-0045', 'AVD-KSV-0045', 'KSV045', 'KSV-0044', 'AVD-KSV-0044', 'KSV044'],
      type: 'kubernetes',
      severity: 'HIGH',
      title: 'Role grants every verb',
      description: expect.any(String),
      message: 'rule 0 allows every verb on pods, services',
      location: { path: 'rbac.yaml', line: 8 },
      object: { kind: 'ClusterRole', name: 'too-broad' },
      field: 'rules[0].verbs',
      evidence: 'ClusterRole too-broad: verbs: ["*"]',
      remediation: expect.any(String),
      references: ['https://kubernetes.io/docs/concepts/security/rbac-good-practices/'],
    });
    expect(result.misconfigurations.some((m) => m.id === 'PAL-K8S-032')).toBe(false);
    expect(doc.summary.total).toBe(0);
    expect(doc.summary.misconfigurations.total).toBe(result.misconfigurations.length);
    expect(doc.summary.misconfigurations.suppressed).toBe(1);
    const withSuppressed = JSON.parse(renderJson(r, { showSuppressed: true })) as { results: { suppressedMisconfigurations: { id: string }[] }[] };
    expect(withSuppressed.results[0]!.suppressedMisconfigurations.map((m) => m.id)).toEqual(['PAL-K8S-032']);
  });

  it('is deterministic', async () => {
    expect(renderJson(await report())).toBe(renderJson(await report()));
  });
});

describe('SARIF', () => {
  it('validates, has one rule per check, and fingerprints that survive line moves', async () => {
    const r = await report();
    const sarif = JSON.parse(renderSarif(r)) as {
      runs: { tool: { driver: { rules: { id: string; help: { text: string }; helpUri?: string }[] } }; results: { ruleId: string; ruleIndex: number; partialFingerprints: Record<string, string>; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[];
    };
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const run = sarif.runs[0]!;
    const ruleIds = run.tool.driver.rules.map((x) => x.id);
    expect(ruleIds).toEqual([...new Set(ruleIds)].sort());
    for (const res of run.results) expect(ruleIds[res.ruleIndex]).toBe(res.ruleId);
    const rule = run.tool.driver.rules.find((x) => x.id === 'PAL-K8S-001')!;
    expect(rule.help.text).toMatch(/Aliases: KSV-0017, AVD-KSV-0017, KSV017/);
    expect(rule.help.text).toMatch(/Remediation: Remove `securityContext.privileged: true`/);
    expect(rule.helpUri).toBe('https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline');

    const before = run.results.find((x) => x.ruleId === 'PAL-K8S-030')!;
    for (const f of r.targets[0]!.findings) if (f.location) f.location.line = (f.location.line ?? 0) + 5;
    const moved = (JSON.parse(renderSarif(r)) as typeof sarif).runs[0]!.results.find((x) => x.ruleId === 'PAL-K8S-030')!;
    expect(moved.locations[0]!.physicalLocation.region.startLine).toBe(13);
    expect(moved.partialFingerprints).toEqual(before.partialFingerprints);
  });
});
