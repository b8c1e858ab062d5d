/**
 * ImageValidatingPolicy `validationConfigurations` (mutateDigest, verifyDigest, required) against
 * a real registry: Debian's docker-registry on 127.0.0.1, images pushed and signed with
 * Palisade's own signing (src/trust/oci/sign.ts), verification through prepareImageVerification,
 * evaluation through applyCelPoliciesToResource and the webhook's imageDigestMutation; then the
 * attestor and credential fields that change how the registry is read or what a signature must say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../../src/image/registry/index.ts';
import { applyCelPoliciesToResource } from '../../../src/policy/cel/apply.ts';
import { imageDigestMutation } from '../../../src/policy/cel/image-admission.ts';
import { prepareImageVerification } from '../../../src/policy/cel/image-verify.ts';
import { parseCelPolicies } from '../../../src/policy/cel/load.ts';
import type { CelPolicySet } from '../../../src/policy/cel/types.ts';
import { signImage } from '../../../src/trust/oci/sign.ts';
import { dockerRegistryAvailable, freePort, startDockerRegistry, type RunningRegistry } from '../../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../../image/registry/helpers/images.ts';
import { REGISTRY_OPTIONS, p256, plainClient, type TestKeys } from '../../trust/oci/helpers.ts';
import { SIGNED_BY_CI, imagePolicy, keyAttestor } from './helpers.ts';

const available = dockerRegistryAvailable();

type Json = Record<string, unknown>;

/** An ImageValidatingPolicy on Pods from `host`, with the key as its only attestor. */
function policy(name: string, host: string, publicKeyPem: string, options: { config?: string; validations?: string } = {}): string {
  const validations = options.validations === undefined ? SIGNED_BY_CI : `  validations:\n${options.validations}`;
  return imagePolicy(name, `${host}/*`, `${keyAttestor(publicKeyPem)}\n${validations}`, `  validationConfigurations: ${options.config ?? '{}'}\n`);
}

const pod = (...images: string[]): { object: Json } => ({
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: 'default' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } },
});

/** Verifies the images of `resource` for `set`, then evaluates: the rule of each policy and the patched object. */
async function run(set: CelPolicySet, resource: { object: Json }, registry = REGISTRY_OPTIONS) {
  const imageVerifier = await prepareImageVerification(set, [resource], { registry });
  const { responses, patched } = applyCelPoliciesToResource(set, resource, { imageVerifier });
  return { rules: responses.map((r) => r.rules[0]!), responses, patched };
}

const images = (object: Json) => ((object.spec as Json).containers as Json[]).map((c) => c.image);

