/**
 * PEM armour (RFC 7468): labelled base64 blocks. Keys, certificates and cosign's encrypted keys all
 * arrive this way; the label says which parser applies.
 */
import { TrustError, type TrustFailure } from './errors.ts';

export interface PemBlock {
  label: string;
  der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/**
 * Every PEM block in `text`, in order. Headers (`Proc-Type:` and friends) are not supported: they
 * belong to the legacy OpenSSL encryption that no Sigstore tool writes.
 */
export function parsePem(text: string, failure: TrustFailure = 'MALFORMED_KEY'): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] ?? '';
    const body = match[2] ?? '';
    if (!BASE64_BODY.test(body)) throw new TrustError(failure, `PEM block "${label}" has a body that is not base64`);
    const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    if (der.length === 0) throw new TrustError(failure, `PEM block "${label}" is empty`);
    blocks.push({ label, der });
  }
  return blocks;
}

/** The single block a key file holds (the first when there are several). */
export function firstPemBlock(text: string, what: string, failure: TrustFailure = 'MALFORMED_KEY'): PemBlock {
  const block = parsePem(text, failure)[0];
  if (!block) throw new TrustError(failure, `${what}: no PEM block found (expected "-----BEGIN ...-----")`);
  return block;
}

/** PEM text with 64-column lines, as Go's encoding/pem and OpenSSL write it. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
