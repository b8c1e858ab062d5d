import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBlob } from '../../src/trust/blob.ts';
import { parseBundle, parseTrustedRoot, publicGoodTrustedRoot, readTrustedRoot, verifyBundle, type BundlePolicy } from '../../src/trust/bundle/index.ts';
import { loadPrivateKey, loadPublicKey } from '../../src/trust/keys.ts';
import { fixture, fixturePath, reasonOf } from './helpers.ts';

const publicGood = publicGoodTrustedRoot();
const artifact = Buffer.from(fixture('conformance-a.txt'));
const messageBundle = fixture('conformance-happy-path-v0.3.sigstore.json');
const dsseBundle = fixture('conformance-intoto-in-dsse-v3.sigstore.json');
const BEACON = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ACTIONS = 'https://token.actions.githubusercontent.com';
const keyless: BundlePolicy = { identity: BEACON, issuer: ACTIONS };

describe('keyless bundles', () => {
  it('verifies a message signature and reports the signer with its Fulcio extensions', () => {
    const result = verifyBundle(messageBundle, artifact, keyless, publicGood);
    expect(result.content).toBe('message-signature');
    expect(result.mediaType).toBe('application/vnd.dev.sigstore.bundle+json;version=0.3');
    expect(result.signer).toMatchObject({ kind: 'certificate', identity: BEACON, issuer: ACTIONS });
    expect(result.signer.extensions?.['1.3.6.1.4.1.57264.1.8']).toBe(ACTIONS);
    expect(result.signer.extensions?.['1.3.6.1.4.1.57264.1.12']).toBe('https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon');
    expect(result.tlogEntries).toBe(1);
    expect(result.payload).toBeUndefined();
  });

  it('verifies a DSSE bundle, binding the artifact through the statement subject, and returns the statement', () => {
    const result = verifyBundle(dsseBundle, artifact, keyless, publicGood);
    expect(result.content).toBe('dsse-envelope');
    expect(result.payload?.payloadType).toBe('application/vnd.in-toto+json');
    expect(result.payload?.statement?.subject[0]?.digest.sha256).toBe(createHash('sha256').update(artifact).digest('hex'));
    // By digest, as verify-blob-attestation --digest does.
    const digest = `sha256:${createHash('sha256').update(artifact).digest('hex')}`;
    expect(verifyBundle(dsseBundle, { digest }, keyless, publicGood).content).toBe('dsse-envelope');
  });

  it('matches identity and issuer regexps (unanchored, like cosign)', () => {
    const policy = { identityRegexp: 'sigstore-conformance/extremely-dangerous', issuerRegexp: '^https://token\\.actions\\.' };
    expect(verifyBundle(messageBundle, artifact, policy, publicGood).signer.identity).toBe(BEACON);
  });

  it('rejects another identity or issuer with POLICY_ERROR', () => {
    expect(reasonOf(() => verifyBundle(messageBundle, artifact, { ...keyless, identity: 'https://evil.example/wf' }, publicGood))).toBe('POLICY_ERROR');
    expect(reasonOf(() => verifyBundle(messageBundle, artifact, { ...keyless, issuer: 'https://accounts.google.com' }, publicGood))).toBe('POLICY_ERROR');
    expect(reasonOf(() => verifyBundle(messageBundle, artifact, { identity: BEACON, issuerRegexp: 'google' }, publicGood))).toBe('POLICY_ERROR');
    expect(reasonOf(() => verifyBundle(messageBundle, artifact, { identityRegexp: '(', issuer: ACTIONS }, publicGood))).toBe('POLICY_ERROR');
  });

  it('insists on an identity and an issuer, as cosign does', () => {
    expect(() => verifyBundle(messageBundle, artifact, { identity: BEACON }, publicGood)).toThrow(/--certificate-oidc-issuer/);
    expect(reasonOf(() => verifyBundle(messageBundle, artifact, { issuer: ACTIONS }, publicGood))).toBe('POLICY_ERROR');
  });

  it('rejects a key policy for a certificate bundle with KEY_MISMATCH', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(reasonOf(() => verifyBundle(messageBundle, artifact, { ...keyless, publicKey }, publicGood))).toBe('KEY_MISMATCH');
  });

  it('rejects another artifact: DIGEST_MISMATCH for message signatures, SUBJECT_MISMATCH for statements', () => {
    expect(reasonOf(() => verifyBundle(messageBundle, Buffer.from('other'), keyless, publicGood))).toBe('DIGEST_MISMATCH');
    expect(reasonOf(() => verifyBundle(dsseBundle, Buffer.from('other'), keyless, publicGood))).toBe('SUBJECT_MISMATCH');
    expect(reasonOf(() => verifyBundle(messageBundle, { digest: 'sha256:00' }, keyless, publicGood))).toBe('MALFORMED_DIGEST');
  });

  it('rejects a tampered signature', () => {
    const bundle = JSON.parse(messageBundle) as { messageSignature: { signature: string } };
    const sig = Buffer.from(bundle.messageSignature.signature, 'base64');
    sig[sig.length - 3] = sig[sig.length - 3]! ^ 0xff;
    bundle.messageSignature.signature = sig.toString('base64');
    // The log entry records the original signature, so the body check catches it first.
    expect(reasonOf(() => verifyBundle(bundle, artifact, keyless, publicGood))).toBe('TLOG_ERROR');
  });

  it('rejects a bundle from another instance with CERTIFICATE_ERROR', () => {
    const root = readTrustedRoot(fixturePath('conformance-managed-key-trusted-root.json'));
    const withoutFulcio = parseTrustedRoot({ ...JSON.parse(fixture('conformance-managed-key-trusted-root.json')), certificateAuthorities: [] });
    expect(root.certificateAuthorities.length).toBeGreaterThan(0);
    expect(reasonOf(() => verifyBundle(messageBundle, artifact, keyless, withoutFulcio))).toBe('CERTIFICATE_ERROR');
  });
});

