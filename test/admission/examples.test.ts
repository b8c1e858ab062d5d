/**
 * The example policies (examples/policies) in the webhook over HTTPS, against the storefront's own
 * manifests (examples/storefront/deploy) sent as the API server sends them: Deployments and a
 * CronJob through autogen, CREATE / UPDATE / DELETE, dryRun, and the status and scale
 * subresources of a Deployment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { decode, hasOpenssl, post, selfSignedCertificate, type ResponseDoc } from './https.ts';

type Json = Record<string, unknown>;

const ROOT = join(import.meta.dirname, '../..');
const DEPLOY = join(ROOT, 'examples/storefront/deploy');

const objects = new Map<string, Json>();
for (const file of readdirSync(DEPLOY)) {
  for (const doc of parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'))) {
    const object = doc.toJSON() as Json | null;
    if (object) objects.set(`${String(object.kind)}/${String((object.metadata as Json).name)}`, object);
  }
}

function admissionReview(uid: string, object: Json, extra: Json = {}): string {
  const [group, version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', String(object.apiVersion)];
  const meta = object.metadata as Json;
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: String(object.kind).toLowerCase() + 's' },
      name: meta.name,
      namespace: meta.namespace,
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:argocd:argocd-application-controller', groups: ['system:serviceaccounts'] },
      object,
      oldObject: null,
      dryRun: false,
      ...extra,
    },
  });
}

describe.skipIf(!hasOpenssl)('example policies against the storefront manifests over HTTPS', () => {
  let server: AdmissionServer;

  beforeAll(async () => {
    const set = await loadAdmissionPolicies([join(ROOT, 'examples/policies')]);
    server = await startAdmissionServer({ policies: set.classic, cel: set, ...selfSignedCertificate(), port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
  });

  const validate = async (body: string): Promise<ResponseDoc['response']> => decode(await post(server.port, '/validate', body)).response;
  const object = (key: string) => structuredClone(objects.get(key)!);

  it('denies the Deployments that break the Enforce policies, naming the autogen rule', async () => {
    const checkout = await validate(admissionReview('checkout', object('Deployment/checkout')));
    expect(checkout.allowed).toBe(false);
    expect(checkout.status?.message).toMatch(/^policy pod-security-baseline rule autogen-baseline: .*hostNetwork=true.*privileged/);
    const web = await validate(admissionReview('web', object('Deployment/web')));
    expect(web.allowed).toBe(false);
    expect(web.status?.message).toContain('policy disallow-latest-tag rule autogen-validate-image-tag');
    expect(web.warnings?.[0]).toMatch(/^policy require-resource-limits rule autogen-memory-limits/);
  });

  it('admits the compliant ones, with Audit failures of the CronJob as warnings', async () => {
    expect(await validate(admissionReview('recommender', object('Deployment/recommender')))).toEqual({ uid: 'recommender', allowed: true });
    const cron = await validate(admissionReview('cron', object('CronJob/inventory-sync')));
    expect(cron.allowed).toBe(true);
    expect(cron.warnings).toEqual([expect.stringMatching(/^policy require-resource-limits rule autogen-cronjob-memory-limits: /)]);
    expect((await validate(admissionReview('svc', object('Service/web')))).allowed).toBe(true);
    expect((await validate(admissionReview('secret', object('Secret/payment-gateway')))).allowed).toBe(true);
  });

  it('decides UPDATE on the new object, DELETE without blocking, dryRun like the real request', async () => {
    const old = object('Deployment/web');
    const fixed = object('Deployment/web');
    const containers = ((fixed.spec as Json).template as { spec: { containers: Json[] } }).spec.containers;
    containers[0]!.image = 'registry.example.com/storefront/web:1.4.0';
    expect((await validate(admissionReview('upd', fixed, { operation: 'UPDATE', oldObject: old }))).allowed).toBe(true);
    expect((await validate(admissionReview('upd-bad', old, { operation: 'UPDATE', oldObject: fixed }))).allowed).toBe(false);
    expect((await validate(admissionReview('del', old, { operation: 'DELETE', object: null, oldObject: old }))).allowed).toBe(true);
    const dry = await validate(admissionReview('dry', object('Deployment/checkout'), { dryRun: true }));
    expect(dry.allowed).toBe(false);
    expect(dry.status?.message).toContain('autogen-baseline');
  });

  it('does not apply Deployment rules to its status and scale subresources', async () => {
    const checkout = object('Deployment/checkout');
    const status = await validate(admissionReview('status', { ...checkout, status: { replicas: 1 } }, { operation: 'UPDATE', oldObject: checkout, subResource: 'status' }));
    expect(status).toEqual({ uid: 'status', allowed: true });
    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'checkout', namespace: 'storefront' }, spec: { replicas: 5 } };
    const body = JSON.parse(admissionReview('scale', scale, { operation: 'UPDATE', oldObject: { ...scale, spec: { replicas: 2 } }, subResource: 'scale' })) as { request: Json };
    body.request.resource = { group: 'apps', version: 'v1', resource: 'deployments' };
    expect(await validate(JSON.stringify(body))).toEqual({ uid: 'scale', allowed: true });
  });
});
