/**
 * The webhook's verification deadline stops the registry work it gives up on: a registry that
 * answers slowly, then stalls, has its stalled request's connection closed soon after the
 * deadline (not a full per-request timeout later), and the admission is answered in time with the
 * reason. Both registry paths are covered: verifyImages rules (the VerificationCache deadline) and
 * ImageValidatingPolicies' tag resolution (the CEL pass deadline).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CelImageAccess } from '../../src/admission/cel-images.ts';
import { AdmissionImageVerification } from '../../src/admission/image-verification.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { publicKeyPem } from '../../src/trust/keys.ts';
import { send, startFake, type FakeServer } from '../image/registry/helpers/fake-registry.ts';
import { keyAttestors, verifyImagesPolicy } from '../policy/engine/verify-images-helpers.ts';
import { p256 } from '../trust/oci/helpers.ts';
import { decode, hasOpenssl, pod, post, review, selfSignedCertificate } from './https.ts';
import { signedImagesPolicy } from './image-policy-helpers.ts';

/** --timeout 2: the webhook's deadline is 1 s below it. */
const TIMEOUT_MS = 2000;
const DEADLINE_MS = 1000;
/** The fake registry's first answer comes this late; the request after it never gets one. */
const SLOW_MS = 700;
/**
 * The stalled request must be closed by the deadline, give or take scheduling on a loaded machine;
 * without the deadline's signal it would live a whole per-request timeout (DEADLINE_MS) after it
 * started, at SLOW_MS + DEADLINE_MS.
 */
const CLOSE_SLACK_MS = 400;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A request the fake never answered, and when its connection closed. */
interface Stall {
  path: string;
  closedAt?: number;
}

describe.skipIf(!hasOpenssl)('webhook verification deadline (a registry that stalls)', { timeout: 20_000 }, () => {
  const tls = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  let fake: FakeServer;
  let server: AdmissionServer;
  let dir: string;
  const stalls: Stall[] = [];

  const stall = (path: string, response: ServerResponse) => {
    const entry: Stall = { path };
    stalls.push(entry);
    response.on('close', () => (entry.closedAt = Date.now()));
  };

  beforeAll(async () => {
    fake = await startFake((request, response) => {
      const path = request.url.pathname;
      if (path === '/v2/classic/app/manifests/v1') {
        // The tag resolves, slowly; the signature lookups that follow stall.
        setTimeout(() => send(response, 200, '', { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '500' }), SLOW_MS);
        return;
      }
      if (path === '/v2/cel/signed/manifests/v1') {
        // The tag resolves, slowly; the signature lookups of the verification that follows stall.
        setTimeout(() => send(response, 200, '', { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '500' }), SLOW_MS);
        return;
      }
      if (path === '/v2/cel/app/manifests/v1') {
        // Authentication is asked for, slowly; the token request that follows stalls.
        setTimeout(() => send(response, 401, '', { 'www-authenticate': `Bearer realm="${fake.origin}/token",service="fake"` }), SLOW_MS);
        return;
      }
      stall(path, response);
    });
    const keys = p256();
    dir = mkdtempSync(join(tmpdir(), 'palisade-deadline-'));
    writeFileSync(join(dir, 'ivpol.yaml'), signedImagesPolicy('signed-images', `${fake.host}/cel/*`, publicKeyPem(keys.publicKey)));
    const registry = { insecure: true, credentials: {} };
    const images = new AdmissionImageVerification({ deadlineMs: DEADLINE_MS, registry });
    const celImages: CelImageAccess = { deadlineMs: DEADLINE_MS, verifier: images.verifier };
    server = await startAdmissionServer({
      policies: [verifyImagesPolicy('signed', { imageReferences: [`${fake.host}/classic/*`], attestors: keyAttestors(keys.publicKey) })],
      cel: await loadAdmissionPolicies([dir]),
      images,
      celImages,
      ...tls,
      port: 0,
      host: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Posts one review; the stalled requests it caused, the answer, and when each happened. */
  async function admit(path: '/mutate' | '/validate', image: string) {
    stalls.length = 0;
    const started = Date.now();
    const doc = decode(await post(server.port, path, review(`uid-${path}`, pod('p', { image }))));
    const answeredAfter = Date.now() - started;
    // The connections close on the registry's side a moment after the client gives up.
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS + DEADLINE_MS + 300 - answeredAfter));
    return { doc, answeredAfter, closedAfter: stalls.map((s) => (s.closedAt === undefined ? Infinity : s.closedAt - started)), stalled: stalls.map((s) => s.path) };
  }

  it('verifyImages: the signature lookups in flight at the deadline are cancelled, and the request is denied in time', async () => {
    const { doc, answeredAfter, closedAfter, stalled } = await admit('/mutate', `${fake.host}/classic/app:v1`);
    expect(doc.response.allowed).toBe(false);
    expect(doc.response.status?.message).toContain(`verification did not complete within ${DEADLINE_MS} ms`);
    expect(answeredAfter).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(answeredAfter).toBeLessThan(TIMEOUT_MS);
    expect(stalled.length).toBeGreaterThan(0);
    for (const after of closedAfter) expect(after).toBeLessThan(DEADLINE_MS + CLOSE_SLACK_MS);
  });

  it('ImageValidatingPolicy: the tag resolution in flight at the deadline is cancelled, and the request is denied in time', async () => {
    const { doc, answeredAfter, closedAfter, stalled } = await admit('/validate', `${fake.host}/cel/app:v1`);
    expect(doc.response.allowed).toBe(false);
    expect(doc.response.status?.message).toContain(`no answer from the registry within ${DEADLINE_MS} ms`);
    expect(answeredAfter).toBeLessThan(TIMEOUT_MS);
    expect(stalled).toEqual(['/token']);
    for (const after of closedAfter) expect(after).toBeLessThan(DEADLINE_MS + CLOSE_SLACK_MS);
  });

  it("ImageValidatingPolicy: a verification started late in the pass is cancelled at the pass's deadline, not its own", async () => {
    const { doc, answeredAfter, closedAfter, stalled } = await admit('/validate', `${fake.host}/cel/signed:v1`);
    expect(doc.response.allowed).toBe(false);
    expect(answeredAfter).toBeLessThan(TIMEOUT_MS);
    expect(stalled.length).toBeGreaterThan(0);
    for (const after of closedAfter) expect(after).toBeLessThan(DEADLINE_MS + CLOSE_SLACK_MS);
  });
});
