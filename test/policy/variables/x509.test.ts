import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jpSearch } from '../../../src/policy/variables/jmespath.ts';
import { X509DecodeError, x509Decode } from '../../../src/policy/variables/x509.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/policy/variables/x509/${name}`, import.meta.url), 'utf8');

// The fixtures were made with openssl; the expected values are what Go's x509 package reports for
// them (field names, enum numbers and null-for-empty as json.Marshal prints them).
describe('x509_decode', () => {
  const cert = x509Decode(fixture('rsa-cert.pem'));

  it('decodes the certificate fields Kyverno returns', () => {
    expect(cert).toMatchObject({
      Version: 3,
      SerialNumber: 4660,
      SignatureAlgorithm: 4,
      PublicKeyAlgorithm: 1,
      NotBefore: '2026-11-26T20:33:03Z',
      NotAfter: '2036-11-23T20:33:03Z',
      KeyUsage: 5,
      ExtKeyUsage: [1, 2],
      BasicConstraintsValid: true,
      IsCA: false,
      MaxPathLen: -1,
      MaxPathLenZero: false,
      SubjectKeyId: 'KkpIWrTwBVnTwJiFiB26ShLbq5o=',
      AuthorityKeyId: null,
      DNSNames: ['webhook.palisade.svc', 'webhook'],
      EmailAddresses: ['ops@example.com'],
      IPAddresses: ['10.0.0.1'],
      OCSPServer: ['http://ocsp.example.com'],
      IssuingCertificateURL: ['http://ca.example.com/ca.crt'],
      CRLDistributionPoints: ['http://crl.example.com/ca.crl'],
      PolicyIdentifiers: [[2, 23, 140, 1, 2, 1]],
      PermittedDNSDomains: null,
      UnhandledCriticalExtensions: null,
    });
    expect(cert.URIs).toEqual([
      { Scheme: 'https', Opaque: '', User: null, Host: 'example.com', Path: '/id', RawPath: '', OmitHost: false, ForceQuery: false, RawQuery: '', Fragment: '', RawFragment: '' },
    ]);
  });

  it('describes subject and issuer as pkix.Name', () => {
    expect(cert.Subject).toMatchObject({
      Country: ['DE'],
      Organization: ['Palisade Test'],
      OrganizationalUnit: ['Policy'],
      Locality: ['Berlin'],
      Province: ['Berlin'],
      StreetAddress: null,
      PostalCode: null,
      SerialNumber: '',
      CommonName: 'webhook.palisade.svc',
      ExtraNames: null,
    });
    expect((cert.Subject as { Names: unknown[] }).Names[0]).toEqual({ Type: [2, 5, 4, 6], Value: 'DE' });
    expect(cert.Issuer).toEqual(cert.Subject);
  });

  it('replaces the RSA public key with {N, E}', () => {
    const key = cert.PublicKey as { N: string; E: number };
    expect(key.E).toBe(65537);
    expect(key.N).toMatch(/^\d{600,}$/);
    expect(typeof cert.Raw).toBe('string');
    expect(Buffer.from(cert.Raw as string, 'base64').subarray(0, 2)).toEqual(Buffer.from([0x30, 0x82]));
  });

  it('decodes certificate requests', () => {
    const csr = x509Decode(fixture('rsa-csr.pem'));
    expect(csr).toMatchObject({
      Version: 0,
      SignatureAlgorithm: 4,
      PublicKeyAlgorithm: 1,
      DNSNames: ['csr.example.com'],
      EmailAddresses: null,
      IPAddresses: null,
      URIs: null,
      Attributes: null,
    });
    expect((csr.Subject as { CommonName: string }).CommonName).toBe('webhook.palisade.svc');
    expect((csr.PublicKey as { N: string }).N).toBe((cert.PublicKey as { N: string }).N);
  });

  it('accepts only RSA keys, like Kyverno', () => {
    expect(() => x509Decode(fixture('ec-cert.pem'))).toThrow(new X509DecodeError('certificate should use rsa algorithm'));
  });

  it('rejects what is not a PEM certificate', () => {
    expect(() => x509Decode('hello')).toThrow(X509DecodeError);
    expect(() => x509Decode('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow(/neither contains/);
    expect(() => x509Decode('-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n')).toThrow(/malformed/);
  });

  it('works in JMESPath with base64_decode', () => {
    const data = { cert: Buffer.from(fixture('rsa-cert.pem')).toString('base64') };
    expect(jpSearch('x509_decode(base64_decode(cert)).Subject.CommonName', data)).toBe('webhook.palisade.svc');
    expect(jpSearch("x509_decode(base64_decode(cert)).NotAfter | time_before(@, '2030-01-01T00:00:00Z')", data)).toBe(false);
  });
});
