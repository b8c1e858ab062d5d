/**
 * Compatibility suite for `palisade cluster audit`:
 *
 * 1. kubescape's own rule tests (../shared/corpus/k8s-manifests/kubescape-regolibrary/rules/<rule>/
 *    test/<case>/{input/*, expected.json}) for the rules that overlap Palisade's checks. Each case's
 *    input is audited as a dump; the set of subjects (RBAC rules: `Kind/name` of
 *    alertObject.externalObjects) or objects (workload rules: `Kind/name` of k8sApiObjects) the
 *    kubescape rule alerts on is compared with those Palisade's mapped finding names. Agreement is
 *    printed per rule. Cases where Palisade deliberately differs are listed in DISAGREEMENTS with
 *    the reason (the API server's authorizer, not kubescape's Rego, decides what a binding grants);
 *    every other case must agree.
 * 2. A smoke run over every project of ../shared/corpus/k8s-manifests as a dump: no crash, every
 *    area reports, findings per check printed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditCluster } from '../../src/cluster/audit.ts';
import { loadDump } from '../../src/cluster/dump.ts';
import type { ClusterFinding } from '../../src/cluster/findings.ts';
import { corpusDir } from '../helpers/corpus.ts';

const rulesDir = corpusDir('k8s-manifests', 'kubescape-regolibrary', 'rules');
const manifestsDir = corpusDir('k8s-manifests');

interface Mapping {
  /** Palisade finding ids whose subjects correspond to the rule's alerts. */
  ids: string[];
  /** What kubescape alerts on: RBAC subjects or Kubernetes objects. */
  on: 'subject' | 'object';
  /** Keep only findings for which this holds (e.g. a workload token finding built on admin rights). */
  filter?: (f: ClusterFinding) => boolean;
}

/** Administrative rights are reported once (PAL-RBAC-001) and imply every narrower pattern. */
const IMPLIED = ['PAL-RBAC-001'];

const MAPPINGS: Record<string, Mapping> = {
  'rule-list-all-cluster-admins-v1': { ids: ['PAL-RBAC-001'], on: 'subject' },
  'cluster-admin-role': { ids: ['PAL-RBAC-002'], on: 'subject' },
  'rule-can-list-get-secrets-v1': { ids: ['PAL-RBAC-004', ...IMPLIED], on: 'subject' },
  'exec-into-container-v1': { ids: ['PAL-RBAC-005', ...IMPLIED], on: 'subject' },
  'rule-can-create-pod': { ids: ['PAL-RBAC-006', ...IMPLIED], on: 'subject' },
  'rule-can-bind-escalate': { ids: ['PAL-RBAC-007', ...IMPLIED], on: 'subject' },
  'rule-can-impersonate-users-groups-v1': { ids: ['PAL-RBAC-008', ...IMPLIED], on: 'subject' },
  'rule-excessive-delete-rights-v1': { ids: ['PAL-RBAC-014', ...IMPLIED], on: 'subject' },
  'rule-can-approve-cert-signing-request': { ids: ['PAL-RBAC-015', ...IMPLIED], on: 'subject' },
  'rule-can-modify-admission-webhooks': { ids: ['PAL-RBAC-016', ...IMPLIED], on: 'subject' },
  'rule-can-create-pv': { ids: ['PAL-RBAC-017', ...IMPLIED], on: 'subject' },
  'anonymous-access-enabled': { ids: ['PAL-RBAC-011'], on: 'subject' },
  'automount-service-account': { ids: ['PAL-SA-001'], on: 'object' },
  'automount-default-service-account': { ids: ['PAL-SA-002'], on: 'object' },
  'workload-with-administrative-roles': { ids: ['PAL-SA-003'], on: 'object', filter: (f) => (f.related ?? []).some((id) => id === 'PAL-RBAC-001' || id === 'PAL-RBAC-002') },
};

/**
 * Where Palisade answers differently on purpose. Key: `<rule>/<case>`.
 * - RoleBindings never grant cluster-scoped resources (CSRs, webhooks, PersistentVolumes, users,
 *   groups): the authorizer ignores such rules outside ClusterRoleBindings.
 * - `pods/*` is no wildcard for the authorizer: it grants no pods/exec.
 */
const CLUSTER_SCOPED_VIA_ROLEBINDING = 'a RoleBinding grants no cluster-scoped resource: the authorizer ignores the rule outside a ClusterRoleBinding';
const DISAGREEMENTS: Record<string, string> = {
  'exec-into-container-v1/clusterrole': '`pods/*` is no wildcard for the authorizer: it grants no pods/exec',
  'rule-can-bind-escalate/role-rolebinding': `clusterroles: ${CLUSTER_SCOPED_VIA_ROLEBINDING}`,
  'rule-can-approve-cert-signing-request/clusterrole-rolebinding': `certificatesigningrequests/approval: ${CLUSTER_SCOPED_VIA_ROLEBINDING}`,
  'rule-can-approve-cert-signing-request/role-rolebinding': `certificatesigningrequests/approval: ${CLUSTER_SCOPED_VIA_ROLEBINDING}`,
  'rule-can-modify-admission-webhooks/clusterrole-rolebinding': `webhook configurations: ${CLUSTER_SCOPED_VIA_ROLEBINDING}`,
  'rule-can-modify-admission-webhooks/role-rolebinding': `webhook configurations: ${CLUSTER_SCOPED_VIA_ROLEBINDING}`,
  'rule-can-create-pv/clusterrole-rolebinding': `persistentvolumes: ${CLUSTER_SCOPED_VIA_ROLEBINDING}`,
  'rule-can-create-pv/role-rolebinding': `persistentvolumes: ${CLUSTER_SCOPED_VIA_ROLEBINDING}`,
};

