import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicies } from '../../src/policy/engine/load.ts';
import { jsonLog, type LogFields, type LogLevel, type StructuredLog } from '../../src/admission/log.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { SignatureGate, verificationCacheFor } from '../../src/admission/signatures.ts';
import { generateKeyPairSync } from 'node:crypto';
import { ImageVerificationError } from '../../src/trust/oci/verify.ts';
import { get, hasOpenssl, pod, post, review, selfSignedCertificate, type ResponseDoc } from './https.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/admission');
if (!hasOpenssl) console.warn('openssl CLI not found: admission server tests skipped (they need a self-signed certificate)');

function deployment(name: string, privileged: boolean): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'apps' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, team: 'a' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', securityContext: { privileged } }] } },
    },
  };
}

describe.skipIf(!hasOpenssl)('admission webhook over HTTPS', () => {
  let server: AdmissionServer;
  let cert: string;
  let key: string;

  beforeAll(async () => {
    ({ cert, key } = selfSignedCertificate());
    const set = await loadPolicies([FIXTURES]);
    server = await startAdmissionServer({ policies: set.policies, cert, key, port: 0, host: '127.0.0.1', excludedNamespaces: ['kube-system'], maxBodyBytes: 64 * 1024 });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('admits a compliant Pod and echoes the uid', async () => {
    const reply = await post(server.port, '/validate', review('uid-ok-1', pod('web', { labels: { team: 'a' } })));
    expect(reply.status).toBe(200);
    const doc = JSON.parse(reply.body) as ResponseDoc;
    expect(doc.apiVersion).toBe('admission.k8s.io/v1');
    expect(doc.kind).toBe('AdmissionReview');
    expect(doc.response).toEqual({ uid: 'uid-ok-1', allowed: true });
  });

  it('denies a privileged Pod naming policy and rule, with Audit failures as warnings', async () => {
    const reply = await post(server.port, '/validate', review('uid-deny', pod('bad', { privileged: true })));
    const doc = JSON.parse(reply.body) as ResponseDoc;
    expect(doc.response.uid).toBe('uid-deny');
    expect(doc.response.allowed).toBe(false);
    expect(doc.response.status?.code).toBe(403);
    expect(doc.response.status?.message).toContain('policy disallow-privileged-containers rule privileged-containers');
    expect(doc.response.warnings?.[0]).toContain('policy require-team-label rule check-team');
    expect(doc.response.patch).toBeUndefined();
    expect(doc.response.patchType).toBeUndefined();
  });

  it('admits with warnings when only Audit policies fail', async () => {
    const doc = JSON.parse((await post(server.port, '/validate', review('uid-warn', pod('nolabel')))).body) as ResponseDoc;
    expect(doc.response.allowed).toBe(true);
    expect(doc.response.warnings).toHaveLength(1);
    expect(doc.response.warnings?.[0]).toMatch(/^policy require-team-label rule check-team: /);
    expect(doc.response.warnings?.[0]?.length).toBeLessThanOrEqual(120);
  });

  it('checks Deployments through the autogen rules', async () => {
    const bad = JSON.parse((await post(server.port, '/validate', review('uid-d1', deployment('api', true)))).body) as ResponseDoc;
    expect(bad.response.allowed).toBe(false);
    expect(bad.response.status?.message).toContain('autogen-privileged-containers');
    const good = JSON.parse((await post(server.port, '/validate', review('uid-d2', deployment('api', false)))).body) as ResponseDoc;
    expect(good.response.allowed).toBe(true);
  });

  it('returns a base64 JSONPatch from mutate rules on /mutate only', async () => {
    const doc = JSON.parse((await post(server.port, '/mutate', review('uid-m', pod('web', { labels: { team: 'a' } })))).body) as ResponseDoc;
    expect(doc.response.allowed).toBe(true);
    expect(doc.response.patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(doc.response.patch ?? '', 'base64').toString('utf8')) as unknown;
    expect(patch).toEqual([{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1managed-by', value: 'palisade' }]);
    const validate = JSON.parse((await post(server.port, '/validate', review('uid-v', pod('web', { labels: { team: 'a' } })))).body) as ResponseDoc;
    expect(validate.response.patch).toBeUndefined();
  });

  it('adds a labels map when the Pod has none', async () => {
    const object = pod('bare');
    delete (object.metadata as Record<string, unknown>).labels;
    const doc = JSON.parse((await post(server.port, '/mutate', review('uid-m2', object))).body) as ResponseDoc;
    const patch = JSON.parse(Buffer.from(doc.response.patch ?? '', 'base64').toString('utf8')) as unknown;
    expect(patch).toEqual([{ op: 'add', path: '/metadata/labels', value: { 'app.kubernetes.io/managed-by': 'palisade' } }]);
  });

  it('admits requests in excluded namespaces without evaluation', async () => {
    const object = pod('sys', { privileged: true });
    const body = review('uid-ks', { ...object, metadata: { name: 'sys', namespace: 'kube-system' } }, { namespace: 'kube-system' });
    const doc = JSON.parse((await post(server.port, '/validate', body)).body) as ResponseDoc;
    expect(doc.response).toEqual({ uid: 'uid-ks', allowed: true });
  });

  it('admits DELETE of a privileged Pod (object is null) without crashing', async () => {
    const body = review('uid-del', null, { operation: 'DELETE', oldObject: pod('bad', { privileged: true }), kind: { group: '', version: 'v1', kind: 'Pod' } });
    const reply = await post(server.port, '/validate', body);
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as ResponseDoc).response.uid).toBe('uid-del');
  });

  it('answers malformed reviews with 400 and a clear message', async () => {
    const cases: [string, RegExp][] = [
      ['{not json', /not valid JSON/],
      ['[]', /JSON object/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }), /apiVersion must be admission.k8s.io\/v1/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /no request object/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: {} } }), /uid/],
      [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'x', kind: { version: 'v1', kind: 'Pod' }, operation: 'PATCH', object: {} } }), /operation/],
    ];
    for (const [body, message] of cases) {
      const reply = await post(server.port, '/validate', body);
      expect(reply.status, body).toBe(400);
      expect((JSON.parse(reply.body) as { error: string }).error).toMatch(message);
    }
  });

  it('caps the body size, rejects other methods and unknown paths', async () => {
    const big = review('uid-big', { ...pod('big'), data: 'x'.repeat(100 * 1024) });
    expect((await post(server.port, '/validate', big)).status).toBe(413);
    expect((await get(server.port, '/validate')).status).toBe(405);
    expect((await get(server.port, '/nope')).status).toBe(404);
  });

  it('builds the per-request debug line only when debug lines are written', async () => {
    const written: { level: LogLevel; fields?: LogFields }[] = [];
    const at = (min: LogLevel): StructuredLog => ({ enabled: (level) => min === 'debug' || level !== 'debug', write: (level, _msg, fields) => written.push({ level, ...(fields && { fields }) }) });
    const set = await loadPolicies([FIXTURES]);
    for (const min of ['info', 'debug'] as const) {
      written.length = 0;
      const logged = await startAdmissionServer({ policies: set.policies, cert, key, port: 0, host: '127.0.0.1', log: at(min) });
      try {
        expect((await post(logged.port, '/validate', review(`log-${min}`, pod('a', { labels: { team: 'a' } })))).status).toBe(200);
      } finally {
        await logged.close();
      }
      expect(written).toEqual(min === 'debug' ? [{ level: 'debug', fields: expect.objectContaining({ uid: 'log-debug', allowed: true }) }] : []);
    }
    expect([jsonLog(process.stderr, 'info').enabled('debug'), jsonLog(process.stderr, 'debug').enabled('debug'), jsonLog(process.stderr, 'error').enabled('warn')]).toEqual([false, true, false]);
  });

  it('serves health, readiness and Prometheus metrics with counters that move', async () => {
    expect(await get(server.port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get(server.port, '/readyz')).body).toBe('ok: 3 policies\n');
    const before = server.metrics.requests.get({ path: '/validate', decision: 'denied' });
    await post(server.port, '/validate', review('uid-metric', pod('bad', { privileged: true })));
    expect(server.metrics.requests.get({ path: '/validate', decision: 'denied' })).toBe(before + 1);
    const text = (await get(server.port, '/metrics')).body;
    expect(text).toContain('# TYPE palisade_admission_requests_total counter');
    expect(text).toMatch(new RegExp(`palisade_admission_requests_total\\{path="/validate",decision="denied"\\} ${before + 1}\\n`));
    expect(text).toMatch(/palisade_admission_requests_total\{path="\/validate",decision="invalid"\} \d+/);
    expect(text).toMatch(/palisade_admission_policy_results_total\{policy="disallow-privileged-containers",rule="privileged-containers",result="deny"\} \d+/);
    expect(text).toMatch(/palisade_admission_request_duration_seconds_bucket\{path="\/validate",le="\+Inf"\} \d+/);
    expect(text).toMatch(/palisade_admission_request_duration_seconds_count\{path="\/validate"\} \d+/);
  });

  it('refuses TLS below 1.2', async () => {
    const failed = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/healthz', rejectUnauthorized: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve(false));
      req.on('error', () => resolve(true));
      req.end();
    });
    expect(failed).toBe(true);
  });

  it('denies unsigned images under --key (fail closed) and never asks the registry when a Pod has no images to check', async () => {
    const calls: string[] = [];
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signatures = new SignatureGate({
      publicKeys: [publicKey],
      cache: verificationCacheFor({ deadlineMs: 200 }),
      verify: async (reference) => {
        calls.push(reference);
        if (reference.startsWith('registry.local/signed')) return { digest: 'sha256:' + 'a'.repeat(64) };
        throw new Error('connect ECONNREFUSED 127.0.0.1:5000');
      },
    });
    const set = await loadPolicies([FIXTURES]);
    const gated = await startAdmissionServer({ policies: set.policies, cert, key, port: 0, host: '127.0.0.1', signatures });
    try {
      const ok = JSON.parse((await post(gated.port, '/validate', review('s1', pod('a', { labels: { team: 'a' }, image: 'registry.local/signed:1' })))).body) as ResponseDoc;
      expect(ok.response.allowed).toBe(true);
      const down = JSON.parse((await post(gated.port, '/validate', review('s2', pod('b', { labels: { team: 'a' }, image: 'registry.local/other:1' })))).body) as ResponseDoc;
      expect(down.response.allowed).toBe(false);
      expect(down.response.status?.message).toMatch(/policy palisade-require-signed-images rule verify-signature: image registry.local\/other:1: signature could not be verified \(failing closed\): connect ECONNREFUSED/);
      const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'apps' }, spec: {} };
      const before = calls.length;
      const svc = JSON.parse((await post(gated.port, '/validate', review('s3', service))).body) as ResponseDoc;
      expect(svc.response.allowed).toBe(true);
      expect(calls.length).toBe(before);
    } finally {
      await gated.close();
    }
  });

  it('runs the --key gate once per admission: on /mutate before any policy, on /validate only as the Enforce backstop', async () => {
    const calls: string[] = [];
    const digest = 'sha256:' + 'a'.repeat(64);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const verify = async (reference: string) => {
      calls.push(reference);
      if (reference.startsWith('registry.local/signed')) return { digest };
      throw new ImageVerificationError('SIGNATURE_INVALID', 'no signature found', { reference, digest, verified: [], rejected: [], skipped: [] });
    };
    const set = await loadPolicies([FIXTURES]);
    const gated = (action: 'Enforce' | 'Audit') =>
      startAdmissionServer({ policies: set.policies, cert, key, port: 0, host: '127.0.0.1', signatures: new SignatureGate({ publicKeys: [publicKey], cache: verificationCacheFor({ deadlineMs: 200 }), verify, action }) });
    const send = async (port: number, path: string, uid: string, object: Record<string, unknown>) => JSON.parse((await post(port, path, review(uid, object))).body) as ResponseDoc;

    const enforce = await gated('Enforce');
    try {
      // /mutate verifies; /validate finds the tag, and the digest a verifyImages rule would pin, verified.
      expect((await send(enforce.port, '/mutate', 'k1', pod('a', { labels: { team: 'a' }, image: 'registry.local/signed:1' }))).response.allowed).toBe(true);
      expect((await send(enforce.port, '/validate', 'k2', pod('a', { labels: { team: 'a' }, image: 'registry.local/signed:1' }))).response.allowed).toBe(true);
      expect((await send(enforce.port, '/validate', 'k3', pod('a', { labels: { team: 'a' }, image: `registry.local/signed:1@${digest}` }))).response.allowed).toBe(true);
      expect(calls).toEqual(['registry.local/signed:1']);
      // An unsigned image reaching /validate without /mutate is denied by the gate alone: no policy was evaluated.
      const denied = await send(enforce.port, '/validate', 'k4', pod('b', { privileged: true, image: 'registry.local/unsigned:1' }));
      expect(denied.response.allowed).toBe(false);
      expect(denied.response.status?.message).toBe('policy palisade-require-signed-images rule verify-signature: image registry.local/unsigned:1: signature not verified: no signature found');
      expect(denied.response.warnings).toBeUndefined();
      expect(enforce.metrics.decisions.get({ policy: 'disallow-privileged-containers', rule: 'privileged-containers', result: 'deny' })).toBe(0);
    } finally {
      await enforce.close();
    }

    calls.length = 0;
    const audit = await gated('Audit');
    try {
      const mutated = await send(audit.port, '/mutate', 'a1', pod('c', { labels: { team: 'a' }, image: 'registry.local/unsigned:1' }));
      expect(mutated.response.allowed).toBe(true);
      expect(mutated.response.warnings).toEqual([expect.stringContaining('image registry.local/unsigned:1: signature not verified')]);
      // Its warning was shown on /mutate: /validate neither verifies again nor repeats it.
      const validated = await send(audit.port, '/validate', 'a2', pod('c', { labels: { team: 'a' }, image: 'registry.local/unsigned:1' }));
      expect(validated.response.allowed).toBe(true);
      expect(validated.response.warnings).toBeUndefined();
      expect(calls).toEqual(['registry.local/unsigned:1']);
    } finally {
      await audit.close();
    }
  });
});
