/**
 * Workload posture: per namespace, the Pod Security Standards level its pods actually meet
 * (checkPodSecurity) against the `pod-security.kubernetes.io/enforce` label it carries, whether a
 * NetworkPolicy covers it, which workloads mount service account tokens (and whose permissions
 * those tokens carry), plus the misconfiguration checks of `palisade scan --scanners misconfig`
 * run over the live objects.
 *
 * Nothing is concluded from a list that was not read: without the networkpolicies list there is no
 * "namespace without NetworkPolicy" finding, without namespaces no label comparison; the area is
 * then marked incomplete instead.
 */
import type { Severity } from '../core/types.ts';
import { checkManifests } from '../misconfig/k8s/index.ts';
import type { Manifest } from '../misconfig/manifests.ts';
import { checkPodSecurity, type PodSecurityLevel } from '../policy/podsecurity/index.ts';
import { resolveVersion } from '../policy/podsecurity/version.ts';
import { SEVERITY_ORDER, type ClusterFinding } from './findings.ts';
import { podSpecOf, podTemplateOf, type Inventory, type Workload } from './inventory.ts';
import { isComplete, labelsOf, objectsOf, type Snapshot } from './snapshot.ts';

export interface NamespacePosture {
  name: string;
  /** The namespace object was listed (labels known). */
  listed: boolean;
  /** `pod-security.kubernetes.io/enforce` / `-version`, as labelled. */
  enforce?: string;
  enforceVersion?: string;
  audit?: string;
  warn?: string;
  /** The highest level every pod (and pod template) of the namespace meets; undefined without pods. */
  actualLevel?: PodSecurityLevel;
  podsEvaluated: number;
  /** Objects that do not meet the enforced level. */
  violations: { object: string; level: PodSecurityLevel; messages: string[] }[];
  workloads: number;
  /** NetworkPolicies in the namespace; undefined when the list was not read. */
  networkPolicies?: number;
}

export interface WorkloadPostureResult {
  namespaces: NamespacePosture[];
  findings: ClusterFinding[];
  /** Workloads whose pods mount a service account token. */
  tokenMounts: { workload: string; serviceAccount: string }[];
}

const LEVEL_RANK: Record<PodSecurityLevel, number> = { privileged: 0, baseline: 1, restricted: 2 };
const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];
const PSS_DOC = 'https://kubernetes.io/docs/concepts/security/pod-security-admission/';
const SA_DOC = 'https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting';

/** Misconfiguration checks the cluster audit does itself, with the whole cluster in view. */
const SUPERSEDED_CHECKS = new Set(['PAL-K8S-024', 'PAL-K8S-030', 'PAL-K8S-031', 'PAL-K8S-032', 'PAL-K8S-035']);
/** Kinds the misconfiguration checks look at in a cluster (RBAC is the RBAC area's). */
const MISCONFIG_KINDS = new Set(['Pod', 'Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController', 'Service', 'ConfigMap']);

/** The highest level the pod (or template) meets, with the messages of the first level it fails. */
export function podSecurityLevelOf(object: Record<string, unknown>, version: string): { level: PodSecurityLevel; failures: Map<PodSecurityLevel, string[]> } {
  const failures = new Map<PodSecurityLevel, string[]>();
  for (const level of ['restricted', 'baseline'] as const) {
    const result = checkPodSecurity(object, level, version);
    if (result.allowed) return { level, failures };
    failures.set(level, result.violations.map((v) => v.message));
  }
  return { level: 'privileged', failures };
}

/** RBAC findings that apply to a service account (its own and those of the groups it belongs to). */
export type AccountFindings = (namespace: string, name: string) => ClusterFinding[];

export function workloadPosture(snapshot: Snapshot, inventory: Inventory, riskyAccounts: AccountFindings): WorkloadPostureResult {
  const findings: ClusterFinding[] = [];
  const namespaces = namespacePostures(snapshot, inventory);
  for (const ns of namespaces) findings.push(...namespaceFindings(ns));
  const tokens = tokenFindings(snapshot, inventory, riskyAccounts);
  findings.push(...tokens.findings);
  findings.push(...misconfigFindings(snapshot, inventory));
  return { namespaces, findings, tokenMounts: tokens.mounts };
}

