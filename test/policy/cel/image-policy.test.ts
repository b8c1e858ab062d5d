/**
 * ImageValidatingPolicy end to end, offline: an OCI layout signed and attested with a key, a Pod
 * naming it, and the policy's verifyImageSignatures / verifyAttestationSignatures / extractPayload
 * answered by src/trust/oci through prepareImageVerification.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCelPolicies, type CelApplyOptions } from '../../../src/policy/cel/apply.ts';
import { prepareImageVerification } from '../../../src/policy/cel/image-verify.ts';
import { parseCelPolicies } from '../../../src/policy/cel/load.ts';
import { attestImage, signImage } from '../../../src/trust/oci/sign.ts';
import { buildImage, sha256 } from '../../image/registry/helpers/images.ts';
import { hasOpenssl, issueCertificate } from '../../trust/certificate-helpers.ts';
import { p256 } from '../../trust/oci/helpers.ts';
import { attestLogged, signLogged } from '../../trust/oci/logged.ts';
import { TestRekor } from '../../trust/test-rekor.ts';
import { POD_CREATE, imagePolicy, indent, keyAttestor } from './helpers.ts';

const keys = p256();
const stranger = p256();
let root: string;

async function layout(name: string, content: string): Promise<string> {
  const dir = join(root, name);
  const image = await buildImage({ layers: [{ 'etc/os-release': content }] });
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const blob of [image.manifest, image.config, ...image.layers.map((l) => l.blob)]) await writeFile(join(dir, 'blobs', 'sha256', sha256(blob).slice(7)), blob);
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
  return `oci:${dir}:v1`;
}

function policy(publicKeyPem: string, validationConfigurations = '{}'): string {
  return imagePolicy(
    'signed-images',
    'oci:*',
    `${keyAttestor(publicKeyPem)}
  attestations:
  - name: sbom
    intoto:
      type: https://cyclonedx.org/bom
  validations:
  - expression: "images.containers.map(i, verifyImageSignatures(i, [attestors.ci])).all(n, n > 0)"
    message: images must be signed by CI
  - expression: "images.containers.all(i, verifyAttestationSignatures(i, attestations.sbom, [attestors.ci]) > 0 && extractPayload(i, attestations.sbom).bomFormat == 'CycloneDX')"
    message: images need a CycloneDX SBOM attestation`,
    `  validationConfigurations: ${validationConfigurations}\n`,
  );
}

const pod = (name: string, image: string) => ({ object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image }] } } });

describe('ImageValidatingPolicy through src/trust/oci', () => {
  let signed: string;
  let unsigned: string;
  let signedNoSbom: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-ivpol-'));
    signed = await layout('signed', 'ID=signed\n');
    unsigned = await layout('unsigned', 'ID=unsigned\n');
    signedNoSbom = await layout('nosbom', 'ID=nosbom\n');
    await signImage(signed, { privateKey: keys.privateKey });
    await attestImage(signed, { privateKey: keys.privateKey, predicateType: 'cyclonedx', predicate: { bomFormat: 'CycloneDX', specVersion: '1.6' } });
    await signImage(signedNoSbom, { privateKey: keys.privateKey });
    await signImage(unsigned, { privateKey: stranger.privateKey });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('passes signed and attested images, fails the others with the validation message', async () => {
    const set = parseCelPolicies(policy(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()), 'ivpol.yaml');
    const resources = [pod('good', signed), pod('bad', unsigned), pod('no-sbom', signedNoSbom), pod('other', 'nginx:latest')];
    const imageVerifier = await prepareImageVerification(set, resources);
    const out = applyCelPolicies(set, resources, { imageVerifier }).map((r) => r.rules[0]);
    expect(out[0]).toMatchObject({ type: 'ImageVerify', status: 'pass' });
    expect(out[1]).toMatchObject({ status: 'fail', message: 'images must be signed by CI' });
    expect(out[2]).toMatchObject({ status: 'fail', message: 'images need a CycloneDX SBOM attestation' });
    expect(out[3]).toMatchObject({ status: 'skip' });
  });

  it('without ctlog.insecureIgnoreTlog, needs signatures and attestations logged in a transparency log of the trusted root', async () => {
    const rekor = new TestRekor();
    const logged = await layout('logged', 'ID=logged\n');
    await signLogged(logged, keys.privateKey, rekor, { format: 'legacy' });
    await attestLogged(logged, keys.privateKey, rekor, 'https://cyclonedx.org/bom', { bomFormat: 'CycloneDX', specVersion: '1.6' }, { format: 'bundle' });
    const strict = policy(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()).replace('      ctlog:\n        insecureIgnoreTlog: true\n', '');
    expect(strict).not.toContain('ctlog');
    const set = parseCelPolicies(strict, 'ivpol.yaml');
    const resources = [pod('logged', logged), pod('unlogged', signed)];
    const imageVerifier = await prepareImageVerification(set, resources, { trustedRoot: rekor.root });
    const out = applyCelPolicies(set, resources, { imageVerifier }).map((r) => r.rules[0]);
    expect(out[0]).toMatchObject({ status: 'pass' });
    expect(out[1]).toMatchObject({ status: 'fail', message: 'images must be signed by CI' });
  });

  it('rejects validationConfigurations that are not booleans at load time, naming the line and field', () => {
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parseCelPolicies(policy(pem, '{required: "no"}'), 'ivpol.yaml')).toThrow(/ivpol\.yaml:\d+: spec\.validationConfigurations\.required: must be true or false, not "no"/);
  });

  it('cosign.key.expression: the key is computed for the request; compile errors are load errors', async () => {
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const text = policy(pem).replace(/ {8}data: \|\n(?: {10}.*\n)+/, "        expression: object.metadata.annotations['ci-key']\n");
    const set = parseCelPolicies(text, 'ivpol.yaml');
    const annotated = (name: string, image: string, key: string) => ({ object: { ...pod(name, image).object, metadata: { name, namespace: 'default', annotations: { 'ci-key': key } } } });
    const resources = [annotated('ours', signedNoSbom, pem), annotated('theirs', unsigned, pem)];
    const imageVerifier = await prepareImageVerification(set, resources);
    const out = applyCelPolicies(set, resources, { imageVerifier }).map((r) => r.rules[0]);
    // signedNoSbom passes the signature check and fails on the SBOM; unsigned fails the signature check.
    expect(out.map((r) => r!.message)).toEqual(['images need a CycloneDX SBOM attestation', 'images must be signed by CI']);
    expect(() => parseCelPolicies(text.replace("object.metadata.annotations['ci-key']", 'object.('), 'ivpol.yaml')).toThrow(/spec\.attestors\[0\]\.cosign\.key\.expression: /);
  });

  it('rejects attestors whose key does not parse, or that have no name, at load time', () => {
    const text = policy('-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----').replace('  - name: ci\n', '  - name: ""\n');
    let message = '';
    try {
      parseCelPolicies(text, 'ivpol.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/ivpol\.yaml:\d+: spec\.attestors\[0\]\.name: required/);
    expect(message).toMatch(/ivpol\.yaml:\d+: spec\.attestors\[0\]\.cosign\.key\.data: .+/);
  });

  it('offline (no verification pass): tags are not pinned, so verifyDigest fails them; without verifyDigest the functions are unsupported', () => {
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const [strict] = applyCelPolicies(parseCelPolicies(policy(pem), 'ivpol.yaml'), [pod('good', 'oci:/nowhere:v1')]);
    expect(strict!.rules[0]).toMatchObject({ status: 'fail', message: 'image oci:/nowhere:v1 does not have a digest' });
    const [lenient] = applyCelPolicies(parseCelPolicies(policy(pem, '{verifyDigest: false}'), 'ivpol.yaml'), [pod('good', 'oci:/nowhere:v1')]);
    expect(lenient!.rules[0]!.status).toBe('error');
    expect(lenient!.rules[0]!.message).toMatch(/^unsupported: verifyImageSignatures/);
  });
});

describe.skipIf(!hasOpenssl)('ImageValidatingPolicy cosign.certificate attestors', () => {
  const block = (pem: string) => indent(pem, 14);
  const certificatePolicy = (certificate: string) => `
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: certified
spec:
${POD_CREATE}
  validationConfigurations: {verifyDigest: false, mutateDigest: false}
  matchImageReferences:
  - glob: "oci:*"
  attestors:
  - name: release
    cosign:
      ctlog:
        insecureIgnoreTlog: true
      certificate:
${certificate}
  validations:
  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.release]) > 0)"
    message: images must be signed with the release certificate
`;

  it('verifies with the certificate key when the certificate chains to certChain; a foreign chain or an expression does not', async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-ivpol-cert-'));
    try {
      const ca = issueCertificate('release CA', { ca: true });
      const leaf = issueCertificate('release signer', { issuer: ca });
      const image = await layout('cert-signed', 'ID=cert\n');
      await signImage(image, { privateKey: leaf.key });
      const resources = [pod('app', image)];
      const run = async (certificate: string, request: CelApplyOptions = {}) => {
        const set = parseCelPolicies(certificatePolicy(certificate), 'ivpol.yaml');
        const imageVerifier = await prepareImageVerification(set, resources, { request });
        return applyCelPolicies(set, resources, { ...request, imageVerifier })[0]!.rules[0]!;
      };
      const cert = `        cert:\n          value: |\n${block(leaf.cert)}`;
      expect(await run(`${cert}\n        certChain:\n          value: |\n${block(ca.cert)}`)).toMatchObject({ status: 'pass' });
      expect(await run(cert)).toMatchObject({ status: 'pass' });
      const stranger = issueCertificate('other CA', { ca: true });
      expect(await run(`${cert}\n        certChain:\n          value: |\n${block(stranger.cert)}`)).toMatchObject({ status: 'fail', message: 'images must be signed with the release certificate' });
      const other = issueCertificate('other signer', { issuer: ca });
      expect(await run(`        cert:\n          value: |\n${block(other.cert)}`)).toMatchObject({ status: 'fail' });
      // Values given as expressions are evaluated for the request: here from a ConfigMap of the provided cluster objects.
      const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'release', namespace: 'default' }, data: { cert: leaf.cert, chain: ca.cert } };
      const fromConfigMap = `        cert:\n          expression: resource.Get("v1", "configmaps", "default", "release").data.cert\n        certChain:\n          expression: resource.Get("v1", "configmaps", "default", "release").data.chain`;
      expect(await run(fromConfigMap, { cluster: { resources: [configMap] } })).toMatchObject({ status: 'pass' });
      const missing = await run(`        cert:\n          expression: resource.Get("v1", "configmaps", "default", "nothing").data.cert`, { cluster: { resources: [configMap] } });
      expect(missing.status).toBe('error');
      expect(missing.message).toMatch(/attestor release cert expression/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
