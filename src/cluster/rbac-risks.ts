/**
 * Risky RBAC permissions, resolved to the subjects that hold them. Each pattern has a stable id,
 * a severity where it matters most (cluster-wide, or in a privileged namespace such as
 * kube-system) and a lower one inside an ordinary namespace, and the kubescape, rbac-police and
 * CIS 5.1 controls that describe the same risk (see docs/cluster-audit.md for the table).
 *
 * A pattern is tested with the authorizer's own matching (rbac.ts): "can create pods/exec" means
 * some grant's rule allows the request `create pods/exec` — so `*` verbs, `*` resources and `*`
 * groups count, rules limited by resourceNames do not (except where noted), and a RoleBinding
 * counts only in its namespace and only for namespaced resources.
 *
 * By default the bootstrap policy (bindings labelled `kubernetes.io/bootstrapping: rbac-defaults`)
 * and Kubernetes' own `system:` users and groups are left out — they are how every cluster works.
 * The anonymous and unauthenticated subjects are always looked at, bootstrap bindings included.
 */
import type { Severity } from '../core/types.ts';
import type { ClusterFinding, Controls } from './findings.ts';
import {
  CLUSTER_SCOPE,
  describeBinding,
  describeSubject,
  grantAllows,
  type Binding,
  type Grant,
  type PolicyRule,
  type RbacModel,
  type Role,
  type Subject,
} from './rbac.ts';

export interface RbacRiskOptions {
  /** Namespaces where a namespaced grant is as serious as a cluster-wide one; default kube-system. */
  privilegedNamespaces?: readonly string[];
  /** Also report bootstrap-policy bindings and `system:` users and groups. */
  includeSystem?: boolean;
  /** Whether the roles / clusterroles lists were read in full (a missing role is only dangling then). */
  rolesComplete?: boolean;
  clusterRolesComplete?: boolean;
}

interface Target {
  group: string;
  resource: string;
  subresource?: string;
}

/** Any of `verbs` on any of `targets`. */
interface Requirement {
  verbs: string[];
  targets: Target[];
}

export interface RiskPattern {
  id: string;
  title: string;
  /** What the subject does, for messages: `can read Secrets`. */
  phrase: string;
  description: string;
  remediation: string;
  /** Cluster-wide, or in a privileged namespace. */
  severity: Severity;
  /** In any other namespace. */
  namespacedSeverity: Severity;
  controls: Controls;
  /** Every requirement must hold (in one scope). */
  requires?: Requirement[];
  /** A rule test instead of requests (wildcards, admin-equivalence). */
  ruleTest?: (rule: PolicyRule) => boolean;
  /** Rules limited by resourceNames count too (impersonating one named user is still impersonation). */
  named?: boolean;
}

const RBAC_DOC = 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/';
const core = (resource: string, subresource?: string): Target => ({ group: '', resource, ...(subresource !== undefined && { subresource }) });
const apps = (resource: string): Target => ({ group: 'apps', resource });
const batch = (resource: string): Target => ({ group: 'batch', resource });
const rbac = (resource: string): Target => ({ group: 'rbac.authorization.k8s.io', resource });

const WORKLOAD_TARGETS: Target[] = [core('pods'), apps('deployments'), apps('daemonsets'), apps('statefulsets'), apps('replicasets'), core('replicationcontrollers'), batch('jobs'), batch('cronjobs')];

function isAdminRule(rule: PolicyRule): boolean {
  return rule.verbs.includes('*') && rule.resources.includes('*') && (rule.apiGroups.includes('*') || rule.apiGroups.includes('')) && rule.resourceNames.length === 0;
}

