/**
 * Transparency-log entries of cosign's legacy signatures (src/trust/tlog): the SET of the
 * `dev.sigstore.cosign/bundle` annotation against the trusted root's Rekor keys, and the entry body
 * against the signature it is meant to prove was logged.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseTrustedRoot, publicGoodTrustedRoot, verifyBundle } from '../../src/trust/bundle/index.ts';
import { signEnvelope } from '../../src/trust/dsse.ts';
import { loadPublicKey, signData } from '../../src/trust/keys.ts';
import { checkEntryBody, checkEntryKey, verifyRekorBundle, type LoggedSignature } from '../../src/trust/tlog/index.ts';
import { fixture, reasonOf } from './helpers.ts';
import { TestRekor, dsseBody, hashedrekordBody, intotoBody } from './test-rekor.ts';

/** The `dev.sigstore.cosign/bundle` example of cosign's SIGNATURE_SPEC.md: a real public-good Rekor entry (logIndex 5179, 2021). */
function specExample(): { annotation: string; body: { spec: { signature: { content: string } } } } {
  const annotation = fixture('cosign-spec-rekor-bundle.json').trim();
  const body = JSON.parse(Buffer.from(JSON.parse(annotation).Payload.body, 'base64').toString('utf8'));
  return { annotation, body };
}

function p256() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

