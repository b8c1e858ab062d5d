/**
 * Signing certificates given by hand (cosign's `--certificate` / `--certificate-chain`, Kyverno's
 * `certificate {cert, certChain}` attestors): the certificate's public key, once the certificate
 * is shown to chain to the given roots the way cosign checks it (pkg/cosign TrustedCert):
 *
 * - each link is issued and signed by a CA certificate of the chain, up to a self-signed root
 *   of the chain (intermediates in any order);
 * - validity is judged at the leaf's notBefore, the signing time for Fulcio's short-lived
 *   certificates (the transparency log, not checked here, is what pins that time);
 * - the leaf's extended key usage, when it has one, must allow code signing.
 *
 * Without a chain the certificate is taken as a key holder, as cosign does with `--certificate`
 * and `--insecure-ignore-tlog` when no roots are given.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { TrustError } from './errors.ts';
import { parsePem } from './pem.ts';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** The X.509 certificates of PEM text (MALFORMED_KEY when there is none, or one does not parse). */
export function parseCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = parsePem(pem, 'MALFORMED_KEY').filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new TrustError('MALFORMED_KEY', `${what}: no PEM CERTIFICATE block found`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b.der);
    } catch (err) {
      throw new TrustError('MALFORMED_KEY', `${what}: not an X.509 certificate (${(err as Error).message})`);
    }
  });
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  return child.checkIssued(issuer) && child.verify(issuer.publicKey);
}

function validAt(cert: X509Certificate, at: Date): boolean {
  return new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
}

/** Throws CERTIFICATE_ERROR unless `leaf` chains to a self-signed root of `chain` (see above). */
export function verifyCertificateChain(leaf: X509Certificate, chain: readonly X509Certificate[]): void {
  const usages = leaf.keyUsage;
  if (usages !== undefined && !usages.includes(CODE_SIGNING) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) {
    throw new TrustError('CERTIFICATE_ERROR', `the certificate ${leaf.subject} is not for code signing (extended key usage ${usages.join(', ')})`);
  }
  const at = new Date(leaf.validFrom);
  let current = leaf;
  for (let depth = 0; depth <= chain.length; depth++) {
    const issuer = chain.find((c) => c !== current && c.ca && issuedBy(current, c));
    if (issuer === undefined) throw new TrustError('CERTIFICATE_ERROR', `the certificate ${current.subject} is not issued by a CA certificate of the chain`);
    if (!validAt(issuer, at)) throw new TrustError('CERTIFICATE_ERROR', `the chain certificate ${issuer.subject} is not valid at ${at.toISOString()} (the signing certificate's start)`);
    if (issuedBy(issuer, issuer)) return;
    current = issuer;
  }
  throw new TrustError('CERTIFICATE_ERROR', `the certificate chain of ${leaf.subject} loops without reaching a self-signed root`);
}

/** The signing certificate `certPem`, after checking it against `chainPem` when given. */
export function signingCertificate(certPem: string, chainPem?: string): X509Certificate {
  const [leaf] = parseCertificates(certPem, 'certificate');
  if (chainPem !== undefined) verifyCertificateChain(leaf!, parseCertificates(chainPem, 'certificate chain'));
  return leaf!;
}

/** The public key of the signing certificate `certPem`, after checking it against `chainPem` when given. */
export function certificateKey(certPem: string, chainPem?: string): KeyObject {
  return signingCertificate(certPem, chainPem).publicKey;
}
