/**
 * ImageValidatingPolicies in the webhook over HTTPS, against a real registry: Debian's
 * docker-registry on 127.0.0.1 with images pushed and signed by Palisade (src/trust/oci/sign.ts).
 * /validate verifies (signed admitted, unsigned denied); /mutate pins tags to digests
 * (mutateDigest); a repeated Pod is served from the verification cache, its attestation payload
 * judged again; a registry that is down denies under failurePolicy Fail, with the reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CelImageAccess } from '../../src/admission/cel-images.ts';
import { AdmissionImageVerification } from '../../src/admission/image-verification.ts';
import { AdmissionMetrics } from '../../src/admission/metrics.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { RegistryClient } from '../../src/image/registry/client.ts';
import { attestImage, signImage } from '../../src/trust/oci/sign.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../image/registry/helpers/images.ts';
import { REGISTRY_OPTIONS, p256, plainClient } from '../trust/oci/helpers.ts';
import { decode, hasOpenssl, patchOf, pod, post, review, selfSignedCertificate } from './https.ts';
import { imagePolicy, keyAttestor } from '../policy/cel/helpers.ts';
import { signedImagesPolicy } from './image-policy-helpers.ts';

const available = dockerRegistryAvailable() && hasOpenssl;

/** Admits images whose provenance names the builder the Pod's `builder` annotation names. */
function provenancePolicy(host: string, pem: string): string {
  return imagePolicy(
    'built-by',
    `${host}/*`,
    `${keyAttestor(pem)}
  attestations:
  - name: provenance
    intoto:
      type: https://slsa.dev/provenance/v1
  validations:
  - expression: "images.containers.all(i, verifyAttestationSignatures(i, attestations.provenance, [attestors.ci]) > 0 && extractPayload(i, attestations.provenance).runDetails.builder.id == object.metadata.annotations.builder)"
    message: images must be built by the Pod's builder`,
  );
}

/** The registry reads made while `run` runs (every RegistryClient read goes through one of these). */
async function registryReads(run: () => Promise<void>): Promise<number> {
  const reads = (['getManifest', 'headManifest', 'getBlob', 'getBlobBytes', 'blobExists', 'listTags', 'getReferrers'] as const).map((method) => vi.spyOn(RegistryClient.prototype, method));
  try {
    await run();
    return reads.reduce((n, spy) => n + spy.mock.calls.length, 0);
  } finally {
    for (const spy of reads) spy.mockRestore();
  }
}

