/**
 * Interoperability with artefacts cosign and policy-controller produced (../shared/corpus/sigstore),
 * checked offline:
 *
 * - cosign's pkg/cosign/testdata/oci-attestation.sigstore.json: a keyless v0.3 bundle as
 *   `cosign attest` attaches it to an image (DSSE, in-toto v0.1 statement, Rekor entry), placed as a
 *   referrer of the image digest it names, in an OCI layout and (when docker-registry is installed)
 *   in a registry; verified against cosign's trusted_root_pgi.json;
 * - policy-controller's examples: the cosign-generated key pair and the documented
 *   `cosign attest --type spdxjson` flow, verified with the public key from the example
 *   ClusterImagePolicy and its predicate-type policy.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readTrustedRoot } from '../../../src/trust/bundle/index.ts';
import { loadPrivateKey, loadPublicKey } from '../../../src/trust/keys.ts';
import { LayoutStore } from '../../../src/trust/oci/layout-store.ts';
import { bundleReferrerManifest } from '../../../src/trust/oci/objects.ts';
import { parseAttestationPolicy } from '../../../src/trust/oci/policy.ts';
import { attestImage, signImage } from '../../../src/trust/oci/sign.ts';
import { verifyImageAttestations, verifyImageSignatures, type KeylessOptions } from '../../../src/trust/oci/verify.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../image/registry/helpers/docker-registry.ts';
import { buildImage, sha256 } from '../../image/registry/helpers/images.ts';
import { corpusDir, repoRoot } from '../../helpers/corpus.ts';
import { REGISTRY_OPTIONS, plainClient } from './helpers.ts';

const run = promisify(execFile);
const SIGSTORE = corpusDir('sigstore');
const ATTESTATION = SIGSTORE === undefined ? Buffer.alloc(0) : readFileSync(join(SIGSTORE, 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json'));
/** The image digest the attestation's statement names. */
const SUBJECT = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const REF_NAME = 'org.opencontainers.image.ref.name';

function keyless(overrides: Partial<KeylessOptions> = {}): KeylessOptions {
  return {
    trustedRoot: readTrustedRoot(join(SIGSTORE!, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json')),
    identity: 'cody@soyland.com',
    issuer: 'https://github.com/login/oauth',
    ...overrides,
  };
}

/** A layout whose index.json names images by digest only (their blobs are not needed to verify). */
async function layoutWith(dir: string, images: Record<string, string>): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: Object.entries(images).map(([tag, digest]) => ({ mediaType: OCI_MANIFEST, digest, size: 1000, annotations: { [REF_NAME]: tag } })),
  }));
}

