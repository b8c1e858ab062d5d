/**
 * verifyImages rules in the webhook over real HTTPS, against Debian's docker-registry on 127.0.0.1
 * with images signed and attested by Palisade: Enforce denies, Audit warns, /mutate pins tags to
 * the verified digests, verified material is cached (attestation conditions still evaluated on
 * hits), identical verifications are coalesced, unmatched images never reach a registry, and a
 * registry that is down fails closed with the reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../src/image/registry/index.ts';
import { AdmissionImageVerification } from '../../src/admission/image-verification.ts';
import { AdmissionMetrics } from '../../src/admission/metrics.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { applyJsonPatch, type PatchOperation } from '../../src/policy/engine/json-patch.ts';
import { attestImage, signImage } from '../../src/trust/oci/sign.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../image/registry/helpers/images.ts';
import { keyAttestors, pod, verifyImagesPolicy } from '../policy/engine/verify-images-helpers.ts';
import { PROVENANCE, REGISTRY_OPTIONS, p256, plainClient, type TestKeys } from '../trust/oci/helpers.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const available = dockerRegistryAvailable() && hasOpenssl;

interface ResponseDoc {
  response: { uid: string; allowed: boolean; status?: { code?: number; message?: string }; warnings?: string[]; patch?: string; patchType?: string };
}

function post(port: number, path: string, body: string): Promise<ResponseDoc['response']> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as ResponseDoc).response);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * What the API server does: /mutate, its patch applied, then /validate on the patched object. The
 * /validate answer, with the /mutate patch.
 */
async function admit(port: number, object: Record<string, unknown>): Promise<ResponseDoc['response'] & { patchOps?: unknown[] }> {
  const mutated = await post(port, '/mutate', review(object));
  if (!mutated.allowed) return mutated;
  const patchOps = mutated.patch ? (JSON.parse(Buffer.from(mutated.patch, 'base64').toString('utf8')) as PatchOperation[]) : [];
  const validated = await post(port, '/validate', review(applyJsonPatch(object, patchOps) as Record<string, unknown>));
  return { ...validated, patchOps };
}

function review(object: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${Math.random()}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'apps',
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object,
      oldObject: null,
      dryRun: false,
    },
  });
}