describe.skipIf(!available)('ImageValidatingPolicies in the webhook against docker-registry', () => {
  let registry: RunningRegistry;
  let dir: string;
  let server: AdmissionServer;
  let signed: { tag: string; digest: string };
  let unsigned: { tag: string; digest: string };
  let access: CelImageAccess;
  const tls = available ? selfSignedCertificate() : { cert: '', key: '' };

  beforeAll(async () => {
    registry = await startDockerRegistry();
    const client = plainClient(registry.host);
    const keys = p256();
    const push = async (repo: string, content: string) => {
      const built = await buildImage({ layers: [{ 'app/id': content }] });
      await pushImage(client, repo, built, 'v1');
      return { tag: `${registry.host}/${repo}:v1`, digest: built.manifestDigest };
    };
    signed = await push('team/signed', 'signed\n');
    unsigned = await push('team/unsigned', 'unsigned\n');
    await signImage(signed.tag, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    dir = mkdtempSync(join(tmpdir(), 'palisade-ivpol-'));
    writeFileSync(join(dir, 'ivpol.yaml'), signedImagesPolicy('signed-images', `${registry.host}/*`, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()));
    const set = await loadAdmissionPolicies([dir]);
    access = {
      deadlineMs: 3000,
      verifier: new AdmissionImageVerification({ deadlineMs: 3000, registry: REGISTRY_OPTIONS }).verifier,
    };
    server = await startAdmissionServer({ policies: [], cel: set, celImages: access, ...tls, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server?.close();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const validate = async (uid: string, image: string) => decode(await post(server.port, '/validate', review(uid, pod('p', { image })))).response;

  it('admits a signed image and denies an unsigned one, naming the policy', async () => {
    expect(await validate('s1', `${signed.tag.replace(/:v1$/, '')}@${signed.digest}`)).toEqual({ uid: 's1', allowed: true });
    const denied = await validate('s2', `${unsigned.tag.replace(/:v1$/, '')}@${unsigned.digest}`);
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toBe('policy signed-images: images must be signed by CI');
  });

  it('pins a signed tag to its digest on /mutate (mutateDigest), and /validate admits the pinned image', async () => {
    const doc = decode(await post(server.port, '/mutate', review('m1', pod('p', { image: signed.tag }))));
    expect(doc.response.allowed).toBe(true);
    expect(patchOf(doc)).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${signed.tag}@${signed.digest}` }]);
    expect(await validate('m2', `${signed.tag}@${signed.digest}`)).toEqual({ uid: 'm2', allowed: true });
  });

  it('serves a repeated Pod from the verification cache (no registry read), judging the attestation payload again; coalesces concurrent ones', async () => {
    const keys = p256();
    const built = await buildImage({ layers: [{ 'app/id': 'attested\n' }] });
    await pushImage(plainClient(registry.host), 'team/attested', built, 'v1');
    const image = `${registry.host}/team/attested@${built.manifestDigest}`;
    const provenance = { buildDefinition: { buildType: 'https://example.com/build' }, runDetails: { builder: { id: 'https://ci.example.com' } } };
    // Signed too: the policy's attestor is verified for signatures as well, and only what verified is kept.
    await signImage(image, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    await attestImage(image, { privateKey: keys.privateKey, predicateType: 'slsaprovenance1', predicate: provenance, registry: REGISTRY_OPTIONS });
    const policyDir = mkdtempSync(join(tmpdir(), 'palisade-ivpol-cache-'));
    writeFileSync(join(policyDir, 'ivpol.yaml'), provenancePolicy(registry.host, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()));
    const metrics = new AdmissionMetrics();
    const cached: CelImageAccess = { ...access, verifier: new AdmissionImageVerification({ deadlineMs: 3000, registry: REGISTRY_OPTIONS, metrics }).verifier };
    const cachedServer = await startAdmissionServer({ policies: [], cel: await loadAdmissionPolicies([policyDir]), celImages: cached, ...tls, port: 0, host: '127.0.0.1' });
    const admit = async (uid: string, builder: string) => decode(await post(cachedServer.port, '/validate', review(uid, pod('p', { image, annotations: { builder } })))).response;
    try {
      // Four identical Pods at once: one signature and one attestation verification; the rest waited for them.
      const first = await Promise.all(['c1', 'c2', 'c3', 'c4'].map((uid) => admit(uid, 'https://ci.example.com')));
      expect(first.map((r) => r.allowed)).toEqual([true, true, true, true]);
      expect(metrics.cache.get({ result: 'miss' })).toBe(2);
      expect(metrics.cache.get({ result: 'coalesced' }) + metrics.cache.get({ result: 'hit' })).toBe(6);

      const hits = metrics.cache.get({ result: 'hit' });
      let again: Awaited<ReturnType<typeof admit>> | undefined;
      let otherBuilder: Awaited<ReturnType<typeof admit>> | undefined;
      const reads = await registryReads(async () => {
        again = await admit('c5', 'https://ci.example.com');
        otherBuilder = await admit('c6', 'https://elsewhere.example.com');
      });
      // No registry read, and no verification either (the digest's registry reads alone are kept by
      // the DigestCache too): each request found its signature and attestation verified.
      expect(reads).toBe(0);
      expect(metrics.cache.get({ result: 'miss' })).toBe(2);
      expect(metrics.cache.get({ result: 'hit' }) - hits).toBe(4);
      expect(again).toEqual({ uid: 'c5', allowed: true });
      // The cached payload is judged against this Pod: another builder is denied.
      expect(otherBuilder?.allowed).toBe(false);
      expect(otherBuilder?.status?.message).toBe("policy built-by: images must be built by the Pod's builder");
    } finally {
      await cachedServer.close();
      rmSync(policyDir, { recursive: true, force: true });
    }
  });

  it('denies with the reason when the registry cannot answer (failurePolicy Fail), admits under Ignore', async () => {
    await registry.stop();
    const down = await validate('d1', `${registry.host}/team/other:v2`);
    expect(down.allowed).toBe(false);
    expect(down.status?.message).toMatch(/^policy signed-images \(error\): .*(ECONNREFUSED|could not|connect)/);
    const mutate = decode(await post(server.port, '/mutate', review('d2', pod('p', { image: `${registry.host}/team/other:v2` })))).response;
    expect(mutate.allowed).toBe(false);
    expect(mutate.status?.message).toMatch(/^policy signed-images: image .*team\/other:v2: digest unknown: /);
    writeFileSync(join(dir, 'ivpol.yaml'), signedImagesPolicy('signed-images', `${registry.host}/*`, p256().publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'Ignore'));
    const lenient = await startAdmissionServer({ policies: [], cel: await loadAdmissionPolicies([dir]), celImages: access, ...tls, port: 0, host: '127.0.0.1' });
    try {
      const allowed = decode(await post(lenient.port, '/validate', review('d3', pod('p', { image: `${registry.host}/team/other:v2` })))).response;
      expect(allowed.allowed).toBe(true);
    } finally {
      await lenient.close();
    }
  });
});