describe.skipIf(SIGSTORE === undefined)('interoperability with cosign artefacts', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-oci-interop-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("verifies cosign's keyless OCI attestation bundle as a referrer in a layout", { timeout: 60_000 }, async () => {
    const dir = join(root, 'keyless');
    const other = sha256(Buffer.from('another image'));
    await layoutWith(dir, { v1: SUBJECT, other });
    const store = await LayoutStore.open(dir);
    for (const subject of [SUBJECT, other]) {
      const built = bundleReferrerManifest({ mediaType: OCI_MANIFEST, digest: subject, size: 1000 }, ATTESTATION, 'https://cosign.sigstore.dev/attestation/v1', new Date());
      await store.write({ blobs: built.blobs, manifest: { body: built.body, mediaType: OCI_MANIFEST } });
    }

    const verified = await verifyImageAttestations(`oci:${dir}:v1`, { publicKeys: [], keyless: keyless(), predicateType: 'custom' });
    expect(verified.verified).toHaveLength(1);
    const [attestation] = verified.verified;
    expect(attestation!.signer).toEqual({ identity: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' });
    expect(attestation!.statement._type).toBe('https://in-toto.io/Statement/v0.1');
    expect(attestation!.statement.predicate).toEqual({ Data: '{"foo": "bar"}\n', Timestamp: '2025-02-28T19:18:11Z' });
    const policy = parseAttestationPolicy('expressions: ["Data == \'{\\"foo\\": \\"bar\\"}\\n\'"]', 'data.yaml');
    expect((await verifyImageAttestations(`oci:${dir}:v1`, { publicKeys: [], keyless: keyless(), predicateType: 'custom', policy })).verified).toHaveLength(1);

    // Another identity, another issuer regexp, another image, another type: each refused.
    await expect(verifyImageAttestations(`oci:${dir}:v1`, { publicKeys: [], keyless: keyless({ identity: 'someone@example.com' }) })).rejects.toMatchObject({ failure: 'CERTIFICATE_ERROR' });
    await expect(verifyImageAttestations(`oci:${dir}:v1`, { publicKeys: [], keyless: keyless({ issuer: undefined, issuerRegexp: '^https://accounts\\.google\\.com$' }) })).rejects.toMatchObject({ failure: 'CERTIFICATE_ERROR' });
    await expect(verifyImageAttestations(`oci:${dir}:other`, { publicKeys: [], keyless: keyless() })).rejects.toMatchObject({ failure: 'DIGEST_MISMATCH' });
    await expect(verifyImageAttestations(`oci:${dir}:v1`, { publicKeys: [], keyless: keyless(), predicateType: 'slsaprovenance1' })).rejects.toMatchObject({ failure: 'PREDICATE_TYPE_MISMATCH' });
    // The same through the CLI, with cosign's flag names.
    const cli = await run(process.execPath, [
      join(repoRoot, 'src/cli/main.ts'), 'verify-attestation', `oci:${dir}:v1`, '--type', 'custom',
      '--certificate-identity', 'cody@soyland.com', '--certificate-oidc-issuer', 'https://github.com/login/oauth',
      '--trusted-root', join(SIGSTORE!, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json'),
    ]);
    expect((JSON.parse(cli.stdout) as { payloadType: string }).payloadType).toBe('application/vnd.in-toto+json');
    // Without keyless options a key cannot verify it, and says why.
    const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const err = await verifyImageAttestations(`oci:${dir}:v1`, { ignoreTlog: true, publicKeys: [privateKey], predicateType: 'custom' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'SIGNATURE_INVALID' });
    expect((err as Error).message).toContain('keyless');
  });

  it("follows policy-controller's documented cosign attest --type spdxjson flow with its cosign-generated key", async () => {
    const examples = join(SIGSTORE!, 'policy-controller/examples');
    const privateKey = loadPrivateKey(readFileSync(join(examples, 'keys/cosign.key'), 'utf8'), '');
    const cip = parseYaml(readFileSync(join(examples, 'policies/custom-key-attestation-sbom-spdxjson.yaml'), 'utf8')) as {
      spec: { authorities: { key: { data: string }; attestations: { predicateType: string }[] }[] };
    };
    const authority = cip.spec.authorities[0]!;
    const publicKey = loadPublicKey(authority.key.data);
    const predicate = JSON.parse(readFileSync(join(examples, 'sboms/example.spdx.json'), 'utf8')) as unknown;

    const dir = join(root, 'spdx');
    const built = await buildImage({ layers: [{ 'app/id': 'spdx\n' }] });
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    for (const blob of [built.manifest, built.config, ...built.layers.map((l) => l.blob)]) await writeFile(join(dir, 'blobs', 'sha256', sha256(blob).slice(7)), blob);
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(dir, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: built.mediaType, digest: built.manifestDigest, size: built.manifest.length, annotations: { [REF_NAME]: 'v0.1.0', 'io.containerd.image.name': 'r.example.com/myapp:v0.1.0' } }],
    }));
    const ref = `oci:${dir}:v0.1.0`;
    for (const format of ['bundle', 'legacy'] as const) {
      await attestImage(ref, { privateKey, predicateType: authority.attestations[0]!.predicateType, predicate, format });
      await signImage(ref, { privateKey, format });
    }
    // The CIP's CUE policy `predicateType: "https://spdx.dev/Document"`, as JMESPath.
    const policy = parseAttestationPolicy("expressions: [\"predicateType == 'https://spdx.dev/Document'\"]", 'cip.yaml');
    const verified = await verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [publicKey], predicateType: 'spdxjson', policy });
    expect(verified.verified.map((v) => v.format).sort()).toEqual(['bundle', 'legacy']);
    expect((verified.verified[0]!.statement.predicate as { spdxVersion: string }).spdxVersion).toMatch(/^SPDX-2/);
    const signatures = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [publicKey], expectedReference: 'r.example.com/myapp' });
    expect(signatures.verified).toHaveLength(2);
  });
});

const available = dockerRegistryAvailable();

describe.skipIf(!available || SIGSTORE === undefined)("cosign's keyless attestation in a registry", () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startDockerRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('is found through the fallback index and verified for a digest-pinned reference without fetching the image', async () => {
    const client = plainClient(registry.host);
    const built = bundleReferrerManifest({ mediaType: OCI_MANIFEST, digest: SUBJECT, size: 1000 }, ATTESTATION, 'https://cosign.sigstore.dev/attestation/v1', new Date());
    for (const blob of built.blobs) await client.putBlob('repo', blob);
    await client.pushReferrer('repo', OCI_MANIFEST, Buffer.from(built.body));
    const verified = await verifyImageAttestations(`${registry.host}/repo@${SUBJECT}`, { publicKeys: [], keyless: keyless(), predicateType: 'custom', registry: REGISTRY_OPTIONS });
    expect(verified.verified).toHaveLength(1);
    expect(verified.digest).toBe(SUBJECT);
  });
});