function expectedOf(file: string, on: Mapping['on']): string[] {
  const alerts = JSON.parse(readFileSync(file, 'utf8')) as { alertObject: { externalObjects?: { kind: string; name: string }; k8sApiObjects?: { kind: string; metadata?: { name?: string } }[] } }[];
  const out = new Set<string>();
  for (const a of alerts) {
    if (on === 'subject' && a.alertObject.externalObjects) out.add(`${a.alertObject.externalObjects.kind}/${a.alertObject.externalObjects.name}`);
    if (on === 'object') for (const o of a.alertObject.k8sApiObjects ?? []) out.add(`${o.kind}/${o.metadata?.name ?? ''}`);
  }
  return [...out].sort();
}

function gotOf(findings: readonly ClusterFinding[], mapping: Mapping): string[] {
  const out = new Set<string>();
  for (const f of findings) {
    if (!mapping.ids.includes(f.id) || (mapping.filter && !mapping.filter(f))) continue;
    out.add(`${f.subject.kind}/${f.subject.name}`);
  }
  return [...out].sort();
}

describe.skipIf(!rulesDir)('kubescape rule tests (../shared/corpus/k8s-manifests/kubescape-regolibrary)', () => {
  it('agrees with kubescape on the overlapping rules, except the documented disagreements', async () => {
    const unexpected: string[] = [];
    const documented: string[] = [];
    let agree = 0;
    let total = 0;
    for (const [rule, mapping] of Object.entries(MAPPINGS)) {
      const testDir = join(rulesDir!, rule, 'test');
      if (!existsSync(testDir)) {
        console.log(`[compat] kubescape ${rule}: no tests in the corpus`);
        continue;
      }
      let ruleAgree = 0;
      const cases = readdirSync(testDir).sort();
      for (const name of cases) {
        const caseDir = join(testDir, name);
        const snapshot = await loadDump(join(caseDir, 'input'));
        const report = await auditCluster(snapshot, { createdAt: '2025-01-01T00:00:00Z' });
        // kubescape's fixtures are not whole clusters: their missing lists do not change what a
        // subject is granted by the objects that are there.
        const got = gotOf(report.findings, mapping);
        const want = expectedOf(join(caseDir, 'expected.json'), mapping.on);
        total++;
        const key = `${rule}/${name}`;
        if (JSON.stringify(got) === JSON.stringify(want)) {
          agree++;
          ruleAgree++;
          continue;
        }
        const line = `${key}: kubescape [${want.join(', ')}] palisade [${got.join(', ')}]`;
        if (DISAGREEMENTS[key]) documented.push(`${line} — ${DISAGREEMENTS[key]}`);
        else unexpected.push(line);
      }
      console.log(`[compat] kubescape ${rule} → ${mapping.ids.join(', ')}: ${ruleAgree}/${cases.length} cases agree`);
    }
    console.log(`[compat] kubescape overlapping rules: ${agree}/${total} cases agree (${documented.length} documented disagreements)`);
    for (const d of documented) console.log(`[compat]   ≠ ${d}`);
    for (const u of unexpected) console.log(`[compat]   ✗ ${u}`);
    expect(total).toBeGreaterThan(30);
    expect(unexpected).toEqual([]);
  });
});

describe.skipIf(!manifestsDir)('smoke: the k8s-manifests corpus as cluster dumps', () => {
  it('audits every project without crashing; findings per check', async () => {
    const projects = readdirSync(manifestsDir!, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    const perCheck = new Map<string, number>();
    for (const project of projects) {
      const snapshot = await loadDump(join(manifestsDir!, project));
      const report = await auditCluster(snapshot, { createdAt: '2025-01-01T00:00:00Z' });
      expect(report.areas).toHaveLength(4);
      for (const f of report.findings) perCheck.set(f.id, (perCheck.get(f.id) ?? 0) + 1);
      const scores = report.areas.map((a) => `${a.area}=${a.score ?? '-'}${a.status === 'complete' ? '' : `(${a.status})`}`).join(' ');
      console.log(`[compat] smoke ${project}: ${snapshot.objects.length} objects, ${report.findings.length} findings, ${report.issues.length} input issues; ${scores}`);
    }
    const rows = [...perCheck].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => `${id}=${n}`);
    console.log(`[compat] smoke findings per check: ${rows.join(' ')}`);
    expect(perCheck.size).toBeGreaterThan(10);
  });
});
