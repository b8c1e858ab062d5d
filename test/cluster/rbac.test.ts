/**
 * The RBAC model: authorizer matching, binding resolution, ClusterRole aggregation, risky-permission
 * findings and who-can answers, on small objects written inline.
 */
import { describe, expect, it } from 'vitest';
import { snapshotOfDump } from '../../src/cluster/dump.ts';
import { RbacModel, ruleAllows, type PolicyRule } from '../../src/cluster/rbac.ts';
import { rbacFindings } from '../../src/cluster/rbac-risks.ts';
import { parseResource, renderWhoCan, whoCan } from '../../src/cluster/who-can.ts';
import type { Manifest } from '../../src/misconfig/manifests.ts';

function manifest(object: Record<string, unknown>): Manifest {
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    object,
    path: 'inline.yaml',
    line: 1,
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    name: metadata.name ?? '',
    ...(metadata.namespace !== undefined && { namespace: metadata.namespace }),
    lineOf: () => 1,
  };
}

const RBAC = 'rbac.authorization.k8s.io/v1';
const role = (name: string, namespace: string, rules: unknown[]) => manifest({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace }, rules });
const clusterRole = (name: string, rules: unknown[], extra: Record<string, unknown> = {}) => manifest({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) }, rules, ...(extra.aggregationRule ? { aggregationRule: extra.aggregationRule } : {}) });
const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, namespace: string | undefined, roleRef: { kind: string; name: string }, subjects: unknown[], labels?: Record<string, string>) =>
  manifest({ apiVersion: RBAC, kind, metadata: { name, ...(namespace && { namespace }), ...(labels && { labels }) }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects });
const user = (name: string) => ({ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' });
const group = (name: string) => ({ kind: 'Group', name, apiGroup: 'rbac.authorization.k8s.io' });
const sa = (name: string, namespace?: string) => ({ kind: 'ServiceAccount', name, ...(namespace && { namespace }) });

const rule = (r: Partial<PolicyRule>): PolicyRule => ({ verbs: [], apiGroups: [''], resources: [], resourceNames: [], nonResourceURLs: [], ...r });

describe('ruleAllows (the authorizer\'s matching)', () => {
  it('matches * verbs, groups and resources', () => {
    expect(ruleAllows(rule({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), { verb: 'delete', group: 'apps', resource: 'deployments' })).toBe(true);
    expect(ruleAllows(rule({ verbs: ['get'], resources: ['pods'] }), { verb: 'list', group: '', resource: 'pods' })).toBe(false);
    expect(ruleAllows(rule({ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }), { verb: 'get', group: '', resource: 'pods' })).toBe(false);
  });

  it('matches subresources exactly or through */sub, never through pods/*', () => {
    const req = { verb: 'create', group: '', resource: 'pods', subresource: 'exec' };
    expect(ruleAllows(rule({ verbs: ['create'], resources: ['pods/exec'] }), req)).toBe(true);
    expect(ruleAllows(rule({ verbs: ['create'], resources: ['*/exec'] }), req)).toBe(true);
    expect(ruleAllows(rule({ verbs: ['create'], resources: ['pods/*'] }), req)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['create'], resources: ['pods'] }), req)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['create'], resources: ['*'] }), req)).toBe(true);
  });

  it('limits rules with resourceNames to requests naming one of them', () => {
    const named = rule({ verbs: ['get'], resources: ['secrets'], resourceNames: ['db'] });
    expect(ruleAllows(named, { verb: 'get', group: '', resource: 'secrets' })).toBe(false);
    expect(ruleAllows(named, { verb: 'get', group: '', resource: 'secrets', name: 'db' })).toBe(true);
    expect(ruleAllows(named, { verb: 'get', group: '', resource: 'secrets', name: 'other' })).toBe(false);
    expect(ruleAllows(named, { verb: 'get', group: '', resource: 'secrets' }, { ignoreNames: true })).toBe(true);
  });
});