function namespacePostures(snapshot: Snapshot, inventory: Inventory): NamespacePosture[] {
  const listed = new Map(objectsOf(snapshot, 'Namespace').map((n) => [n.name, n]));
  const policiesRead = isComplete(snapshot.coverage.get('networkpolicies')?.status ?? 'absent');
  const policies = new Map<string, number>();
  for (const p of objectsOf(snapshot, 'NetworkPolicy')) policies.set(p.namespace ?? '', (policies.get(p.namespace ?? '') ?? 0) + 1);
  const names = [...new Set([...listed.keys(), ...inventory.byNamespace.keys()])].sort();
  return names.map((name) => {
    const labels = listed.has(name) ? labelsOf(listed.get(name)!) : {};
    const posture: NamespacePosture = {
      name,
      listed: listed.has(name),
      ...(labels['pod-security.kubernetes.io/enforce'] !== undefined && { enforce: labels['pod-security.kubernetes.io/enforce'] }),
      ...(labels['pod-security.kubernetes.io/enforce-version'] !== undefined && { enforceVersion: labels['pod-security.kubernetes.io/enforce-version'] }),
      ...(labels['pod-security.kubernetes.io/audit'] !== undefined && { audit: labels['pod-security.kubernetes.io/audit'] }),
      ...(labels['pod-security.kubernetes.io/warn'] !== undefined && { warn: labels['pod-security.kubernetes.io/warn'] }),
      podsEvaluated: 0,
      violations: [],
      workloads: inventory.byNamespace.get(name)?.length ?? 0,
      ...(policiesRead && { networkPolicies: policies.get(name) ?? 0 }),
    };
    evaluateLevel(posture, inventory.byNamespace.get(name) ?? []);
    return posture;
  });
}

/** A version label PSA cannot parse means `latest`, as admission reads it. */
function usableVersion(version: string | undefined): string {
  if (version === undefined) return 'latest';
  try {
    resolveVersion(version);
    return version;
  } catch {
    return 'latest';
  }
}

/**
 * Replicas share their spec: a pod's level is remembered by what the checks read (its spec and
 * annotations, less the node it landed on).
 */
const levelMemo = new Map<string, ReturnType<typeof podSecurityLevelOf>>();

function memoLevel(m: Manifest, spec: Record<string, unknown>, version: string): ReturnType<typeof podSecurityLevelOf> {
  const { nodeName: _node, hostname: _host, ...rest } = spec;
  const template = m.kind === 'Pod' ? m.object.metadata : (podTemplateOf(m)?.metadata ?? {});
  const annotations = typeof template === 'object' && template !== null ? (template as Record<string, unknown>).annotations : undefined;
  const key = `${version}\0${m.kind === 'Pod' ? 'Pod' : 'template'}\0${JSON.stringify(annotations ?? null)}\0${JSON.stringify(rest)}`;
  let result = levelMemo.get(key);
  if (!result) {
    if (levelMemo.size > 50_000) levelMemo.clear();
    result = podSecurityLevelOf(m.object, version);
    levelMemo.set(key, result);
  }
  return result;
}

/** Pods as they run (mutations included), and the templates of workloads that have none running. */
function evaluateLevel(posture: NamespacePosture, workloads: readonly Workload[]): void {
  const version = usableVersion(posture.enforceVersion);
  const enforced = LEVELS.includes(posture.enforce as PodSecurityLevel) ? (posture.enforce as PodSecurityLevel) : undefined;
  let lowest: PodSecurityLevel | undefined;
  for (const w of workloads) {
    const subjects: Manifest[] = w.pods.length > 0 ? w.pods : [w.manifest];
    for (const m of subjects) {
      const spec = podSpecOf(m);
      if (!spec) continue;
      const { level, failures } = memoLevel(m, spec, version);
      posture.podsEvaluated++;
      if (lowest === undefined || LEVEL_RANK[level] < LEVEL_RANK[lowest]) lowest = level;
      if (enforced && LEVEL_RANK[level] < LEVEL_RANK[enforced]) {
        posture.violations.push({ object: `${m.kind} ${m.namespace ?? ''}/${m.name}`, level, messages: failures.get(enforced) ?? [] });
      }
    }
  }
  if (lowest !== undefined) posture.actualLevel = lowest;
}

function nsFinding(ns: NamespacePosture, id: string, severity: Severity, title: string, message: string, evidence: string[], controls: ClusterFinding['controls'], remediation: string, references: string[]): ClusterFinding {
  return { id, area: 'workloads', severity, title, subject: { kind: 'Namespace', name: ns.name }, message, scope: ns.name, evidence, locations: [], controls, remediation, references };
}

