/**
 * verifyImages rules against a real registry (Debian's docker-registry on 127.0.0.1), images signed
 * and attested with Palisade's own signing: the engine with outcomes verified ahead
 * (evaluateWithImageVerification), and `palisade policy apply --registry` as a user runs it.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RegistryClient } from '../../../src/image/registry/index.ts';
import { runTestFile } from '../../../src/policy/cli-test/runner.ts';
import { applyPoliciesToResource } from '../../../src/policy/engine/engine.ts';
import type { Policy, RuleResponse } from '../../../src/policy/engine/types.ts';
import { evaluateWithImageVerification, TrustImageVerifier } from '../../../src/policy/engine/verify-images-trust.ts';
import { parseTrustedRoot, readTrustedRoot } from '../../../src/trust/bundle/index.ts';
import { loadPrivateKey, publicKeyPem } from '../../../src/trust/keys.ts';
import { bundleReferrerManifest } from '../../../src/trust/oci/objects.ts';
import { attestImage, signImage } from '../../../src/trust/oci/sign.ts';
import { dockerRegistryAvailable, freePort, startDockerRegistry, type RunningRegistry } from '../../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../../image/registry/helpers/images.ts';
import { corpusDir } from '../../helpers/corpus.ts';
import { PROVENANCE, REGISTRY_OPTIONS, p256, plainClient, type TestKeys } from '../../trust/oci/helpers.ts';
import { signLogged } from '../../trust/oci/logged.ts';
import { TestRekor } from '../../trust/test-rekor.ts';
import { UNLOGGED, forgeLegacySignature, keyAttestors, pod, verifyImagesPolicy } from './verify-images-helpers.ts';

const available = dockerRegistryAvailable();
const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..', '..');

type Json = Record<string, unknown>;

interface Applied {
  rule: RuleResponse;
  patched: Json;
}

describe.skipIf(!available)('verifyImages against docker-registry', { timeout: 60_000 }, () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let keys: TestKeys;
  let other: TestKeys;
  let counter = 0;

  async function pushed(): Promise<{ ref: string; repo: string; digest: string }> {
    const repo = `verify/app${++counter}`;
    const digest = await pushImage(client, repo, await buildImage({ layers: [{ 'app/id': `verify-images ${counter}\n` }] }), 'v1');
    return { ref: `${registry.host}/${repo}:v1`, repo, digest };
  }

  async function apply(policy: Policy, images: string[], verifier = new TrustImageVerifier({ registry: REGISTRY_OPTIONS })): Promise<Applied> {
    const result = await evaluateWithImageVerification(verifier.session(), (imageVerification) =>
      applyPoliciesToResource([policy], { object: pod('p', images) }, { imageVerification }),
    );
    const rule = result.responses.flatMap((r) => r.rules).find((r) => r.type === 'ImageVerify');
    if (!rule) throw new Error('no verifyImages response');
    return { rule, patched: result.patched };
  }

  const imageOf = (object: Json, i = 0) => ((object.spec as Json).containers as Json[])[i]!.image;

  beforeAll(async () => {
    registry = await startDockerRegistry();
    client = plainClient(registry.host);
    keys = p256();
    other = p256();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('passes a signed image and pins it to the verified digest; fails unsigned, foreign-signed and tampered ones', async () => {
    const signed = await pushed();
    await signImage(signed.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const unsigned = await pushed();
    const foreign = await pushed();
    await signImage(foreign.ref, { privateKey: other.privateKey, registry: REGISTRY_OPTIONS });
    const tampered = await pushed();
    await signImage(tampered.ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    await forgeLegacySignature(client, tampered.repo, tampered.digest);

    const policy = verifyImagesPolicy('signed', { imageReferences: [`${registry.host}/verify/*`], attestors: keyAttestors(keys.publicKey) });
    const ok = await apply(policy, [signed.ref]);
    expect(ok.rule).toMatchObject({ status: 'pass', message: `verified image signatures for ${signed.ref}; mutated image digest of ${signed.ref}` });
    expect(imageOf(ok.patched)).toBe(`${signed.ref}@${signed.digest}`);

    for (const image of [unsigned, foreign, tampered]) {
      const bad = await apply(policy, [image.ref]);
      expect(bad.rule.status).toBe('fail');
      expect(bad.rule.message).toMatch(new RegExp(`^image verification failed for ${image.ref.replace(/[.]/g, '\\.')}: 0 of 1 required attestors verified`));
      expect(imageOf(bad.patched)).toBe(image.ref);
    }
    expect((await apply(policy, [tampered.ref])).rule.message).toContain('does not verify');

    // skipImageReferences and images no reference matches are not verified at all.
    const skipped = verifyImagesPolicy('skipped', { imageReferences: [`${registry.host}/verify/*`], skipImageReferences: [unsigned.ref], attestors: keyAttestors(keys.publicKey) });
    const mixed = await apply(skipped, [signed.ref, unsigned.ref, 'docker.io/library/nginx:1.25']);
    expect(mixed.rule.status).toBe('pass');
  });

  it('requires a transparency-log entry for key signatures unless rekor.ignoreTlog, as Kyverno does', async () => {
    const rekor = new TestRekor();
    const logged = await pushed();
    await signLogged(logged.ref, keys.privateKey, rekor, { format: 'legacy', registry: REGISTRY_OPTIONS });
    const loggedBundle = await pushed();
    await signLogged(loggedBundle.ref, keys.privateKey, rekor, { format: 'bundle', registry: REGISTRY_OPTIONS });
    const unlogged = await pushed();
    await signImage(unlogged.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });

    const strict = verifyImagesPolicy('logged', { imageReferences: ['*'], attestors: [{ entries: [{ keys: { publicKeys: publicKeyPem(keys.publicKey) } }] }] });
    const verifier = new TrustImageVerifier({ registry: REGISTRY_OPTIONS, trustedRoot: rekor.root });
    expect((await apply(strict, [logged.ref], verifier)).rule.status).toBe('pass');
    expect((await apply(strict, [loggedBundle.ref], verifier)).rule.status).toBe('pass');
    const refused = await apply(strict, [unlogged.ref], verifier);
    expect(refused.rule.status).toBe('fail');
    expect(refused.rule.message).toContain('no transparency log entry');
    // The shipped public-good root does not know the test log: its entries prove nothing there.
    expect((await apply(strict, [logged.ref])).rule.message).toContain('a log the trusted root does not name');
    expect((await apply(verifyImagesPolicy('unlogged', { imageReferences: ['*'], attestors: keyAttestors(keys.publicKey) }), [unlogged.ref], verifier)).rule.status).toBe('pass');
  });

  it('type SigstoreBundle counts only Sigstore bundle referrers, not legacy .sig tags', async () => {
    const bundle = await pushed();
    await signImage(bundle.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const legacy = await pushed();
    await signImage(legacy.ref, { privateKey: keys.privateKey, format: 'legacy', registry: REGISTRY_OPTIONS });
    const policy = verifyImagesPolicy('bundles', { type: 'SigstoreBundle', imageReferences: ['*'], attestors: keyAttestors(keys.publicKey) });
    expect((await apply(policy, [bundle.ref])).rule.status).toBe('pass');
    expect((await apply(policy, [legacy.ref])).rule).toMatchObject({ status: 'fail' });
    const cosign = verifyImagesPolicy('cosign', { imageReferences: ['*'], attestors: keyAttestors(keys.publicKey) });
    expect((await apply(cosign, [legacy.ref])).rule.status).toBe('pass');
  });

  it('checks signed annotations and reads signatures from another repository (entry or attestor level)', async () => {
    const image = await pushed();
    await signImage(image.ref, { privateKey: keys.privateKey, annotations: { env: 'prod' }, registry: REGISTRY_OPTIONS });
    const annotated = (env: string) => verifyImagesPolicy('annotated', { imageReferences: ['*'], annotations: { env }, attestors: keyAttestors(keys.publicKey) });
    expect((await apply(annotated('prod'), [image.ref])).rule.status).toBe('pass');
    const dev = await apply(annotated('dev'), [image.ref]);
    expect(dev.rule.status).toBe('fail');
    expect(dev.rule.message).toContain('annotation env is "prod", not "dev"');

    const elsewhere = await pushed();
    const signatures = `${registry.host}/verify/signatures`;
    await signImage(elsewhere.ref, { privateKey: keys.privateKey, format: 'legacy', signatureRepository: signatures, registry: REGISTRY_OPTIONS });
    const entry = (extra: Record<string, unknown>) => verifyImagesPolicy('repository', { imageReferences: ['*'], attestors: keyAttestors(keys.publicKey), ...extra });
    expect((await apply(entry({}), [elsewhere.ref])).rule.status).toBe('fail');
    expect((await apply(entry({ repository: signatures }), [elsewhere.ref])).rule.status).toBe('pass');
    const attestorLevel = [{ entries: [{ keys: { publicKeys: publicKeyPem(keys.publicKey), ...UNLOGGED }, repository: signatures }] }];
    expect((await apply(verifyImagesPolicy('attestor-repository', { imageReferences: ['*'], attestors: attestorLevel }), [elsewhere.ref])).rule.status).toBe('pass');
  });

  it('needs count attestors of a set: every key of a multi-key publicKeys field unless count says fewer', async () => {
    const image = await pushed();
    await signImage(image.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const both = await apply(verifyImagesPolicy('both', { imageReferences: ['*'], attestors: keyAttestors(keys.publicKey, other.publicKey) }), [image.ref]);
    expect(both.rule.status).toBe('fail');
    expect(both.rule.message).toContain('1 of 2 required attestors verified');
    const attestors = [{ count: 1, entries: [{ keys: { publicKeys: publicKeyPem(other.publicKey) + publicKeyPem(keys.publicKey), ...UNLOGGED } }] }];
    expect((await apply(verifyImagesPolicy('one', { imageReferences: ['*'], attestors }), [image.ref])).rule.status).toBe('pass');
    // A nested set counts as one entry.
    const nested = [{ count: 1, entries: [{ attestor: { entries: [{ keys: { publicKeys: publicKeyPem(keys.publicKey), ...UNLOGGED } }] } }, { keys: { publicKeys: publicKeyPem(other.publicKey), ...UNLOGGED } }] }];
    expect((await apply(verifyImagesPolicy('nested', { imageReferences: ['*'], attestors: nested }), [image.ref])).rule.status).toBe('pass');
  });

  it('checks attestation conditions on every evaluation, also when the verification came from the cache', async () => {
    const image = await pushed();
    await attestImage(image.ref, { privateKey: keys.privateKey, predicateType: 'slsaprovenance1', predicate: PROVENANCE, registry: REGISTRY_OPTIONS });
    const attestation = (value: string) => ({
      imageReferences: ['*'],
      attestations: [
        {
          predicateType: 'https://slsa.dev/provenance/v1',
          attestors: keyAttestors(keys.publicKey),
          conditions: [
            {
              all: [
                { key: '{{ runDetails.builder.id }}', operator: Equals, value },
                { key: '{{ request.object.metadata.name }}', operator: Equals, value: 'p' },
              ],
            },
          ],
        },
      ],
    });
    const verifier = new TrustImageVerifier({ registry: REGISTRY_OPTIONS });
    const good = await apply(verifyImagesPolicy('builder', attestation(PROVENANCE.runDetails.builder.id)), [image.ref], verifier);
    expect(good.rule).toMatchObject({ status: 'pass' });
    expect(good.rule.message).toContain(`verified image attestations for ${image.ref}`);
    // Same verification (shared cache), other conditions: they are evaluated, not skipped.
    const bad = await apply(verifyImagesPolicy('builder-other', attestation('https://evil.example/builder')), [image.ref], verifier);
    expect(bad.rule.status).toBe('fail');
    expect(bad.rule.message).toContain('attestation https://slsa.dev/provenance/v1: attestation checks failed');
    // A predicate type that was never attested fails.
    const missing = await apply(
      verifyImagesPolicy('sbom', { imageReferences: ['*'], attestations: [{ predicateType: 'https://cyclonedx.org/bom', attestors: keyAttestors(keys.publicKey) }] }),
      [image.ref],
    );
    expect(missing.rule.status).toBe('fail');
  });

  it('verifyDigest: a tag fails unless mutateDigest pinned it; a digest reference passes without a patch', async () => {
    const image = await pushed();
    await signImage(image.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const noMutate = verifyImagesPolicy('digest', { imageReferences: ['*'], mutateDigest: false, attestors: keyAttestors(keys.publicKey) });
    const tagged = await apply(noMutate, [image.ref]);
    expect(tagged.rule).toMatchObject({ status: 'fail', message: `image verification failed for ${image.ref}: missing digest for ${image.ref}` });
    const pinnedRef = `${registry.host}/${image.repo}@${image.digest}`;
    const pinned = await apply(noMutate, [pinnedRef]);
    expect(pinned.rule.status).toBe('pass');
    expect(imageOf(pinned.patched)).toBe(pinnedRef);
    // Without attestors, mutateDigest resolves the tag; required (the default) then fails: nothing verified it.
    const resolveOnly = await apply(verifyImagesPolicy('resolve', { imageReferences: ['*'], required: false }), [image.ref]);
    expect(resolveOnly.rule.status).toBe('pass');
    expect(imageOf(resolveOnly.patched)).toBe(`${image.ref}@${image.digest}`);
    expect((await apply(verifyImagesPolicy('required', { imageReferences: ['*'] }), [image.ref])).rule.message).toContain('unverified image');
  });

  it('reports an unreachable registry as an error with the reason, and offline evaluation as unsupported', async () => {
    const down = `127.0.0.1:${await freePort()}/verify/gone:v1`;
    const policy = verifyImagesPolicy('down', { imageReferences: ['*'], attestors: keyAttestors(keys.publicKey) });
    const result = await apply(policy, [down], new TrustImageVerifier({ registry: { ...REGISTRY_OPTIONS, retries: 0 } }));
    expect(result.rule.status).toBe('error');
    expect(result.rule.message).toContain(`image verification failed for ${down}: could not verify:`);
    expect(imageOf(result.patched)).toBe(down);

    const offline = applyPoliciesToResource([policy], { object: pod('p', [down]) }).responses[0]!.rules[0]!;
    expect(offline).toMatchObject({ status: 'error', message: 'unsupported: verifyImages without registry access in down/verify' });
    const notary = applyPoliciesToResource([verifyImagesPolicy('notary', { type: 'Notary', imageReferences: ['*'], attestors: keyAttestors(keys.publicKey) })], { object: pod('p', [down]) });
    expect(notary.responses[0]!.rules[0]).toMatchObject({ status: 'error', message: 'unsupported: verifyImages type Notary in notary/verify' });
  });

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)('certificates attestors: the certificate key verifies, once the certificate chains to certChain', async () => {
    const pki = certificates();
    const image = await pushed();
    await signImage(image.ref, { privateKey: loadPrivateKey(pki.leafKey), registry: REGISTRY_OPTIONS });
    const entry = (certChain: string) => ({ imageReferences: ['*'], attestors: [{ entries: [{ certificates: { cert: pki.leaf, certChain, ...UNLOGGED } }] }] });
    expect((await apply(verifyImagesPolicy('cert', entry(pki.ca)), [image.ref])).rule.status).toBe('pass');
    const foreign = await apply(verifyImagesPolicy('cert-other-ca', entry(pki.otherCa)), [image.ref]);
    expect(foreign.rule.status).toBe('fail');
    expect(foreign.rule.message).toContain('is not issued by');

    // Without ignoreTlog, the signature must have been logged while the certificate was valid (cosign's CheckExpiry).
    const rekor = new TestRekor();
    const verifier = new TrustImageVerifier({ registry: REGISTRY_OPTIONS, trustedRoot: rekor.root });
    const logged = (await pushed()).ref;
    await signLogged(logged, loadPrivateKey(pki.leafKey), rekor, { format: 'legacy', registry: REGISTRY_OPTIONS, entry: { integratedTime: Math.floor(Date.now() / 1000) } });
    const early = (await pushed()).ref;
    const beforeIssue = Math.floor(Date.parse(new X509Certificate(pki.leaf).validFrom) / 1000) - 86_400;
    await signLogged(early, loadPrivateKey(pki.leafKey), rekor, { format: 'legacy', registry: REGISTRY_OPTIONS, entry: { integratedTime: beforeIssue } });
    const strict = verifyImagesPolicy('cert-logged', { imageReferences: ['*'], attestors: [{ entries: [{ certificates: { cert: pki.leaf, certChain: pki.ca } }] }] });
    expect((await apply(strict, [logged], verifier)).rule.status).toBe('pass');
    const outside = await apply(strict, [early], verifier);
    expect(outside.rule.status).toBe('fail');
    expect(outside.rule.message).toContain('when the certificate was not valid');
  });

  it('policy test with registry access runs kyverno-test.yaml suites with verifyImages rules', async () => {
    const signed = await pushed();
    await signImage(signed.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const unsigned = await pushed();
    const dir = await mkdtemp(join(tmpdir(), 'palisade-verify-images-test-'));
    const policy = {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'check-image', annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } },
      spec: { rules: [{ name: 'verify-signature', match: { any: [{ resources: { kinds: ['Pod'] } }] }, verifyImages: [{ imageReferences: ['*'], attestors: keyAttestors(keys.publicKey), failureAction: 'Enforce' }] }] },
    };
    await writeFile(join(dir, 'policy.yaml'), stringify(policy));
    await writeFile(join(dir, 'resources.yaml'), [pod('signed', [signed.ref]), pod('unsigned', [unsigned.ref])].map((p) => stringify(p)).join('---\n'));
    await writeFile(
      join(dir, 'kyverno-test.yaml'),
      stringify({
        apiVersion: 'cli.kyverno.io/v1alpha1',
        kind: 'Test',
        metadata: { name: 'verify' },
        policies: ['policy.yaml'],
        resources: ['resources.yaml'],
        results: [
          { policy: 'check-image', rule: 'verify-signature', resources: ['apps/signed'], kind: 'Pod', result: 'pass' },
          { policy: 'check-image', rule: 'verify-signature', resources: ['apps/unsigned'], kind: 'Pod', result: 'fail' },
        ],
      }),
    );
    const online = await runTestFile(join(dir, 'kyverno-test.yaml'), { images: { verifier: new TrustImageVerifier({ registry: REGISTRY_OPTIONS }) } });
    expect(online!.rows.map((r) => [r.resource, r.passed])).toEqual([['apps/signed', true], ['apps/unsigned', true]]);
    const offline = await runTestFile(join(dir, 'kyverno-test.yaml'));
    expect(offline!.rows.map((r) => r.unsupported)).toEqual(['verifyImages without registry access', 'verifyImages without registry access']);
  });

  it('palisade policy apply --registry --insecure: exit 0 and the pinned Pod for a signed image, exit 1 for an unsigned one', async () => {
    const signed = await pushed();
    await signImage(signed.ref, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const unsigned = await pushed();
    const dir = await mkdtemp(join(tmpdir(), 'palisade-verify-images-'));
    const policy = {
      apiVersion: 'kyverno.io/v1',
      kind: 'ClusterPolicy',
      metadata: { name: 'signed-images' },
      spec: { validationFailureAction: 'Enforce', rules: [{ name: 'verify', match: { any: [{ resources: { kinds: ['Pod'] } }] }, verifyImages: [{ imageReferences: ['*'], attestors: keyAttestors(keys.publicKey) }] }] },
    };
    await writeFile(join(dir, 'policy.yaml'), stringify(policy));
    await writeFile(join(dir, 'signed.yaml'), stringify(pod('signed', [signed.ref])));
    await writeFile(join(dir, 'unsigned.yaml'), stringify(pod('unsigned', [unsigned.ref])));
    const palisade = async (args: string[]) => {
      try {
        const { stdout } = await run(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'policy', 'apply', ...args], { cwd: dir, env: { ...process.env, DOCKER_CONFIG: dir } });
        return { code: 0, stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string };
        return { code: e.code, stdout: e.stdout };
      }
    };
    await writeFile(join(dir, 'config.json'), '{}');
    const ok = await palisade(['policy.yaml', '-r', 'signed.yaml', '--registry', '--insecure', '--format', 'json']);
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout) as { summary: Json; patchedResources: Json[] };
    expect(doc.summary).toMatchObject({ pass: 1, fail: 0, error: 0 });
    expect(imageOf(doc.patchedResources[0]!)).toBe(`${signed.ref}@${signed.digest}`);
    const bad = await palisade(['policy.yaml', '-r', 'unsigned.yaml', '--registry', '--insecure']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`image verification failed for ${unsigned.ref}`);
    const offline = await palisade(['policy.yaml', '-r', 'signed.yaml']);
    expect(offline.code).toBe(1);
    expect(offline.stdout).toContain('unsupported: verifyImages without registry access');
  });
});

const Equals = 'Equals';

/** A CA, a leaf certificate it issued (with the leaf's key), and an unrelated CA, made with openssl. */
function certificates(): { ca: string; leaf: string; leafKey: string; otherCa: string } {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-verify-certs-'));
  const openssl = (...args: string[]) => {
    const out = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (out.status !== 0) throw new Error(out.stderr);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other']) openssl('req', '-x509', ...ec, '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  openssl('req', ...ec, '-subj', '/CN=signer', '-keyout', 'leaf.key', '-out', 'leaf.csr');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'leaf.crt');
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const made = { ca: read('ca.crt'), leaf: read('leaf.crt'), leafKey: read('leaf.key'), otherCa: read('other.crt') };
  rmSync(dir, { recursive: true, force: true });
  return made;
}