describe('RbacModel', () => {
  it('resolves RoleBindings to ClusterRoles in the binding namespace only, and never for cluster-scoped resources', () => {
    const model = RbacModel.fromObjects([
      clusterRole('powerful', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      binding('RoleBinding', 'team', 'team-a', { kind: 'ClusterRole', name: 'powerful' }, [user('dana')]),
    ]);
    const names = (r: ReturnType<RbacModel['whoCan']>) => r.map((e) => e.subject.name);
    expect(names(model.whoCan({ verb: 'delete', group: '', resource: 'secrets', namespace: 'team-a' }))).toEqual(['dana']);
    expect(names(model.whoCan({ verb: 'delete', group: '', resource: 'secrets', namespace: 'team-b' }))).toEqual([]);
    expect(names(model.whoCan({ verb: 'delete', group: '', resource: 'secrets' }))).toEqual(['dana']);
    expect(names(model.whoCan({ verb: 'get', group: '', resource: 'nodes', subresource: 'proxy' }))).toEqual([]);
    expect(names(model.whoCan({ verb: 'create', group: '', resource: 'persistentvolumes' }))).toEqual([]);
  });

  it('gives nothing through a ClusterRoleBinding to a Role, a binding to a missing role, or a Role of another namespace', () => {
    const model = RbacModel.fromObjects([
      role('r', 'a', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]),
      binding('ClusterRoleBinding', 'bad', undefined, { kind: 'Role', name: 'r' }, [user('u1')]),
      binding('RoleBinding', 'other-ns', 'b', { kind: 'Role', name: 'r' }, [user('u2')]),
      binding('RoleBinding', 'dangling', 'a', { kind: 'Role', name: 'missing' }, [user('u3')]),
      binding('RoleBinding', 'good', 'a', { kind: 'Role', name: 'r' }, [user('u4')]),
    ]);
    expect(model.whoCan({ verb: 'get', group: '', resource: 'pods' }).map((e) => e.subject.name)).toEqual(['u4']);
    expect(model.bindings.filter((b) => !b.role).map((b) => b.name).sort()).toEqual(['bad', 'dangling', 'other-ns']);
  });

  it('aggregates ClusterRoles by label selector, transitively', () => {
    const model = RbacModel.fromObjects([
      clusterRole('top', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { tier: 'top' } }] } }),
      clusterRole('middle', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }], { labels: { tier: 'top' }, aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['middle'] }] }] } }),
      clusterRole('leaf', [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }], { labels: { tier: 'middle' } }),
      clusterRole('unrelated', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }], { labels: { tier: 'other' } }),
    ]);
    const top = model.roles.find((r) => r.name === 'top')!;
    expect(top.rules.flatMap((r) => r.resources).sort()).toEqual(['configmaps', 'nodes/proxy']);
  });

  it('gives service accounts the permissions of their groups', () => {
    const model = RbacModel.fromObjects([
      clusterRole('reader', [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]),
      binding('ClusterRoleBinding', 'all-sa', undefined, { kind: 'ClusterRole', name: 'reader' }, [group('system:serviceaccounts:team')]),
    ]);
    expect(model.effectiveGrants({ kind: 'ServiceAccount', name: 'x', namespace: 'team' })).toHaveLength(1);
    expect(model.effectiveGrants({ kind: 'ServiceAccount', name: 'x', namespace: 'other' })).toHaveLength(0);
  });
});

describe('rbacFindings', () => {
  const objects = [
    clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }),
    binding('ClusterRoleBinding', 'cluster-admin', undefined, { kind: 'ClusterRole', name: 'cluster-admin' }, [group('system:masters')], { 'kubernetes.io/bootstrapping': 'rbac-defaults' }),
    binding('ClusterRoleBinding', 'ci-admin', undefined, { kind: 'ClusterRole', name: 'cluster-admin' }, [sa('ci', 'build')]),
    clusterRole('secrets', [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }]),
    binding('RoleBinding', 'app-secrets', 'app', { kind: 'ClusterRole', name: 'secrets' }, [sa('default')]),
    binding('RoleBinding', 'sys-secrets', 'kube-system', { kind: 'ClusterRole', name: 'secrets' }, [user('eve')]),
    role('escalator', 'app', [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate', 'bind'], resourceNames: ['x'] }]),
    binding('RoleBinding', 'esc', 'app', { kind: 'Role', name: 'escalator' }, [user('mallory')]),
    role('tokens', 'app', [{ apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] }, { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] }, { apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] }]),
    binding('RoleBinding', 'tok', 'app', { kind: 'Role', name: 'tokens' }, [user('trent')]),
    clusterRole('webhooks', [{ apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['patch'] }, { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] }, { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['create'] }]),
    binding('ClusterRoleBinding', 'platform', undefined, { kind: 'ClusterRole', name: 'webhooks' }, [group('platform')]),
    binding('RoleBinding', 'platform-ns', 'app', { kind: 'ClusterRole', name: 'webhooks' }, [group('ns-platform')]),
    clusterRole('anon', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]),
    binding('RoleBinding', 'anon', 'public', { kind: 'ClusterRole', name: 'anon' }, [user('system:anonymous')]),
    binding('ClusterRoleBinding', 'kcm', undefined, { kind: 'ClusterRole', name: 'secrets' }, [user('system:kube-controller-manager')]),
  ];
  const snapshot = snapshotOfDump('inline', [], objects);
  const model = RbacModel.fromObjects(snapshot.objects);
  const findings = rbacFindings(model, { rolesComplete: true, clusterRolesComplete: true });
  const got = findings.map((f) => `${f.id} ${f.severity} ${f.subject.kind}:${f.subject.namespace ? `${f.subject.namespace}/` : ''}${f.subject.name} @${f.scope}`).sort();

  it('reports each pattern per subject and scope, with severity by scope', () => {
    expect(got).toEqual(
      [
        'PAL-RBAC-001 CRITICAL ServiceAccount:build/ci @cluster',
        'PAL-RBAC-002 CRITICAL ServiceAccount:build/ci @cluster',
        'PAL-RBAC-004 MEDIUM ServiceAccount:app/default @app',
        'PAL-RBAC-013 LOW ServiceAccount:app/default @app',
        'PAL-RBAC-004 HIGH User:eve @kube-system',
        'PAL-RBAC-007 HIGH User:mallory @app',
        'PAL-RBAC-010 MEDIUM User:trent @app',
        'PAL-RBAC-019 MEDIUM User:trent @app',
        'PAL-RBAC-020 LOW User:trent @app',
        'PAL-RBAC-015 HIGH Group:platform @cluster',
        'PAL-RBAC-016 HIGH Group:platform @cluster',
        'PAL-RBAC-017 MEDIUM Group:platform @cluster',
        'PAL-RBAC-011 HIGH User:system:anonymous @public',
      ].sort(),
    );
  });

  it('leaves out the bootstrap policy and system users unless asked', () => {
    expect(got.some((g) => g.includes('system:masters') || g.includes('kube-controller-manager'))).toBe(false);
    const all = rbacFindings(model, { includeSystem: true }).map((f) => `${f.id} ${f.subject.name}`);
    expect(all).toContain('PAL-RBAC-001 system:masters');
    expect(all).toContain('PAL-RBAC-004 system:kube-controller-manager');
  });

  it('reports a dangling binding only when the role lists were read in full', () => {
    const dangling = RbacModel.fromObjects([binding('RoleBinding', 'd', 'x', { kind: 'Role', name: 'gone' }, [user('u')])]);
    expect(rbacFindings(dangling, { rolesComplete: true }).map((f) => f.id)).toEqual(['PAL-RBAC-018']);
    expect(rbacFindings(dangling, { rolesComplete: false })).toEqual([]);
  });

  it('names the grants behind a finding and where they are written', () => {
    const f = findings.find((x) => x.id === 'PAL-RBAC-004' && x.subject.name === 'eve')!;
    expect(f.evidence).toEqual(['RoleBinding kube-system/sys-secrets → ClusterRole secrets: verbs [list] resources [secrets] apiGroups [""]']);
    expect(f.controls.kubescape).toContain('C-0015');
    expect(f.controls.cis).toContain('5.1.2');
    expect(f.locations).toEqual([{ path: 'inline.yaml', line: 1 }]);
  });
});

