/**
 * verifyImages without a registry: reading entries (defaults, multi-key fields, unsupported fields),
 * and the rule handler deciding from given outcomes — autogen rules on Deployments, UPDATEs that
 * keep their images, attestation conditions over the predicate, digest-only rules offline.
 */
import { describe, expect, it } from 'vitest';
import { applyPoliciesToResource } from '../../../src/policy/engine/engine.ts';
import { parsePolicies } from '../../../src/policy/engine/load.ts';
import type { ImageVerificationResults } from '../../../src/policy/engine/verify-images.ts';
import {
  parseImageVerification,
  requestKey,
  splitPublicKeys,
  UnsupportedImageFeature,
  type ImageVerificationOutcome,
  type ImageVerificationRequest,
} from '../../../src/policy/engine/verify-images-spec.ts';
import { publicKeyPem } from '../../../src/trust/keys.ts';
import { issueCertificate } from '../../trust/certificate-helpers.ts';
import { p256 } from '../../trust/oci/helpers.ts';
import { pod, verifyImagesPolicy } from './verify-images-helpers.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const KEY_A = publicKeyPem(p256().publicKey);
const KEY_B = publicKeyPem(p256().publicKey);

/** Outcomes by attestor key PEM (signatures) or predicate type (attestations); records what was asked. */
function results(outcomeOf: (request: ImageVerificationRequest) => ImageVerificationOutcome): ImageVerificationResults & { asked: ImageVerificationRequest[] } {
  const asked: ImageVerificationRequest[] = [];
  return {
    asked,
    outcome(request) {
      asked.push(request);
      return outcomeOf(request);
    },
  };
}

const signedBy = (pem: string) => (r: ImageVerificationRequest): ImageVerificationOutcome =>
  r.kind === 'signature' && r.attestor.kind === 'key' && r.attestor.publicKey === pem.trim() ? { status: 'verified', digest: DIGEST } : { status: 'rejected', reason: 'no signatures found' };

