/**
 * The RBAC model: roles (with ClusterRole aggregation), bindings resolved to subjects, and the
 * question the API server's RBAC authorizer answers — may this subject do this verb on this
 * resource here? — asked of every grant.
 *
 * Matching follows the authorizer (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac):
 * - a verb, API group or resource `*` matches anything; `*\/scale` matches the scale subresource of
 *   any resource; `pods/*` matches nothing (the authorizer has no such wildcard — some scanners
 *   treat it as every subresource of pods; Palisade does not, as it grants nothing);
 * - a rule with `resourceNames` grants only requests naming one of those objects;
 * - a RoleBinding grants its role's rules in its own namespace, on namespaced resources only:
 *   rules about nodes, PersistentVolumes, CSRs, webhooks… take effect through ClusterRoleBindings;
 * - a binding to a missing role grants nothing (and is reported as dangling).
 *
 * Service accounts are also members of `system:serviceaccounts`, `system:serviceaccounts:<ns>` and
 * `system:authenticated`; `effectiveGrants` adds what those groups hold.
 */
import { isRecord, stringItems } from '../core/json.ts';
import type { Manifest } from '../misconfig/manifests.ts';
import { labelsOf } from './snapshot.ts';

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

export interface Role {
  kind: 'Role' | 'ClusterRole';
  name: string;
  namespace?: string;
  rules: PolicyRule[];
  /** Bootstrap policy (`kubernetes.io/bootstrapping: rbac-defaults`). */
  bootstrap: boolean;
  manifest: Manifest;
}

export type SubjectKind = 'User' | 'Group' | 'ServiceAccount';

export interface Subject {
  kind: SubjectKind;
  name: string;
  /** Service accounts only. */
  namespace?: string;
}

export interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace?: string;
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string };
  subjects: Subject[];
  /** The role it refers to, or undefined when that role does not exist (or refers across namespaces). */
  role?: Role;
  bootstrap: boolean;
  manifest: Manifest;
}

/** One subject's share of one binding. */
export interface Grant {
  subject: Subject;
  binding: Binding;
  /** `*` for a ClusterRoleBinding (everywhere), else the RoleBinding's namespace. */
  scope: string;
}

/** What a request asks for, as the authorizer sees its attributes. */
export interface Request {
  verb: string;
  /** `''` for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
  /** Omitted for cluster-scoped resources and for "in any namespace". */
  namespace?: string;
}

export const CLUSTER_SCOPE = '*';

/** Resources that live outside namespaces (a RoleBinding cannot grant them), by `group/resource`. */
const CLUSTER_SCOPED_LIST = [
  '/nodes', '/persistentvolumes', '/namespaces', '/componentstatuses',
  'rbac.authorization.k8s.io/clusterroles', 'rbac.authorization.k8s.io/clusterrolebindings',
  'certificates.k8s.io/certificatesigningrequests', 'certificates.k8s.io/signers', 'certificates.k8s.io/clustertrustbundles',
  'admissionregistration.k8s.io/validatingwebhookconfigurations', 'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  'admissionregistration.k8s.io/validatingadmissionpolicies', 'admissionregistration.k8s.io/validatingadmissionpolicybindings',
  'admissionregistration.k8s.io/mutatingadmissionpolicies', 'admissionregistration.k8s.io/mutatingadmissionpolicybindings',
  'apiextensions.k8s.io/customresourcedefinitions', 'apiregistration.k8s.io/apiservices',
  'storage.k8s.io/storageclasses', 'storage.k8s.io/csidrivers', 'storage.k8s.io/csinodes', 'storage.k8s.io/volumeattachments',
  'scheduling.k8s.io/priorityclasses', 'node.k8s.io/runtimeclasses', 'networking.k8s.io/ingressclasses',
  'authentication.k8s.io/tokenreviews', 'authentication.k8s.io/selfsubjectreviews',
  'authorization.k8s.io/subjectaccessreviews', 'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews',
  'flowcontrol.apiserver.k8s.io/flowschemas', 'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations',
  // Impersonation targets: users, groups, uids and user extras are not namespaced (service accounts are).
  '/users', '/groups', 'authentication.k8s.io/uids', 'authentication.k8s.io/userextras',
];

/** Group → its cluster-scoped resources (looked up for every grant a pattern tests: no string building). */
const CLUSTER_SCOPED = new Map<string, Set<string>>();
for (const entry of CLUSTER_SCOPED_LIST) {
  const slash = entry.indexOf('/');
  const group = entry.slice(0, slash);
  const set = CLUSTER_SCOPED.get(group) ?? new Set<string>();
  set.add(entry.slice(slash + 1));
  CLUSTER_SCOPED.set(group, set);
}

export function isClusterScoped(group: string, resource: string): boolean {
  return CLUSTER_SCOPED.get(group)?.has(resource) === true;
}

/** `system:serviceaccount:ns:name` is how the API server names a service account as a user. */
export function subjectKey(s: Subject): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount:${s.namespace ?? ''}/${s.name}` : `${s.kind}:${s.name}`;
}

export function describeSubject(s: Subject): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount ${s.namespace ?? ''}/${s.name}` : `${s.kind} ${s.name}`;
}

