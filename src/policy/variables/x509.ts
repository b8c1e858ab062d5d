/**
 * x509_decode(): a PEM certificate or certificate request decoded to the object Kyverno returns,
 * which is Go's x509.Certificate / x509.CertificateRequest marshalled to JSON (field names as in
 * Go, byte fields base64, OIDs as integer arrays, times in RFC 3339, empty lists as null) with the
 * RSA public key replaced by `{N, E}`. Like Kyverno, only RSA keys are accepted.
 *
 * The DER is walked directly (node:crypto has no parser for certificate requests and does not
 * expose extensions); node:crypto still validates certificates.
 */

import { X509Certificate } from 'node:crypto';

export class X509DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'X509DecodeError';
  }
}

interface Der {
  tag: number;
  /** The whole element (header and content). */
  raw: Buffer;
  content: Buffer;
}

function readDer(buf: Buffer, offset = 0): Der {
  if (offset + 2 > buf.length) throw new X509DecodeError('x509: malformed certificate');
  const tag = buf[offset] as number;
  let len = buf[offset + 1] as number;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || offset + 2 + n > buf.length) throw new X509DecodeError('x509: malformed certificate');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] as number);
    header += n;
  }
  const end = offset + header + len;
  if (end > buf.length) throw new X509DecodeError('x509: malformed certificate');
  return { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end) };
}

function children(el: Der): Der[] {
  const out: Der[] = [];
  let pos = 0;
  while (pos < el.content.length) {
    const child = readDer(el.content, pos);
    out.push(child);
    pos += child.raw.length;
  }
  return out;
}

function oid(el: Der): number[] {
  const b = el.content;
  const out: number[] = [];
  let value = 0;
  for (let i = 0; i < b.length; i++) {
    value = value * 128 + ((b[i] as number) & 0x7f);
    if (!((b[i] as number) & 0x80)) {
      if (out.length === 0) out.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else out.push(value);
      value = 0;
    }
  }
  return out;
}

const oidString = (el: Der): string => oid(el).join('.');

function integer(el: Der): bigint {
  if (el.content.length === 0) return 0n;
  let v = BigInt(`0x${el.content.toString('hex')}`);
  if ((el.content[0] as number) & 0x80) v -= 1n << BigInt(el.content.length * 8);
  return v;
}

/** BIT STRING content without the unused-bits byte. */
const bitStringBytes = (el: Der): Buffer => el.content.subarray(1);

function asn1String(el: Der): string {
  switch (el.tag) {
    case 0x1e: {
      // BMPString: UTF-16BE
      const swapped = Buffer.from(el.content);
      swapped.swap16();
      return swapped.toString('utf16le');
    }
    case 0x14: // T61String, decoded as Latin-1 like Go
      return el.content.toString('latin1');
    default:
      return el.content.toString('utf8');
  }
}

function asn1Time(el: Der): string {
  const s = el.content.toString('latin1');
  const m = el.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\.\d+)?Z$/.exec(s);
  if (!m) throw new X509DecodeError('x509: malformed validity');
  let year = Number(m[1]);
  if (el.tag === 0x17) year += year < 50 ? 2000 : 1900;
  const frac = el.tag === 0x18 && m[7] ? m[7].replace(/0+$/, '') : '';
  return `${String(year).padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac === '.' ? '' : frac}Z`;
}

const NAME_FIELDS: Readonly<Record<string, string>> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

const orNull = <T>(list: T[]): T[] | null => (list.length === 0 ? null : list);

