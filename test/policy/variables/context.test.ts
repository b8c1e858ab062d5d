import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/core/errors.ts';
import { RuleError } from '../../../src/policy/types.ts';
import {
  addElement,
  clusterData,
  globalContextData,
  JsonContext,
  loadContext,
  namespaceLabels,
  newPolicyContext,
  parseValuesFile,
  resourceValues,
  ruleValues,
  serviceAccountOf,
  type ContextEntry,
} from '../../../src/policy/variables/context.ts';

const DIGEST = `sha256:${'d'.repeat(64)}`;

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    initContainers: [{ name: 'init', image: 'busybox:1.36' }],
    containers: [
      { name: 'app', image: 'ghcr.io/org/app:v1' },
      { name: 'side', image: 'nginx' },
    ],
    ephemeralContainers: [{ name: 'debug', image: `localhost:5000/tools/debug@${DIGEST}` }],
  },
};

/** The RuleError a call throws. */
function ruleError(run: () => unknown): RuleError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(RuleError);
    return e as RuleError;
  }
  throw new Error('expected a RuleError');
}

describe('newPolicyContext', () => {
  it('builds images of init, regular and ephemeral containers by container name', () => {
    const ctx = newPolicyContext({ object: pod });
    expect(ctx.query('images')).toEqual({
      initContainers: {
        init: {
          registry: 'docker.io',
          path: 'busybox',
          name: 'busybox',
          tag: '1.36',
          reference: 'docker.io/busybox:1.36',
          referenceWithTag: 'docker.io/busybox:1.36',
          jsonPointer: '/spec/initContainers/0/image',
        },
      },
      containers: {
        app: {
          registry: 'ghcr.io',
          path: 'org/app',
          name: 'app',
          tag: 'v1',
          reference: 'ghcr.io/org/app:v1',
          referenceWithTag: 'ghcr.io/org/app:v1',
          jsonPointer: '/spec/containers/0/image',
        },
        side: {
          registry: 'docker.io',
          path: 'nginx',
          name: 'nginx',
          tag: 'latest',
          reference: 'docker.io/nginx:latest',
          referenceWithTag: 'docker.io/nginx:latest',
          jsonPointer: '/spec/containers/1/image',
        },
      },
      ephemeralContainers: {
        debug: {
          registry: 'localhost:5000',
          path: 'tools/debug',
          name: 'debug',
          digest: DIGEST,
          reference: `localhost:5000/tools/debug@${DIGEST}`,
          referenceWithTag: 'localhost:5000/tools/debug:',
          jsonPointer: '/spec/ephemeralContainers/0/image',
        },
      },
    });
    expect(ctx.query('images.containers.*.registry')).toEqual(['ghcr.io', 'docker.io']);
  });

  it('reads images of pod controllers under spec.template.spec and CronJobs under the job template', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }] } };
    const deployment = newPolicyContext({ object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template } } });
    expect(deployment.query('images.containers.app')).toMatchObject({ registry: 'registry.k8s.io', path: 'pause', tag: '3.9', jsonPointer: '/spec/template/spec/containers/0/image' });
    const cronJob = newPolicyContext({
      object: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template } } } },
    });
    expect(cronJob.query('images.containers.app.jsonPointer')).toBe('/spec/jobTemplate/spec/template/spec/containers/0/image');
    expect(cronJob.query("keys(images)")).toEqual(['containers']);
  });

  it('has no images for kinds without containers', () => {
    const ctx = newPolicyContext({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } });
    expect(ruleError(() => ctx.query('images.containers')).code).toBe('VARIABLE');
    expect(ctx.query("images || 'none'")).toBe('none');
  });

  it('rejects a request whose image is not a valid reference', () => {
    const bad = { ...pod, spec: { containers: [{ name: 'x', image: 'Not/Valid' }] } };
    const e = ruleError(() => newPolicyContext({ object: bad }));
    expect(e.code).toBe('INVALID');
    expect(e.message).toContain("invalid image 'Not/Valid'");
  });

  it('fills request fields, service account and the default operation', () => {
    const ctx = newPolicyContext({
      object: pod,
      userInfo: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts', 'system:authenticated'] },
      roles: ['shop:editor'],
      clusterRoles: ['view'],
      kind: { group: '', version: 'v1', kind: 'Pod' },
      name: 'web',
      dryRun: false,
    });
    expect(ctx.query('request.operation')).toBe('CREATE');
    expect(ctx.query('request.namespace')).toBe('shop');
    expect(ctx.query('request.object.metadata.name')).toBe('web');
    expect(ctx.query('request.userInfo')).toEqual({ username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts', 'system:authenticated'] });
    expect(ctx.query('request.roles')).toEqual(['shop:editor']);
    expect(ctx.query('request.clusterRoles')).toEqual(['view']);
    expect(ctx.query('request.kind.kind')).toBe('Pod');
    expect(ctx.query('request.dryRun')).toBe(false);
    expect(ctx.query('serviceAccountName')).toBe('deployer');
    expect(ctx.query('serviceAccountNamespace')).toBe('ci');
    // Admission fields that were not given are absent, as in a Kyverno CLI run.
    expect(ruleError(() => ctx.query('request.uid')).code).toBe('VARIABLE');
  });

  it('stores the resource as request.oldObject for DELETE', () => {
    const ctx = newPolicyContext({ object: pod, operation: 'DELETE' });
    expect(ctx.query('request.oldObject.metadata.name')).toBe('web');
    expect(ctx.query('request.operation')).toBe('DELETE');
    expect(ruleError(() => ctx.query('request.object.metadata')).message).toContain('Unknown key "object"');
  });

  it('takes the namespace from the input before the resource', () => {
    expect(newPolicyContext({ object: pod, namespace: 'other' }).query('request.namespace')).toBe('other');
    expect(newPolicyContext({ object: { kind: 'Namespace', metadata: { name: 'n' } } }).query('request.namespace')).toBe('');
  });
});