export function describeBinding(b: Binding): string {
  const where = b.namespace !== undefined ? `${b.namespace}/` : '';
  return `${b.kind} ${where}${b.name} → ${b.roleRef.kind} ${b.roleRef.name}${b.role ? '' : ' (missing)'}`;
}

/* ───────────────────────────── model ───────────────────────────── */

/** A subject with the grants (and in each, the rule) that allow what was asked. */
export interface SubjectGrants {
  subject: Subject;
  grants: { grant: Grant; rule: PolicyRule }[];
}

export class RbacModel {
  readonly roles: Role[] = [];
  readonly bindings: Binding[] = [];
  readonly grants: Grant[] = [];
  private readonly bySubject = new Map<string, Grant[]>();
  private readonly subjects = new Map<string, Subject>();

  static fromObjects(objects: readonly Manifest[]): RbacModel {
    const model = new RbacModel();
    const clusterRoles = new Map<string, Role>();
    const roles = new Map<string, Role>();
    for (const m of objects) {
      if (m.kind !== 'Role' && m.kind !== 'ClusterRole') continue;
      const role: Role = { kind: m.kind, name: m.name, rules: rulesOf(m.object.rules), bootstrap: isBootstrap(m), manifest: m };
      if (m.kind === 'Role') {
        role.namespace = m.namespace ?? '';
        roles.set(`${role.namespace}/${role.name}`, role);
      } else {
        clusterRoles.set(role.name, role);
      }
      model.roles.push(role);
    }
    aggregate(clusterRoles);
    for (const m of objects) {
      if (m.kind !== 'RoleBinding' && m.kind !== 'ClusterRoleBinding') continue;
      const binding = bindingOf(m, roles, clusterRoles);
      if (!binding) continue;
      model.bindings.push(binding);
      for (const subject of binding.subjects) model.addGrant({ subject, binding, scope: binding.kind === 'ClusterRoleBinding' ? CLUSTER_SCOPE : binding.namespace! });
    }
    return model;
  }

  private addGrant(grant: Grant): void {
    const key = subjectKey(grant.subject);
    this.grants.push(grant);
    const list = this.bySubject.get(key);
    if (list) list.push(grant);
    else {
      this.bySubject.set(key, [grant]);
      this.subjects.set(key, grant.subject);
    }
  }

  /** Every subject named by a binding, in first-seen order. */
  allSubjects(): Subject[] {
    return [...this.subjects.values()];
  }

  /** The grants bound to the subject itself. */
  grantsOf(subject: Subject): Grant[] {
    return this.bySubject.get(subjectKey(subject)) ?? [];
  }

  /** The subject's own grants plus those of the groups every service account (and every authenticated user) belongs to. */
  effectiveGrants(subject: Subject): Grant[] {
    const own = this.grantsOf(subject);
    if (subject.kind !== 'ServiceAccount') return own;
    const groups = ['system:serviceaccounts', `system:serviceaccounts:${subject.namespace ?? ''}`, 'system:authenticated'];
    return [...own, ...groups.flatMap((name) => this.grantsOf({ kind: 'Group', name }))];
  }

  /** Subjects allowed `request`, each with the grants that allow it. Without `request.namespace`: anywhere. */
  whoCan(request: Request): SubjectGrants[] {
    return this.#bySubject((grant) => grantAllows(grant, request));
  }

  /** Non-resource URL requests (`/metrics`, `/healthz`): only ClusterRoleBindings grant them. */
  whoCanUrl(verb: string, url: string): SubjectGrants[] {
    return this.#bySubject((grant) => (grant.scope === CLUSTER_SCOPE && grant.binding.role ? grant.binding.role.rules.find((r) => nonResourceAllows(r, verb, url)) : undefined));
  }

  /** The grants in which `allowing` finds a rule, grouped by subject (in the order subjects first appear). */
  #bySubject(allowing: (grant: Grant) => PolicyRule | undefined): SubjectGrants[] {
    const out = new Map<string, SubjectGrants>();
    for (const grant of this.grants) {
      const rule = allowing(grant);
      if (!rule) continue;
      const key = subjectKey(grant.subject);
      const entry = out.get(key) ?? { subject: grant.subject, grants: [] };
      entry.grants.push({ grant, rule });
      out.set(key, entry);
    }
    return [...out.values()];
  }
}

/** The first rule of the grant's role that allows the request where the grant applies, if any. */
export function grantAllows(grant: Grant, request: Request, options: { ignoreNames?: boolean } = {}): PolicyRule | undefined {
  const role = grant.binding.role;
  if (!role) return undefined;
  if (grant.scope !== CLUSTER_SCOPE) {
    if (isClusterScoped(request.group, request.resource)) return undefined;
    if (request.namespace !== undefined && request.namespace !== grant.scope) return undefined;
  }
  return role.rules.find((rule) => ruleAllows(rule, request, options));
}

