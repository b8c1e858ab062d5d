/**
 * The audit of the fixture dumps (test/fixtures/cluster, see its README): the expected findings per
 * fixture, the inventory, the namespace posture, scores and their completeness, and the three
 * renderers (SARIF checked against the 2.1.0 schema).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditCluster, type ClusterReport } from '../../src/cluster/audit.ts';
import { loadDump } from '../../src/cluster/dump.ts';
import { renderClusterJson, renderClusterSarif, renderClusterTable } from '../../src/cluster/report.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { sarifValidator } from '../helpers/schemas.ts';

const fixtures = join(repoRoot, 'test/fixtures/cluster');
const CREATED = '2025-06-01T12:00:00.000Z';

const key = (f: ClusterReport['findings'][number]) => `${f.id} ${f.severity} ${f.subject.kind} ${f.subject.namespace ? `${f.subject.namespace}/` : ''}${f.subject.name}`;

describe('basic dump', () => {
  let report: ClusterReport;
  beforeAll(async () => {
    report = await auditCluster(await loadDump(join(fixtures, 'basic')), { createdAt: CREATED });
  });

  it('finds the expected RBAC risks, and none in the bootstrap policy', () => {
    const rbac = report.findings.filter((f) => f.area === 'rbac').map(key).sort();
    expect(rbac).toEqual(
      [
        'PAL-RBAC-001 CRITICAL User alice@example.com',
        'PAL-RBAC-002 CRITICAL User alice@example.com',
        'PAL-RBAC-008 CRITICAL User bob@example.com',
        'PAL-RBAC-004 HIGH Group auditors',
        'PAL-RBAC-006 HIGH ServiceAccount kube-system/helper',
        'PAL-RBAC-009 HIGH ServiceAccount monitoring/prometheus',
        'PAL-RBAC-004 MEDIUM User carol@example.com',
        'PAL-RBAC-005 MEDIUM ServiceAccount tools/ci-deployer',
        'PAL-RBAC-006 MEDIUM ServiceAccount tools/ci-deployer',
        'PAL-RBAC-012 MEDIUM Group system:authenticated',
        'PAL-RBAC-014 MEDIUM ServiceAccount kube-system/helper',
        'PAL-RBAC-011 LOW Group system:unauthenticated',
        'PAL-RBAC-013 LOW ServiceAccount shop/default',
        'PAL-RBAC-018 LOW RoleBinding shop/legacy-admins',
      ].sort(),
    );
    const prometheus = report.findings.find((f) => f.id === 'PAL-RBAC-009')!;
    expect(prometheus.evidence[0]).toMatch(/ClusterRoleBinding prometheus → ClusterRole monitoring: verbs \[get\] resources \[nodes\/proxy, nodes\/metrics\]/);
    expect(prometheus.locations).toEqual([
      { path: 'clusterrolebindings.yaml', line: 44 },
      { path: 'clusterroles.yaml', line: 41 },
    ]);
  });

  it('finds the namespace and token posture findings', () => {
    const posture = report.findings.filter((f) => f.id.startsWith('PAL-NS') || f.id.startsWith('PAL-SA') || f.id.startsWith('PAL-IMG')).map(key).sort();
    expect(posture).toEqual(
      [
        'PAL-IMG-001 LOW Image quay.io/example/helper:0.9',
        'PAL-NS-001 MEDIUM Namespace tools',
        'PAL-NS-002 HIGH Namespace payments',
        'PAL-NS-003 LOW Namespace kube-system',
        'PAL-NS-003 LOW Namespace shop',
        'PAL-NS-004 MEDIUM Namespace kube-system',
        'PAL-NS-004 MEDIUM Namespace tools',
        'PAL-SA-001 LOW Deployment kube-system/helper',
        'PAL-SA-001 LOW Pod tools/debug-shell',
        'PAL-SA-002 LOW ServiceAccount default/default',
        'PAL-SA-003 HIGH Deployment kube-system/helper',
      ].sort(),
    );
    expect(report.findings.find((f) => f.id === 'PAL-SA-003')!.related).toEqual(['PAL-RBAC-006']);
  });

  it('runs the misconfiguration checks on top-level workloads only, at their file:line', () => {
    const privileged = report.findings.filter((f) => f.id === 'PAL-K8S-001');
    expect(privileged.map(key)).toEqual(['PAL-K8S-001 HIGH Pod tools/debug-shell']);
    expect(privileged[0]!.locations).toEqual([{ path: 'pods.yaml', line: 83 }]);
    // The storefront Deployment is checked, its ReplicaSet and pods are not.
    expect(report.findings.some((f) => f.subject.name.startsWith('storefront-'))).toBe(false);
    // Superseded by the cluster-aware checks.
    expect(report.findings.some((f) => ['PAL-K8S-024', 'PAL-K8S-030', 'PAL-K8S-031', 'PAL-K8S-032', 'PAL-K8S-035'].includes(f.id))).toBe(false);
  });

  it('inventories workloads per namespace with the digests their pods run', () => {
    const shop = report.inventory.namespaces.find((n) => n.name === 'shop')!;
    expect(shop.workloads).toEqual([
      {
        kind: 'Deployment',
        name: 'storefront',
        serviceAccount: 'storefront',
        pods: 2,
        containers: [{ name: 'web', kind: 'container', image: 'ghcr.io/example/storefront:2.4.1', digests: ['sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'] }],
      },
    ]);
    expect(report.inventory.images.map((i) => `${i.image} ${i.digests.length}`)).toEqual([
      'busybox 1',
      'ghcr.io/example/storefront:2.4.1 1',
      'quay.io/example/helper:0.9 0',
      'registry.example.com/payments/ledger@sha256:2b4f0f5e6c1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3 1',
    ]);
  });

  it('compares the level pods meet with the enforce label', () => {
    const ns = Object.fromEntries(report.workloads.namespaces.map((n) => [n.name, `${n.enforce ?? '-'}/${n.actualLevel ?? '-'}/${n.violations.length}/${n.networkPolicies}`]));
    expect(ns).toEqual({ default: '-/-/0/0', 'kube-system': 'privileged/baseline/0/0', payments: 'restricted/baseline/1/1', shop: 'baseline/restricted/0/1', tools: '-/privileged/0/0' });
    expect(report.workloads.namespaces.find((n) => n.name === 'payments')!.violations[0]!.object).toBe('Deployment payments/ledger');
  });

  it('scores every area from complete data', () => {
    expect(report.incomplete).toEqual([]);
    expect(report.areas.map((a) => `${a.area} ${a.status} ${a.score}`)).toEqual(['inventory complete 98', 'rbac complete 62', 'workloads complete 67', 'audit-log not-assessed null']);
    // rbac: 11 audited subjects + 2 items only findings name; worst weights 1+1+0.6+0.6+0.6+0.3+0.3+0.3+0.3+0.1+0.1+0.1 (+0) over 13.
    const rbac = report.areas.find((a) => a.area === 'rbac')!;
    expect(rbac.items).toBe(13);
  });

  it('never carries Secret values', () => {
    expect(renderClusterJson(report)).not.toContain('c3VwZXItc2VjcmV0LXZhbHVl');
  });

  it('renders a table with scores, namespaces, subjects and findings', () => {
    const table = renderClusterTable(report);
    expect(table).toMatch(/^Cluster audit: dump .*basic \(17 files\)/);
    expect(table).toMatch(/rbac\s+62\s+complete\s+13\s+3\s+3\s+5\s+3/);
    expect(table).toMatch(/payments\s+1\s+restricted\s+baseline\s+1\s+1/);
    expect(table).toMatch(/CRITICAL\s+PAL-RBAC-002\s+User alice@example.com\s+cluster/);
    expect(table).not.toMatch(/INCOMPLETE/);
  });

  it('renders SARIF 2.1.0 with one rule per id and file locations', () => {
    const sarif = JSON.parse(renderClusterSarif(report)) as { runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; locations: { physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } } }[] }[] }[] };
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = sarif.runs[0]!;
    expect(new Set(run.tool.driver.rules.map((r) => r.id)).size).toBe(run.tool.driver.rules.length);
    expect(run.results).toHaveLength(report.findings.length);
    const admin = run.results.find((r) => r.ruleId === 'PAL-RBAC-002')!;
    expect(admin.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'clusterrolebindings.yaml' }, region: { startLine: 23 } });
  });
});

describe('partial dump', () => {
  let report: ClusterReport;
  beforeAll(async () => {
    report = await auditCluster(await loadDump(join(fixtures, 'partial')), { createdAt: CREATED });
  });

  it('does not assess RBAC and marks the other areas incomplete, naming what is missing', () => {
    const areas = Object.fromEntries(report.areas.map((a) => [a.area, a]));
    expect(areas.rbac!.status).toBe('not-assessed');
    expect(areas.rbac!.score).toBeNull();
    expect(areas.workloads!.status).toBe('incomplete');
    expect(areas.workloads!.missing.map((m) => m.resource)).toContain('networkpolicies');
    expect(areas.inventory!.status).toBe('incomplete');
    expect(report.incomplete).toContain('rbac: not assessed — none of the lists it reads could be read (roles, clusterroles, rolebindings, clusterrolebindings)');
    expect(report.incomplete.some((n) => n.startsWith('networkpolicies: absent'))).toBe(true);
  });

  it('concludes nothing from lists it did not read', () => {
    const ids = report.findings.map((f) => f.id);
    expect(ids).not.toContain('PAL-NS-004'); // NetworkPolicies were not listed
    expect(ids).not.toContain('PAL-NS-001'); // the Namespace (and its labels) was not listed
    expect(ids).not.toContain('PAL-SA-001'); // the ServiceAccount was not listed and the pod does not say
    expect(ids).not.toContain('PAL-IMG-001'); // without pods, no digest can be known
  });

  it('reports unknown kinds and the file that does not parse', () => {
    expect(report.unknownKinds).toEqual({ Ingress: 1 });
    expect(report.issues).toEqual([{ path: 'broken.yaml', line: 10, message: expect.stringMatching(/^invalid YAML/) as unknown as string }]);
    const table = renderClusterTable(report);
    expect(table).toMatch(/INCOMPLETE — these parts of the cluster could not be seen/);
    expect(table).toMatch(/Not audited \(kinds the audit does not read\): Ingress ×1/);
    expect(table).toMatch(/rbac\s+-\s+NOT-ASSESSED/);
  });

  it('says so in SARIF too', () => {
    const sarif = JSON.parse(renderClusterSarif(report)) as { runs: { invocations: { toolExecutionNotifications: { message: { text: string } }[] }[] }[] };
    expect(sarif.runs[0]!.invocations[0]!.toolExecutionNotifications.map((n) => n.message.text)).toContain('incomplete: rbac: not assessed — none of the lists it reads could be read (roles, clusterroles, rolebindings, clusterrolebindings)');
  });
});