describe.skipIf(!available)('ImageValidatingPolicy validationConfigurations against docker-registry', () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let keys: TestKeys;
  let pem: string;
  /** `host/signed:v1` (signed with `keys`) and `host/unsigned:v1`, with their digests. */
  let signed: { tag: string; digest: string };
  let unsigned: { tag: string; digest: string };

  async function push(repo: string, content: string): Promise<{ tag: string; digest: string }> {
    const built = await buildImage({ layers: [{ 'app/id': content }] });
    await pushImage(client, repo, built, 'v1');
    return { tag: `${registry.host}/${repo}:v1`, digest: built.manifestDigest };
  }

  beforeAll(async () => {
    registry = await startDockerRegistry();
    client = plainClient(registry.host);
    keys = p256();
    pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    signed = await push('team/signed', 'signed\n');
    unsigned = await push('team/unsigned', 'unsigned\n');
    await signImage(signed.tag, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('passes a signed image referenced by digest and leaves it as written', async () => {
    const set = parseCelPolicies(policy('signed-images', registry.host, pem), 'ivpol.yaml');
    const byDigest = `${registry.host}/team/signed@${signed.digest}`;
    const { rules, responses, patched } = await run(set, pod(byDigest));
    expect(rules[0]).toMatchObject({ type: 'ImageVerify', status: 'pass' });
    expect(images(patched)).toEqual([byDigest]);
    expect(responses[0]!.imageDigests).toBeUndefined();
  });

  it('mutateDigest (the default) pins a tag to the digest the registry gives, and the validations see the pinned image', async () => {
    const set = parseCelPolicies(
      policy('pin', registry.host, pem, {
        validations: `  - expression: "images.containers.all(i, i.contains('@sha256:') && verifyImageSignatures(i, [attestors.ci]) > 0)"\n    message: images must be pinned and signed`,
      }),
      'ivpol.yaml',
    );
    const { rules, responses, patched } = await run(set, pod(signed.tag));
    expect(rules[0]).toMatchObject({ status: 'pass' });
    expect(images(patched)).toEqual([`${signed.tag}@${signed.digest}`]);
    expect(responses[0]!.patchedResource).toBe(patched);
    expect(responses[0]!.imageDigests!.pins).toEqual([{ field: 'containers', pointer: '/spec/containers/0/image', image: signed.tag, pinned: `${signed.tag}@${signed.digest}` }]);
  });

  it('pins the Pod template of a Deployment (autogen) at its path', async () => {
    const set = parseCelPolicies(policy('pin', registry.host, pem), 'ivpol.yaml');
    const deployment = {
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app', namespace: 'default' },
        spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { initContainers: [{ name: 'init', image: signed.tag }], containers: [{ name: 'c', image: signed.tag }] } } },
      },
    };
    const { rules, responses, patched } = await run(set, deployment);
    expect(rules[0]).toMatchObject({ name: 'autogen-pin', status: 'pass' });
    expect(responses[0]!.imageDigests!.pins.map((p) => p.pointer)).toEqual(['/spec/template/spec/containers/0/image', '/spec/template/spec/initContainers/0/image']);
    const template = ((patched.spec as Json).template as Json).spec as Json;
    expect([...(template.containers as Json[]), ...(template.initContainers as Json[])].map((c) => c.image)).toEqual([`${signed.tag}@${signed.digest}`, `${signed.tag}@${signed.digest}`]);
  });

  it('the webhook API returns the pins as a JSON patch', async () => {
    const set = parseCelPolicies(policy('pin', registry.host, pem), 'ivpol.yaml');
    const resource = pod('busybox:1.36', signed.tag);
    const imageVerifier = await prepareImageVerification(set, [resource], { registry: REGISTRY_OPTIONS });
    const mutation = imageDigestMutation(set, resource, { imageVerifier });
    // busybox is not selected by matchImageReferences: only the second container is pinned.
    expect(mutation.patch).toEqual([{ op: 'replace', path: '/spec/containers/1/image', value: `${signed.tag}@${signed.digest}` }]);
    expect(mutation.pins[0]!.policy).toBe('pin');
    expect(mutation.unresolved).toEqual([]);
    // Without a verifier (no registry access) nothing is pinned.
    expect(imageDigestMutation(set, resource).patch).toEqual([]);
  });

  it('verifyDigest: a tag that was not pinned fails with Kyverno\'s message; verifyDigest false lets the validations judge it', async () => {
    const strict = parseCelPolicies(policy('digests', registry.host, pem, { config: '{mutateDigest: false}' }), 'ivpol.yaml');
    const failed = await run(strict, pod(signed.tag));
    expect(failed.rules[0]).toMatchObject({ status: 'fail', message: `image ${signed.tag} does not have a digest` });
    expect(images(failed.patched)).toEqual([signed.tag]);

    const lenient = parseCelPolicies(policy('tags', registry.host, pem, { config: '{mutateDigest: false, verifyDigest: false}' }), 'ivpol.yaml');
    const passed = await run(lenient, pod(signed.tag));
    expect(passed.rules[0]).toMatchObject({ status: 'pass' });
    expect(images(passed.patched)).toEqual([signed.tag]);
  });

  it('required: an image no verification covered fails the policy even when its validations pass', async () => {
    const noCheck = { validations: '  - expression: "true"' };
    const required = parseCelPolicies(policy('no-check', registry.host, pem, noCheck), 'ivpol.yaml');
    const failed = await run(required, pod(signed.tag));
    expect(failed.rules[0]).toMatchObject({
      status: 'fail',
      message: `image ${signed.tag}@${signed.digest} is not verified: no policy performed a signature or attestation check on it`,
    });

    const optional = parseCelPolicies(policy('no-check', registry.host, pem, { ...noCheck, config: '{required: false}' }), 'ivpol.yaml');
    expect((await run(optional, pod(signed.tag))).rules[0]).toMatchObject({ status: 'pass' });
  });

  it('required: a check that verified nothing fails; another policy of the request verifying the image satisfies it', async () => {
    const tolerant = { validations: '  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.ci]) >= 0)"' };
    const alone = parseCelPolicies(policy('tolerant', registry.host, pem, tolerant), 'ivpol.yaml');
    const failed = await run(alone, pod(unsigned.tag));
    expect(failed.rules[0]).toMatchObject({ status: 'fail', message: `image ${unsigned.tag}@${unsigned.digest} failed signature or attestation verification` });

    const text = `${policy('requires-only', registry.host, pem, { validations: '  - expression: "true"' })}\n---\n${policy('verifies', registry.host, pem)}`;
    const both = await run(parseCelPolicies(text, 'ivpol.yaml'), pod(signed.tag));
    expect(both.rules.map((r) => r.status)).toEqual(['pass', 'pass']);
  });

  it('attestors are told apart by content, not name: two policies may each call a different key `ci`', async () => {
    const stranger = p256().publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const text = `${policy('ours', registry.host, pem)}\n---\n${policy('theirs', registry.host, stranger)}`;
    const { rules } = await run(parseCelPolicies(text, 'ivpol.yaml'), pod(signed.tag));
    expect(rules.map((r) => [r.name, r.status])).toEqual([
      ['ours', 'pass'],
      ['theirs', 'fail'],
    ]);
  });

  it('reads no registry for resources the policy\'s match constraints exclude', async () => {
    const updatesOnly = parseCelPolicies(policy('updates', registry.host, pem).replace('operations: [CREATE]', 'operations: [UPDATE]'), 'ivpol.yaml');
    const onCreate = await prepareImageVerification(updatesOnly, [pod(signed.tag)], { registry: REGISTRY_OPTIONS });
    expect(() => onCreate.resolveDigest(signed.tag)).toThrow(/not resolved ahead of evaluation/);
    const onUpdate = await prepareImageVerification(updatesOnly, [pod(signed.tag)], { registry: REGISTRY_OPTIONS, request: { operation: 'UPDATE' } });
    expect(onUpdate.resolveDigest(signed.tag)).toBe(signed.digest);
  });

  it('an unsigned image fails the validation that counts signatures', async () => {
    const set = parseCelPolicies(policy('signed-images', registry.host, pem), 'ivpol.yaml');
    const { rules } = await run(set, pod(unsigned.tag));
    expect(rules[0]).toMatchObject({ status: 'fail', message: 'images must be signed by CI' });
  });

  it('JSON mode: images from the `images` extractors are verified; nothing is pinned, so verifyDigest judges them as written', async () => {
    const json = (config: string) =>
      parseCelPolicies(
        `
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: payloads
spec:
  evaluation:
    mode: JSON
  validationConfigurations: ${config}
  images:
  - name: refs
    expression: "[object.imageReference]"
  matchImageReferences:
  - glob: "${registry.host}/*"
${keyAttestor(pem)}
  validations:
  - expression: "images.refs.all(i, verifyImageSignatures(i, [attestors.ci]) > 0)"
    message: payload images must be signed
`,
        'ivpol.yaml',
      );
    const payload = (image: string) => ({ object: { imageReference: image } });
    expect((await run(json('{}'), payload(signed.tag))).rules[0]).toMatchObject({ status: 'fail', message: `image ${signed.tag} does not have a digest` });
    expect((await run(json('{verifyDigest: false}'), payload(signed.tag))).rules[0]).toMatchObject({ status: 'pass' });
    expect((await run(json('{verifyDigest: false}'), payload(unsigned.tag))).rules[0]).toMatchObject({ status: 'fail', message: 'payload images must be signed' });
    expect((await run(json('{}'), payload(`${registry.host}/team/signed@${signed.digest}`))).rules[0]).toMatchObject({ status: 'pass' });
  });

  it('cosign.annotations: every accepted signature must carry them', async () => {
    const annotated = await push('team/annotated', 'annotated\n');
    await signImage(annotated.tag, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS, annotations: { env: 'prod' } });
    const withAnnotations = (value: string) => policy('annotated', registry.host, pem, { config: '{required: false}' }).replace('      key:\n', `      annotations:\n        env: ${value}\n      key:\n`);
    expect((await run(parseCelPolicies(withAnnotations('prod'), 'ivpol.yaml'), pod(annotated.tag))).rules[0]).toMatchObject({ status: 'pass' });
    expect((await run(parseCelPolicies(withAnnotations('dev'), 'ivpol.yaml'), pod(annotated.tag))).rules[0]).toMatchObject({ status: 'fail', message: 'images must be signed by CI' });
  });

  it('attestor fields Palisade cannot honour are errors naming them', async () => {
    const cases: [string, RegExp][] = [
      ['      key:\n        hashAlgorithm: sha512\n', /^unsupported: cosign\.key\.hashAlgorithm sha512 with a ecdsa-p256 key/],
      ['      tuf:\n        mirror: https://tuf.example\n      key:\n', /^unsupported: cosign\.tuf/],
      ['      source:\n        tagPrefix: sigs-\n      key:\n', /^unsupported: cosign\.source\.tagPrefix/],
    ];
    for (const [replacement, message] of cases) {
      const text = policy('fields', registry.host, pem).replace('      key:\n', replacement);
      const { rules } = await run(parseCelPolicies(text, 'ivpol.yaml'), pod(signed.tag));
      expect(rules[0]!.status).toBe('error');
      expect(rules[0]!.message).toMatch(message);
    }
  });

  it('spec.credentials: allowInsecureRegistry lets a plain-HTTP loopback registry be read; cloud providers are unsupported', async () => {
    const https = { credentials: {}, retries: 0 } as unknown as typeof REGISTRY_OPTIONS;
    const withCredentials = (credentials: string) => policy('creds', registry.host, pem).replace('  validationConfigurations:', `  credentials: ${credentials}\n  validationConfigurations:`);
    expect((await run(parseCelPolicies(withCredentials('{allowInsecureRegistry: true}'), 'ivpol.yaml'), pod(signed.tag), https)).rules[0]).toMatchObject({ status: 'pass' });
    expect((await run(parseCelPolicies(withCredentials('{}'), 'ivpol.yaml'), pod(signed.tag), https)).rules[0]!.status).toBe('error');
    const cloud = (await run(parseCelPolicies(withCredentials('{providers: [default, amazon]}'), 'ivpol.yaml'), pod(signed.tag))).rules[0]!;
    expect(cloud.status).toBe('error');
    expect(cloud.message).toMatch(/unsupported: registry credential providers amazon/);
  });

  it('a registry that does not answer makes the policy an error naming the image and the reason', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    const set = parseCelPolicies(policy('down', down, pem), 'ivpol.yaml');
    const image = `${down}/team/app:v1`;
    const { rules, patched } = await run(set, pod(image), { ...REGISTRY_OPTIONS, retries: 0, timeoutMs: 2000 } as typeof REGISTRY_OPTIONS);
    expect(rules[0]!.status).toBe('error');
    expect(rules[0]!.message).toMatch(new RegExp(`^failed to resolve digest for image ${image.replace(/\./g, '\\.')}: .+`));
    expect(rules[0]!.message).toMatch(/ECONNREFUSED|connect|refused|unreachable/i);
    expect(images(patched)).toEqual([image]);

    // The webhook API reports the tag it could not pin, with what decides the request.
    const imageVerifier = await prepareImageVerification(set, [pod(image)], { registry: { ...REGISTRY_OPTIONS, retries: 0, timeoutMs: 2000 } as typeof REGISTRY_OPTIONS });
    const mutation = imageDigestMutation(set, pod(image), { imageVerifier });
    expect(mutation.patch).toEqual([]);
    expect(mutation.unresolved).toEqual([{ policy: 'down', image, message: expect.stringMatching(/ECONNREFUSED/), validationActions: ['Deny'], failurePolicy: 'Fail' }]);
  });
});