export const RISK_PATTERNS: readonly RiskPattern[] = [
  {
    id: 'PAL-RBAC-001',
    phrase: 'holds administrative permissions (every verb on every resource)',
    title: 'Administrative permissions (every verb on every resource)',
    description: 'A rule with `*` verbs on `*` resources is cluster-admin (cluster-wide) or namespace-admin (through a RoleBinding): it includes secrets, RBAC and workloads.',
    remediation: 'Bind a role listing the resources and verbs the subject needs; keep administrative roles for break-glass accounts.',
    severity: 'CRITICAL',
    namespacedSeverity: 'HIGH',
    controls: { kubescape: ['C-0035', 'C-0187'], rbacPolice: ['cluster_admin'], cis: ['5.1.1', '5.1.3'] },
    ruleTest: isAdminRule,
  },
  {
    id: 'PAL-RBAC-003',
    phrase: 'holds wildcard verbs or resources',
    title: 'Wildcard verbs or resources',
    description: 'A `*` verb grants every current and future verb (escalate, bind, impersonate, delete…); a `*` resource every current and future resource of the groups, Secrets and RBAC objects included.',
    remediation: 'List the verbs and resources the subject needs instead of `*`.',
    severity: 'MEDIUM',
    namespacedSeverity: 'LOW',
    controls: { kubescape: ['C-0187'], cis: ['5.1.3'] },
    ruleTest: (rule) => !isAdminRule(rule) && (rule.verbs.includes('*') || rule.resources.includes('*')) && rule.resourceNames.length === 0,
  },
  {
    id: 'PAL-RBAC-004',
    phrase: 'can read Secrets',
    title: 'Can read Secrets',
    description: 'get, list or watch on Secrets reveals their values — service account tokens, registry and cloud credentials — and with them the permissions of other identities.',
    remediation: 'Grant Secret access only to the workloads that need it, by name (`resourceNames`), and never list/watch cluster-wide.',
    severity: 'HIGH',
    namespacedSeverity: 'MEDIUM',
    controls: { kubescape: ['C-0015', 'C-0186'], rbacPolice: ['list_secrets', 'retrieve_token_secrets'], cis: ['5.1.2'] },
    requires: [{ verbs: ['get', 'list', 'watch'], targets: [core('secrets')] }],
  },
  {
    id: 'PAL-RBAC-005',
    phrase: 'can exec or attach into containers',
    title: 'Can exec or attach into containers',
    description: 'create on pods/exec or pods/attach runs commands inside running containers, with their service account token, mounted secrets and network position.',
    remediation: 'Keep exec/attach for debugging roles bound to people, per namespace, and audit its use.',
    severity: 'HIGH',
    namespacedSeverity: 'MEDIUM',
    controls: { kubescape: ['C-0002'], rbacPolice: ['pods_exec', 'rce_weak_ns'] },
    requires: [{ verbs: ['create'], targets: [core('pods', 'exec'), core('pods', 'attach')] }],
  },
  {
    id: 'PAL-RBAC-006',
    phrase: 'can create pods or workloads',
    title: 'Can create pods or workloads',
    description: 'Creating a pod (directly or through a Deployment, DaemonSet, Job…) can run any image with any service account of the namespace, and with host access where Pod Security allows it.',
    remediation: 'Let a deployment pipeline or GitOps controller create workloads; keep people and other service accounts read-only.',
    severity: 'HIGH',
    namespacedSeverity: 'MEDIUM',
    controls: { kubescape: ['C-0188'], rbacPolice: ['assign_sa', 'modify_pods'], cis: ['5.1.4'] },
    requires: [{ verbs: ['create'], targets: WORKLOAD_TARGETS }],
  },
  {
    id: 'PAL-RBAC-007',
    phrase: 'can escalate or bind roles',
    title: 'Can escalate or bind roles',
    description: '`escalate` lets a subject write roles with permissions it does not hold; `bind` lets it bind roles it does not hold — both lead to cluster-admin.',
    remediation: 'Remove escalate and bind; let an administrator create roles and bindings.',
    severity: 'CRITICAL',
    namespacedSeverity: 'HIGH',
    controls: { kubescape: ['C-0191'], rbacPolice: ['escalate_roles', 'bind_roles'], cis: ['5.1.8'] },
    requires: [{ verbs: ['escalate', 'bind'], targets: [rbac('roles'), rbac('clusterroles')] }],
    named: true,
  },
  {
    id: 'PAL-RBAC-008',
    phrase: 'can impersonate users, groups or service accounts',
    title: 'Can impersonate users, groups or service accounts',
    description: 'impersonate lets a subject act as another user, group (system:masters included) or service account, with all of their permissions.',
    remediation: 'Remove impersonate, or limit it with resourceNames to the identities an auditing proxy needs.',
    severity: 'CRITICAL',
    namespacedSeverity: 'HIGH',
    controls: { kubescape: ['C-0065', 'C-0191'], rbacPolice: ['impersonate'], cis: ['5.1.8'] },
    requires: [{ verbs: ['impersonate'], targets: [core('users'), core('groups'), core('serviceaccounts'), { group: 'authentication.k8s.io', resource: 'uids' }, { group: 'authentication.k8s.io', resource: 'userextras' }] }],
    named: true,
  },
  {
    id: 'PAL-RBAC-009',
    phrase: 'can reach the kubelet API (nodes/proxy)',
    title: 'Can reach the kubelet API (nodes/proxy)',
    description: 'get or create on nodes/proxy talks to kubelets directly — running commands in any pod on the node — bypassing admission and audit of pods/exec.',
    remediation: 'Grant nodes/proxy only to monitoring that needs kubelet metrics, and prefer the metrics endpoints.',
    severity: 'HIGH',
    namespacedSeverity: 'HIGH',
    controls: { kubescape: ['C-0279'], rbacPolice: ['nodes_proxy'], cis: ['5.1.10'] },
    requires: [{ verbs: ['get', 'create'], targets: [core('nodes', 'proxy')] }],
  },
  {
    id: 'PAL-RBAC-010',
    phrase: 'can request service account tokens',
    title: 'Can request service account tokens',
    description: 'create on serviceaccounts/token mints tokens for any service account in scope, and so takes on its permissions.',
    remediation: 'Grant token requests only to the components that issue tokens, by service account name.',
    severity: 'HIGH',
    namespacedSeverity: 'MEDIUM',
    controls: { kubescape: ['C-0282'], rbacPolice: ['token_request', 'obtain_token_weak_ns'], cis: ['5.1.13'] },
    requires: [{ verbs: ['create'], targets: [core('serviceaccounts', 'token')] }],
  },
  {
    id: 'PAL-RBAC-014',
    phrase: 'can delete workloads or their data',
    title: 'Can delete workloads or their data',
    description: 'delete or deletecollection on pods, workloads, Secrets, ConfigMaps, services or volumes can take applications down or destroy data.',
    remediation: 'Limit delete rights to the pipeline that owns the resources.',
    severity: 'MEDIUM',
    namespacedSeverity: 'LOW',
    controls: { kubescape: ['C-0007'] },
    requires: [
      {
        verbs: ['delete', 'deletecollection'],
        targets: [...WORKLOAD_TARGETS, core('secrets'), core('configmaps'), core('services'), core('persistentvolumeclaims'), core('persistentvolumes')],
      },
    ],
  },
  {
    id: 'PAL-RBAC-015',
    phrase: 'can approve certificate signing requests',
    title: 'Can approve certificate signing requests',
    description: 'update on certificatesigningrequests/approval approves client certificates, which can name any user or group (system:masters included).',
    remediation: 'Leave CSR approval to the controller manager and the node bootstrap flow.',
    severity: 'HIGH',
    namespacedSeverity: 'HIGH',
    controls: { kubescape: ['C-0280'], rbacPolice: ['approve_csrs'], cis: ['5.1.11'] },
    requires: [{ verbs: ['update', 'patch'], targets: [{ group: 'certificates.k8s.io', resource: 'certificatesigningrequests', subresource: 'approval' }] }],
  },
  {
    id: 'PAL-RBAC-016',
    phrase: 'can change admission webhooks',
    title: 'Can change admission webhooks',
    description: 'Writing Validating/MutatingWebhookConfigurations can switch off policy enforcement or send every object (Secrets included) to a webhook of the subject\'s choosing.',
    remediation: 'Only the installers of admission controllers need this; remove it elsewhere.',
    severity: 'HIGH',
    namespacedSeverity: 'HIGH',
    controls: { kubescape: ['C-0281'], rbacPolice: ['control_webhooks'], cis: ['5.1.12'] },
    requires: [
      {
        verbs: ['create', 'update', 'patch', 'delete'],
        targets: [
          { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' },
          { group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
        ],
      },
    ],
  },
  {
    id: 'PAL-RBAC-017',
    phrase: 'can create PersistentVolumes',
    title: 'Can create PersistentVolumes',
    description: 'A PersistentVolume can point at a hostPath: creating one gives pods access to the node\'s filesystem.',
    remediation: 'Let a storage provisioner create volumes; users should claim them with PersistentVolumeClaims.',
    severity: 'MEDIUM',
    namespacedSeverity: 'MEDIUM',
    controls: { kubescape: ['C-0278'], cis: ['5.1.9'] },
    requires: [{ verbs: ['create'], targets: [core('persistentvolumes')] }],
  },
  {
    id: 'PAL-RBAC-019',
    phrase: 'can add ephemeral containers to pods',
    title: 'Can add ephemeral containers to pods',
    description: 'update or patch on pods/ephemeralcontainers starts a new container in a running pod — a way to exec that pods/exec rules do not cover.',
    remediation: 'Treat it like pods/exec: debugging roles only.',
    severity: 'HIGH',
    namespacedSeverity: 'MEDIUM',
    controls: { rbacPolice: ['pods_ephemeral_ctrs'] },
    requires: [{ verbs: ['update', 'patch'], targets: [core('pods', 'ephemeralcontainers')] }],
  },
  {
    id: 'PAL-RBAC-020',
    phrase: 'can port-forward to pods',
    title: 'Can port-forward to pods',
    description: 'create on pods/portforward opens connections to any port of a pod, past NetworkPolicies and Services.',
    remediation: 'Keep port-forwarding for debugging roles bound to people.',
    severity: 'MEDIUM',
    namespacedSeverity: 'LOW',
    controls: { kubescape: ['C-0063'] },
    requires: [{ verbs: ['create'], targets: [core('pods', 'portforward')] }],
  },
];

/** Findings about bindings and subjects rather than permissions. */
export const SUBJECT_CHECKS = {
  clusterAdmin: {
    id: 'PAL-RBAC-002',
    title: 'Bound to the cluster-admin ClusterRole',
    description: 'cluster-admin can do anything in the cluster; every binding to it is a standing superuser.',
    remediation: 'Replace the binding with a role scoped to what the subject does; keep cluster-admin for break-glass.',
    controls: { kubescape: ['C-0185'], rbacPolice: ['cluster_admin'], cis: ['5.1.1'] } as Controls,
  },
  anonymous: {
    id: 'PAL-RBAC-011',
    title: 'Unauthenticated requests are granted permissions',
    description: 'Bindings to system:anonymous or system:unauthenticated give anyone who reaches the API server these permissions, without credentials.',
    remediation: 'Remove the bindings (and consider --anonymous-auth=false on the API server).',
    controls: { kubescape: ['C-0262'], falco: ['Anonymous Request Allowed'] } as Controls,
  },
  authenticated: {
    id: 'PAL-RBAC-012',
    title: 'Every authenticated identity is granted permissions',
    description: 'Bindings to system:authenticated apply to every user and every service account of the cluster.',
    remediation: 'Bind the role to the groups or service accounts that need it.',
    controls: { kubescape: ['C-0265'] } as Controls,
  },
  defaultServiceAccount: {
    id: 'PAL-RBAC-013',
    title: 'Default service account is granted permissions',
    description: 'Every pod that names no service account runs as `default`: permissions bound to it go to all of them.',
    remediation: 'Create a dedicated service account for the workload that needs the permissions and bind it instead.',
    controls: { kubescape: ['C-0189'], cis: ['5.1.5'] } as Controls,
  },
  dangling: {
    id: 'PAL-RBAC-018',
    title: 'Binding refers to a role that does not exist',
    description: 'The binding grants nothing today, but whoever creates a role of that name grants its permissions to the binding\'s subjects.',
    remediation: 'Delete the binding, or create the role it was meant for.',
    controls: {} as Controls,
  },
} as const;

/** The subjects whose every request Kubernetes lets through as unauthenticated. */
const ANONYMOUS = new Set(['User:system:anonymous', 'Group:system:unauthenticated']);
/** URLs the default `system:public-info-viewer` role opens to everyone. */
const PUBLIC_INFO_URLS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

function keyOf(s: Subject): string {
  return `${s.kind}:${s.name}`;
}

/** Kubernetes' own identities (controllers, nodes, bootstrap tokens), not worth a finding by default. */
function isSystemSubject(s: Subject): boolean {
  if (s.kind === 'ServiceAccount') return false;
  if (ANONYMOUS.has(keyOf(s)) || s.name === 'system:authenticated' || s.name.startsWith('system:serviceaccounts')) return false;
  return s.name.startsWith('system:');
}

interface Scoped {
  scope: string;
  grants: Grant[];
}

/** A subject's grants per scope: cluster-wide ones, then per namespace (cluster-wide grants included). */
function scopesOf(grants: readonly Grant[]): Scoped[] {
  const cluster = grants.filter((g) => g.scope === CLUSTER_SCOPE);
  const namespaces = [...new Set(grants.filter((g) => g.scope !== CLUSTER_SCOPE).map((g) => g.scope))].sort();
  return [{ scope: CLUSTER_SCOPE, grants: cluster }, ...namespaces.map((ns) => ({ scope: ns, grants: [...cluster, ...grants.filter((g) => g.scope === ns)] }))];
}

interface Match {
  grant: Grant;
  rule: PolicyRule;
}

/**
 * Per pattern (in RISK_PATTERNS order), per requirement, the rules of a role that make it hold (a
 * rule-test pattern has one list: the rules the test accepts).
 */
type Answers = PolicyRule[][][];

/**
 * What each role answers to every pattern, worked out once: thousands of bindings share a few
 * hundred roles. A grant's answer depends only on its role and on whether it is cluster-wide — a
 * namespace scope holds the cluster-wide grants and the RoleBindings of that very namespace, so
 * the namespace test of the authorizer always passes. Evidence lines are shared the same way.
 */
class RoleAnswers {
  private readonly byRole = new Map<Role, { cluster?: Answers; namespaced?: Answers }>();
  private readonly evidenceLines = new Map<Binding, Map<PolicyRule, string>>();

  of(grant: Grant): Answers | undefined {
    const role = grant.binding.role;
    if (!role) return undefined;
    let entry = this.byRole.get(role);
    if (!entry) this.byRole.set(role, (entry = {}));
    const cluster = grant.scope === CLUSTER_SCOPE;
    let answers = cluster ? entry.cluster : entry.namespaced;
    if (!answers) {
      answers = RISK_PATTERNS.map((p) => (p.ruleTest ? [role.rules.filter(p.ruleTest)] : (p.requires ?? []).map((r) => allowing(grant, r, p.named === true))));
      if (cluster) entry.cluster = answers;
      else entry.namespaced = answers;
    }
    return answers;
  }

  /** `RoleBinding ns/name → ClusterRole edit: verbs [...] resources [...]`: the same few lines recur in thousands of findings. */
  evidence(binding: Binding, rule: PolicyRule): string {
    let perBinding = this.evidenceLines.get(binding);
    if (!perBinding) this.evidenceLines.set(binding, (perBinding = new Map()));
    let line = perBinding.get(rule);
    if (line === undefined) perBinding.set(rule, (line = `${describeBinding(binding)}: ${ruleText(rule)}`));
    return line;
  }
}

/** The first rule allowing each verb on each target, without repeats, in that order (the evidence order). */
function allowing(grant: Grant, requirement: Requirement, named: boolean): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const target of requirement.targets) {
    for (const verb of requirement.verbs) {
      const rule = grantAllows(grant, { verb, ...target }, { ignoreNames: named });
      if (rule && !rules.includes(rule)) rules.push(rule);
    }
  }
  return rules;
}