describe('the Rekor SET of a cosign signature layer', () => {
  const signer = p256();
  const payload = Buffer.from('{"critical":{"identity":{"docker-reference":"registry.test/app"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}');
  const signature = signData(signer.privateKey, payload);
  const logged: LoggedSignature = { content: 'message', payload, signature, publicKey: signer.publicKey };

  it('verifies the public-good SET of the cosign spec example with the shipped trusted root, and rejects a changed field', () => {
    const { annotation, body } = specExample();
    const example: LoggedSignature = { ...logged, signature: Buffer.from(body.spec.signature.content, 'base64') };
    // The SET holds; the entry (a rekord of 2021) logs another payload than ours.
    expect(() => verifyRekorBundle(annotation, example, publicGoodTrustedRoot())).toThrow(/does not match the signature: it records payload sha256:a4492b0e/);
    const tampered = JSON.parse(annotation);
    tampered.Payload.logIndex += 1;
    expect(() => verifyRekorBundle(JSON.stringify(tampered), example, publicGoodTrustedRoot())).toThrow(/signed entry timestamp does not verify/);
    expect(() => verifyRekorBundle(annotation, example, new TestRekor().root)).toThrow(/a log the trusted root does not name/);
  });

  it('accepts an entry naming the payload, signature and key, with a SET by a log of the trusted root', () => {
    const rekor = new TestRekor();
    const proof = verifyRekorBundle(rekor.annotation(hashedrekordBody(payload, signature, signer.publicKey), { logIndex: 7 }), logged, rekor.root);
    expect(proof).toMatchObject({ logID: rekor.logID, logIndex: 7 });
    // rekord 0.0.1 (cosign before hashedrekord) has the same fields.
    const rekord = { ...hashedrekordBody(payload, signature, signer.publicKey), kind: 'rekord' };
    expect(reasonOf(() => verifyRekorBundle(rekor.annotation(rekord), logged, rekor.root))).toBeUndefined();
  });

  it('rejects, with TLOG_ERROR, a missing or malformed annotation, a foreign log, a forged SET and bad times', () => {
    const rekor = new TestRekor();
    const body = hashedrekordBody(payload, signature, signer.publicKey);
    expect(() => verifyRekorBundle(undefined, logged, rekor.root)).toThrow(/no transparency log entry/);
    expect(reasonOf(() => verifyRekorBundle(undefined, logged, rekor.root))).toBe('TLOG_ERROR');
    expect(() => verifyRekorBundle('{"Payload":{}}', logged, rekor.root)).toThrow(/SignedEntryTimestamp, Payload.body, Payload.integratedTime, Payload.logIndex, Payload.logID/);
    expect(reasonOf(() => verifyRekorBundle('not json', logged, rekor.root))).toBe('TLOG_ERROR');
    // Another log signed it (same body): its key is not in the root.
    expect(() => verifyRekorBundle(new TestRekor().annotation(body), logged, rekor.root)).toThrow(/does not name/);
    // The SET is the log's over exactly this entry: another body under it does not verify.
    const forged = JSON.parse(rekor.annotation(body));
    forged.Payload.body = Buffer.from(JSON.stringify(hashedrekordBody(payload, signature, p256().publicKey))).toString('base64');
    expect(() => verifyRekorBundle(JSON.stringify(forged), logged, rekor.root)).toThrow(/signed entry timestamp does not verify/);
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect(() => verifyRekorBundle(rekor.annotation(body, { integratedTime: future }), logged, rekor.root)).toThrow(/in the future/);
    // A time no date can hold (past year 275760) is malformed, not a crash on formatting it.
    expect(() => verifyRekorBundle(rekor.annotation(body, { integratedTime: 2 ** 50 }), logged, rekor.root)).toThrow(/invalid Payload.integratedTime/);
    const retired = new TestRekor({ start: new Date('2020-01-01T00:00:00Z'), end: new Date('2021-01-01T00:00:00Z') });
    expect(() => verifyRekorBundle(retired.annotation(body), logged, retired.root)).toThrow(/outside the validity of the log's key/);
    expect(reasonOf(() => verifyRekorBundle(retired.annotation(body, { integratedTime: Date.parse('2020-06-01T00:00:00Z') / 1000 }), logged, retired.root))).toBeUndefined();
  });

  it('rejects entries that log another payload, signature or key', () => {
    const rekor = new TestRekor();
    const other = p256();
    const otherPayload = Buffer.from('{}');
    const cases: [string, object][] = [
      ['payload', hashedrekordBody(otherPayload, signature, signer.publicKey)],
      ['signature', hashedrekordBody(payload, signData(signer.privateKey, otherPayload), signer.publicKey)],
      ['key', hashedrekordBody(payload, signature, other.publicKey)],
    ];
    for (const [what, body] of cases) {
      expect(() => verifyRekorBundle(rekor.annotation(body), logged, rekor.root), what).toThrow(/transparency log entry does not match the signature/);
    }
    const unreadable = hashedrekordBody(payload, signature, signer.publicKey) as { spec: { signature: { content: string } } };
    unreadable.spec.signature.content = 'not base64!';
    expect(() => verifyRekorBundle(rekor.annotation(unreadable), logged, rekor.root)).toThrow(/records another signature/);
    const attestation = intotoBody(Buffer.from('{}'), payload, signer.publicKey);
    expect(() => verifyRekorBundle(rekor.annotation(attestation), logged, rekor.root)).toThrow(/records a intoto entry/);
    const unknown = { apiVersion: '0.0.1', kind: 'alpine', spec: {} };
    expect(() => verifyRekorBundle(rekor.annotation(unknown), logged, rekor.root)).toThrow(/unsupported entry kind alpine 0.0.1/);
  });
});

describe('log entries of DSSE envelopes (cosign legacy attestations)', () => {
  const signer = p256();
  const statement = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}');
  const envelope = signEnvelope('application/vnd.in-toto+json', statement, signer.privateKey);
  const stored = Buffer.from(JSON.stringify(envelope));
  const signatures = envelope.signatures.map((s) => Buffer.from(s.sig, 'base64'));
  const logged: LoggedSignature = { content: 'envelope', envelope: stored, payload: statement, signatures, publicKey: signer.publicKey };

  it('accepts intoto 0.0.1 entries naming the stored envelope and key, and dsse 0.0.1 entries naming the signature and key', () => {
    const rekor = new TestRekor();
    expect(reasonOf(() => verifyRekorBundle(rekor.annotation(intotoBody(stored, statement, signer.publicKey)), logged, rekor.root))).toBeUndefined();
    expect(reasonOf(() => checkEntryBody(Buffer.from(JSON.stringify(dsseBody(statement, signatures[0]!, signer.publicKey))), logged))).toBeUndefined();
  });

  it('rejects entries of another envelope, payload or key', () => {
    const other = p256();
    const body = (value: object) => Buffer.from(JSON.stringify(value));
    expect(() => checkEntryBody(body(intotoBody(Buffer.from('{}'), statement, signer.publicKey)), logged)).toThrow(/records envelope sha256:/);
    expect(() => checkEntryBody(body(intotoBody(stored, Buffer.from('{}'), signer.publicKey)), logged)).toThrow(/records payload sha256:/);
    expect(() => checkEntryBody(body(intotoBody(stored, statement, other.publicKey)), logged)).toThrow(/under another key/);
    expect(() => checkEntryBody(body(dsseBody(statement, Buffer.from('forged'), signer.publicKey)), logged)).toThrow(/another signature/);
    expect(() => checkEntryKey(body(dsseBody(statement, signatures[0]!, other.publicKey)), signer.publicKey)).toThrow(/under another key/);
    expect(reasonOf(() => checkEntryBody(Buffer.from('[]'), logged))).toBe('TLOG_ERROR');
  });

  it('reads the real intoto 0.0.2 entry of a key-based public-good bundle (sigstore-go example), which names npm\'s key and no other', () => {
    const bundle = JSON.parse(fixture('sigstore-go-publish.sigstore.json')) as {
      verificationMaterial: { tlogEntries: { canonicalizedBody: string }[] };
      dsseEnvelope: { payload: string; signatures: { sig: string }[] };
    };
    const npmKey = loadPublicKey(fixture('sigstore-go-publish-key.pub'));
    const body = Buffer.from(bundle.verificationMaterial.tlogEntries[0]!.canonicalizedBody, 'base64');
    const published: LoggedSignature = {
      content: 'envelope',
      envelope: Buffer.from('{}'),
      payload: Buffer.from(bundle.dsseEnvelope.payload, 'base64'),
      signatures: bundle.dsseEnvelope.signatures.map((s) => Buffer.from(s.sig, 'base64')),
      publicKey: npmKey,
    };
    expect(reasonOf(() => checkEntryBody(body, published))).toBeUndefined();
    expect(() => checkEntryBody(body, { ...published, publicKey: signer.publicKey })).toThrow(/under another key/);
    expect(() => checkEntryBody(body, { ...published, signatures: [Buffer.from('other')] })).toThrow(/another signature/);
    // The whole bundle, log entry required (the default): SET, inclusion proof, body and key.
    expect(verifyBundle(bundle, undefined, { publicKey: npmKey }, publicGoodTrustedRoot()).tlogEntries).toBe(1);
  });

  it('signatureVerified skips only the check of the signature the caller verified: the log entries are still checked', () => {
    const rekor = new TestRekor();
    const other = p256();
    const signed = Buffer.from(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"${'a'.repeat(64)}"}}],"predicateType":"x","predicate":{}}`);
    const env = signEnvelope('application/vnd.in-toto+json', signed, signer.privateKey);
    const sig = Buffer.from(env.signatures[0]!.sig, 'base64');
    const bundleOf = (body: { kind: string; apiVersion: string }) => ({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [rekor.bundleEntry(body)] },
      dsseEnvelope: { payload: env.payload, payloadType: env.payloadType, signatures: [{ sig: env.signatures[0]!.sig, keyid: '' }] },
    });
    const good = bundleOf(dsseBody(signed, sig, signer.publicKey));
    for (const signatureVerified of [false, true]) {
      const policy = { publicKey: signer.publicKey, signatureVerified };
      expect(verifyBundle(good, undefined, policy, rekor.root).tlogEntries).toBe(1);
      expect(reasonOf(() => verifyBundle(bundleOf(dsseBody(signed, Buffer.from('forged'), signer.publicKey)), undefined, policy, rekor.root))).toBe('TLOG_ERROR');
      expect(reasonOf(() => verifyBundle(bundleOf(dsseBody(signed, sig, other.publicKey)), undefined, policy, rekor.root))).toBe('TLOG_ERROR');
      expect(reasonOf(() => verifyBundle(good, undefined, policy, new TestRekor().root))).toBe('TLOG_ERROR');
    }
    // Without the flag the signature is checked: the key that did not sign fails.
    expect(reasonOf(() => verifyBundle(good, undefined, { publicKey: other.publicKey }, rekor.root))).toBeDefined();
  });

  it('reads each entry\'s own key, across more signers than the decoded keys it keeps for reuse', () => {
    const keys = Array.from({ length: 300 }, () => p256().publicKey);
    const bodies = keys.map((key) => Buffer.from(JSON.stringify(dsseBody(statement, signatures[0]!, key))));
    for (let round = 0; round < 2; round++) {
      for (const [i, body] of bodies.entries()) {
        expect(reasonOf(() => checkEntryKey(body, keys[i]!))).toBeUndefined();
        expect(() => checkEntryKey(body, keys[(i + 1) % keys.length]!)).toThrow(/under another key/);
      }
    }
  });

  it('reads a trusted root with the test log key as any trusted_root.json', () => {
    const rekor = new TestRekor();
    expect(parseTrustedRoot(JSON.parse(JSON.stringify(rekor.rootJson))).tlogs).toHaveLength(1);
  });
});