describe('who-can', () => {
  const model = RbacModel.fromObjects([
    clusterRole('exec', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]),
    binding('ClusterRoleBinding', 'sre', undefined, { kind: 'ClusterRole', name: 'exec' }, [group('sre')]),
    binding('RoleBinding', 'dev', 'dev', { kind: 'ClusterRole', name: 'exec' }, [user('dev1')]),
    clusterRole('metrics', [{ nonResourceURLs: ['/metrics', '/debug/*'], verbs: ['get'] }]),
    binding('ClusterRoleBinding', 'prom', undefined, { kind: 'ClusterRole', name: 'metrics' }, [sa('prometheus', 'monitoring')]),
    clusterRole('scaler', [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['update'] }, { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }]),
    binding('ClusterRoleBinding', 'scaler', undefined, { kind: 'ClusterRole', name: 'scaler' }, [user('hpa')]),
  ]);
  const names = (verb: string, resource: string, namespace?: string) => whoCan(model, { verb, resource, ...(namespace && { namespace }) }).subjects.map((s) => `${s.kind}:${s.name}`);

  it('answers per namespace and in any namespace', () => {
    expect(names('create', 'pods/exec')).toEqual(['Group:sre', 'User:dev1']);
    expect(names('create', 'pods/exec', 'dev')).toEqual(['Group:sre', 'User:dev1']);
    expect(names('create', 'pods/exec', 'prod')).toEqual(['Group:sre']);
    expect(names('get', 'pods/exec')).toEqual([]);
  });

  it('answers for non-resource URLs, RESOURCE.GROUP and unknown groups', () => {
    expect(names('get', '/metrics')).toEqual(['ServiceAccount:prometheus']);
    expect(names('get', '/debug/pprof')).toEqual(['ServiceAccount:prometheus']);
    expect(names('update', 'deployments.apps/scale')).toEqual(['User:hpa']);
    expect(names('update', 'deployments/scale')).toEqual(['User:hpa']);
    const unknown = whoCan(model, { verb: 'get', resource: 'widgets' });
    expect(unknown.subjects.map((s) => s.name)).toEqual(['hpa']);
    expect(unknown.note).toMatch(/not known/);
  });

  it('parses resources as kubectl writes them and rejects nonsense', () => {
    expect(parseResource('deployments.apps/scale')).toEqual({ resource: 'deployments', subresource: 'scale', group: 'apps' });
    expect(parseResource('pods')).toEqual({ resource: 'pods', group: '' });
    expect(() => parseResource('a/b/c')).toThrow(/RESOURCE/);
  });

  it('renders a table with the binding and rule, or says nobody', () => {
    const text = renderWhoCan(whoCan(model, { verb: 'create', resource: 'pods/exec', namespace: 'dev' }));
    expect(text).toMatch(/^Who can create pods\/exec in namespace dev:/);
    expect(text).toMatch(/User\s+dev1\s+dev\s+RoleBinding dev\/dev → ClusterRole exec\s+verbs=create resources=pods\/exec/);
    expect(renderWhoCan(whoCan(model, { verb: 'delete', resource: 'nodes' }))).toMatch(/nobody/);
  });
});