describe('serviceAccountOf', () => {
  it.each([
    ['system:serviceaccount:kube-system:replicaset-controller', { name: 'replicaset-controller', namespace: 'kube-system' }],
    ['system:serviceaccount:ns', { name: '', namespace: '' }],
    ['system:serviceaccount:', { name: '', namespace: '' }],
    ['alice', { name: '', namespace: '' }],
    ['', { name: '', namespace: '' }],
  ])('%s', (username, expected) => {
    expect(serviceAccountOf(username)).toEqual(expected);
  });
});

describe('JsonContext', () => {
  it('adds dotted keys by merging', () => {
    const ctx = new JsonContext();
    ctx.add('request.object.metadata.name', 'a');
    ctx.add('request.object.metadata.labels', { x: '1' });
    ctx.add('request.operation', 'UPDATE');
    expect(ctx.toJSON()).toEqual({ request: { object: { metadata: { name: 'a', labels: { x: '1' } } }, operation: 'UPDATE' } });
    ctx.addEntry('request', { object: { metadata: { labels: { y: '2' } } } });
    expect(ctx.query('request.object.metadata.labels')).toEqual({ x: '1', y: '2' });
    ctx.replace('request', { operation: 'DELETE' });
    expect(ctx.toJSON()).toEqual({ request: { operation: 'DELETE' } });
  });

  it('keeps JSON data written in, copies other values as JSON, and never changes data it has handed out', () => {
    const value = { a: [1] };
    const ctx = new JsonContext();
    ctx.addEntry('v', value);
    expect(ctx.query('v')).toBe(value);
    ctx.addEntry('w', { a: undefined, b: Number.NaN, c: [undefined], d: new Date(0) });
    expect(ctx.query('w')).toEqual({ b: null, c: [null], d: '1970-01-01T00:00:00.000Z' });
    const before = ctx.query('v');
    ctx.add('v.b', 2);
    ctx.addEntry('v', { c: 3 });
    expect(before).toEqual({ a: [1] });
    expect(ctx.query('v')).toEqual({ a: [1], b: 2, c: 3 });
  });

  it('restores checkpoints so one rule does not leak into the next', () => {
    const ctx = newPolicyContext({ object: pod });
    ctx.checkpoint();
    ctx.addEntry('ruleVar', 1);
    ctx.add('request.object.metadata.name', 'changed');
    expect(ctx.query('ruleVar')).toBe(1);
    ctx.restore();
    expect(ruleError(() => ctx.query('ruleVar')).code).toBe('VARIABLE');
    expect(ctx.query('request.object.metadata.name')).toBe('web');
    ctx.restore(); // nothing left to restore
    expect(ctx.query('request.object.metadata.name')).toBe('web');
  });

  it('nests checkpoints and resets to the last one for each foreach element', () => {
    const ctx = new JsonContext({ base: true });
    ctx.checkpoint();
    ctx.addEntry('rule', 'r1');
    ctx.checkpoint();
    for (const [i, element] of [{ name: 'a', extra: 1 }, { name: 'b' }].entries()) {
      ctx.reset();
      addElement(ctx, element, i);
      expect(ctx.query('element')).toEqual(element);
      expect(ctx.query('elementIndex')).toBe(i);
      expect(ctx.query('rule')).toBe('r1');
    }
    ctx.restore();
    expect(ruleError(() => ctx.query('element')).code).toBe('VARIABLE');
    expect(ctx.query('rule')).toBe('r1');
    ctx.restore();
    expect(ctx.toJSON()).toEqual({ base: true });
  });

  it('keeps nested foreach elements apart', () => {
    const ctx = new JsonContext();
    addElement(ctx, { name: 'outer' }, 3, 0);
    addElement(ctx, 'inner', 1, 1);
    expect(ctx.query('element0.name')).toBe('outer');
    expect(ctx.query('elementIndex0')).toBe(3);
    expect(ctx.query('element1')).toBe('inner');
    expect(ctx.query('element')).toBe('inner');
    expect(ctx.query('elementIndex')).toBe(1);
  });

  it('answers a repeated query from the same data with the same outcome, and a changed context anew', () => {
    const ctx = new JsonContext({ a: { b: [1, 2] } });
    const first = ctx.query('a.b');
    expect(ctx.query('a.b')).toBe(first);
    expect(() => ctx.query('a.c')).toThrow(/Unknown key "c"/);
    expect(() => ctx.query('a.c')).toThrow(/Unknown key "c"/);
    ctx.checkpoint();
    ctx.add('a.c', 3);
    expect(ctx.query('a.c')).toBe(3);
    ctx.restore();
    expect(() => ctx.query('a.c')).toThrow(/Unknown key "c"/);
    expect(ctx.query('a.b')).toBe(first);
  });

  it('evaluates queries of random and time functions every time', () => {
    const ctx = new JsonContext();
    const draws = new Set(Array.from({ length: 5 }, () => ctx.query("random('[a-z]{16}')")));
    expect(draws.size).toBe(5);
  });

  it('rejects empty queries and reports JMESPath errors', () => {
    const ctx = new JsonContext();
    expect(ruleError(() => ctx.query('  ')).code).toBe('JMESPATH');
    expect(ruleError(() => ctx.query('a[')).code).toBe('JMESPATH');
  });
});

