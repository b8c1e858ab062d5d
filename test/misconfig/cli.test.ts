/**
 * `palisade scan --scanners misconfig` end to end on the sample project, whose deploy/ manifests
 * and Dockerfiles carry deliberate misconfigurations.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.ts';
import { sarifValidator } from '../helpers/schemas.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-misconfig-cli-'));
const db = join(dir, 'vuln.db');
const sample = join(repoRoot, 'examples/storefront');

function palisade(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PALISADE_DB: db, NO_COLOR: '1' },
    cwd: dir,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Misconfiguration {
  id: string;
  aliases: string[];
  severity: string;
  location: { path: string; line: number };
  object: { kind: string; name: string; namespace?: string };
  field?: string;
  evidence: string;
}
interface JsonReport {
  results: { target: { kind: string }; vulnerabilities: { id: string }[]; misconfigurations?: Misconfiguration[]; configFiles?: string[]; kubernetesObjects?: number }[];
  summary: { total: number; misconfigurations?: { total: number; bySeverity: Record<string, number> } };
}

const located = (report: JsonReport) => report.results.flatMap((r) => (r.misconfigurations ?? []).map((m) => `${m.location.path}:${m.location.line} ${m.id}`));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('palisade scan --scanners misconfig', () => {
  it('finds the sample project misconfigurations at their lines, without a vulnerability database', () => {
    const r = palisade('scan', '--scanners', 'misconfig', sample, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    const found = located(report);
    expect(found).toEqual(
      expect.arrayContaining([
        'deploy/checkout.yaml:14 PAL-K8S-002', // hostNetwork: true
        'deploy/checkout.yaml:19 PAL-K8S-001', // privileged: true
        'deploy/checkout.yaml:25 PAL-K8S-005', // hostPath volume
        'deploy/checkout.yaml:26 PAL-K8S-028', // the docker socket
        'deploy/web.yaml:17 PAL-K8S-019', // :latest
        'deploy/web.yaml:22 PAL-K8S-034', // SESSION_SECRET literal
        'deploy/inventory.yaml:18 PAL-K8S-016', // runAsUser: 0
        'web/Dockerfile:1 PAL-DF-001', // no USER
        'inventory/Dockerfile:7 PAL-DF-001', // no USER in the final stage
      ]),
    );
    // distroless :nonroot and USER 1000 are not root.
    expect(found).not.toContain('checkout/Dockerfile:6 PAL-DF-001');
    expect(found.filter((f) => f.startsWith('recommender/Dockerfile') && f.endsWith('PAL-DF-001'))).toEqual([]);
    // The hardened recommender Deployment only lacks probes and the token opt-out.
    expect(found.filter((f) => f.startsWith('deploy/recommender.yaml')).map((f) => f.split(' ')[1]).sort()).toEqual(['PAL-K8S-024', 'PAL-K8S-026', 'PAL-K8S-027']);

    const result = report.results[0]!;
    expect(result.vulnerabilities).toEqual([]);
    expect(result.configFiles).toHaveLength(9);
    expect(result.kubernetesObjects).toBe(6);
    const privileged = result.misconfigurations!.find((m) => m.id === 'PAL-K8S-001')!;
    expect(privileged).toMatchObject({
      severity: 'HIGH',
      aliases: ['KSV-0017', 'AVD-KSV-0017', 'KSV017'],
      object: { kind: 'Deployment', namespace: 'storefront', name: 'checkout' },
      field: 'spec.template.spec.containers[0].securityContext.privileged',
    });
    expect(report.summary.misconfigurations!.total).toBe(result.misconfigurations!.length);
    expect(report.summary.misconfigurations!.bySeverity.HIGH).toBeGreaterThanOrEqual(6);
  });

  it('prints a table per configuration file with ID, SEVERITY, TITLE, OBJECT and LINE', () => {
    const r = palisade('scan', '--scanners', 'misconfig', sample);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const start = lines.indexOf('deploy/checkout.yaml (kubernetes)');
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]).toMatch(/^Misconfigurations: \d+ \(CRITICAL: 0, HIGH: 3,/);
    expect(lines[start + 3]!.split(/\s{2,}/)).toEqual(['ID', 'SEVERITY', 'TITLE', 'OBJECT', 'LINE']);
    expect(lines[start + 5]!.split(/\s{2,}/)).toEqual(['PAL-K8S-002', 'HIGH', 'Host namespaces shared', 'Deployment storefront/checkout', '14']);
    expect(r.stdout).toContain('web/Dockerfile (dockerfile)');
    expect(r.stdout).toMatch(/Configuration files scanned: 9 \(6 Kubernetes objects\)/);
    expect(r.stdout).not.toMatch(/Vulnerabilities:|Packages scanned/);
    expect(r.stderr).toMatch(/\d+ misconfigurations in 9 configuration files/);
  });

  it('writes SARIF that validates, with one rule per check and file:line results', () => {
    const r = palisade('scan', '--scanners', 'misconfig', sample, '--format', 'sarif');
    expect(r.code, r.stderr).toBe(0);
    const sarif = JSON.parse(r.stdout) as {
      runs: { tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } }; results: { ruleId: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[];
    };
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const run = sarif.runs[0]!;
    const socket = run.results.find((x) => x.ruleId === 'PAL-K8S-028')!;
    expect(socket.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'deploy/checkout.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 26 } });
    expect(socket.message.text).toBe('PAL-K8S-028 [HIGH] in Deployment storefront/checkout: Pods must not mount the container runtime socket.');
    const rule = run.tool.driver.rules.find((x) => x.id === 'PAL-K8S-028')!;
    expect(rule.properties).toMatchObject({ 'security-severity': '8.0', tags: ['security', 'misconfiguration', 'kubernetes'] });
  });

  it('filters by severity and sets the exit code from what is left', () => {
    const r = palisade('scan', '--scanners', 'misconfig', sample, '-f', 'json', '--severity', 'HIGH', '--exit-code', '4');
    expect(r.code).toBe(4);
    const high = JSON.parse(r.stdout) as JsonReport;
    expect(new Set(high.results[0]!.misconfigurations!.map((m) => m.severity))).toEqual(new Set(['HIGH']));
    expect(palisade('scan', '--scanners', 'misconfig', join(sample, 'deploy/recommender.yaml'), '--severity', 'CRITICAL', '--exit-code', '4').code).toBe(0);
  });

  it('honours ignore files by check id or Trivy alias', () => {
    const ignore = join(dir, '.trivyignore');
    writeFileSync(ignore, 'PAL-K8S-001\nAVD-KSV-0006\n');
    const report = JSON.parse(palisade('scan', '--scanners', 'misconfig', sample, '-f', 'json', '--ignorefile', ignore).stdout) as JsonReport;
    const ids = report.results[0]!.misconfigurations!.map((m) => m.id);
    expect(ids).not.toContain('PAL-K8S-001');
    expect(ids).not.toContain('PAL-K8S-028');
    expect(ids).toContain('PAL-K8S-002');
  });

  it('rejects unknown scanners and images', () => {
    const bad = palisade('scan', '--scanners', 'bogus', sample);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scanners bogus: not supported yet \(supported: vuln, misconfig/);
    expect(palisade('scan', '--scanners', 'misconfig', 'docker-archive:/nonexistent.tar').code).toBe(2);
  });
});

describe('palisade scan --scanners vuln,misconfig', () => {
  beforeAll(() => {
    const imported = palisade('db', 'import', join(repoRoot, 'examples/osv'));
    expect(imported.code, imported.stderr).toBe(0);
  });

  it('reports vulnerabilities and misconfigurations of one target in one result', () => {
    const r = palisade('scan', '--scanners', 'vuln,misconfig', sample, '-f', 'json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.results).toHaveLength(1);
    expect(report.results[0]!.vulnerabilities.map((v) => v.id)).toContain('CVE-2021-23337');
    expect(located(report)).toContain('deploy/checkout.yaml:19 PAL-K8S-001');
    expect(report.summary.total).toBe(report.results[0]!.vulnerabilities.length);

    const table = palisade('scan', '--scanners', 'vuln,misconfig', sample).stdout;
    expect(table).toMatch(/web\/package-lock\.json \(npm\)/);
    expect(table).toMatch(/deploy\/web\.yaml \(kubernetes\)/);
    expect(table).toMatch(/Vulnerabilities: \d+/);
    expect(table).toMatch(/Misconfigurations: \d+/);
  });

  it('scans a single Dockerfile for misconfigurations only (it has no packages)', () => {
    const r = palisade('scan', '--scanners', 'vuln,misconfig', join(sample, 'web/Dockerfile'), '-f', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(located(JSON.parse(r.stdout) as JsonReport).map((l) => l.split(' ')[1])).toContain('PAL-DF-001');
  });

  it('leaves the default (vuln only) output without misconfigurations', () => {
    const report = JSON.parse(palisade('scan', sample, '-f', 'json').stdout) as JsonReport & { results: Record<string, unknown>[] };
    expect(report.results[0]!.misconfigurations).toBeUndefined();
    expect(report.summary.misconfigurations).toBeUndefined();
  });
});