/** The grants and rules that make the pattern (RISK_PATTERNS[index]) hold in this scope, or undefined when it does not. */
function patternIn(index: number, scoped: Scoped, answers: readonly (Answers | undefined)[]): Match[] | undefined {
  const all: Match[] = [];
  const requirements = RISK_PATTERNS[index]!.requires?.length ?? 1;
  for (let r = 0; r < requirements; r++) {
    const before = all.length;
    scoped.grants.forEach((grant, g) => {
      for (const rule of answers[g]?.[index]![r] ?? []) all.push({ grant, rule });
    });
    if (all.length === before) return undefined;
  }
  return all;
}

function ruleText(rule: PolicyRule): string {
  const parts = [`verbs [${rule.verbs.join(', ')}]`];
  if (rule.resources.length > 0) parts.push(`resources [${rule.resources.join(', ')}]`, `apiGroups [${rule.apiGroups.map((g) => (g === '' ? '""' : g)).join(', ')}]`);
  if (rule.resourceNames.length > 0) parts.push(`resourceNames [${rule.resourceNames.join(', ')}]`);
  if (rule.nonResourceURLs.length > 0) parts.push(`nonResourceURLs [${rule.nonResourceURLs.join(', ')}]`);
  return parts.join(' ');
}

function evidenceOf(matches: readonly Match[], cache: RoleAnswers): string[] {
  return [...new Set(matches.map((m) => cache.evidence(m.grant.binding, m.rule)))];
}

