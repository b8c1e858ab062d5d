/**
 * `who-can VERB RESOURCE`: the subjects the RBAC model lets do something, like `kubectl who-can`
 * and `rbac-tool who-can`, answered offline from the same model the audit uses.
 *
 * RESOURCE is written as kubectl writes it: `pods`, `pods/exec` (subresource), `deployments.apps`
 * (resource.group), `deployments.apps/scale`, or a non-resource URL (`/metrics`). A bare resource
 * takes its group from a table of the built-in resources; an unknown bare name matches rules of
 * any API group (the answer then says so).
 */
import { PalisadeError } from '../core/errors.ts';
import { renderColumns } from '../report/columns.ts';
import { CLUSTER_SCOPE, describeBinding, type PolicyRule, type RbacModel, type Request, type Subject } from './rbac.ts';

export interface WhoCanQuery {
  verb: string;
  resource: string;
  namespace?: string;
  resourceName?: string;
}

export interface WhoCanAnswer {
  query: { verb: string; resource: string; subresource?: string; group?: string; nonResourceURL?: string; namespace?: string; resourceName?: string };
  /** Set when the group of a bare resource was not known (rules of every group were considered). */
  note?: string;
  subjects: {
    kind: Subject['kind'];
    name: string;
    namespace?: string;
    /** Each binding that allows it: the binding, its role, where it applies and the rule. */
    via: { binding: string; scope: string; rule: string }[];
  }[];
}

/** Built-in resources and their API groups (kubectl's discovery, for the resources RBAC rules usually name). */
const GROUPS: Record<string, string> = {
  pods: '', services: '', endpoints: '', configmaps: '', secrets: '', serviceaccounts: '', namespaces: '', nodes: '',
  persistentvolumes: '', persistentvolumeclaims: '', events: '', replicationcontrollers: '', limitranges: '', resourcequotas: '', podtemplates: '',
  users: '', groups: '',
  deployments: 'apps', daemonsets: 'apps', statefulsets: 'apps', replicasets: 'apps', controllerrevisions: 'apps',
  jobs: 'batch', cronjobs: 'batch',
  roles: 'rbac.authorization.k8s.io', clusterroles: 'rbac.authorization.k8s.io', rolebindings: 'rbac.authorization.k8s.io', clusterrolebindings: 'rbac.authorization.k8s.io',
  networkpolicies: 'networking.k8s.io', ingresses: 'networking.k8s.io', ingressclasses: 'networking.k8s.io',
  certificatesigningrequests: 'certificates.k8s.io', signers: 'certificates.k8s.io',
  validatingwebhookconfigurations: 'admissionregistration.k8s.io', mutatingwebhookconfigurations: 'admissionregistration.k8s.io',
  customresourcedefinitions: 'apiextensions.k8s.io', storageclasses: 'storage.k8s.io', priorityclasses: 'scheduling.k8s.io',
  horizontalpodautoscalers: 'autoscaling', poddisruptionbudgets: 'policy', leases: 'coordination.k8s.io',
  tokenreviews: 'authentication.k8s.io', subjectaccessreviews: 'authorization.k8s.io',
};

/** Parses RESOURCE as kubectl writes it. */
export function parseResource(text: string): { resource: string; subresource?: string; group?: string; nonResourceURL?: string; note?: string } {
  const trimmed = text.trim();
  if (trimmed === '') throw new PalisadeError('USAGE', 'who-can: RESOURCE is empty');
  if (trimmed.startsWith('/')) return { resource: '', nonResourceURL: trimmed };
  const [head, subresource, extra] = trimmed.split('/');
  if (extra !== undefined || head === '') throw new PalisadeError('USAGE', `who-can: "${text}" is not RESOURCE, RESOURCE/SUBRESOURCE or RESOURCE.GROUP`);
  const dot = head!.indexOf('.');
  const resource = (dot === -1 ? head! : head!.slice(0, dot)).toLowerCase();
  const explicit = dot === -1 ? undefined : head!.slice(dot + 1);
  const group = explicit ?? (resource === '*' ? undefined : GROUPS[resource]);
  return {
    resource,
    ...(subresource !== undefined && subresource !== '' && { subresource }),
    ...(group !== undefined && { group }),
    ...(group === undefined && resource !== '*' && { note: `the API group of "${resource}" is not known: rules of every group were considered (write ${resource}.GROUP to choose)` }),
  };
}

