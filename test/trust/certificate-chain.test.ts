/** Hand-given signing certificates: the chain rules cosign applies (certificate-chain.ts). */
import { createPublicKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateKey } from '../../src/trust/certificate-chain.ts';
import { hasOpenssl, issueCertificate, type IssuedCertificate } from './certificate-helpers.ts';
import { reasonOf as reason } from './helpers.ts';

describe.skipIf(!hasOpenssl)('certificateKey', () => {
  let root: IssuedCertificate;
  let intermediate: IssuedCertificate;
  let leaf: IssuedCertificate;

  beforeAll(() => {
    root = issueCertificate('root', { ca: true });
    intermediate = issueCertificate('intermediate', { ca: true, issuer: root });
    leaf = issueCertificate('leaf', { issuer: intermediate });
  });

  it('returns the key of a certificate that chains to a self-signed root, intermediates in any order', () => {
    const spki = (pem: string, chain?: string) => certificateKey(pem, chain).export({ type: 'spki', format: 'der' });
    const expected = createPublicKey(leaf.key).export({ type: 'spki', format: 'der' });
    expect(spki(leaf.cert, intermediate.cert + root.cert)).toEqual(expected);
    expect(spki(leaf.cert, root.cert + intermediate.cert)).toEqual(expected);
  });

  it('rejects chains without the root, with a foreign root, or through a non-CA issuer', () => {
    expect(reason(() => certificateKey(leaf.cert, intermediate.cert))).toBe('CERTIFICATE_ERROR');
    expect(reason(() => certificateKey(leaf.cert, issueCertificate('other', { ca: true }).cert))).toBe('CERTIFICATE_ERROR');
    const plain = issueCertificate('not-a-ca', { issuer: root });
    expect(reason(() => certificateKey(issueCertificate('below', { issuer: plain }).cert, plain.cert + root.cert))).toBe('CERTIFICATE_ERROR');
  });

  it('rejects a certificate whose extended key usage excludes code signing', () => {
    const tls = issueCertificate('tls', { issuer: root, extendedKeyUsage: 'serverAuth' });
    expect(reason(() => certificateKey(tls.cert, root.cert))).toBe('CERTIFICATE_ERROR');
  });

  it('reports text that holds no certificate as malformed input', () => {
    expect(reason(() => certificateKey('not pem'))).toBe('MALFORMED_KEY');
    expect(reason(() => certificateKey(leaf.cert, leaf.keyPem))).toBe('MALFORMED_KEY');
  });
});