function locationsOf(bindings: Iterable<Binding>): { path: string; line?: number }[] {
  const out = new Map<string, { path: string; line?: number }>();
  for (const b of bindings) {
    for (const m of [b.manifest, b.role?.manifest]) {
      if (!m || m.line === 0) continue;
      out.set(`${m.path}:${m.line}`, { path: m.path, line: m.line });
    }
  }
  return [...out.values()];
}

function subjectOf(s: Subject): ClusterFinding['subject'] {
  return { kind: s.kind, name: s.name, ...(s.namespace !== undefined && { namespace: s.namespace }) };
}

function scopeText(scope: string): string {
  return scope === CLUSTER_SCOPE ? 'cluster' : scope;
}

function where(scope: string): string {
  return scope === CLUSTER_SCOPE ? 'cluster-wide' : `in namespace ${scope}`;
}

/** Every risky-permission finding of the model, per subject and scope. */
export function rbacFindings(model: RbacModel, options: RbacRiskOptions = {}): ClusterFinding[] {
  const privileged = new Set(options.privilegedNamespaces ?? ['kube-system']);
  const findings: ClusterFinding[] = [];
  const cache = new RoleAnswers();
  for (const subject of model.allSubjects()) {
    const all = model.grantsOf(subject);
    const considered = options.includeSystem ? all : all.filter((g) => !g.binding.bootstrap);
    if (ANONYMOUS.has(keyOf(subject))) findings.push(...anonymousFindings(subject, all));
    if (!options.includeSystem && isSystemSubject(subject)) continue;
    if (considered.length === 0) continue;
    const clusterWide: boolean[] = [];
    for (const scoped of scopesOf(considered)) {
      if (scoped.grants.length === 0) continue;
      const answers = scoped.grants.map((g) => cache.of(g));
      const admin = patternIn(0, scoped, answers);
      for (const [index, pattern] of RISK_PATTERNS.entries()) {
        // Namespace scopes include the cluster-wide grants: report there only what the namespace adds.
        if (scoped.scope !== CLUSTER_SCOPE && clusterWide[index]) continue;
        // Administrative permissions imply every other pattern: one finding says it all.
        if (admin && index !== 0) continue;
        const matches = index === 0 ? admin : patternIn(index, scoped, answers);
        if (scoped.scope === CLUSTER_SCOPE) clusterWide[index] = matches !== undefined;
        if (!matches) continue;
        const severity = scoped.scope === CLUSTER_SCOPE || privileged.has(scoped.scope) ? pattern.severity : pattern.namespacedSeverity;
        findings.push({
          id: pattern.id,
          area: 'rbac',
          severity,
          title: pattern.title,
          subject: subjectOf(subject),
          message: `${describeSubject(subject)} ${pattern.phrase} ${where(scoped.scope)}`,
          scope: scopeText(scoped.scope),
          evidence: evidenceOf(matches, cache),
          locations: locationsOf(matches.map((m) => m.grant.binding)),
          controls: pattern.controls,
          remediation: pattern.remediation,
          references: [RBAC_DOC],
        });
      }
    }
    findings.push(...subjectFindings(subject, considered, privileged));
  }
  findings.push(...danglingFindings(model, options));
  return findings;
}