describe('context entries', () => {
  const base = (): JsonContext => newPolicyContext({ object: pod });

  it('resolves variables with value, jmesPath, default and substitution', () => {
    const ctx = base();
    const entries: ContextEntry[] = [
      { name: 'literal', variable: { value: { tier: 'gold' } } },
      { name: 'fromValue', variable: { value: '{{ request.object.metadata.labels }}', jmesPath: 'app' } },
      { name: 'fromContext', variable: { jmesPath: 'request.object.spec.containers[].name' } },
      { name: 'withDefault', variable: { jmesPath: 'request.object.metadata.annotations.owner', default: 'nobody' } },
      { name: 'chained', variable: { value: '{{ literal.tier }}-{{ fromValue }}' } },
    ];
    loadContext(ctx, entries);
    expect(ctx.query('literal.tier')).toBe('gold');
    expect(ctx.query('fromValue')).toBe('web');
    expect(ctx.query('fromContext')).toEqual(['app', 'side']);
    expect(ctx.query('withDefault')).toBe('nobody');
    expect(ctx.query('chained')).toBe('gold-web');
  });

  it('loads entries lazily: a broken entry fails only the queries that use it', () => {
    const ctx = base();
    loadContext(ctx, [
      { name: 'broken', variable: { jmesPath: 'request.object.spec.missing' } },
      { name: 'fine', variable: { value: 'ok' } },
    ]);
    expect(ctx.query('fine')).toBe('ok');
    const e = ruleError(() => ctx.query('broken'));
    expect(e.code).toBe('VARIABLE');
    expect(e.message).toContain('Unknown key "broken"');
    expect(e.message).toContain('context entry "broken": failed to apply jmespath request.object.spec.missing');
  });

  it('does not load an entry that is not mentioned', () => {
    const ctx = base();
    let loaded = 0;
    ctx.addDeferred('lazy', () => {
      loaded++;
      ctx.addEntry('lazy', 1);
    });
    expect(ctx.query('request.namespace')).toBe('shop');
    expect(ctx.query('notlazy || `0`')).toBe(0);
    expect(loaded).toBe(0);
    expect(ctx.query('lazy')).toBe(1);
    expect(ctx.query('"lazy"')).toBe(1);
    expect(loaded).toBe(1);
  });

  it('lets an entry see only the entries declared before it', () => {
    const ctx = base();
    loadContext(ctx, [
      { name: 'first', variable: { value: '{{ second }}', default: 'no second' } },
      { name: 'second', variable: { value: 'two' } },
      { name: 'third', variable: { value: '{{ second }}!' } },
    ]);
    expect(ruleError(() => ctx.query('first')).message).toContain('context entry "first"');
    expect(ctx.query('third')).toBe('two!');
  });

  it('rejects a variable that evaluates to null and entries without exactly one source', () => {
    const ctx = base();
    loadContext(ctx, [{ name: 'nothing', variable: { value: null, jmesPath: 'x' } }]);
    expect(ruleError(() => ctx.query('nothing')).message).toContain('evaluated to nil');
    expect(ruleError(() => loadContext(ctx, [{ name: 'none' }])).code).toBe('INVALID');
    expect(ruleError(() => loadContext(ctx, [{ name: 'two', variable: { value: 1 }, configMap: { name: 'c' } }])).code).toBe('INVALID');
  });

  it('explains configMap, apiCall, imageRegistry and globalReference entries without data', () => {
    const ctx = base();
    loadContext(ctx, [
      { name: 'dictionary', configMap: { name: 'roles', namespace: 'default' } },
      { name: 'pods', apiCall: { urlPath: '/api/v1/pods' } },
      { name: 'imageData', imageRegistry: { reference: 'nginx' } },
      { name: 'global', globalReference: { name: 'g' } },
    ]);
    for (const [name, hint] of [
      ['dictionary', 'configMap entries need cluster data'],
      ['pods', 'apiCall entries need cluster data'],
      ['imageData', 'imageRegistry entries need registry access'],
      ['global', 'globalReference entries need global context data'],
    ] as const) {
      const e = ruleError(() => ctx.query(`${name}.data`));
      expect(e.code).toBe('VARIABLE');
      expect(e.message).toContain(`Unknown key "${name}"`);
      expect(e.message).toContain(hint);
    }
  });

  it('takes values from the values file before the entries, and foreach values by index', () => {
    const ctx = base();
    loadContext(ctx, [{ name: 'dictionary', configMap: { name: 'roles' } }, { name: 'copy', variable: { value: '{{ dictionary.data.role }}' } }], {
      ruleValues: { 'dictionary.data.role': 'admin' },
      foreachValues: { 'element.name': ['a', 'b'] },
      foreachIndex: 1,
    });
    expect(ctx.query('dictionary')).toEqual({ data: { role: 'admin' } });
    expect(ctx.query('copy')).toBe('admin');
    expect(ctx.query('element.name')).toBe('b');
  });

  it('reads configMaps and API calls from cluster resources', () => {
    const resources = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'roles', namespace: 'default' }, data: { allowed: '["admin"]' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'shop', labels: { app: 'web' } } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'shop', labels: { app: 'db' } } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'shop' } },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } },
    ];
    const crds = [{ spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgetz' } } }];
    const ctx = base();
    loadContext(
      ctx,
      [
        { name: 'dictionary', configMap: { name: 'roles', namespace: 'default' } },
        { name: 'missingCm', configMap: { name: 'nope' } },
        { name: 'webPods', apiCall: { urlPath: '/api/v1/namespaces/{{ request.namespace }}/pods?labelSelector=app=web', jmesPath: 'items[].metadata.name' } },
        { name: 'allPods', apiCall: { urlPath: '/api/v1/pods', jmesPath: 'length(items)' } },
        { name: 'policy', apiCall: { urlPath: '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/deny' } },
        { name: 'widgets', apiCall: { urlPath: '/apis/example.com/v1/widgetz', jmesPath: 'items[0].kind' } },
        { name: 'absent', apiCall: { urlPath: '/api/v1/namespaces/shop/services/none', default: { found: false } } },
        { name: 'absentNoDefault', apiCall: { urlPath: '/api/v1/namespaces/shop/services/none' } },
      ],
      { external: clusterData(resources, crds) },
    );
    expect(ctx.query('dictionary.data.allowed | parse_json(@)')).toEqual(['admin']);
    expect(ctx.query('dictionary.metadata.name')).toBe('roles');
    expect(ruleError(() => ctx.query('missingCm')).message).toContain('configmaps "nope" not found');
    expect(ctx.query('webPods')).toEqual(['a']);
    expect(ctx.query('allPods')).toBe(2);
    expect(ctx.query('policy.kind')).toBe('NetworkPolicy');
    expect(ctx.query('widgets')).toBe('Widget');
    expect(ctx.query('absent')).toEqual({ found: false });
    expect(ruleError(() => ctx.query('absentNoDefault')).message).toContain('failed to fetch data for APICall');
  });

  it('lists resources like the API server', () => {
    const data = clusterData([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }]);
    expect(data.apiCall?.({ method: 'GET', urlPath: '/api/v1/namespaces' })).toEqual({
      apiVersion: 'v1',
      kind: 'NamespaceList',
      metadata: { resourceVersion: '' },
      items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }],
    });
    expect(data.apiCall?.({ method: 'POST', urlPath: '/api/v1/namespaces' })).toBeUndefined();
    expect(data.configMap?.('default', 'x')).toBeUndefined();
  });

  it('reads image data and global context entries from providers', () => {
    const ctx = base();
    loadContext(
      ctx,
      [
        { name: 'imageData', imageRegistry: { reference: '{{ images.containers.app.reference }}', jmesPath: 'configData.config.User' } },
        { name: 'gctx', globalReference: { name: 'deployments', jmesPath: 'length(items)' } },
        { name: 'projected', globalReference: { name: 'deployments' } },
        { name: 'unknownGlobal', globalReference: { name: 'nope' } },
      ],
      {
        external: {
          imageData: (reference) => (reference === 'ghcr.io/org/app:v1' ? { image: reference, configData: { config: { User: 'nobody' } } } : undefined),
          ...globalContextData([{ name: 'deployments', data: { items: [{ n: 1 }, { n: 2 }] }, projections: [{ name: 'count', path: 'length(items)' }] }]),
        },
      },
    );
    expect(ctx.query('imageData')).toBe('nobody');
    expect(ctx.query('gctx')).toBe(2);
    expect(ctx.query('projected.count')).toBe(2);
    expect(ruleError(() => ctx.query('unknownGlobal')).message).toContain('failed to fetch entry key=nope');
  });

  it('does not keep a rule’s entries after restore', () => {
    const ctx = base();
    ctx.checkpoint();
    loadContext(ctx, [{ name: 'ruleOnly', variable: { value: 1 } }]);
    expect(ctx.query('ruleOnly')).toBe(1);
    ctx.restore();
    expect(ruleError(() => ctx.query('ruleOnly')).code).toBe('VARIABLE');
  });
});

