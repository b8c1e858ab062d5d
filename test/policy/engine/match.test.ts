import { describe, expect, it } from 'vitest';
import { checkKind, kindsSelectedBy, matchRule, parseKindSelector, selectorMatches, type MatchRequest } from '../../../src/policy/engine/match.ts';
import type { MatchBlock } from '../../../src/policy/engine/types.ts';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'prod', labels: { app: 'web', tier: 'front' }, annotations: { 'team.io/owner': 'alice' } },
};
const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'dev' } };
const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } };

function request(object: { apiVersion: string; kind: string }, extra: Partial<MatchRequest> = {}): MatchRequest {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  return { group: group!, version: version!, kind: object.kind, subresource: '', operation: 'CREATE', ...extra };
}

const matches = (match: MatchBlock, object: Record<string, unknown>, extra: Partial<MatchRequest> = {}, exclude?: MatchBlock) =>
  matchRule({ name: 'r', match, ...(exclude && { exclude }) }, object, request(object as never, extra)) === undefined;

describe('kind selectors', () => {
  it.each([
    ['Pod', { group: '*', version: '*', kind: 'Pod', subresource: '' }],
    ['v1/Pod', { group: '*', version: 'v1', kind: 'Pod', subresource: '' }],
    ['apps/v1/Deployment', { group: 'apps', version: 'v1', kind: 'Deployment', subresource: '' }],
    ['*/Pod', { group: '*', version: '*', kind: 'Pod', subresource: '' }],
    ['Pod/status', { group: '*', version: '*', kind: 'Pod', subresource: 'status' }],
    ['Pod.status', { group: '*', version: '*', kind: 'Pod', subresource: 'status' }],
    ['*/*', { group: '*', version: '*', kind: '*', subresource: '*' }],
    ['apps/v1/Deployment/scale', { group: 'apps', version: 'v1', kind: 'Deployment', subresource: 'scale' }],
    ['v1/Pod/exec', { group: '*', version: 'v1', kind: 'Pod', subresource: 'exec' }],
  ])('parses %s', (selector, want) => {
    expect(parseKindSelector(selector)).toEqual(want);
  });

  it('matches group, version and kind with wildcards, subresources only when named', () => {
    const deploy = request(deployment);
    expect(checkKind(['Deployment'], deploy)).toBe(true);
    expect(checkKind(['apps/v1/Deployment'], deploy)).toBe(true);
    expect(checkKind(['apps/*/Deployment'], deploy)).toBe(true);
    expect(checkKind(['extensions/v1beta1/Deployment'], deploy)).toBe(false);
    expect(checkKind(['v1/Deployment'], deploy)).toBe(true);
    expect(checkKind(['v2/Deployment'], deploy)).toBe(false);
    expect(checkKind(['*'], deploy)).toBe(true);
    expect(checkKind(['Deploy*'], deploy)).toBe(true);
    expect(checkKind(['Deployment/scale'], deploy)).toBe(false);
    expect(checkKind(['Deployment/scale'], { ...deploy, subresource: 'scale' })).toBe(true);
    expect(checkKind(['Deployment'], { ...deploy, subresource: 'scale' })).toBe(false);
    expect(checkKind(['Pod'], { group: '', version: 'v1', kind: 'Pod', subresource: 'status' })).toBe(false);
    expect(checkKind(['Pod/*'], { group: '', version: 'v1', kind: 'Pod', subresource: 'status' })).toBe(true);
    expect(checkKind(['Pod'], { group: '', version: 'v1', kind: 'Pod', subresource: 'ephemeralcontainers' })).toBe(true);
  });
});

describe('kindsSelectedBy', () => {
  const kinds = (block: MatchBlock) => {
    const set = kindsSelectedBy(block);
    return set === null ? null : [...set].sort();
  };

  it.each<[string, MatchBlock, string[] | null]>([
    ['any: the union of the kinds', { any: [{ resources: { kinds: ['Pod'] } }, { resources: { kinds: ['apps/v1/Deployment', 'Pod/status'] } }] }, ['Deployment', 'Pod']],
    ['any: a filter without kinds selects any kind', { any: [{ resources: { kinds: ['Pod'] } }, { resources: { names: ['web'] } }] }, null],
    ['a wildcard kind', { any: [{ resources: { kinds: ['Po*'] } }] }, null],
    ['all: the first filter with kinds bounds them', { all: [{ resources: { names: ['web'] } }, { resources: { kinds: ['Service'] } }] }, ['Service']],
    ['the legacy block form', { resources: { kinds: ['ConfigMap'] } }, ['ConfigMap']],
    ['an empty any falls back to all', { any: [], all: [{ resources: { kinds: ['Secret'] } }] }, ['Secret']],
  ])('%s', (_, block, expected) => {
    expect(kinds(block)).toEqual(expected);
  });
});