describe('key-based bundles', () => {
  const managedKey = loadPublicKey(fixture('conformance-managed-key.pub'));
  const managedRoot = readTrustedRoot(fixturePath('conformance-managed-key-trusted-root.json'));
  const managedBundle = fixture('conformance-managed-key.sigstore.json');

  it('verifies a managed-key bundle with a transparency-log entry', () => {
    const result = verifyBundle(managedBundle, artifact, { publicKey: managedKey }, managedRoot);
    expect(result.signer.kind).toBe('public-key');
    expect(result.signer.key.equals(managedKey)).toBe(true);
  });

  it('rejects the wrong key, and a key bundle checked without a key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(reasonOf(() => verifyBundle(managedBundle, artifact, { publicKey }, managedRoot))).toBe('SIGNATURE_INVALID');
    expect(reasonOf(() => verifyBundle(managedBundle, artifact, keyless, managedRoot))).toBe('POLICY_ERROR');
  });

  it('verifies Palisade’s own offline bundles only when the missing log is accepted', () => {
    const key = loadPrivateKey(fixture('policy-controller-cosign.key'), '');
    const pub = loadPublicKey(fixture('policy-controller-cosign.pub'));
    const { bundle } = signBlob(artifact, key);
    expect(() => verifyBundle(bundle, artifact, { publicKey: pub }, publicGood)).toThrow(/--insecure-ignore-tlog/);
    expect(reasonOf(() => verifyBundle(bundle, artifact, { publicKey: pub }, publicGood))).toBe('TLOG_ERROR');
    expect(verifyBundle(bundle, artifact, { publicKey: pub, ignoreTlog: true }, publicGood).signer.kind).toBe('public-key');
    expect(reasonOf(() => verifyBundle(bundle, Buffer.from('x'), { publicKey: pub, ignoreTlog: true }, publicGood))).toBe('DIGEST_MISMATCH');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(reasonOf(() => verifyBundle(bundle, artifact, { publicKey: other, ignoreTlog: true }, publicGood))).toBe('SIGNATURE_INVALID');
  });
});

describe('malformed input', () => {
  it.each([
    ['not JSON', '{"mediaType":'],
    ['not an object', '[1]'],
    ['no media type', '{}'],
    ['an unknown version', JSON.stringify({ ...JSON.parse(messageBundle), mediaType: 'application/vnd.dev.sigstore.bundle.v0.4+json' })],
    ['no content', JSON.stringify({ ...JSON.parse(messageBundle), messageSignature: undefined })],
  ])('a bundle with %s → MALFORMED_BUNDLE', (_name, text) => {
    expect(reasonOf(() => parseBundle(text))).toBe('MALFORMED_BUNDLE');
    expect(reasonOf(() => verifyBundle(text, artifact, keyless, publicGood))).toBe('MALFORMED_BUNDLE');
  });

  it('names the invalid fields', () => {
    const bundle = JSON.parse(messageBundle) as { verificationMaterial: { x509CertificateChain?: unknown } };
    bundle.verificationMaterial.x509CertificateChain = { certificates: [] };
    expect(() => parseBundle(bundle)).toThrow(/x509CertificateChain\.certificates/);
  });

  it('rejects trusted roots with missing fields or a validity without start, with MALFORMED_TRUSTED_ROOT', () => {
    const root = JSON.parse(fixture('conformance-managed-key-trusted-root.json')) as { tlogs: { publicKey: { validFor: object } }[] };
    expect(reasonOf(() => parseTrustedRoot({ tlogs: [] }))).toBe('MALFORMED_TRUSTED_ROOT');
    root.tlogs[0]!.publicKey.validFor = { end: '2030-01-01T00:00:00Z' };
    expect(() => parseTrustedRoot(root)).toThrow(/tlogs\[0\]\.publicKey\.validFor/);
    expect(reasonOf(() => readTrustedRoot(fixturePath('conformance-a.txt')))).toBe('MALFORMED_TRUSTED_ROOT');
    expect(reasonOf(() => readTrustedRoot(fixturePath('absent.json')))).toBe('MALFORMED_TRUSTED_ROOT');
  });
});
