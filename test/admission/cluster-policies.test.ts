/**
 * In-cluster policies against a loopback HTTP server answering like the API server: bearer-token
 * check, list with resourceVersion, watches held open and fed events by the test, a watch ended by
 * the server (resume from the last resourceVersion), a 410 Gone (list again), a failing first list
 * (not ready until it succeeds).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterPolicyWatcher, withClusterPolicies } from '../../src/admission/cluster-policies.ts';
import { kubeConnection } from '../../src/admission/kube.ts';
import { jsonLog } from '../../src/admission/log.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { PolicyReloader } from '../../src/admission/reload.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { decode, eventually, get, hasOpenssl, pod, post, review, selfSignedCertificate, closeLoopback, loopbackKubeconfig } from './https.ts';

const TOKEN = 'watch-token';
const FILES = join(import.meta.dirname, '../fixtures/admission-cel');

function clusterPolicy(name: string, action: 'Enforce' | 'Audit', resourceVersion: string, namespace?: string): Record<string, unknown> {
  return {
    apiVersion: 'kyverno.io/v1',
    kind: namespace ? 'Policy' : 'ClusterPolicy',
    metadata: { name, resourceVersion, ...(namespace && { namespace }) },
    spec: {
      validationFailureAction: action,
      rules: [
        {
          name: 'no-host-network',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          validate: { message: 'hostNetwork is not allowed', pattern: { spec: { '=(hostNetwork)': false } } },
        },
      ],
    },
  };
}

describe.skipIf(!hasOpenssl)('ClusterPolicy/Policy objects watched through the Kubernetes API', () => {
  const requests: string[] = [];
  const watches = new Map<string, ServerResponse>();
  const items: Record<string, Record<string, unknown>[]> = {
    'kyverno.io/v1/clusterpolicies': [clusterPolicy('no-host-network', 'Enforce', '10')],
    'kyverno.io/v1/policies': [],
    'kyverno.io/v2/policyexceptions': [],
    'policies.kyverno.io/v1/validatingpolicies': [],
  };
  let listRv = '10';
  let failFirstList = true;
  let api: Server;
  let dir: string;
  let watcher: ClusterPolicyWatcher;
  let reloader: PolicyReloader;
  let server: AdmissionServer;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-policies-'));
    api = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${url.pathname}${url.search}`);
      const resource = url.pathname.replace(/^\/apis\//, '');
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { kind: 'Status', code: 401, message: 'Unauthorized' });
      if (!(resource in items)) return send(404, { kind: 'Status', code: 404, message: 'not found' });
      if (url.searchParams.get('watch') === '1') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        watches.set(resource, res);
        return;
      }
      if (failFirstList && resource === 'kyverno.io/v1/clusterpolicies') {
        failFirstList = false;
        return send(500, { kind: 'Status', code: 500, message: 'etcd is having a bad day' });
      }
      // List items carry no apiVersion/kind, as the API server sends them.
      send(200, { kind: `${resource}List`, metadata: { resourceVersion: listRv }, items: items[resource]!.map(({ apiVersion: _a, kind: _k, ...rest }) => rest) });
    });
    const kubeconfig = await loopbackKubeconfig(api, dir, TOKEN);
    const log = jsonLog({ write: (line: string) => (logs.push(JSON.parse(line) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream);
    watcher = new ClusterPolicyWatcher({ connection: await kubeConnection(kubeconfig), log, backoffMs: 50 });
    reloader = new PolicyReloader({ paths: [FILES], load: (paths) => loadAdmissionPolicies(paths), log });
    await reloader.load();
    server = await startAdmissionServer({ policies: [], policySource: withClusterPolicies(reloader, watcher), ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
  });

  afterAll(() => closeLoopback({ watcher, server, api, dir }));

  const hostNetworkPod = (uid: string) => review(uid, { ...pod('hn', { annotations: { owner: 'a' } }), spec: { hostNetwork: true, containers: [{ name: 'app', image: 'nginx:1.27' }] } });
  const decideHostNetwork = async (uid: string) => decode(await post(server.port, '/validate', hostNetworkPod(uid))).response;
  const event = (resource: string, type: string, object: Record<string, unknown>) => watches.get(resource)!.write(JSON.stringify({ type, object }) + '\n');

  it('is not ready until the first list succeeds, then enforces the cluster policies with the file ones', async () => {
    expect((await get(server.port, '/readyz')).status).toBe(503);
    await watcher.start();
    expect(logs.some((l) => l.msg === 'Kubernetes watch failed; retrying' && String(l.error).includes('etcd is having a bad day'))).toBe(true);
    expect((await get(server.port, '/readyz')).body).toMatch(/^ok: 11 policies, version /);
    const denied = await decideHostNetwork('w1');
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toContain('policy no-host-network rule no-host-network');
    // The file policies still apply.
    expect(decode(await post(server.port, '/validate', review('w2', pod('p', { privileged: true })))).response.status?.message).toContain('policy no-privileged');
  });

  it('applies MODIFIED, DELETED and ADDED events from the watch', async () => {
    await eventually(() => watches.has('kyverno.io/v1/clusterpolicies') && watches.has('kyverno.io/v1/policies'), 5000, 'both watches');
    expect(requests).toContainEqual(expect.stringMatching(/^\/apis\/kyverno\.io\/v1\/clusterpolicies\?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=10$/));
    event('kyverno.io/v1/clusterpolicies', 'MODIFIED', clusterPolicy('no-host-network', 'Audit', '11'));
    await eventually(async () => (await decideHostNetwork('w3')).allowed, 5000, 'the Audit update');
    expect((await decideHostNetwork('w4')).warnings?.[0]).toContain('policy no-host-network rule no-host-network');
    event('kyverno.io/v1/clusterpolicies', 'DELETED', clusterPolicy('no-host-network', 'Audit', '12'));
    await eventually(async () => (await decideHostNetwork('w5')).warnings === undefined, 5000, 'the deletion');
    event('kyverno.io/v1/policies', 'ADDED', clusterPolicy('team-no-host-network', 'Enforce', '13', 'apps'));
    await eventually(async () => (await decideHostNetwork('w6')).allowed === false, 5000, 'the namespaced Policy');
    expect((await decideHostNetwork('w7')).status?.message).toContain('policy apps/team-no-host-network rule no-host-network');
  });

  it('keeps serving when one object is not a valid policy, and logs it', async () => {
    event('kyverno.io/v1/clusterpolicies', 'ADDED', { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'broken', resourceVersion: '14' }, spec: { rules: 'not-a-list' } });
    await eventually(() => logs.some((l) => l.msg === 'cluster policy not loaded' && l.policy === 'ClusterPolicy//broken'), 5000, 'the log line');
    expect((await decideHostNetwork('w8')).allowed).toBe(false);
  });

  it('serves CEL ValidatingPolicies and Kyverno PolicyExceptions of the cluster, and skips resources it does not serve', async () => {
    await eventually(() => watches.has('policies.kyverno.io/v1/validatingpolicies') && watches.has('kyverno.io/v2/policyexceptions'), 5000, 'the CEL and exception watches');
    // Not served by this API server (no CRD): listed as empty, nothing blocks readiness.
    expect(logs.some((l) => l.msg === 'Kubernetes resource not served (CRD not installed?); treated as empty' && l.resource === '/apis/policies.kyverno.io/v1/mutatingpolicies')).toBe(true);
    event('policies.kyverno.io/v1/validatingpolicies', 'ADDED', {
      apiVersion: 'policies.kyverno.io/v1',
      kind: 'ValidatingPolicy',
      metadata: { name: 'no-default-sa', resourceVersion: '15' },
      spec: {
        validationActions: ['Deny'],
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
        validations: [{ expression: "object.spec.?serviceAccountName.orValue('default') != 'default'", message: 'Pods must name a service account' }],
      },
    });
    const plain = review('w10', pod('sa', { annotations: { owner: 'a' } }));
    await eventually(async () => decode(await post(server.port, '/validate', plain)).response.status?.message?.includes('policy no-default-sa: Pods must name a service account') === true, 5000, 'the CEL policy');
    event('kyverno.io/v2/policyexceptions', 'ADDED', {
      apiVersion: 'kyverno.io/v2',
      kind: 'PolicyException',
      metadata: { name: 'let-hn', namespace: 'apps', resourceVersion: '16' },
      spec: { exceptions: [{ policyName: 'apps/team-no-host-network', ruleNames: ['no-host-network'] }], match: { any: [{ resources: { kinds: ['Pod'], names: ['hn'] } }] } },
    });
    await eventually(async () => !(decode(await post(server.port, '/validate', hostNetworkPod('w11'))).response.status?.message ?? '').includes('team-no-host-network'), 5000, 'the exception');
    event('policies.kyverno.io/v1/validatingpolicies', 'DELETED', { metadata: { name: 'no-default-sa', resourceVersion: '17' } });
    await eventually(async () => !(decode(await post(server.port, '/validate', plain)).response.status?.message ?? '').includes('no-default-sa'), 5000, 'the deleted CEL policy');
  });

  it('resumes a watch the server ended from the last resourceVersion, and lists again after 410 Gone', async () => {
    watches.get('kyverno.io/v1/policies')!.end();
    watches.delete('kyverno.io/v1/policies');
    await eventually(() => watches.has('kyverno.io/v1/policies'), 5000, 'the resumed watch');
    expect(requests.filter((r) => r.startsWith('/apis/kyverno.io/v1/policies?')).at(-1)).toMatch(/resourceVersion=13$/);
    // The namespaced Policy is gone from the next list; a 410 forces that list.
    items['kyverno.io/v1/policies'] = [];
    listRv = '20';
    const before = requests.filter((r) => r === '/apis/kyverno.io/v1/policies').length;
    watches.get('kyverno.io/v1/policies')!.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } }) + '\n');
    watches.delete('kyverno.io/v1/policies');
    await eventually(() => requests.filter((r) => r === '/apis/kyverno.io/v1/policies').length === before + 1, 5000, 'the new list');
    await eventually(async () => (await decideHostNetwork('w9')).allowed, 5000, 'the relisted set');
    await eventually(() => watches.has('kyverno.io/v1/policies'), 5000, 'the watch after the list');
    expect(requests.filter((r) => r.startsWith('/apis/kyverno.io/v1/policies?')).at(-1)).toMatch(/resourceVersion=20$/);
  });
});