function subjectFindings(subject: Subject, grants: readonly Grant[], privileged: Set<string>): ClusterFinding[] {
  const out: ClusterFinding[] = [];
  const adminBindings = grants.filter((g) => g.binding.kind === 'ClusterRoleBinding' && g.binding.roleRef.name === 'cluster-admin' && g.binding.role);
  if (adminBindings.length > 0) {
    const c = SUBJECT_CHECKS.clusterAdmin;
    out.push({
      id: c.id,
      area: 'rbac',
      severity: 'CRITICAL',
      title: c.title,
      subject: subjectOf(subject),
      message: `${describeSubject(subject)} is bound to cluster-admin by ${adminBindings.map((g) => `ClusterRoleBinding ${g.binding.name}`).join(', ')}`,
      scope: 'cluster',
      evidence: adminBindings.map((g) => describeBinding(g.binding)),
      locations: locationsOf(adminBindings.map((g) => g.binding)),
      controls: c.controls,
      remediation: c.remediation,
      references: [RBAC_DOC],
    });
  }
  const effective = grants.filter((g) => g.binding.role && g.binding.role.rules.length > 0);
  if (subject.kind === 'Group' && subject.name === 'system:authenticated' && effective.length > 0) {
    out.push(simpleFinding(SUBJECT_CHECKS.authenticated, subject, effective, 'MEDIUM', 'every authenticated user and service account holds'));
  }
  if (subject.kind === 'ServiceAccount' && subject.name === 'default' && effective.length > 0) {
    const wide = effective.some((g) => g.scope === CLUSTER_SCOPE || privileged.has(g.scope));
    out.push(simpleFinding(SUBJECT_CHECKS.defaultServiceAccount, subject, effective, wide ? 'MEDIUM' : 'LOW', 'the default service account holds'));
  }
  return out;
}