describe('reading verifyImages entries', () => {
  it("applies Kyverno's defaults and splits a publicKeys field into one attestor per key", () => {
    const spec = parseImageVerification({ imageReferences: ['ghcr.io/*'], attestors: [{ entries: [{ keys: { publicKeys: KEY_A + '\n' + KEY_B } }] }] });
    expect(spec).toMatchObject({ mutateDigest: true, verifyDigest: true, required: true, insecure: false });
    expect(spec.attestors[0]!.count).toBe(2);
    expect(spec.attestors[0]!.entries).toHaveLength(2);
    expect(splitPublicKeys(KEY_A + KEY_B)).toEqual([KEY_A.trim(), KEY_B.trim()]);
  });

  it.each([
    [{ type: 'Notary' }, 'verifyImages type Notary'],
    [{ attestors: [{ entries: [{ keys: { kms: 'awskms:///x' } }] }] }, 'keys.kms (.attestors[0].entries[0])'],
    [{ attestors: [{ entries: [{ keys: { secret: { name: 'k', namespace: 'n' } } }] }] }, 'keys.secret (.attestors[0].entries[0])'],
    [{ attestors: [{ entries: [{ keyless: { subject: 's', issuer: 'i', additionalExtensions: { githubWorkflowTrigger: 'push' } } }] }] }, 'keyless.additionalExtensions (.attestors[0].entries[0])'],
    [{ imageRegistryCredentials: { secrets: ['regcred'] } }, 'imageRegistryCredentials.secrets'],
    [{ attestors: [{ entries: [{ keys: { publicKeys: KEY_A, ctlog: { tsaCertChain: 'PEM' } } }] }] }, 'keys.ctlog.tsaCertChain (timestamp authorities) (.attestors[0].entries[0])'],
    [{ attestors: [{ entries: [{ keyless: { subject: 's', issuer: 'i', rekor: { pubkey: 'PEM' } } }] }] }, 'keyless.rekor.pubkey (.attestors[0].entries[0])'],
    [{ attestors: [{ entries: [{ keys: { publicKeys: KEY_A, signatureAlgorithm: 'sha512' } }] }] }, 'keys.signatureAlgorithm sha512 with a ecdsa-p256 key, which cosign signs with sha256 (.attestors[0].entries[0])'],
  ])('%j is unsupported', (entry, feature) => {
    expect(() => parseImageVerification({ imageReferences: ['*'], ...entry })).toThrow(new UnsupportedImageFeature(feature));
  });

  it('reports a key or certificate that does not parse, naming the field', () => {
    expect(() => parseImageVerification({ attestors: [{ entries: [{ keys: { publicKeys: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' } }] }] })).toThrow(
      /^\.attestors\[0\]\.entries\[0\]\.keys\.publicKeys: /,
    );
    expect(() => parseImageVerification({ attestors: [{ entries: [{ certificates: { cert: 'not a certificate' } }] }] })).toThrow(/\.certificates\.cert: /);
    expect(() => parseImageVerification({ attestors: [{ entries: [{ keyless: { subject: 's', issuer: 'i', roots: 'PEM' } }] }] })).toThrow(/\.keyless\.roots: /);
  });

  it('reports malformed entries at load time with file, line and field path', () => {
    const text = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: bad}
spec:
  rules:
    - name: verify
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ghcr.io/*
          mutateDigest: "yes"
          failureAction: Block
`;
    let message = '';
    try {
      parsePolicies(text, 'bad.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('bad.yaml:9: spec.rules[0].verifyImages[0].imageReferences: must be a list of strings');
    expect(message).toContain('spec.rules[0].verifyImages[0].mutateDigest: must be true or false');
    expect(message).toContain('spec.rules[0].verifyImages[0].failureAction: must be Enforce or Audit');
  });

  it('reads rekor.ignoreTlog on key, certificate and keyless attestors; without it every attestor needs the log, and requests differ', () => {
    const leaf = (entry: Record<string, unknown>) => (parseImageVerification({ attestors: [{ entries: [entry] }] }).attestors[0]!.entries[0] as { attestor: Record<string, unknown> }).attestor;
    expect(leaf({ keys: { publicKeys: KEY_A, rekor: { ignoreTlog: true } } })).toMatchObject({ kind: 'key', ignoreTlog: true });
    expect(leaf({ keys: { publicKeys: KEY_A, rekor: { url: 'https://rekor.sigstore.dev' } } })).not.toHaveProperty('ignoreTlog');
    const cert = issueCertificate('signer').cert;
    expect(leaf({ certificates: { cert, rekor: { ignoreTlog: true } } })).toMatchObject({ kind: 'certificate', ignoreTlog: true });
    expect(leaf({ certificates: { cert } })).not.toHaveProperty('ignoreTlog');
    expect(leaf({ keyless: { subject: 's', issuer: 'i', rekor: { ignoreTlog: true } } })).toMatchObject({ kind: 'keyless', ignoreTlog: true });
    const logged = requestKey({ kind: 'signature', image: 'x:v1', attestor: { kind: 'key', publicKey: KEY_A } });
    expect(requestKey({ kind: 'signature', image: 'x:v1', attestor: { kind: 'key', publicKey: KEY_A, ignoreTlog: true } })).not.toBe(logged);
  });

  it('refuses a count above the entries, and gives equal requests equal keys whatever the field order', () => {
    expect(() => parseImageVerification({ attestors: [{ count: 3, entries: [{ keys: { publicKeys: KEY_A } }] }] })).toThrow('3 is more than the 1 entries');
    const a = requestKey({ kind: 'signature', image: 'x:v1', attestor: { kind: 'key', publicKey: KEY_A }, repository: 'r' });
    const b = requestKey({ repository: 'r', attestor: { publicKey: KEY_A, kind: 'key' }, image: 'x:v1', kind: 'signature' });
    expect(a).toBe(b);
    expect(requestKey({ kind: 'signature', image: 'x:v2', attestor: { kind: 'key', publicKey: KEY_A } })).not.toBe(a);
  });
});

describe('verifyImages rules from given outcomes', () => {
  const deployment = (image: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'apps' },
    spec: { template: { metadata: {}, spec: { containers: [{ name: 'app', image }] } } },
  });

  it('autogen rules verify and pin the images of a pod template', () => {
    const [policy] = parsePolicies(
      `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: signed}
spec:
  validationFailureAction: Enforce
  rules:
    - name: verify
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ["ghcr.io/acme/*"]
          attestors: [{entries: [{keys: {publicKeys: ${JSON.stringify(KEY_A)}}}]}]
`,
      'policy.yaml',
    ).policies;
    const out = applyPoliciesToResource([policy!], { object: deployment('ghcr.io/acme/app:v1') }, { imageVerification: results(signedBy(KEY_A)) });
    expect(out.responses[0]!.rules[0]).toMatchObject({ name: 'autogen-verify', status: 'pass' });
    expect(out.responses[0]!.failureActions['autogen-verify']).toBe('Enforce');
    expect((out.patched.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image).toBe(`ghcr.io/acme/app:v1@${DIGEST}`);
  });

  it('does not verify again images an UPDATE keeps, and skips DELETE', () => {
    const policy = verifyImagesPolicy('p', { imageReferences: ['*'], attestors: [{ entries: [{ keys: { publicKeys: KEY_A } }] }] });
    const asked = results(signedBy(KEY_A));
    const old = pod('p', ['ghcr.io/acme/app:v1', 'ghcr.io/acme/db:v1']);
    const updated = pod('p', ['ghcr.io/acme/app:v1', 'ghcr.io/acme/db:v2']);
    applyPoliciesToResource([policy], { object: updated }, { operation: 'UPDATE', oldObject: old, imageVerification: asked });
    expect(asked.asked.map((r) => r.image)).toEqual(['ghcr.io/acme/db:v2']);
    // verifyDigest needs no registry: a kept tag still fails it (mutateDigest off, so nothing pins it).
    const digests = verifyImagesPolicy('d', { imageReferences: ['*'], mutateDigest: false, attestors: [{ entries: [{ keys: { publicKeys: KEY_A } }] }] });
    const kept = applyPoliciesToResource([digests], { object: old }, { operation: 'UPDATE', oldObject: old, imageVerification: asked });
    expect(kept.responses[0]!.rules[0]).toMatchObject({ status: 'fail', message: 'image verification failed for ghcr.io/acme/app:v1: missing digest for ghcr.io/acme/app:v1; image verification failed for ghcr.io/acme/db:v1: missing digest for ghcr.io/acme/db:v1' });
    expect(asked.asked).toHaveLength(1);
    const deleted = applyPoliciesToResource([policy], { object: old }, { operation: 'DELETE', imageVerification: asked });
    expect(deleted.responses.flatMap((r) => r.rules)).toEqual([]);
  });

  it('counts attestors, errors when one could not be checked, and checks conditions against the predicate', () => {
    const entry = (count: number) => ({ imageReferences: ['*'], attestors: [{ count, entries: [{ keys: { publicKeys: KEY_A } }, { keys: { publicKeys: KEY_B } }] }] });
    const down = (r: ImageVerificationRequest): ImageVerificationOutcome =>
      r.kind === 'signature' && r.attestor.kind === 'key' && r.attestor.publicKey === KEY_B.trim() ? { status: 'unavailable', reason: 'connect ECONNREFUSED' } : signedBy(KEY_A)(r);
    const rule = (policyEntry: Record<string, unknown>, outcomes: (r: ImageVerificationRequest) => ImageVerificationOutcome) =>
      applyPoliciesToResource([verifyImagesPolicy('p', policyEntry)], { object: pod('p', ['ghcr.io/acme/app:v1']) }, { imageVerification: results(outcomes) }).responses[0]!.rules[0]!;
    expect(rule(entry(1), down).status).toBe('pass');
    const errored = rule(entry(2), down);
    expect(errored.status).toBe('error');
    expect(errored.message).toContain('could not verify: 1 of 2 required attestors verified; .attestors[0].entries[1]: connect ECONNREFUSED');

    const attested = (value: string) => ({
      imageReferences: ['*'],
      attestations: [{ type: 'https://example.com/review', attestors: [{ entries: [{ keys: { publicKeys: KEY_A } }] }], conditions: [{ any: [{ key: '{{ reviewer }}', operator: 'Equals', value }] }] }],
    });
    const statements = (): ImageVerificationOutcome => ({ status: 'verified', digest: DIGEST, statements: [{ predicateType: 'https://example.com/review', predicate: { reviewer: 'alice' } }] });
    expect(rule(attested('alice'), statements).status).toBe('pass');
    expect(rule(attested('mallory'), statements)).toMatchObject({ status: 'fail' });
  });

  it('validate.deny sees the named attestations\' predicates, and denies with its message', () => {
    const entry = (minimum: number) => ({
      imageReferences: ['*'],
      attestations: [
        { name: 'sbom', type: 'https://cyclonedx.org/bom', attestors: [{ entries: [{ keys: { publicKeys: KEY_A } }] }] },
        { name: 'scan', type: 'https://example.com/scan', attestors: [{ entries: [{ keys: { publicKeys: KEY_A } }] }] },
      ],
      validate: {
        message: 'scan of {{ sbom.metadata.component }} found {{ scan.critical }} critical',
        deny: { conditions: { any: [{ key: '{{ scan.critical }}', operator: 'GreaterThan', value: minimum }] } },
      },
    });
    const outcomes = (r: ImageVerificationRequest): ImageVerificationOutcome => {
      const predicate = r.kind === 'attestation' && r.predicateType === 'https://cyclonedx.org/bom' ? { bomFormat: 'CycloneDX', metadata: { component: 'app' } } : { critical: 2 };
      return { status: 'verified', digest: DIGEST, statements: [{ predicateType: (r.kind === 'attestation' && r.predicateType) || '', predicate }] };
    };
    const rule = (minimum: number) =>
      applyPoliciesToResource([verifyImagesPolicy('p', entry(minimum))], { object: pod('p', ['ghcr.io/acme/app:v1']) }, { imageVerification: results(outcomes) }).responses[0]!.rules[0]!;
    expect(rule(1)).toMatchObject({ status: 'fail', message: 'image verification failed for ghcr.io/acme/app:v1: validation in verifyImages failed: scan of app found 2 critical' });
    expect(rule(5).status).toBe('pass');
    expect(rule(5).message).toContain('verifyImages validation is passed in verify rule');
  });

  it('substitutes variables per resource (entries are read once only when they hold none)', () => {
    const policy = verifyImagesPolicy('p', { imageReferences: ['{{ request.object.metadata.labels.registry }}/*'], attestors: [{ entries: [{ keys: { publicKeys: KEY_A } }] }] });
    const labelled = (registry: string) => ({ ...pod('p', ['ghcr.io/acme/app:v1']), metadata: { name: 'p', namespace: 'apps', labels: { registry } } });
    const statuses = ['ghcr.io', 'quay.io', 'ghcr.io'].map((registry) => applyPoliciesToResource([policy], { object: labelled(registry) }, { imageVerification: results(signedBy(KEY_A)) }).responses[0]?.rules[0]?.status);
    expect(statuses).toEqual(['pass', undefined, 'pass']);
  });

  it('skips images that skipImageReferences name (and has no result when no image matches)', () => {
    const policy = verifyImagesPolicy('p', { imageReferences: ['ghcr.io/*'], skipImageReferences: ['ghcr.io/acme/tools:*'], attestors: [{ entries: [{ keys: { publicKeys: KEY_A } }] }] });
    const rule = (images: string[]) => applyPoliciesToResource([policy], { object: pod('p', images) }, { imageVerification: results(signedBy(KEY_A)) }).responses[0]?.rules[0];
    expect(rule(['ghcr.io/acme/tools:v1'])).toMatchObject({ status: 'skip', message: 'image verification skipped for ghcr.io/acme/tools:v1 (skipImageReferences)' });
    expect(rule(['ghcr.io/acme/tools:v1', 'ghcr.io/acme/app:v1'])?.status).toBe('pass');
    expect(rule(['quay.io/acme/app:v1'])).toBeUndefined();
  });

  it('decides digest-only rules offline and reports rules that need a registry as unsupported', () => {
    const digestOnly = verifyImagesPolicy('digests', { imageReferences: ['*'], mutateDigest: false, required: false });
    const tagged = applyPoliciesToResource([digestOnly], { object: pod('p', ['nginx:1.27']) }).responses[0]!.rules[0]!;
    expect(tagged).toMatchObject({ status: 'fail', message: 'image verification failed for docker.io/nginx:1.27: missing digest for docker.io/nginx:1.27' });
    expect(applyPoliciesToResource([digestOnly], { object: pod('p', [`nginx@${DIGEST}`]) }).responses[0]!.rules[0]!.status).toBe('pass');
    const pinning = verifyImagesPolicy('pin', { imageReferences: ['*'], required: false });
    // The CLI hints at --registry by the code, not by the message text.
    expect(applyPoliciesToResource([pinning], { object: pod('p', ['nginx:1.27']) }).responses[0]!.rules[0]).toMatchObject({
      status: 'error',
      code: 'REGISTRY_ACCESS_REQUIRED',
      message: 'unsupported: verifyImages without registry access in pin/verify',
    });
    // A failure found offline is reported even when another image would need a registry.
    const [both] = parsePolicies(
      `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: both, annotations: {pod-policies.kyverno.io/autogen-controllers: none}}
spec:
  rules:
    - name: verify
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - {imageReferences: ["docker.io/*"], mutateDigest: false, required: false}
        - {imageReferences: ["ghcr.io/*"], attestors: [{entries: [{keys: {publicKeys: ${JSON.stringify(KEY_A)}}}]}]}
`,
      'both.yaml',
    ).policies;
    expect(applyPoliciesToResource([both!], { object: pod('p', ['nginx:1.27', 'ghcr.io/acme/app:v1']) }).responses[0]!.rules[0]).toMatchObject({ status: 'fail' });
  });
});