/** pkix.Name filled from an RDN sequence. */
function name(el: Der): Record<string, unknown> {
  const lists: Record<string, string[]> = {};
  for (const field of Object.values(NAME_FIELDS)) lists[field] = [];
  let commonName = '';
  let serialNumber = '';
  const names: { Type: number[]; Value: unknown }[] = [];
  for (const rdn of children(el)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (!type || !value) continue;
      const id = oidString(type);
      const text = asn1String(value);
      names.push({ Type: oid(type), Value: text });
      const field = NAME_FIELDS[id];
      if (field) lists[field]!.push(text);
      else if (id === '2.5.4.3') commonName = text;
      else if (id === '2.5.4.5') serialNumber = text;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [field, values] of Object.entries(lists)) out[field] = orNull(values);
  return { ...out, SerialNumber: serialNumber, CommonName: commonName, Names: orNull(names), ExtraNames: null };
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, number>> = {
  '1.2.840.113549.1.1.2': 1,
  '1.2.840.113549.1.1.4': 2,
  '1.2.840.113549.1.1.5': 3,
  '1.2.840.113549.1.1.11': 4,
  '1.2.840.113549.1.1.12': 5,
  '1.2.840.113549.1.1.13': 6,
  '1.2.840.10040.4.3': 7,
  '2.16.840.1.101.3.4.3.2': 8,
  '1.2.840.10045.4.1': 9,
  '1.2.840.10045.4.3.2': 10,
  '1.2.840.10045.4.3.3': 11,
  '1.2.840.10045.4.3.4': 12,
  '1.3.101.112': 16,
};
const PSS_BY_HASH: Readonly<Record<string, number>> = { '2.16.840.1.101.3.4.2.1': 13, '2.16.840.1.101.3.4.2.2': 14, '2.16.840.1.101.3.4.2.3': 15 };
const PUBLIC_KEY_ALGORITHMS: Readonly<Record<string, number>> = {
  '1.2.840.113549.1.1.1': 1,
  '1.2.840.10040.4.1': 2,
  '1.2.840.10045.2.1': 3,
  '1.3.101.112': 4,
  '1.3.101.110': 5,
};
const RSA = 1;

function signatureAlgorithm(algorithm: Der): number {
  const [id, params] = children(algorithm);
  if (!id) return 0;
  const text = oidString(id);
  if (text === '1.2.840.113549.1.1.10' && params) {
    // RSASSA-PSS: the hash inside the parameters picks the variant.
    const hashParam = children(params).find((c) => c.tag === 0xa0);
    const hashAlg = hashParam ? children(children(hashParam)[0] as Der)[0] : undefined;
    return hashAlg ? (PSS_BY_HASH[oidString(hashAlg)] ?? 0) : 0;
  }
  return SIGNATURE_ALGORITHMS[text] ?? 0;
}

/** Algorithm id and RSA `{N, E}` of a SubjectPublicKeyInfo. */
function publicKey(spki: Der): { algorithm: number; key: { N: string; E: number } } {
  const [algorithm, bits] = children(spki);
  const id = algorithm ? children(algorithm)[0] : undefined;
  const alg = id ? (PUBLIC_KEY_ALGORITHMS[oidString(id)] ?? 0) : 0;
  if (alg !== RSA || !bits) throw new X509DecodeError('certificate should use rsa algorithm');
  const [n, e] = children(readDer(bitStringBytes(bits)));
  if (!n || !e) throw new X509DecodeError('failed to parse subject public key info');
  return { algorithm: alg, key: { N: integer(n).toString(), E: Number(integer(e)) } };
}

/** Go's json encoding of *url.URL. */
function urlObject(uri: string): Record<string, unknown> {
  let scheme = '';
  let host = '';
  let path = uri;
  let query = '';
  let fragment = '';
  let opaque = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(uri);
  if (m) {
    scheme = (m[1] as string).toLowerCase();
    path = m[2] as string;
  }
  const hash = path.indexOf('#');
  if (hash >= 0) [path, fragment] = [path.slice(0, hash), path.slice(hash + 1)];
  const q = path.indexOf('?');
  if (q >= 0) [path, query] = [path.slice(0, q), path.slice(q + 1)];
  if (path.startsWith('//')) {
    const slash = path.indexOf('/', 2);
    host = slash < 0 ? path.slice(2) : path.slice(2, slash);
    path = slash < 0 ? '' : path.slice(slash);
  } else if (scheme && !path.startsWith('/')) [opaque, path] = [path, ''];
  return { Scheme: scheme, Opaque: opaque, User: null, Host: host, Path: path, RawPath: '', OmitHost: false, ForceQuery: false, RawQuery: query, Fragment: fragment, RawFragment: '' };
}

function ipString(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

interface AltNames {
  DNSNames: string[];
  EmailAddresses: string[];
  IPAddresses: string[];
  URIs: Record<string, unknown>[];
}

function generalNames(el: Der, out: AltNames): void {
  for (const gn of children(el)) {
    if (gn.tag === 0x81) out.EmailAddresses.push(gn.content.toString('latin1'));
    else if (gn.tag === 0x82) out.DNSNames.push(gn.content.toString('latin1'));
    else if (gn.tag === 0x86) out.URIs.push(urlObject(gn.content.toString('latin1')));
    else if (gn.tag === 0x87) out.IPAddresses.push(ipString(gn.content));
  }
}

const EXT_KEY_USAGES: Readonly<Record<string, number>> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
  '1.3.6.1.4.1.311.10.3.3': 10,
  '2.16.840.1.113730.4.1': 11,
  '1.3.6.1.4.1.311.2.1.22': 12,
  '1.3.6.1.4.1.311.61.1.1': 13,
};

const HANDLED_EXTENSIONS = new Set(['2.5.29.15', '2.5.29.19', '2.5.29.17', '2.5.29.14', '2.5.29.35', '2.5.29.37', '1.3.6.1.5.5.7.1.1', '2.5.29.31', '2.5.29.32', '2.5.29.30']);

/** The extension-derived fields of x509.Certificate. */
function extensionFields(extensions: Der[]): Record<string, unknown> {
  const alt: AltNames = { DNSNames: [], EmailAddresses: [], IPAddresses: [], URIs: [] };
  const f: Record<string, unknown> = {
    KeyUsage: 0,
    BasicConstraintsValid: false,
    IsCA: false,
    MaxPathLen: 0,
    MaxPathLenZero: false,
    SubjectKeyId: null,
    AuthorityKeyId: null,
  };
  const extKeyUsage: number[] = [];
  const unknownEku: number[][] = [];
  const ocsp: string[] = [];
  const issuers: string[] = [];
  const crl: string[] = [];
  const policies: number[][] = [];
  const permittedDns: string[] = [];
  const excludedDns: string[] = [];
  const permittedEmail: string[] = [];
  const excludedEmail: string[] = [];
  const permittedUri: string[] = [];
  const excludedUri: string[] = [];
  let nameConstraintsCritical = false;
  const unhandled: number[][] = [];
  const list: Record<string, unknown>[] = [];
  for (const ext of extensions) {
    const parts = children(ext);
    const id = parts[0] as Der;
    const critical = parts.length === 3 && (parts[1] as Der).content[0] !== 0;
    const value = parts[parts.length - 1] as Der;
    list.push({ Id: oid(id), Critical: critical, Value: value.content.toString('base64') });
    const text = oidString(id);
    if (critical && !HANDLED_EXTENSIONS.has(text)) unhandled.push(oid(id));
    const inner = readDer(value.content);
    switch (text) {
      case '2.5.29.15': {
        const bits = bitStringBytes(inner);
        let usage = 0;
        for (let i = 0; i < 9; i++) if (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) usage |= 1 << i;
        f.KeyUsage = usage;
        break;
      }
      case '2.5.29.19': {
        const fields = children(inner);
        f.BasicConstraintsValid = true;
        f.IsCA = fields[0]?.tag === 0x01 && fields[0].content[0] !== 0;
        const pathLen = fields.find((c) => c.tag === 0x02);
        f.MaxPathLen = pathLen ? Number(integer(pathLen)) : -1;
        f.MaxPathLenZero = f.MaxPathLen === 0;
        break;
      }
      case '2.5.29.17':
        generalNames(inner, alt);
        break;
      case '2.5.29.14':
        f.SubjectKeyId = inner.content.toString('base64');
        break;
      case '2.5.29.35': {
        const keyId = children(inner).find((c) => c.tag === 0x80);
        if (keyId) f.AuthorityKeyId = keyId.content.toString('base64');
        break;
      }
      case '2.5.29.37':
        for (const usage of children(inner)) {
          const known = EXT_KEY_USAGES[oidString(usage)];
          if (known === undefined) unknownEku.push(oid(usage));
          else extKeyUsage.push(known);
        }
        break;
      case '1.3.6.1.5.5.7.1.1':
        for (const access of children(inner)) {
          const [method, location] = children(access);
          if (!method || location?.tag !== 0x86) continue;
          const where = location.content.toString('latin1');
          if (oidString(method) === '1.3.6.1.5.5.7.48.1') ocsp.push(where);
          else if (oidString(method) === '1.3.6.1.5.5.7.48.2') issuers.push(where);
        }
        break;
      case '2.5.29.31':
        for (const point of children(inner)) {
          const dpName = children(point).find((c) => c.tag === 0xa0);
          const fullName = dpName ? children(dpName).find((c) => c.tag === 0xa0) : undefined;
          for (const gn of fullName ? children(fullName) : []) if (gn.tag === 0x86) crl.push(gn.content.toString('latin1'));
        }
        break;
      case '2.5.29.32':
        for (const policy of children(inner)) {
          const first = children(policy)[0];
          if (first) policies.push(oid(first));
        }
        break;
      case '2.5.29.30':
        nameConstraintsCritical = critical;
        for (const subtrees of children(inner)) {
          const permitted = subtrees.tag === 0xa0;
          for (const subtree of children(subtrees)) {
            const base = children(subtree)[0];
            if (!base) continue;
            const text2 = base.content.toString('latin1');
            if (base.tag === 0x82) (permitted ? permittedDns : excludedDns).push(text2);
            else if (base.tag === 0x81) (permitted ? permittedEmail : excludedEmail).push(text2);
            else if (base.tag === 0x86) (permitted ? permittedUri : excludedUri).push(text2);
          }
        }
        break;
    }
  }
  return {
    ...f,
    Extensions: orNull(list),
    ExtraExtensions: null,
    UnhandledCriticalExtensions: orNull(unhandled),
    ExtKeyUsage: orNull(extKeyUsage),
    UnknownExtKeyUsage: orNull(unknownEku),
    OCSPServer: orNull(ocsp),
    IssuingCertificateURL: orNull(issuers),
    DNSNames: orNull(alt.DNSNames),
    EmailAddresses: orNull(alt.EmailAddresses),
    IPAddresses: orNull(alt.IPAddresses),
    URIs: orNull(alt.URIs),
    PermittedDNSDomainsCritical: nameConstraintsCritical,
    PermittedDNSDomains: orNull(permittedDns),
    ExcludedDNSDomains: orNull(excludedDns),
    PermittedIPRanges: null,
    ExcludedIPRanges: null,
    PermittedEmailAddresses: orNull(permittedEmail),
    ExcludedEmailAddresses: orNull(excludedEmail),
    PermittedURIDomains: orNull(permittedUri),
    ExcludedURIDomains: orNull(excludedUri),
    CRLDistributionPoints: orNull(crl),
    PolicyIdentifiers: orNull(policies),
  };
}

function decodeCertificate(der: Buffer): Record<string, unknown> {
  try {
    new X509Certificate(der);
  } catch {
    throw new X509DecodeError('x509: malformed certificate');
  }
  const cert = readDer(der);
  const [tbs, sigAlg, sig] = children(cert);
  if (!tbs || !sigAlg || !sig) throw new X509DecodeError('x509: malformed certificate');
  const fields = children(tbs);
  let i = 0;
  let version = 0;
  if (fields[0]?.tag === 0xa0) {
    version = Number(integer(children(fields[0])[0] as Der));
    i++;
  }
  const [serial, , issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (!serial || !issuer || !validity || !subject || !spki) throw new X509DecodeError('x509: malformed certificate');
  const extensionsWrapper = fields.slice(i + 6).find((c) => c.tag === 0xa3);
  const extensions = extensionsWrapper ? children(children(extensionsWrapper)[0] as Der) : [];
  const { algorithm, key } = publicKey(spki);
  const [notBefore, notAfter] = children(validity);
  return {
    Raw: der.toString('base64'),
    RawTBSCertificate: tbs.raw.toString('base64'),
    RawSubjectPublicKeyInfo: spki.raw.toString('base64'),
    RawSubject: subject.raw.toString('base64'),
    RawIssuer: issuer.raw.toString('base64'),
    Signature: bitStringBytes(sig).toString('base64'),
    SignatureAlgorithm: signatureAlgorithm(sigAlg),
    PublicKeyAlgorithm: algorithm,
    PublicKey: key,
    Version: version + 1,
    SerialNumber: Number(integer(serial)),
    Issuer: name(issuer),
    Subject: name(subject),
    NotBefore: asn1Time(notBefore as Der),
    NotAfter: asn1Time(notAfter as Der),
    ...extensionFields(extensions),
  };
}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

function decodeRequest(der: Buffer): Record<string, unknown> {
  const csr = readDer(der);
  const [info, sigAlg, sig] = children(csr);
  if (!info || !sigAlg || !sig) throw new X509DecodeError('x509: malformed certificate request');
  const [version, subject, spki, attributes] = children(info);
  if (!version || !subject || !spki) throw new X509DecodeError('x509: malformed certificate request');
  const { algorithm, key } = publicKey(spki);
  const extensions: Der[] = [];
  for (const attribute of attributes ? children(attributes) : []) {
    const [type, values] = children(attribute);
    if (!type || !values || oidString(type) !== EXTENSION_REQUEST) continue;
    for (const value of children(values)) extensions.push(...children(value));
  }
  const ext = extensionFields(extensions);
  return {
    Raw: der.toString('base64'),
    RawTBSCertificateRequest: info.raw.toString('base64'),
    RawSubjectPublicKeyInfo: spki.raw.toString('base64'),
    RawSubject: subject.raw.toString('base64'),
    Version: Number(integer(version)),
    Signature: bitStringBytes(sig).toString('base64'),
    SignatureAlgorithm: signatureAlgorithm(sigAlg),
    PublicKeyAlgorithm: algorithm,
    PublicKey: key,
    Subject: name(subject),
    Attributes: null,
    Extensions: ext.Extensions,
    ExtraExtensions: null,
    DNSNames: ext.DNSNames,
    EmailAddresses: ext.EmailAddresses,
    IPAddresses: ext.IPAddresses,
    URIs: ext.URIs,
  };
}

/** The first PEM block: its type and DER bytes. */
function decodePem(text: string): { type: string; der: Buffer } | undefined {
  const m = /-----BEGIN ([^\r\n]*?)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return undefined;
  const body = (m[2] as string)
    .split(/\r?\n/)
    .filter((line) => !line.includes(':'))
    .join('')
    .replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return undefined;
  return { type: m[1] as string, der: Buffer.from(body, 'base64') };
}

export function x509Decode(pem: string): Record<string, unknown> {
  const block = decodePem(pem);
  if (!block) throw new X509DecodeError('failed to decode PEM block');
  if (block.type === 'CERTIFICATE') return decodeCertificate(block.der);
  if (block.type === 'CERTIFICATE REQUEST') return decodeRequest(block.der);
  throw new X509DecodeError('PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST');
}
