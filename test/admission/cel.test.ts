import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLog } from '../../src/admission/log.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { decode, hasOpenssl, patchOf, pod, post, review, selfSignedCertificate } from './https.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/admission-cel');

function deployment(name: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'apps' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
  };
}

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'apps', ...(labels && { labels }) },
  data,
});

describe.skipIf(!hasOpenssl)('CEL policies in the webhook over HTTPS', () => {
  let server: AdmissionServer;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const set = await loadAdmissionPolicies([FIXTURES]);
    expect(set.skipped).toEqual([expect.stringMatching(/validating\.yaml:\d+: ValidatingAdmissionPolicy unbound-policy \(no binding\)/)]);
    const log = jsonLog({ write: (line: string) => (logs.push(JSON.parse(line) as Record<string, unknown>), true) } as unknown as NodeJS.WritableStream, 'debug');
    server = await startAdmissionServer({ policies: set.classic, cel: set, log, ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
  });

  const validate = async (body: string) => decode(await post(server.port, '/validate', body));
  const mutate = async (body: string) => decode(await post(server.port, '/mutate', body));

  it('denies through a Deny ValidatingPolicy, naming the policy and the message expression result', async () => {
    const doc = await validate(review('c1', pod('bad', { privileged: true, annotations: { owner: 'x' } })));
    expect(doc.response.uid).toBe('c1');
    expect(doc.response.allowed).toBe(false);
    expect(doc.response.status).toEqual({ code: 403, reason: 'Forbidden', message: 'policy no-privileged: privileged containers are not allowed: app' });
  });

  it('turns Warn failures into warnings and Audit failures into audit annotations (with the policy audit annotations)', async () => {
    const doc = await validate(review('c2', pod('latest', { image: 'nginx:latest' })));
    expect(doc.response.allowed).toBe(true);
    expect(doc.response.warnings).toEqual(['policy warn-latest-tag: images should not use the latest tag']);
    const failures = JSON.parse(doc.response.auditAnnotations?.validation_failure ?? '[]') as unknown[];
    expect(failures).toEqual([{ policy: 'audit-owner-annotation', message: expect.stringContaining('failed expression: has(object.metadata.annotations)'), validationActions: ['Audit'] }]);
    expect(doc.response.auditAnnotations?.['audit-owner-annotation.containers']).toBe('1');
  });

  it('admits a compliant Pod with no warnings and no validation_failure', async () => {
    const doc = await validate(review('c3', pod('good', { annotations: { owner: 'team-a' } })));
    expect(doc.response.allowed).toBe(true);
    expect(doc.response.warnings).toBeUndefined();
    expect(doc.response.auditAnnotations).toEqual({ 'audit-owner-annotation.containers': '1' });
  });

  it('evaluates ValidatingAdmissionPolicies through their binding, and ignores unbound ones', async () => {
    const big = await validate(review('c4', deployment('api', 9)));
    expect(big.response.allowed).toBe(false);
    expect(big.response.status?.message).toBe('policy max-replicas: failed expression: object.spec.replicas <= 5');
    expect((await validate(review('c5', deployment('api', 3)))).response.allowed).toBe(true);
  });

  it('maps evaluation errors by failurePolicy: Fail denies, Ignore admits', async () => {
    const doc = await validate(review('c6', configMap('cfg', { other: 'x' })));
    expect(doc.response.allowed).toBe(false);
    expect(doc.response.status?.message).toMatch(/^policy broken-config-fail \(error\): validation expression "object\.data\.mode == 'strict'": /);
    expect(doc.response.status?.message).not.toContain('broken-config-ignore');
    const fine = await validate(review('c7', configMap('cfg', { mode: 'strict', level: 'high' })));
    expect(fine.response.allowed).toBe(true);
  });

  it('merges MutatingAdmissionPolicy and MutatingPolicy changes into the /mutate JSONPatch', async () => {
    const doc = await mutate(review('c8', pod('web', { labels: { app: 'web' } })));
    expect(doc.response.allowed).toBe(true);
    expect(doc.response.patchType).toBe('JSONPatch');
    expect(patchOf(doc)).toEqual([
      { op: 'add', path: '/metadata/labels/tier', value: 'backend' },
      { op: 'add', path: '/metadata/annotations', value: { 'palisade.dev/mutated': 'true' } },
    ]);
    // Mutating policies run on /mutate only; validating ones on /validate only.
    expect(doc.response.warnings).toBeUndefined();
    expect((await validate(review('c9', pod('web', { labels: { app: 'web' }, annotations: { owner: 'a' } })))).response.patch).toBeUndefined();
  });

  it('matches subresources as Kubernetes sends them: pods/exec CONNECT with a PodExecOptions object', async () => {
    const exec = (namespace: string) =>
      review('c10-' + namespace, { apiVersion: 'v1', kind: 'PodExecOptions', command: ['sh'], container: 'app', stdin: true, tty: true }, {
        operation: 'CONNECT',
        kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        subResource: 'exec',
        name: 'web-0',
        namespace,
      });
    const denied = await validate(exec('prod'));
    expect(denied.response.allowed).toBe(false);
    expect(denied.response.status?.message).toBe('policy no-exec-into-prod: exec into Pods in prod is not allowed');
    expect((await validate(exec('dev'))).response.allowed).toBe(true);
  });

  it('skips status subresource updates that no policy matches', async () => {
    const object = pod('bad', { privileged: true });
    const doc = await validate(review('c11', object, { operation: 'UPDATE', oldObject: object, subResource: 'status' }));
    expect(doc.response.allowed).toBe(true);
  });

  it('checks pods/ephemeralcontainers UPDATE only when a policy names that subresource', async () => {
    const object = { ...pod('dbg', { privileged: true }), spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ephemeralContainers: [{ name: 'debug', image: 'busybox', securityContext: { privileged: true } }] } };
    const doc = await validate(review('c12', object, { operation: 'UPDATE', oldObject: pod('dbg'), subResource: 'ephemeralcontainers' }));
    expect(doc.response.allowed).toBe(true);
  });

  it('evaluates DELETE against oldObject', async () => {
    const locked = configMap('locked', { mode: 'strict' }, { locked: 'true' });
    const denied = await validate(review('c13', null, { operation: 'DELETE', oldObject: locked }));
    expect(denied.response.allowed).toBe(false);
    expect(denied.response.status?.message).toBe('policy protect-locked: locked ConfigMaps cannot be deleted');
    const free = configMap('free', { mode: 'strict' });
    expect((await validate(review('c14', null, { operation: 'DELETE', oldObject: free }))).response.allowed).toBe(true);
  });

  it('logs each request at debug level as one JSON line with its fields', () => {
    expect(logs.find((l) => l.uid === 'c10-prod')).toMatchObject({ level: 'debug', msg: 'admission request', path: '/validate', operation: 'CONNECT', kind: 'PodExecOptions', subResource: 'exec', namespace: 'prod', name: 'web-0', dryRun: false, allowed: false, ms: expect.any(Number) });
  });

  it('counts CEL decisions by policy in the metrics', () => {
    expect(server.metrics.decisions.get({ policy: 'no-privileged', rule: 'no-privileged', result: 'deny' })).toBeGreaterThan(0);
    expect(server.metrics.decisions.get({ policy: 'warn-latest-tag', rule: 'warn-latest-tag', result: 'warn' })).toBeGreaterThan(0);
    expect(server.metrics.decisions.get({ policy: 'audit-owner-annotation', rule: 'audit-owner-annotation', result: 'audit' })).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasOpenssl)('policies named more than once in --policies', () => {
  const copies = mkdtempSync(join(tmpdir(), 'palisade-unbound-'));
  afterAll(() => rmSync(copies, { recursive: true, force: true }));

  it('reads a file named twice, or named inside a named directory, once: one unbound listing, one denial', async () => {
    const file = join(FIXTURES, 'validating.yaml');
    const set = await loadAdmissionPolicies([FIXTURES, FIXTURES, file, `${FIXTURES}/./validating.yaml`]);
    expect(set).toMatchObject({ count: (await loadAdmissionPolicies([FIXTURES])).count, skipped: [`${file}:77: ValidatingAdmissionPolicy unbound-policy (no binding)`] });
    const server = await startAdmissionServer({ policies: set.classic, cel: set, ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
    try {
      const doc = decode(await post(server.port, '/validate', review('d1', pod('bad', { privileged: true, annotations: { owner: 'x' } }))));
      expect(doc.response.status?.message).toBe('policy no-privileged: privileged containers are not allowed: app');
    } finally {
      await server.close();
    }
  });

  it('lists an unbound ValidatingAdmissionPolicy defined in two files once, where it was first read', async () => {
    const unbound = readFileSync(join(FIXTURES, 'validating.yaml'), 'utf8').split(/^---$/m).find((doc) => doc.includes('name: unbound-policy'))!;
    writeFileSync(join(copies, 'a.yaml'), unbound);
    writeFileSync(join(copies, 'b.yaml'), unbound);
    const set = await loadAdmissionPolicies([copies]);
    expect(set.skipped).toEqual([expect.stringMatching(/a\.yaml:\d+: ValidatingAdmissionPolicy unbound-policy \(no binding\)$/)]);
  });
});