describe('values files', () => {
  const values = parseValuesFile({
    apiVersion: 'cli.kyverno.io/v1alpha1',
    kind: 'Values',
    globalValues: { 'request.operation': 'UPDATE', env: 'prod' },
    policies: [
      {
        name: 'check-roles',
        rules: [{ name: 'require-role', values: { 'dictionary.data.roles': 'a,b' }, foreachValues: { 'element.name': ['x'] } }],
        resources: [{ name: 'web', values: { env: 'dev' } }],
      },
    ],
    namespaceSelector: [{ name: 'shop', labels: { team: 'retail', tier: 1 } }],
  });

  it('merges global and per-resource values', () => {
    expect(resourceValues(values, 'check-roles', 'web')).toEqual({ 'request.operation': 'UPDATE', env: 'dev' });
    expect(resourceValues(values, 'check-roles', 'other')).toEqual({ 'request.operation': 'UPDATE', env: 'prod' });
    expect(resourceValues(undefined, 'p', 'r')).toEqual({ 'request.operation': 'CREATE' });
  });

  it('finds rule values under autogen names too', () => {
    for (const rule of ['require-role', 'autogen-require-role', 'autogen-cronjob-require-role']) {
      expect(ruleValues(values, 'check-roles', rule)?.values).toEqual({ 'dictionary.data.roles': 'a,b' });
    }
    expect(ruleValues(values, 'check-roles', 'other')).toBeUndefined();
    expect(ruleValues(values, 'check-roles', 'require-role')?.foreachValues).toEqual({ 'element.name': ['x'] });
  });

  it('gives namespace labels as strings', () => {
    expect(namespaceLabels(values, 'shop')).toEqual({ team: 'retail', tier: '1' });
    expect(namespaceLabels(values, 'none')).toBeUndefined();
  });

  it.each([
    ['not a map', []],
    ['policies not a list', { policies: {} }],
    ['policy without name', { policies: [{ rules: [] }] }],
    ['rule values not a map', { policies: [{ name: 'p', rules: [{ name: 'r', values: [1] }] }] }],
    ['foreachValues not lists', { policies: [{ name: 'p', rules: [{ name: 'r', foreachValues: { a: 1 } }] }] }],
    ['globalValues not a map', { globalValues: 'x' }],
  ])('rejects %s', (_, doc) => {
    expect(() => parseValuesFile(doc)).toThrow(ParseError);
  });
});