export function whoCan(model: RbacModel, query: WhoCanQuery): WhoCanAnswer {
  const parsed = parseResource(query.resource);
  const verb = query.verb.trim().toLowerCase();
  if (verb === '') throw new PalisadeError('USAGE', 'who-can: VERB is empty');
  const answerQuery: WhoCanAnswer['query'] = {
    verb,
    resource: parsed.resource,
    ...(parsed.subresource !== undefined && { subresource: parsed.subresource }),
    ...(parsed.group !== undefined && { group: parsed.group }),
    ...(parsed.nonResourceURL !== undefined && { nonResourceURL: parsed.nonResourceURL }),
    ...(query.namespace !== undefined && { namespace: query.namespace }),
    ...(query.resourceName !== undefined && { resourceName: query.resourceName }),
  };
  let found;
  if (parsed.nonResourceURL !== undefined) {
    found = model.whoCanUrl(verb, parsed.nonResourceURL);
  } else {
    const groups = parsed.group !== undefined ? [parsed.group] : groupsNamed(model, parsed.resource);
    const merged = new Map<string, ReturnType<RbacModel['whoCan']>[number]>();
    for (const group of groups) {
      const request: Request = {
        verb,
        group,
        resource: parsed.resource,
        ...(parsed.subresource !== undefined && { subresource: parsed.subresource }),
        ...(query.resourceName !== undefined && { name: query.resourceName }),
        ...(query.namespace !== undefined && { namespace: query.namespace }),
      };
      for (const entry of model.whoCan(request)) {
        const key = `${entry.subject.kind}:${entry.subject.namespace ?? ''}/${entry.subject.name}`;
        const existing = merged.get(key);
        if (existing) for (const g of entry.grants) { if (!existing.grants.some((x) => x.grant === g.grant)) existing.grants.push(g); }
        else merged.set(key, entry);
      }
    }
    found = [...merged.values()];
  }
  const subjects = found
    .map(({ subject, grants }) => ({
      kind: subject.kind,
      name: subject.name,
      ...(subject.namespace !== undefined && { namespace: subject.namespace }),
      via: grants.map(({ grant, rule }) => ({ binding: describeBinding(grant.binding), scope: grant.scope === CLUSTER_SCOPE ? 'cluster' : grant.scope, rule: ruleText(rule) })),
    }))
    .sort((a, b) => cmp(a.kind, b.kind) || cmp(a.namespace ?? '', b.namespace ?? '') || cmp(a.name, b.name));
  return { query: answerQuery, ...(parsed.note !== undefined && { note: parsed.note }), subjects };
}

/** For a resource of unknown group: every group some rule names it with (or `*`), so each is asked. */
function groupsNamed(model: RbacModel, resource: string): string[] {
  const groups = new Set<string>();
  for (const role of model.roles) {
    for (const rule of role.rules) {
      if (!rule.resources.some((r) => r === '*' || r === resource || r.startsWith(`${resource}/`))) continue;
      for (const g of rule.apiGroups) groups.add(g);
    }
  }
  groups.delete('*');
  return groups.size > 0 ? [...groups] : [''];
}

function ruleText(rule: PolicyRule): string {
  const parts = [`verbs=${rule.verbs.join(',')}`];
  if (rule.resources.length > 0) parts.push(`resources=${rule.resources.join(',')}`, `apiGroups=${rule.apiGroups.map((g) => (g === '' ? '""' : g)).join(',')}`);
  if (rule.resourceNames.length > 0) parts.push(`resourceNames=${rule.resourceNames.join(',')}`);
  if (rule.nonResourceURLs.length > 0) parts.push(`nonResourceURLs=${rule.nonResourceURLs.join(',')}`);
  return parts.join(' ');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function renderWhoCan(answer: WhoCanAnswer): string {
  const q = answer.query;
  const what = q.nonResourceURL ?? `${q.resource}${q.subresource ? `/${q.subresource}` : ''}${q.group ? `${q.group === '' ? '' : ` (group ${q.group})`}` : ''}${q.resourceName ? ` named ${q.resourceName}` : ''}`;
  const where = q.nonResourceURL !== undefined ? '' : q.namespace !== undefined ? ` in namespace ${q.namespace}` : ' in any namespace';
  const lines = [`Who can ${q.verb} ${what}${where}:`];
  if (answer.note) lines.push(`note: ${answer.note}`);
  if (answer.subjects.length === 0) return `${lines.join('\n')}\nnobody (no binding allows it)\n`;
  const rows = answer.subjects.flatMap((s) => s.via.map((v) => [s.kind, s.namespace ?? '', s.name, v.scope, v.binding, v.rule]));
  return `${lines.join('\n')}\n${renderColumns(['KIND', 'NAMESPACE', 'NAME', 'SCOPE', 'BINDING', 'RULE'], rows)}`;
}
