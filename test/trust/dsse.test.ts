import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pae, parseEnvelope, signEnvelope, verifyEnvelope, type Envelope } from '../../src/trust/dsse.ts';
import { INTOTO_PAYLOAD_TYPE, parseStatement } from '../../src/trust/intoto.ts';
import { loadPrivateKey, loadPublicKey } from '../../src/trust/keys.ts';
import { fixture, reasonOf } from './helpers.ts';

const key = loadPrivateKey(fixture('policy-controller-cosign.key'), '');
const pub = loadPublicKey(fixture('policy-controller-cosign.pub'));
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('PAE', () => {
  it('matches the DSSE spec example', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters', () => {
    expect(pae('t/ü', Buffer.from('é')).toString()).toBe('DSSEv1 4 t/ü 2 é');
  });
});

describe('sign and verify', () => {
  const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');

  it('round-trips and reports which key verified, with cosign\'s empty keyid', () => {
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, key);
    expect(Object.keys(env)).toEqual(['payloadType', 'payload', 'signatures']);
    expect(env.signatures).toEqual([{ keyid: '', sig: expect.any(String) }]);
    const verified = verifyEnvelope(JSON.stringify(env), [other.publicKey, pub]);
    expect(verified).toEqual({ payloadType: INTOTO_PAYLOAD_TYPE, payload, keyIndex: 1, keyid: '' });
  });

  it('rejects a tampered payload, a swapped payload type and the wrong key with SIGNATURE_INVALID', () => {
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, key, 'k1');
    const tampered: Envelope = { ...env, payload: Buffer.from('{"_type":"evil"}').toString('base64') };
    expect(reasonOf(() => verifyEnvelope(tampered, [pub]))).toBe('SIGNATURE_INVALID');
    expect(reasonOf(() => verifyEnvelope({ ...env, payloadType: 'text/plain' }, [pub]))).toBe('SIGNATURE_INVALID');
    expect(reasonOf(() => verifyEnvelope(env, [other.publicKey]))).toBe('SIGNATURE_INVALID');
    expect(reasonOf(() => verifyEnvelope(env, []))).toBe('SIGNATURE_INVALID');
  });

  it('accepts any one good signature among several', () => {
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, key);
    const bogus = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, other.privateKey).signatures[0]!;
    expect(verifyEnvelope({ ...env, signatures: [bogus, ...env.signatures] }, [pub]).keyIndex).toBe(0);
  });

  it('accepts URL-safe base64, which the DSSE spec allows', () => {
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from([0xfb, 0xff, 0xfe]), key);
    const urlSafe = { ...env, payload: Buffer.from(env.payload, 'base64').toString('base64url') };
    expect(verifyEnvelope(urlSafe, [pub]).payload).toEqual(Buffer.from([0xfb, 0xff, 0xfe]));
  });

  it('verifies a Sigstore-signed envelope (sigstore-go test bundle) with its certificate key', () => {
    const bundle = JSON.parse(fixture('sigstore-go-dsse.sigstore.json')) as {
      dsseEnvelope: unknown;
      verificationMaterial: { x509CertificateChain: { certificates: { rawBytes: string }[] } };
    };
    const leaf = new X509Certificate(Buffer.from(bundle.verificationMaterial.x509CertificateChain.certificates[0]!.rawBytes, 'base64'));
    const verified = verifyEnvelope(bundle.dsseEnvelope, [leaf.publicKey]);
    expect(verified.payloadType).toBe(INTOTO_PAYLOAD_TYPE);
    expect(parseStatement(verified.payload).subject[0]!.name).toBe('slsa-provenance-0.0.7.tgz');
  });
});

describe('malformed envelopes', () => {
  const good = signEnvelope('t', Buffer.from('x'), key);

  it.each([
    ['not JSON', '{"payloadType":'],
    ['an array', '[]'],
    ['no payloadType', { payload: good.payload, signatures: good.signatures }],
    ['payload not base64', { ...good, payload: 'not base64!' }],
    ['signatures not a list', { ...good, signatures: {} }],
    ['a signature without sig', { ...good, signatures: [{ keyid: '' }] }],
    ['a keyid that is not a string', { ...good, signatures: [{ keyid: 7, sig: good.signatures[0]!.sig }] }],
  ])('%s → MALFORMED_ENVELOPE', (_name, input) => {
    expect(reasonOf(() => verifyEnvelope(input, [pub]))).toBe('MALFORMED_ENVELOPE');
  });

  it('names every bad field', () => {
    expect(() => parseEnvelope({ signatures: [{}] })).toThrow(/payloadType, payload, signatures\[0\]\.sig/);
  });

  it('reports an envelope without signatures as NO_SIGNATURES', () => {
    expect(reasonOf(() => verifyEnvelope({ ...good, signatures: [] }, [pub]))).toBe('NO_SIGNATURES');
  });
});