const SIGSTORE = corpusDir('sigstore');

/**
 * Keyless: cosign's own keyless attestation bundle (pkg/cosign/testdata/oci-attestation.sigstore.json,
 * a Fulcio certificate for cody@soyland.com and a Rekor entry) as a referrer of the digest it names,
 * verified offline against cosign's trusted_root_pgi.json.
 */
describe.skipIf(!available || SIGSTORE === undefined)('keyless verifyImages attestors against an offline trusted root', () => {
  const SUBJECT = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startDockerRegistry();
    const client = plainClient(registry.host);
    const bundle = readFileSync(join(SIGSTORE!, 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json'));
    const built = bundleReferrerManifest({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: SUBJECT, size: 1000 }, bundle, 'https://cosign.sigstore.dev/attestation/v1', new Date());
    for (const blob of built.blobs) await client.putBlob('keyless', blob);
    await client.pushReferrer('keyless', 'application/vnd.oci.image.manifest.v1+json', Buffer.from(built.body));
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('checks subject, issuer and conditions of a keyless attestation', async () => {
    const verifier = new TrustImageVerifier({ registry: REGISTRY_OPTIONS, trustedRoot: readTrustedRoot(join(SIGSTORE!, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json')) });
    const image = `${registry.host}/keyless@${SUBJECT}`;
    const entry = (keyless: Record<string, unknown>, data: string) => ({
      imageReferences: ['*'],
      attestations: [
        {
          predicateType: 'https://cosign.sigstore.dev/attestation/v1',
          attestors: [{ entries: [{ keyless }] }],
          conditions: [{ all: [{ key: '{{ Data }}', operator: 'Equals', value: data }] }],
        },
      ],
    });
    const rule = async (keyless: Record<string, unknown>, data = '{"foo": "bar"}\n') =>
      (
        await evaluateWithImageVerification(verifier.session(), (imageVerification) =>
          applyPoliciesToResource([verifyImagesPolicy('keyless', entry(keyless, data))], { object: pod('p', [image]) }, { imageVerification }),
        )
      ).responses[0]!.rules[0]!;
    expect(await rule({ subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' })).toMatchObject({ status: 'pass' });
    expect(await rule({ subjectRegExp: '^cody@.*$', issuer: 'https://github.com/*' })).toMatchObject({ status: 'pass' });
    // Kyverno's wildcards in subject and issuer: `?` is one character, as in Kyverno's wildcard.Match.
    expect(await rule({ subject: 'cod?@soyland.com', issuer: 'https://github.com/login/oaut?' })).toMatchObject({ status: 'pass' });
    expect((await rule({ subject: 'cod?@soyland.com.?', issuer: 'https://github.com/login/oauth' })).status).toBe('fail');
    const stranger = await rule({ subject: 'mallory@example.com', issuer: 'https://github.com/login/oauth' });
    expect(stranger.status).toBe('fail');
    expect(stranger.message).toContain('0 of 1 required attestors verified');
    expect((await rule({ subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' }, 'other')).status).toBe('fail');
  });

  it('keyless.roots replaces the trusted root\'s certificate authorities', async () => {
    // The trusted root without its Fulcio CAs: only the policy's roots can anchor the certificate.
    const json = JSON.parse(readFileSync(join(SIGSTORE!, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json'), 'utf8')) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const fulcio = json.certificateAuthorities
      .flatMap((ca) => ca.certChain.certificates)
      .map((c) => `-----BEGIN CERTIFICATE-----\n${c.rawBytes.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    const verifier = new TrustImageVerifier({ registry: REGISTRY_OPTIONS, trustedRoot: parseTrustedRoot({ ...json, certificateAuthorities: [] }) });
    const rule = async (roots?: string) =>
      (
        await evaluateWithImageVerification(verifier.session(), (imageVerification) =>
          applyPoliciesToResource(
            [
              verifyImagesPolicy('roots', {
                imageReferences: ['*'],
                attestations: [
                  {
                    predicateType: 'https://cosign.sigstore.dev/attestation/v1',
                    attestors: [{ entries: [{ keyless: { subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth', ...(roots && { roots }) } }] }],
                  },
                ],
              }),
            ],
            { object: pod('p', [`${registry.host}/keyless@${SUBJECT}`]) },
            { imageVerification },
          ),
        )
      ).responses[0]!.rules[0]!;
    expect((await rule()).status).toBe('fail');
    // The 2022 chain (intermediate and root) in either order anchors it; the retired 2021 root alone does not.
    expect(await rule(fulcio.slice(1).join(''))).toMatchObject({ status: 'pass' });
    expect(await rule([...fulcio.slice(1)].reverse().join(''))).toMatchObject({ status: 'pass' });
    expect((await rule(fulcio[0])).status).toBe('fail');
  });
});