function simpleFinding(
  check: { id: string; title: string; remediation: string; controls: Controls },
  subject: Subject,
  grants: readonly Grant[],
  severity: Severity,
  phrase: string,
): ClusterFinding {
  const bindings = [...new Set(grants.map((g) => g.binding))];
  const scopes = [...new Set(grants.map((g) => scopeText(g.scope)))].sort();
  return {
    id: check.id,
    area: 'rbac',
    severity,
    title: check.title,
    subject: subjectOf(subject),
    message: `${describeSubject(subject)}: ${phrase} ${bindings.map((b) => `${b.roleRef.kind} ${b.roleRef.name}`).join(', ')}`,
    scope: scopes.join(', '),
    evidence: bindings.flatMap((b) => (b.role?.rules ?? []).map((r) => `${describeBinding(b)}: ${ruleText(r)}`)),
    locations: locationsOf(bindings),
    controls: check.controls,
    remediation: check.remediation,
    references: [RBAC_DOC],
  };
}

/**
 * Anonymous access: CRITICAL (cluster-wide) or HIGH when it reaches resources; LOW when all it
 * opens is the health and version URLs of the default public-info-viewer role.
 */
function anonymousFindings(subject: Subject, grants: readonly Grant[]): ClusterFinding[] {
  const effective = grants.filter((g) => g.binding.role && g.binding.role.rules.length > 0);
  if (effective.length === 0) return [];
  const c = SUBJECT_CHECKS.anonymous;
  const publicInfoOnly = effective.every((g) => g.binding.role!.rules.every((r) => r.resources.length === 0 && r.nonResourceURLs.length > 0 && r.nonResourceURLs.every((u) => PUBLIC_INFO_URLS.has(u)) && r.verbs.every((v) => v === 'get')));
  const severity: Severity = publicInfoOnly ? 'LOW' : effective.some((g) => g.scope === CLUSTER_SCOPE) ? 'CRITICAL' : 'HIGH';
  const finding = simpleFinding(c, subject, effective, severity, 'anyone without credentials holds');
  if (publicInfoOnly) finding.message += ' (health and version endpoints only)';
  return [finding];
}