function namespaceFindings(ns: NamespacePosture): ClusterFinding[] {
  const out: ClusterFinding[] = [];
  if (ns.workloads === 0) return out;
  const actual = ns.actualLevel;
  if (ns.listed && ns.enforce === undefined) {
    out.push(
      nsFinding(ns, 'PAL-NS-001', 'MEDIUM', 'Namespace enforces no Pod Security Standard',
        `namespace ${ns.name} has no pod-security.kubernetes.io/enforce label${actual ? `; its pods meet ${actual}` : ''}`,
        [`labels: enforce unset${ns.audit ? `, audit=${ns.audit}` : ''}${ns.warn ? `, warn=${ns.warn}` : ''}`],
        { kubescape: ['C-0211'], cis: ['5.2.1'] },
        `Label the namespace pod-security.kubernetes.io/enforce=${actual && actual !== 'privileged' ? actual : 'baseline'} (with an audit/warn label at restricted first if unsure).`,
        [PSS_DOC]),
    );
  }
  if (ns.violations.length > 0) {
    out.push(
      nsFinding(ns, 'PAL-NS-002', 'HIGH', 'Pods break the Pod Security Standard their namespace enforces',
        `${ns.violations.length} pod${ns.violations.length === 1 ? '' : 's'} or template${ns.violations.length === 1 ? '' : 's'} in namespace ${ns.name} do not meet the enforced level ${ns.enforce} (created before the label, or exempted)`,
        ns.violations.slice(0, 20).map((v) => `${v.object} meets ${v.level}: ${v.messages.join('; ')}`),
        { cis: ['5.2.1'] },
        'Fix the workloads (or move them to a namespace with an explicit exception): admission will reject their next pods.',
        [PSS_DOC]),
    );
  }
  if (ns.enforce !== undefined && actual !== undefined && LEVELS.includes(ns.enforce as PodSecurityLevel) && LEVEL_RANK[actual] > LEVEL_RANK[ns.enforce as PodSecurityLevel]) {
    out.push(
      nsFinding(ns, 'PAL-NS-003', 'LOW', 'Namespace could enforce a stricter Pod Security Standard',
        `every pod in namespace ${ns.name} meets ${actual}, but the namespace enforces only ${ns.enforce}`,
        [`enforce=${ns.enforce}${ns.enforceVersion ? ` (${ns.enforceVersion})` : ''}, pods meet ${actual}`],
        { cis: ['5.2.1'] },
        `Raise pod-security.kubernetes.io/enforce to ${actual}, so that a weaker pod cannot be admitted later.`,
        [PSS_DOC]),
    );
  }
  if (ns.networkPolicies === 0) {
    out.push(
      nsFinding(ns, 'PAL-NS-004', 'MEDIUM', 'Namespace with workloads and no NetworkPolicy',
        `namespace ${ns.name} runs ${ns.workloads} workload${ns.workloads === 1 ? '' : 's'} and has no NetworkPolicy: every pod accepts traffic from every other pod`,
        [`${ns.workloads} workload(s), 0 NetworkPolicies`],
        { kubescape: ['C-0260', 'C-0206'], cis: ['5.3.2'] },
        'Add a default-deny NetworkPolicy to the namespace, then allow the flows each workload needs.',
        ['https://kubernetes.io/docs/concepts/services-networking/network-policies/']),
    );
  }
  return out;
}

/**
 * Token automount as the kubelet decides it: the pod's `automountServiceAccountToken` wins, else
 * the ServiceAccount's, else true.
 */