describe('match and exclude', () => {
  it('matches kinds, names and namespaces with wildcards (legacy flat form)', () => {
    expect(matches({ resources: { kinds: ['Pod'], names: ['web-*'], namespaces: ['pr?d'] } }, pod)).toBe(true);
    expect(matches({ resources: { kinds: ['Pod'], names: ['api'] } }, pod)).toBe(false);
    expect(matches({ resources: { kinds: ['Pod'], name: 'web-?' } }, pod)).toBe(true);
    expect(matches({ resources: { kinds: ['Pod'], namespaces: ['dev'] } }, pod)).toBe(false);
  });

  it('treats a Namespace name as its namespace', () => {
    expect(matches({ any: [{ resources: { kinds: ['Namespace'], namespaces: ['prod'] } }] }, namespace)).toBe(true);
  });

  it('any needs one filter, all needs every filter', () => {
    expect(matches({ any: [{ resources: { kinds: ['Deployment'] } }, { resources: { kinds: ['Pod'] } }] }, pod)).toBe(true);
    expect(matches({ all: [{ resources: { kinds: ['Pod'] } }, { resources: { namespaces: ['dev'] } }] }, pod)).toBe(false);
    expect(matches({ all: [{ resources: { kinds: ['Pod'] } }, { resources: { namespaces: ['prod'] } }] }, pod)).toBe(true);
  });

  it('an empty match block matches nothing', () => {
    expect(matches({}, pod)).toBe(false);
    expect(matches({ any: [{ resources: {} }] }, pod)).toBe(false);
  });

  it('matches selectors with matchExpressions and wildcard matchLabels', () => {
    expect(matches({ any: [{ resources: { kinds: ['Pod'], selector: { matchLabels: { app: 'web' } } } }] }, pod)).toBe(true);
    expect(matches({ any: [{ resources: { kinds: ['Pod'], selector: { matchLabels: { 'ti*': 'fr*' } } } }] }, pod)).toBe(true);
    expect(matches({ any: [{ resources: { kinds: ['Pod'], selector: { matchLabels: { app: 'api' } } } }] }, pod)).toBe(false);
    const sel = { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }, { key: 'debug', operator: 'DoesNotExist' }] };
    expect(matches({ any: [{ resources: { kinds: ['Pod'], selector: sel } }] }, pod)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, pod.metadata.labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, {})).toBe(false);
    expect(selectorMatches({}, {})).toBe(true);
  });

  it('matches annotations with wildcards', () => {
    expect(matches({ any: [{ resources: { kinds: ['Pod'], annotations: { 'team.io/*': 'a*' } } }] }, pod)).toBe(true);
    expect(matches({ any: [{ resources: { kinds: ['Pod'], annotations: { 'team.io/owner': 'bob' } } }] }, pod)).toBe(false);
  });

  it('matches namespaceSelector against the namespace labels, never on Namespaces', () => {
    const match = { any: [{ resources: { kinds: ['Pod', 'Namespace'], namespaceSelector: { matchLabels: { env: 'prod' } } } }] };
    expect(matches(match, pod, { namespaceLabels: { env: 'prod' } })).toBe(true);
    expect(matches(match, pod, { namespaceLabels: { env: 'dev' } })).toBe(false);
    expect(matches(match, pod)).toBe(false);
    expect(matches(match, namespace, { namespaceLabels: { env: 'prod' } })).toBe(false);
  });

  it('matches operations', () => {
    const match = { any: [{ resources: { kinds: ['Pod'], operations: ['UPDATE', 'DELETE'] } }] };
    expect(matches(match, pod)).toBe(false);
    expect(matches(match, pod, { operation: 'DELETE' })).toBe(true);
  });

  it('ignores user filters in match without a requester, applies them with one', () => {
    const match = { any: [{ resources: { kinds: ['Pod'] }, clusterRoles: ['cluster-admin'] }] };
    expect(matches(match, pod)).toBe(true);
    expect(matches(match, pod, { requestInfo: { clusterRoles: ['view'], userInfo: { username: 'bob' } } })).toBe(false);
    expect(matches(match, pod, { requestInfo: { clusterRoles: ['cluster-admin'] } })).toBe(true);
    const subjects = { any: [{ resources: { kinds: ['Pod'] }, subjects: [{ kind: 'ServiceAccount', name: 'ci-*', namespace: 'build' }] }] };
    expect(matches(subjects, pod, { requestInfo: { userInfo: { username: 'system:serviceaccount:build:ci-bot' } } })).toBe(true);
    const groups = { any: [{ resources: { kinds: ['Pod'] }, subjects: [{ kind: 'Group', name: 'system:masters' }] }] };
    expect(matches(groups, pod, { requestInfo: { userInfo: { username: 'x', groups: ['system:masters'] } } })).toBe(true);
  });

  it('excludes with any (one filter) and all (every filter)', () => {
    const match = { any: [{ resources: { kinds: ['Pod'] } }] };
    expect(matches(match, pod, {}, { any: [{ resources: { namespaces: ['kube-system'] } }, { resources: { names: ['web-*'] } }] })).toBe(false);
    expect(matches(match, pod, {}, { all: [{ resources: { namespaces: ['prod'] } }, { resources: { names: ['api'] } }] })).toBe(true);
    expect(matches(match, pod, {}, { all: [{ resources: { namespaces: ['prod'] } }, { resources: { names: ['web-1'] } }] })).toBe(false);
    expect(matches(match, pod, {}, { resources: { namespaces: ['prod'] } })).toBe(false);
    // Exclusion by user filters needs a requester that matches.
    expect(matches(match, pod, {}, { any: [{ clusterRoles: ['cluster-admin'] }] })).toBe(true);
    expect(matches(match, pod, { requestInfo: { clusterRoles: ['cluster-admin'] } }, { any: [{ clusterRoles: ['cluster-admin'] }] })).toBe(false);
  });

  it('a namespaced policy only matches resources of its namespace', () => {
    const rule = { name: 'r', match: { any: [{ resources: { kinds: ['Pod'] } }] } };
    expect(matchRule(rule, pod, request(pod), 'prod')).toBeUndefined();
    expect(matchRule(rule, pod, request(pod), 'dev')).toBe('policy and resource namespaces differ');
  });
});
