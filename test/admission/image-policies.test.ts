/**
 * ImageValidatingPolicies in the webhook over HTTPS, against a real registry: Debian's
 * docker-registry on 127.0.0.1 with images pushed and signed by Palisade (src/trust/oci/sign.ts).
 * /validate verifies (signed admitted, unsigned denied); /mutate pins tags to digests
 * (mutateDigest); a registry that is down denies under failurePolicy Fail, with the reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CelImageAccess } from '../../src/admission/cel-images.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { DigestCache } from '../../src/trust/oci/cache.ts';
import { signImage } from '../../src/trust/oci/sign.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../image/registry/helpers/images.ts';
import { REGISTRY_OPTIONS, p256, plainClient } from '../trust/oci/helpers.ts';
import { decode, hasOpenssl, patchOf, pod, post, review, selfSignedCertificate } from './https.ts';

const available = dockerRegistryAvailable() && hasOpenssl;

function ivpol(name: string, host: string, pem: string, failurePolicy: 'Fail' | 'Ignore' = 'Fail'): string {
  return `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: ${name}
spec:
  validationActions: [Deny]
  failurePolicy: ${failurePolicy}
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  matchImageReferences:
  - glob: "${host}/*"
  attestors:
  - name: ci
    cosign:
      key:
        data: |
${pem
  .trim()
  .split('\n')
  .map((l) => `          ${l}`)
  .join('\n')}
  validations:
  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.ci]) > 0)"
    message: images must be signed by CI
`;
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
    writeFileSync(join(dir, 'ivpol.yaml'), ivpol('signed-images', registry.host, keys.publicKey.export({ type: 'spki', format: 'pem' }).toString()));
    const set = await loadAdmissionPolicies([dir]);
    access = { registry: { ...REGISTRY_OPTIONS, timeoutMs: 3000, retries: 0 }, deadlineMs: 3000, cache: new DigestCache() };
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

  it('denies with the reason when the registry cannot answer (failurePolicy Fail), admits under Ignore', async () => {
    await registry.stop();
    const down = await validate('d1', `${registry.host}/team/other:v2`);
    expect(down.allowed).toBe(false);
    expect(down.status?.message).toMatch(/^policy signed-images \(error\): .*(ECONNREFUSED|could not|connect)/);
    const mutate = decode(await post(server.port, '/mutate', review('d2', pod('p', { image: `${registry.host}/team/other:v2` })))).response;
    expect(mutate.allowed).toBe(false);
    expect(mutate.status?.message).toMatch(/^policy signed-images: image .*team\/other:v2: digest unknown: /);
    writeFileSync(join(dir, 'ivpol.yaml'), ivpol('signed-images', registry.host, p256().publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'Ignore'));
    const lenient = await startAdmissionServer({ policies: [], cel: await loadAdmissionPolicies([dir]), celImages: access, ...tls, port: 0, host: '127.0.0.1' });
    try {
      const allowed = decode(await post(lenient.port, '/validate', review('d3', pod('p', { image: `${registry.host}/team/other:v2` })))).response;
      expect(allowed.allowed).toBe(true);
    } finally {
      await lenient.close();
    }
  });
});