export function ruleAllows(rule: PolicyRule, request: Request, options: { ignoreNames?: boolean } = {}): boolean {
  if (!matchesAll(rule.verbs, request.verb)) return false;
  if (!matchesAll(rule.apiGroups, request.group)) return false;
  if (!resourceMatches(rule.resources, request.resource, request.subresource)) return false;
  if (rule.resourceNames.length === 0 || options.ignoreNames) return true;
  return request.name !== undefined && rule.resourceNames.includes(request.name);
}

function matchesAll(values: readonly string[], wanted: string): boolean {
  return values.includes('*') || values.includes(wanted);
}

function resourceMatches(ruleResources: readonly string[], resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of ruleResources) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

export function nonResourceAllows(rule: PolicyRule, verb: string, url: string): boolean {
  if (!matchesAll(rule.verbs, verb)) return false;
  return rule.nonResourceURLs.some((u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))));
}

/* ───────────────────────────── parsing ───────────────────────────── */

export function rulesOf(value: unknown): PolicyRule[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((r) => ({
    verbs: stringItems(r.verbs),
    apiGroups: stringItems(r.apiGroups),
    resources: stringItems(r.resources),
    resourceNames: stringItems(r.resourceNames),
    nonResourceURLs: stringItems(r.nonResourceURLs),
  }));
}

function isBootstrap(m: Manifest): boolean {
  return labelsOf(m)['kubernetes.io/bootstrapping'] === 'rbac-defaults';
}

function bindingOf(m: Manifest, roles: Map<string, Role>, clusterRoles: Map<string, Role>): Binding | undefined {
  const ref = isRecord(m.object.roleRef) ? m.object.roleRef : undefined;
  const refKind = ref?.kind === 'Role' || ref?.kind === 'ClusterRole' ? ref.kind : undefined;
  if (!ref || !refKind || typeof ref.name !== 'string') return undefined;
  const kind = m.kind as Binding['kind'];
  const namespace = kind === 'RoleBinding' ? (m.namespace ?? '') : undefined;
  // A ClusterRoleBinding can only refer to a ClusterRole; a RoleBinding to a Role of its namespace.
  const role = refKind === 'ClusterRole' ? clusterRoles.get(ref.name) : kind === 'RoleBinding' ? roles.get(`${namespace}/${ref.name}`) : undefined;
  const subjects: Subject[] = [];
  for (const s of Array.isArray(m.object.subjects) ? m.object.subjects : []) {
    if (!isRecord(s) || typeof s.name !== 'string' || s.name === '') continue;
    if (s.kind === 'User' || s.kind === 'Group') subjects.push({ kind: s.kind, name: s.name });
    else if (s.kind === 'ServiceAccount') {
      const ns = typeof s.namespace === 'string' && s.namespace !== '' ? s.namespace : (namespace ?? '');
      subjects.push({ kind: 'ServiceAccount', name: s.name, namespace: ns });
    }
  }
  return {
    kind,
    name: m.name,
    ...(namespace !== undefined && { namespace }),
    roleRef: { kind: refKind, name: ref.name },
    subjects,
    ...(role && { role }),
    bootstrap: isBootstrap(m),
    manifest: m,
  };
}

/* ───────────────────────────── aggregation ───────────────────────────── */

interface Selector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: string; values: string[] }[];
}

/**
 * ClusterRoles with an `aggregationRule` get the rules of every ClusterRole its selectors match,
 * as the aggregation controller does — repeated until nothing changes, so aggregates of aggregates
 * resolve. A live cluster's objects already hold the result; a dump of manifests may not.
 */
function aggregate(clusterRoles: Map<string, Role>): void {
  const aggregated = [...clusterRoles.values()].flatMap((role) => {
    const rule = isRecord(role.manifest.object.aggregationRule) ? role.manifest.object.aggregationRule : undefined;
    const selectors = Array.isArray(rule?.clusterRoleSelectors) ? rule.clusterRoleSelectors.filter(isRecord).map(selectorOf) : [];
    return selectors.length > 0 ? [{ role, selectors }] : [];
  });
  for (let round = 0; round < 10; round++) {
    let changed = false;
    for (const { role, selectors } of aggregated) {
      const seen = new Set(role.rules.map(ruleKey));
      for (const other of clusterRoles.values()) {
        if (other === role || !selectors.some((s) => selects(s, labelsOf(other.manifest)))) continue;
        for (const r of other.rules) {
          const key = ruleKey(r);
          if (seen.has(key)) continue;
          seen.add(key);
          role.rules.push(r);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
}

function ruleKey(r: PolicyRule): string {
  return JSON.stringify([r.verbs, r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs]);
}

function selectorOf(s: Record<string, unknown>): Selector {
  const matchLabels = isRecord(s.matchLabels) ? Object.fromEntries(Object.entries(s.matchLabels).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  const matchExpressions = (Array.isArray(s.matchExpressions) ? s.matchExpressions : []).filter(isRecord).map((e) => ({
    key: typeof e.key === 'string' ? e.key : '',
    operator: typeof e.operator === 'string' ? e.operator : '',
    values: stringItems(e.values),
  }));
  return { matchLabels, matchExpressions };
}

/** A label selector: every matchLabels pair and every expression must hold (so an empty selector matches every role, as in Kubernetes). */
export function selects(selector: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
