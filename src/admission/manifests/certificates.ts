/**
 * The webhook's TLS material: a self-signed CA and a serving certificate it signs, real X.509 built
 * with pkijs and signed by Node's WebCrypto (ECDSA P-256 with SHA-256, which the API server's Go TLS
 * client accepts).
 *
 * The API server verifies the serving certificate against the webhook configuration's `caBundle`
 * and checks the DNS SAN `<service>.<namespace>.svc` (the Common Name is ignored). The CA's private
 * key is never returned: it signs one serving certificate and is thrown away, so nothing in the
 * cluster can mint more certificates that the API server would trust. Rotating means generating
 * both again and re-applying.
 */
import { createHash, KeyObject, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { encodePem } from '../../trust/pem.ts';

export interface WebhookTlsOptions {
  /** DNS SANs of the serving certificate; the first is also its Common Name. */
  dnsNames: readonly string[];
  /** Common Name of the CA. */
  caName: string;
  validityDays: number;
  /** Start of validity; defaults to now. Backdated a few minutes to tolerate clock skew between nodes. */
  now?: Date;
}

export interface WebhookTls {
  /** PEM of the CA certificate: the webhook configurations' caBundle. */
  caCert: string;
  /** PEM of the serving certificate (tls.crt). */
  cert: string;
  /** PEM PKCS#8 private key of the serving certificate (tls.key). */
  key: string;
}

const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;

const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** KeyUsage bits (RFC 5280 4.2.1.3), numbered from the most significant bit of the first byte. */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'] });

export async function generateWebhookTls(options: WebhookTlsOptions): Promise<WebhookTls> {
  const [commonName] = options.dnsNames;
  if (commonName === undefined) throw new Error('the serving certificate needs at least one DNS name');
  if (!(options.validityDays > 0)) throw new Error(`certificate validity must be a positive number of days, got ${options.validityDays}`);
  const notBefore = new Date((options.now ?? new Date()).getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(notBefore.getTime() + CLOCK_SKEW_MS + options.validityDays * DAY_MS);

  const caKeys = await generateKeys();
  const caKeyId = await keyIdentifier(caKeys.publicKey);
  const ca = await certificate({
    subject: options.caName,
    issuer: options.caName,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
      extension(OID.keyUsage, true, keyUsage([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: caKeyId })),
    ],
  });

  const servingKeys = await generateKeys();
  const serving = await certificate({
    subject: commonName,
    issuer: options.caName,
    publicKey: servingKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
      extension(OID.keyUsage, true, keyUsage([KEY_USAGE.digitalSignature])),
      extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.serverAuth] }).toSchema()),
      extension(OID.subjectAltName, false, new pkijs.GeneralNames({ names: options.dnsNames.map((value) => new pkijs.GeneralName({ type: 2, value })) }).toSchema()),
      extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: await keyIdentifier(servingKeys.publicKey) })),
      extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: caKeyId }) }).toSchema()),
    ],
  });

  return {
    caCert: encodePem('CERTIFICATE', ca),
    cert: encodePem('CERTIFICATE', serving),
    key: KeyObject.from(servingKeys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
}

interface CertificateSpec {
  subject: string;
  issuer: string;
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  extensions: pkijs.Extension[];
}

async function certificate(spec: CertificateSpec): Promise<Uint8Array> {
  const cert = new pkijs.Certificate();
  cert.version = 2; // X.509 v3: extensions
  cert.serialNumber = new asn1js.Integer({ valueHex: serialNumber() });
  cert.subject = distinguishedName(spec.subject);
  cert.issuer = distinguishedName(spec.issuer);
  cert.notBefore.value = spec.notBefore;
  cert.notAfter.value = spec.notAfter;
  cert.extensions = spec.extensions;
  await cert.subjectPublicKeyInfo.importKey(spec.publicKey, engine);
  await cert.sign(spec.signingKey, 'SHA-256', engine);
  return new Uint8Array(cert.toSchema(true).toBER(false));
}

/** 128 random bits with the top bit cleared: a positive INTEGER, as RFC 5280 requires. */
function serialNumber(): Uint8Array {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x01;
  return new Uint8Array(bytes);
}

/** A name of one Common Name attribute: the API server reads only the SAN, people read the CN. */
function distinguishedName(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: commonName }) })],
  });
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function keyUsage(bits: readonly number[]): asn1js.BitString {
  const last = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(last / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  // DER drops the trailing zero bits of a named bit list and says how many it dropped.
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (last & 7) });
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
async function keyIdentifier(publicKey: CryptoKey): Promise<Uint8Array> {
  const spki = new pkijs.PublicKeyInfo();
  await spki.importKey(publicKey, engine);
  return new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());
}