describe.skipIf(!available)('verifyImages in the admission webhook (HTTPS, docker-registry)', { timeout: 60_000 }, () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let server: AdmissionServer;
  let metrics: AdmissionMetrics;
  let keys: TestKeys;
  let dir: string;
  let counter = 0;

  async function pushed(area: string): Promise<{ ref: string; digest: string }> {
    const repo = `${area}/app${++counter}`;
    const digest = await pushImage(client, repo, await buildImage({ layers: [{ 'app/id': `webhook ${counter}\n` }] }), 'v1');
    return { ref: `${registry.host}/${repo}:v1`, digest };
  }

  const misses = () => metrics.cache.get({ result: 'miss' });

  beforeAll(async () => {
    registry = await startDockerRegistry();
    client = plainClient(registry.host);
    keys = p256();
    dir = mkdtempSync(join(tmpdir(), 'palisade-admission-images-'));
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')],
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    const host = registry.host;
    const policies = [
      verifyImagesPolicy('enforce-signed', { imageReferences: [`${host}/enforce/*`], attestors: keyAttestors(keys.publicKey) }),
      verifyImagesPolicy('audit-signed', { imageReferences: [`${host}/audit/*`], mutateDigest: false, verifyDigest: false, attestors: keyAttestors(keys.publicKey) }, { validationFailureAction: 'Audit' }),
      verifyImagesPolicy('attested-builder', {
        imageReferences: [`${host}/attested/*`],
        attestations: [
          {
            predicateType: 'https://slsa.dev/provenance/v1',
            attestors: keyAttestors(keys.publicKey),
            // The builder the Pod's annotation names: one cached verification, a different verdict per Pod.
            conditions: [{ all: [{ key: '{{ runDetails.builder.id }}', operator: 'Equals', value: '{{ request.object.metadata.annotations.builder }}' }] }],
          },
        ],
      }),
    ];
    metrics = new AdmissionMetrics();
    server = await startAdmissionServer({
      policies,
      cert: readFileSync(join(dir, 'tls.crt'), 'utf8'),
      key: readFileSync(join(dir, 'tls.key'), 'utf8'),
      port: 0,
      host: '127.0.0.1',
      metrics,
      images: new AdmissionImageVerification({ deadlineMs: 3000, registry: REGISTRY_OPTIONS, metrics }),
    });
  });

  afterAll(async () => {
    await server?.close();
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('admits a signed image, pins it on /mutate, denies an unsigned one; identical images and concurrent requests verify once', async () => {
    const signed = await pushed('enforce');
    await signImage(signed.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const unsigned = await pushed('enforce');

    const before = misses();
    const replies = await Promise.all([1, 2, 3, 4].map(() => post(server.port, '/mutate', review(pod('web', [signed.ref, signed.ref])))));
    expect(replies.every((r) => r.allowed && r.patchType === 'JSONPatch')).toBe(true);
    // Four requests with the image twice each: one verification; the others waited for it or hit the cache.
    expect(misses() - before).toBe(1);
    expect(metrics.cache.get({ result: 'coalesced' }) + metrics.cache.get({ result: 'hit' })).toBeGreaterThanOrEqual(3);

    const pinned = `${signed.ref}@${signed.digest}`;
    // /mutate verifies the tag; /validate finds the pinned reference verified: one registry round in all.
    const fresh = await pushed('enforce');
    await signImage(fresh.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const beforeFresh = misses();
    expect((await admit(server.port, pod('web', [fresh.ref]))).allowed).toBe(true);
    expect(misses() - beforeFresh).toBe(1);
    const admitted = await admit(server.port, pod('web', [signed.ref]));
    expect(admitted.allowed).toBe(true);
    expect(admitted.patchOps).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: pinned }]);
    // /validate alone pins nothing: a tag fails verifyDigest there; the pinned image passes.
    const tagOnly = await post(server.port, '/validate', review(pod('web', [signed.ref])));
    expect(tagOnly.allowed).toBe(false);
    expect(tagOnly.status?.message).toContain(`missing digest for ${signed.ref}`);
    expect((await post(server.port, '/validate', review(pod('web', [pinned])))).allowed).toBe(true);

    const denied = await admit(server.port, pod('web', [signed.ref, unsigned.ref]));
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toContain(`policy enforce-signed rule verify: image verification failed for ${unsigned.ref}`);
    expect(denied.patch).toBeUndefined();
  });

  it('warns under Audit, and never asks a registry about images no rule selects', async () => {
    const unsigned = await pushed('audit');
    const warned = await admit(server.port, pod('web', [unsigned.ref]));
    expect(warned.allowed).toBe(true);
    expect(warned.warnings?.[0]).toContain('policy audit-signed rule verify');

    const before = misses();
    const other = await post(server.port, '/validate', review(pod('web', ['registry.invalid/team/app:v1', `${registry.host}/elsewhere/app:v1`])));
    expect(other).toMatchObject({ allowed: true });
    expect(misses()).toBe(before);
  });

  it('evaluates attestation conditions on every request, cache hit or not', async () => {
    const image = await pushed('attested');
    await attestImage(image.ref, { privateKey: keys.privateKey, predicateType: 'slsaprovenance1', predicate: PROVENANCE, registry: REGISTRY_OPTIONS });
    const withBuilder = (builder: string) => ({ ...pod('web', [image.ref]), metadata: { name: 'web', namespace: 'apps', annotations: { builder } } });
    expect((await admit(server.port, withBuilder(PROVENANCE.runDetails.builder.id))).allowed).toBe(true);
    const hits = metrics.cache.get({ result: 'hit' });
    const denied = await post(server.port, '/mutate', review(withBuilder('https://evil.example/builder')));
    expect(metrics.cache.get({ result: 'hit' })).toBe(hits + 1);
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toContain('attestation checks failed');
  });

  it('fails closed with the reason when the registry is down, while verified images are served from the cache', async () => {
    const cached = await pushed('enforce');
    await signImage(cached.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    expect((await admit(server.port, pod('web', [cached.ref]))).allowed).toBe(true);
    const fresh = await pushed('enforce');
    await signImage(fresh.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    await registry.stop();

    expect((await admit(server.port, pod('web', [cached.ref]))).allowed).toBe(true);
    const denied = await admit(server.port, pod('web', [fresh.ref]));
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toContain(`policy enforce-signed rule verify (error): image verification failed for ${fresh.ref}: could not verify:`);
  });
});
