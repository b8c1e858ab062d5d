/**
 * Image signatures and attestations in a real registry: Debian's docker-registry (CNCF distribution
 * 2.8, which has no referrers API, so v3 bundles go through the `sha256-<hex>` fallback index) on
 * 127.0.0.1. The stored objects are checked field by field against cosign's documented layout
 * (specs/SIGNATURE_SPEC.md, ATTESTATION_SPEC.md, BUNDLE_SPEC.md), then the failure modes: replay,
 * moved tag, tampered payload, wrong key, missing signatures, annotations.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../../src/image/registry/index.ts';
import { keyHint } from '../../../src/trust/keys.ts';
import { DigestCache } from '../../../src/trust/oci/cache.ts';
import { parseAttestationPolicy } from '../../../src/trust/oci/policy.ts';
import { attestImage, signImage } from '../../../src/trust/oci/sign.ts';
import { ImageVerificationError, verifyImageAttestations, verifyImageSignatures } from '../../../src/trust/oci/verify.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../image/registry/helpers/docker-registry.ts';
import { buildImage, json, pushImage, sha256, type BuiltImage } from '../../image/registry/helpers/images.ts';
import { PROVENANCE, REGISTRY_OPTIONS, p256, plainClient, type TestKeys } from './helpers.ts';

const available = dockerRegistryAvailable();
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

async function failure(promise: Promise<unknown>): Promise<ImageVerificationError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ImageVerificationError) return err;
    throw err;
  }
  throw new Error('expected the verification to fail');
}

const fromJson = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.skipIf(!available)('image signatures in docker-registry (distribution 2.8, no referrers API)', () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let keys: TestKeys;
  let other: TestKeys;
  let counter = 0;

  /** A fresh image in its own repository, so tests do not see each other's signatures. */
  async function image(tag = 'v1'): Promise<{ ref: string; repo: string; image: BuiltImage }> {
    const repo = `team/app${++counter}`;
    const built = await buildImage({ layers: [{ 'app/id': `image ${counter}\n` }] });
    await pushImage(client, repo, built, tag);
    return { ref: `${registry.host}/${repo}:${tag}`, repo, image: built };
  }

  beforeAll(async () => {
    registry = await startDockerRegistry();
    client = plainClient(registry.host);
    keys = p256();
    other = p256();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('signs in the cosign v3 format: a bundle referrer listed in the sha256-<hex> fallback index', async () => {
    const { ref, repo, image: built } = await image();
    const signed = await signImage(ref, { privateKey: keys.privateKey, annotations: { env: 'prod' }, registry: REGISTRY_OPTIONS, now: () => new Date('2026-01-02T03:04:05.678Z') });
    expect(signed.digest).toBe(built.manifestDigest);
    expect(signed.format).toBe('bundle');

    // The fallback index: an OCI index under the tag sha256-<hex>, one entry per referrer.
    const fallback = await client.getManifest(repo, `sha256-${built.manifestDigest.slice(7)}`);
    const index = fromJson(fallback.body);
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]).toMatchObject({ mediaType: OCI_MANIFEST, digest: signed.manifestDigest, artifactType: BUNDLE });

    // The referrer manifest, field by field (BUNDLE_SPEC.md; cosign's WriteReferrer).
    const referrer = await client.getManifest(repo, signed.manifestDigest);
    const manifest = fromJson(referrer.body);
    expect(Object.keys(manifest)).toEqual(['schemaVersion', 'mediaType', 'config', 'layers', 'annotations', 'subject', 'artifactType']);
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.artifactType).toBe(BUNDLE);
    expect(manifest.config).toEqual({ mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: EMPTY_DIGEST, artifactType: BUNDLE });
    expect(Buffer.from(await client.getBlobBytes(repo, EMPTY_DIGEST)).toString()).toBe('{}');
    expect(manifest.subject).toEqual({ mediaType: OCI_MANIFEST, size: built.manifest.length, digest: built.manifestDigest });
    expect(manifest.annotations).toEqual({
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
      'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
    });
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].mediaType).toBe(BUNDLE);

    // The bundle: key-based v0.3 with the cosign hint, a DSSE envelope over an in-toto statement.
    const bundle = fromJson(await client.getBlobBytes(repo, manifest.layers[0].digest));
    expect(Object.keys(bundle)).toEqual(['mediaType', 'verificationMaterial', 'dsseEnvelope']);
    expect(bundle.mediaType).toBe(BUNDLE);
    expect(bundle.verificationMaterial).toEqual({ publicKey: { hint: keyHint(keys.publicKey) } });
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(bundle.dsseEnvelope.signatures).toHaveLength(1);
    const statement = fromJson(Buffer.from(bundle.dsseEnvelope.payload, 'base64'));
    expect(statement).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: built.manifestDigest.slice(7) }, annotations: { env: 'prod' } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    });

    const verified = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], annotations: { env: 'prod' }, registry: REGISTRY_OPTIONS });
    expect(verified.digest).toBe(built.manifestDigest);
    expect(verified.verified).toHaveLength(1);
    expect(verified.verified[0]).toMatchObject({
      format: 'bundle',
      keyIndex: 0,
      payload: {
        critical: { identity: { 'docker-reference': ref }, image: { 'docker-manifest-digest': built.manifestDigest }, type: 'https://sigstore.dev/cosign/sign/v1' },
        optional: { env: 'prod' },
      },
    });
  });

  it('signs in the legacy format: a simple-signing layer under sha256-<hex>.sig, byte for byte as cosign writes it', async () => {
    const { ref, repo, image: built } = await image();
    const signed = await signImage(ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    const tag = `sha256-${built.manifestDigest.slice(7)}.sig`;
    expect(signed.location).toBe(`${registry.host}/${repo}:${tag}`);

    const stored = await client.getManifest(repo, tag);
    const manifest = fromJson(stored.body);
    expect(Object.keys(manifest)).toEqual(['schemaVersion', 'mediaType', 'config', 'layers']);
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers).toHaveLength(1);
    const layer = manifest.layers[0];
    expect(Object.keys(layer)).toEqual(['mediaType', 'size', 'digest', 'annotations']);
    expect(layer.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    expect(Object.keys(layer.annotations)).toEqual(['dev.cosignproject.cosign/signature']);

    const payload = Buffer.from(await client.getBlobBytes(repo, layer.digest)).toString();
    expect(payload).toBe(
      `{"critical":{"identity":{"docker-reference":"${registry.host}/${repo}"},"image":{"docker-manifest-digest":"${built.manifestDigest}"},` +
        '"type":"cosign container image signature"},"optional":null}',
    );
    expect(layer.size).toBe(payload.length);
    expect(layer.digest).toBe(`sha256:${createHash('sha256').update(payload).digest('hex')}`);

    // The config go-containerregistry derives for the signature image: one diff_id per layer.
    const config = fromJson(await client.getBlobBytes(repo, manifest.config.digest));
    expect(config).toEqual({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      config: {},
    });

    const verified = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS });
    expect(verified.verified).toHaveLength(1);
    expect(verified.verified[0]!.format).toBe('legacy');
    expect(verified.verified[0]!.payload).toEqual(JSON.parse(payload));
  });

  it('appends further legacy signatures to the same manifest, and skips an identical one', async () => {
    const { ref, repo, image: built } = await image();
    await signImage(ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    const again = await signImage(ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    expect(again.written).toBe(false);
    await signImage(ref, { privateKey: other.privateKey, format: 'legacy', annotations: { team: 'a&b' }, registry: REGISTRY_OPTIONS });

    const manifest = fromJson((await client.getManifest(repo, `sha256-${built.manifestDigest.slice(7)}.sig`)).body);
    expect(manifest.layers).toHaveLength(2);
    const second = Buffer.from(await client.getBlobBytes(repo, manifest.layers[1].digest)).toString();
    // Go's encoding/json escapes & as \u0026.
    expect(second).toContain('"optional":{"team":"a\\u0026b"}');
    const config = fromJson(await client.getBlobBytes(repo, manifest.config.digest));
    expect(config.rootfs.diff_ids).toEqual([manifest.layers[0].digest, manifest.layers[1].digest]);

    const both = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey, other.publicKey], registry: REGISTRY_OPTIONS });
    expect(both.verified.map((v) => v.keyIndex).sort()).toEqual([0, 1]);
    const onlyOther = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [other.publicKey], annotations: { team: 'a&b' }, registry: REGISTRY_OPTIONS });
    expect(onlyOther.verified).toHaveLength(1);
    expect(onlyOther.rejected).toHaveLength(1);
    expect(onlyOther.rejected[0]!.failure).toBe('SIGNATURE_INVALID');
  });

  it('finds both formats on one image, and finds referrers whose fallback entry carries an empty artifactType', async () => {
    const { ref, repo, image: built } = await image();
    await signImage(ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    const bundle = await signImage(ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    // cosign 3 writes application/vnd.oci.empty.v1+json as the entry's artifactType (kyverno#16664).
    const tag = `sha256-${built.manifestDigest.slice(7)}`;
    const index = fromJson((await client.getManifest(repo, tag)).body);
    index.manifests[0].artifactType = 'application/vnd.oci.empty.v1+json';
    await client.putManifest(repo, tag, OCI_INDEX, json(index));
    // A referrer that is not a Sigstore bundle (an SBOM) is skipped, not counted.
    const sbom = json({ spdxVersion: 'SPDX-2.3' });
    await client.putBlob(repo, sbom);
    await client.putBlob(repo, Buffer.from('{}'));
    await client.pushReferrer(repo, OCI_MANIFEST, json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/spdx+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: EMPTY_DIGEST, size: 2 },
      layers: [{ mediaType: 'application/spdx+json', digest: sha256(sbom), size: sbom.length }],
      subject: { mediaType: OCI_MANIFEST, digest: built.manifestDigest, size: built.manifest.length },
    }));

    const verified = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS });
    expect(verified.verified.map((v) => v.format).sort()).toEqual(['bundle', 'legacy']);
    expect(verified.verified.find((v) => v.format === 'bundle')!.location).toContain(bundle.manifestDigest);
    expect(verified.skipped.some((s) => s.includes('not a Sigstore bundle'))).toBe(true);
  });

  it('rejects a signature copied to another image (replay) as DIGEST_MISMATCH, in both formats', async () => {
    const a = await image();
    const b = await image();
    await signImage(a.ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    await signImage(a.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    // Copy a's .sig manifest (and its blobs) into b's repository under b's tag.
    const aHex = a.image.manifestDigest.slice(7);
    const bHex = b.image.manifestDigest.slice(7);
    const sig = await client.getManifest(a.repo, `sha256-${aHex}.sig`);
    const sigManifest = fromJson(sig.body);
    for (const d of [sigManifest.config, ...sigManifest.layers]) await client.putBlob(b.repo, await client.getBlobBytes(a.repo, d.digest));
    await client.putManifest(b.repo, `sha256-${bHex}.sig`, OCI_MANIFEST, sig.body);
    // And a's bundle referrer into b's fallback index.
    const index = await client.getManifest(a.repo, `sha256-${aHex}`);
    const referrer = await client.getManifest(a.repo, fromJson(index.body).manifests[0].digest);
    for (const d of [fromJson(referrer.body).config, ...fromJson(referrer.body).layers]) await client.putBlob(b.repo, await client.getBlobBytes(a.repo, d.digest));
    await client.putManifest(b.repo, referrer.digest, OCI_MANIFEST, referrer.body);
    await client.putManifest(b.repo, `sha256-${bHex}`, OCI_INDEX, index.body);

    const err = await failure(verifyImageSignatures(b.ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS }));
    expect(err.failure).toBe('DIGEST_MISMATCH');
    expect(err.reason).toBe('DIGEST_MISMATCH');
    expect(err.exitCode).toBe(1);
    expect(err.result.rejected.map((r) => [r.format, r.failure]).sort()).toEqual([
      ['bundle', 'DIGEST_MISMATCH'],
      ['legacy', 'DIGEST_MISMATCH'],
    ]);
  });

  it('reports TAG_MOVED when the tag now names an unsigned image and the key signed another digest', async () => {
    const { ref, repo } = await image('release');
    await signImage(ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    await signImage(ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const rebuilt = await buildImage({ layers: [{ 'app/id': 'rebuilt\n' }] });
    await pushImage(client, repo, rebuilt, 'release');

    const err = await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS }));
    expect(err.failure).toBe('TAG_MOVED');
    expect(err.result.digest).toBe(rebuilt.manifestDigest);
    expect(err.message).toContain('moved');
    // Pinned by digest there is no tag to have moved: plainly unsigned.
    const pinned = await failure(verifyImageSignatures(`${registry.host}/${repo}@${rebuilt.manifestDigest}`, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS }));
    expect(pinned.failure).toBe('NO_SIGNATURES');
    // A key that signed nothing here: no evidence of a move either.
    const stranger = await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [other.publicKey], registry: REGISTRY_OPTIONS }));
    expect(stranger.failure).toBe('NO_SIGNATURES');
  });

  it('rejects a tampered payload, a wrong key, and an image without signatures, each with its own reason', async () => {
    const { ref, repo, image: built } = await image();
    const err0 = await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS }));
    expect(err0.failure).toBe('NO_SIGNATURES');
    expect(err0.message).toContain('no signatures found');

    await signImage(ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    const wrong = await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [other.publicKey], registry: REGISTRY_OPTIONS }));
    expect(wrong.failure).toBe('SIGNATURE_INVALID');

    // Tamper: a payload with an extra annotation, keeping the original signature annotation.
    const tag = `sha256-${built.manifestDigest.slice(7)}.sig`;
    const manifest = fromJson((await client.getManifest(repo, tag)).body);
    const original = Buffer.from(await client.getBlobBytes(repo, manifest.layers[0].digest)).toString();
    const forged = Buffer.from(original.replace('"optional":null', '"optional":{"approved":"yes"}'));
    await client.putBlob(repo, forged);
    manifest.layers[0] = { ...manifest.layers[0], digest: sha256(forged), size: forged.length };
    await client.putManifest(repo, tag, OCI_MANIFEST, json(manifest));
    const tampered = await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS }));
    expect(tampered.failure).toBe('SIGNATURE_INVALID');
  });

  it('checks the signed annotations and the docker-reference', async () => {
    const { ref, repo } = await image();
    await signImage(ref, { privateKey: keys.privateKey, format: 'legacy', annotations: { env: 'prod' }, registry: REGISTRY_OPTIONS });
    await signImage(ref, { privateKey: keys.privateKey, annotations: { env: 'prod' }, registry: REGISTRY_OPTIONS });
    expect((await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], annotations: { env: 'prod' }, registry: REGISTRY_OPTIONS })).verified).toHaveLength(2);
    const mismatch = await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], annotations: { env: 'dev' }, registry: REGISTRY_OPTIONS }));
    expect(mismatch.failure).toBe('ANNOTATION_MISMATCH');
    expect(mismatch.message).toContain('annotation env is "prod", not "dev"');

    const elsewhere = await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], formats: ['legacy'], expectedReference: `${registry.host}/team/other`, registry: REGISTRY_OPTIONS }));
    expect(elsewhere.failure).toBe('SUBJECT_MISMATCH');
    expect(elsewhere.message).toContain(`${registry.host}/${repo}`);
    const skipped = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], formats: ['legacy'], expectedReference: false, registry: REGISTRY_OPTIONS });
    expect(skipped.verified).toHaveLength(1);
  });

  it('attests in both formats and verifies the predicate type, the subject and a policy', async () => {
    const { ref, repo, image: built } = await image();
    const v3 = await attestImage(ref, { privateKey: keys.privateKey, predicateType: 'slsaprovenance1', predicate: PROVENANCE, registry: REGISTRY_OPTIONS });
    await attestImage(ref, { privateKey: keys.privateKey, predicateType: 'slsaprovenance1', predicate: PROVENANCE, format: 'legacy', registry: REGISTRY_OPTIONS });
    await attestImage(ref, { privateKey: keys.privateKey, predicateType: 'cyclonedx', predicate: { bomFormat: 'CycloneDX', specVersion: '1.6' }, registry: REGISTRY_OPTIONS });

    // Legacy .att layout: a DSSE layer with the predicateType annotation.
    const att = fromJson((await client.getManifest(repo, `sha256-${built.manifestDigest.slice(7)}.att`)).body);
    expect(att.layers).toHaveLength(1);
    expect(att.layers[0].mediaType).toBe('application/vnd.dsse.envelope.v1+json');
    expect(att.layers[0].annotations).toEqual({ predicateType: 'https://slsa.dev/provenance/v1' });
    const envelope = fromJson(await client.getBlobBytes(repo, att.layers[0].digest));
    expect(Object.keys(envelope)).toEqual(['payloadType', 'payload', 'signatures']);
    const statement = fromJson(Buffer.from(envelope.payload, 'base64'));
    expect(statement.subject).toEqual([{ name: `${registry.host}/${repo}`, digest: { sha256: built.manifestDigest.slice(7) } }]);
    // v3 referrer carries the attestation's predicate type.
    const referrer = fromJson((await client.getManifest(repo, v3.manifestDigest)).body);
    expect(referrer.annotations['dev.sigstore.bundle.predicateType']).toBe('https://slsa.dev/provenance/v1');

    // Attestations are not signatures.
    expect((await failure(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS }))).failure).toBe('NO_SIGNATURES');

    const all = await verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS });
    expect(all.verified).toHaveLength(3);
    const slsa = await verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], predicateType: 'slsaprovenance1', registry: REGISTRY_OPTIONS });
    expect(slsa.verified.map((v) => v.format).sort()).toEqual(['bundle', 'legacy']);
    expect(slsa.verified[0]!.statement.predicate).toEqual(PROVENANCE);

    const pass = parseAttestationPolicy(
      'all:\n  - key: "{{ predicate.runDetails.builder.id }}"\n    operator: Equals\n    value: https://github.com/actions/runner/*\n  - key: "{{ buildDefinition.externalParameters.workflow.ref }}"\n    operator: AnyIn\n    value: [refs/heads/main, refs/heads/release]\n',
      'pass.yaml',
    );
    expect((await verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], predicateType: 'slsaprovenance1', policy: pass, registry: REGISTRY_OPTIONS })).verified).toHaveLength(2);
    const jmes = parseAttestationPolicy("expressions:\n  - \"predicate.buildDefinition.resolvedDependencies[0].digest.gitCommit != null\"\n", 'expr.yaml');
    expect((await verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], predicateType: 'slsaprovenance1', policy: jmes, registry: REGISTRY_OPTIONS })).verified).toHaveLength(2);

    const fail = parseAttestationPolicy('{"any": [{"key": "{{ runDetails.builder.id }}", "operator": "Equals", "value": "https://example.com/trusted-builder"}]}', 'fail.json');
    const err = await failure(verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], predicateType: 'slsaprovenance1', policy: fail, registry: REGISTRY_OPTIONS }));
    expect(err.failure).toBe('POLICY_ERROR');
    expect(err.message).toContain('fail.json');

    const missing = await failure(verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], predicateType: 'vuln', registry: REGISTRY_OPTIONS }));
    expect(missing.failure).toBe('PREDICATE_TYPE_MISMATCH');
    const wrongKey = await failure(verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [other.publicKey], registry: REGISTRY_OPTIONS }));
    expect(wrongKey.failure).toBe('SIGNATURE_INVALID');
  });

  it('serves repeated verifications from the digest cache', async () => {
    const { ref } = await image();
    for (let i = 0; i < 3; i++) await signImage(ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const cache = new DigestCache();
    const cold = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS, cache });
    const afterCold = cache.stats();
    const warm = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS, cache });
    const afterWarm = cache.stats();
    expect(warm.verified).toHaveLength(cold.verified.length);
    expect(afterWarm.misses).toBe(afterCold.misses);
    expect(afterWarm.hits).toBeGreaterThan(afterCold.hits);
    // A new signature is seen once the listing is invalidated (a write through the cache does it; here, clear).
    await signImage(ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    cache.clear();
    expect((await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: REGISTRY_OPTIONS, cache })).verified).toHaveLength(4);
  });
});