/** Bindings whose role is missing — only when the role lists were read in full, else "missing" may just be "not listed". */
function danglingFindings(model: RbacModel, options: RbacRiskOptions): ClusterFinding[] {
  const out: ClusterFinding[] = [];
  for (const b of model.bindings) {
    if (b.role || b.subjects.length === 0) continue;
    const complete = b.roleRef.kind === 'Role' ? options.rolesComplete : options.clusterRolesComplete;
    if (!complete) continue;
    if (b.kind === 'ClusterRoleBinding' && b.roleRef.kind === 'Role') continue;
    const c = SUBJECT_CHECKS.dangling;
    out.push({
      id: c.id,
      area: 'rbac',
      severity: 'LOW',
      title: c.title,
      subject: { kind: b.kind, name: b.name, ...(b.namespace !== undefined && { namespace: b.namespace }) },
      message: `${b.kind} ${b.namespace !== undefined ? `${b.namespace}/` : ''}${b.name} refers to ${b.roleRef.kind} ${b.roleRef.name}, which does not exist`,
      scope: b.namespace ?? 'cluster',
      evidence: [`subjects: ${b.subjects.map(describeSubject).join(', ')}`],
      locations: locationsOf([b]),
      controls: c.controls,
      remediation: c.remediation,
      references: [RBAC_DOC],
    });
  }
  return out;
}

/** Every finding id this module can produce, with title and controls (for docs and SARIF rules). */
export function rbacCheckCatalog(): { id: string; title: string; severity: Severity; controls: Controls }[] {
  return [
    ...RISK_PATTERNS.map((p) => ({ id: p.id, title: p.title, severity: p.severity, controls: p.controls })),
    ...Object.values(SUBJECT_CHECKS).map((c) => ({ id: c.id, title: c.title, severity: (c.id === 'PAL-RBAC-002' || c.id === 'PAL-RBAC-011' ? 'CRITICAL' : c.id === 'PAL-RBAC-018' ? 'LOW' : 'MEDIUM') as Severity, controls: c.controls })),
  ].sort((a, b) => (a.id < b.id ? -1 : 1));
}
