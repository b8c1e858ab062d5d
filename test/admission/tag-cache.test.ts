/**
 * ImageValidatingPolicies in the webhook resolve a tag to its digest once per cache TTL (the
 * webhook's --cache-ttl): a repeated Pod naming the same tag is pinned without asking the
 * registry again; after the TTL the registry is asked again. A loopback registry counts requests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CelImageAccess } from '../../src/admission/cel-images.ts';
import { AdmissionImageVerification } from '../../src/admission/image-verification.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { imagePolicy } from '../policy/cel/helpers.ts';
import { send, startFake, type FakeServer } from '../image/registry/helpers/fake-registry.ts';
import { decode, hasOpenssl, patchOf, pod, post, review, selfSignedCertificate } from './https.ts';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const TTL_MS = 60_000;

/** Pins the images it selects (mutateDigest, the default); its one validation always holds. */
function pinningPolicy(glob: string): string {
  return imagePolicy('pin-images', glob, '  validations:\n  - expression: "true"\n    message: never denied');
}

describe.skipIf(!hasOpenssl)('ImageValidatingPolicy tag resolution in the webhook', () => {
  const tls = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  let fake: FakeServer;
  let server: AdmissionServer;
  let dir: string;
  let now = 1_000_000;

  beforeAll(async () => {
    fake = await startFake((request, response) => {
      if (request.method === 'HEAD' && request.url.pathname === '/v2/team/app/manifests/v1') {
        send(response, 200, '', { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '500' });
      } else send(response, 404);
    });
    dir = mkdtempSync(join(tmpdir(), 'palisade-tag-cache-'));
    writeFileSync(join(dir, 'ivpol.yaml'), pinningPolicy(`${fake.host}/*`));
    const registry = { insecure: true, credentials: {} };
    const images = new AdmissionImageVerification({ deadlineMs: 3000, ttlMs: TTL_MS, now: () => now, registry });
    const celImages: CelImageAccess = { deadlineMs: 3000, verifier: images.verifier };
    server = await startAdmissionServer({ policies: [], cel: await loadAdmissionPolicies([dir]), images, celImages, ...tls, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const mutate = async (uid: string) => decode(await post(server.port, '/mutate', review(uid, pod('p', { image: `${fake.host}/team/app:v1` }))));

  it('resolves a tag once per TTL: the second admission makes no registry request', async () => {
    const pinned = [{ op: 'replace', path: '/spec/containers/0/image', value: `${fake.host}/team/app:v1@${DIGEST}` }];
    const first = await mutate('t1');
    expect(first.response.allowed).toBe(true);
    expect(patchOf(first)).toEqual(pinned);
    expect(fake.requests).toHaveLength(1);

    const second = await mutate('t2');
    expect(patchOf(second)).toEqual(pinned);
    expect(fake.requests).toHaveLength(1);

    now += TTL_MS;
    expect(patchOf(await mutate('t3'))).toEqual(pinned);
    expect(fake.requests).toHaveLength(2);
  });
});