function tokenFindings(snapshot: Snapshot, inventory: Inventory, riskyAccounts: AccountFindings): { findings: ClusterFinding[]; mounts: { workload: string; serviceAccount: string }[] } {
  const accountsRead = isComplete(snapshot.coverage.get('serviceaccounts')?.status ?? 'absent');
  const accounts = new Map(objectsOf(snapshot, 'ServiceAccount').map((a) => [`${a.namespace ?? ''}/${a.name}`, a]));
  const findings: ClusterFinding[] = [];
  const mounts: { workload: string; serviceAccount: string }[] = [];
  for (const w of inventory.workloads) {
    const account = accounts.get(`${w.namespace}/${w.serviceAccount}`);
    const accountSays = account?.object.automountServiceAccountToken;
    // Without the ServiceAccount (not listed), only an explicit pod-level answer is certain.
    const mounted = w.automount ?? (typeof accountSays === 'boolean' ? accountSays : account || accountsRead ? true : undefined);
    if (mounted !== true) continue;
    const label = `${w.kind} ${w.namespace}/${w.name}`;
    mounts.push({ workload: label, serviceAccount: `${w.namespace}/${w.serviceAccount}` });
    const subject = { kind: w.kind, name: w.name, namespace: w.namespace };
    const locations = w.manifest.line > 0 ? [{ path: w.manifest.path, line: w.manifest.lineOf(['spec']) }] : [];
    findings.push({
      id: 'PAL-SA-001',
      area: 'workloads',
      severity: 'LOW',
      title: 'Workload mounts a service account token',
      subject,
      message: `${label} mounts the token of service account ${w.serviceAccount}`,
      scope: w.namespace,
      evidence: [`automountServiceAccountToken: pod ${w.automount ?? 'unset'}, service account ${typeof accountSays === 'boolean' ? accountSays : 'unset'}`],
      locations,
      controls: { kubescape: ['C-0034', 'C-0190'], cis: ['5.1.6'], trivy: ['KSV-0036'] },
      remediation: 'Set automountServiceAccountToken: false in the pod spec (or on the ServiceAccount) when the workload does not call the Kubernetes API.',
      references: [SA_DOC],
    });
    const risky = riskyAccounts(w.namespace, w.serviceAccount);
    const serious = risky.filter((f) => SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER.HIGH);
    if (serious.length > 0) {
      const worst = serious.reduce((a, b) => (SEVERITY_ORDER[b.severity] > SEVERITY_ORDER[a.severity] ? b : a));
      findings.push({
        id: 'PAL-SA-003',
        area: 'workloads',
        severity: worst.severity,
        title: 'Workload runs with a token of a powerful service account',
        subject,
        message: `${label} mounts the token of service account ${w.serviceAccount}, whose RBAC findings include ${[...new Set(serious.map((f) => `${f.id} (${f.title})`))].join(', ')}`,
        scope: w.namespace,
        evidence: serious.map((f) => `${f.id} ${f.message}`),
        locations,
        controls: { kubescape: ['C-0272', 'C-0267'] },
        remediation: 'Give the workload a service account with only what it needs, or stop mounting the token.',
        references: [SA_DOC],
        related: [...new Set(serious.map((f) => f.id))].sort(),
      });
    }
  }
  for (const account of accounts.values()) {
    if (account.name !== 'default' || account.object.automountServiceAccountToken === false) continue;
    findings.push({
      id: 'PAL-SA-002',
      area: 'workloads',
      severity: 'LOW',
      title: 'Default service account automounts its token',
      subject: { kind: 'ServiceAccount', name: account.name, namespace: account.namespace ?? '' },
      message: `service account ${account.namespace}/default does not set automountServiceAccountToken: false: every pod that names no service account gets its token`,
      scope: account.namespace ?? '',
      evidence: [`automountServiceAccountToken: ${String(account.object.automountServiceAccountToken ?? 'unset')}`],
      locations: account.line > 0 ? [{ path: account.path, line: account.line }] : [],
      controls: { kubescape: ['C-0189'], cis: ['5.1.5'] },
      remediation: 'Set automountServiceAccountToken: false on every namespace\'s default service account.',
      references: [SA_DOC],
    });
  }
  return { findings, mounts };
}

/** The built-in misconfiguration checks over top-level workloads, Services and ConfigMaps. */
function misconfigFindings(snapshot: Snapshot, inventory: Inventory): ClusterFinding[] {
  const tops = new Set(inventory.workloads.map((w) => w.manifest));
  const manifests = snapshot.objects.filter((o) => MISCONFIG_KINDS.has(o.kind) && (!isWorkloadKind(o.kind) || tops.has(o)));
  const { hits } = checkManifests(manifests);
  const live = snapshot.source.kind === 'live';
  return hits
    .filter((h) => !SUPERSEDED_CHECKS.has(h.check.id))
    .map((h) => {
      const { check, object } = h;
      return {
        id: check.id,
        area: 'workloads' as const,
        severity: check.severity,
        title: check.title,
        subject: { kind: object.kind, name: object.name, ...(object.namespace !== undefined && { namespace: object.namespace }) },
        message: h.message,
        ...(object.namespace !== undefined && { scope: object.namespace }),
        evidence: [h.field !== undefined ? `${h.field}${h.value !== undefined ? `: ${h.value}` : ''}` : (h.value ?? h.message)],
        locations: live ? [] : [{ path: h.path, line: h.line }],
        controls: { trivy: check.trivy },
        remediation: check.remediation,
        references: check.references,
      };
    });
}

function isWorkloadKind(kind: string): boolean {
  return kind === 'Pod' || kind === 'Deployment' || kind === 'DaemonSet' || kind === 'StatefulSet' || kind === 'ReplicaSet' || kind === 'Job' || kind === 'CronJob' || kind === 'ReplicationController';
}
