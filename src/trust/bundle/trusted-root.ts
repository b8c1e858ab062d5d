/**
 * Sigstore trusted roots (`trusted_root.json`, protobuf-specs TrustedRoot in proto3 JSON): the
 * Fulcio CAs, Rekor and CT log keys and timestamp authorities a bundle is checked against. Offline
 * only: there is no TUF client here; `--trusted-root FILE` or the shipped public-good root.
 *
 * public-good-trusted-root.json is public data: the `trusted_root.json` TUF target of the Sigstore
 * public-good instance (https://tuf-repo-cdn.sigstore.dev), as embedded in sigstore-js's
 * packages/tuf/seeds.json at commit 769a53d8 (Apache-2.0). It holds Rekor v1 and the 2025 Rekor v2
 * log, the CT logs, both Fulcio CAs and the public-good TSA. Refresh it by copying a newer
 * `trusted_root.json` from that TUF repository (or `cosign trusted-root`); keys rotate rarely, but a
 * stale copy will reject bundles from logs added after it.
 */
import { readFileSync } from 'node:fs';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { errorMessage } from '../../core/errors.ts';
import { TrustError } from '../errors.ts';
import { isRecord } from '../../core/json.ts';
import publicGood from './public-good-trusted-root.json' with { type: 'json' };

export type { TrustedRoot } from '@sigstore/protobuf-specs';

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.\d+|\.v0\.\d+\+json)$/;

let publicGoodRoot: TrustedRoot | undefined;

/**
 * The Sigstore public-good instance's trusted root shipped with Palisade (see the file comment).
 * One shared object, so verifiers reuse its decoded keys and certificates: do not modify it.
 */
export function publicGoodTrustedRoot(): TrustedRoot {
  publicGoodRoot ??= parseTrustedRoot(publicGood);
  return publicGoodRoot;
}

export function readTrustedRoot(path: string): TrustedRoot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TrustError('MALFORMED_TRUSTED_ROOT', `cannot read trusted root ${path}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    return parseTrustedRoot(JSON.parse(text));
  } catch (err) {
    if (err instanceof TrustError) throw new TrustError(err.reason, `${path}: ${err.message}`, { cause: err });
    throw new TrustError('MALFORMED_TRUSTED_ROOT', `${path}: not valid JSON`, { cause: err });
  }
}

/**
 * Validates the JSON once and converts it. The protobuf decoder fills gaps with defaults (a missing
 * validity start becomes "since forever"), so the fields that must be present are checked on the
 * raw JSON first, naming every bad one.
 */
export function parseTrustedRoot(json: unknown): TrustedRoot {
  if (!isRecord(json)) throw new TrustError('MALFORMED_TRUSTED_ROOT', 'the trusted root is not a JSON object');
  const bad: string[] = [];
  if (typeof json.mediaType !== 'string' || !MEDIA_TYPE.test(json.mediaType)) bad.push(`mediaType (${JSON.stringify(json.mediaType)})`);
  for (const kind of ['tlogs', 'ctlogs'] as const) {
    listOf(json, kind, bad).forEach((log, i) => {
      const where = `${kind}[${i}]`;
      const key = log.publicKey;
      if (!isRecord(key) || typeof key.rawBytes !== 'string' || key.rawBytes === '') bad.push(`${where}.publicKey.rawBytes`);
      else checkValidity(key.validFor, `${where}.publicKey.validFor`, bad);
      if (!isRecord(log.logId) || typeof log.logId.keyId !== 'string') bad.push(`${where}.logId.keyId`);
    });
  }
  for (const kind of ['certificateAuthorities', 'timestampAuthorities'] as const) {
    listOf(json, kind, bad).forEach((ca, i) => {
      const where = `${kind}[${i}]`;
      const chain = isRecord(ca.certChain) ? ca.certChain.certificates : undefined;
      if (!Array.isArray(chain) || chain.length === 0) bad.push(`${where}.certChain.certificates`);
      checkValidity(ca.validFor, `${where}.validFor`, bad);
    });
  }
  if (bad.length > 0) throw new TrustError('MALFORMED_TRUSTED_ROOT', `malformed trusted root: missing or invalid ${bad.join(', ')}`);
  try {
    return TrustedRoot.fromJSON(json);
  } catch (err) {
    throw new TrustError('MALFORMED_TRUSTED_ROOT', `malformed trusted root: ${errorMessage(err)}`, { cause: err });
  }
}

function listOf(json: Record<string, unknown>, field: string, bad: string[]): Record<string, unknown>[] {
  const value = json[field];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isRecord)) {
    bad.push(field);
    return [];
  }
  return value;
}

/** A TimeRange may be absent (valid forever) but, when present, needs its start (protobuf-specs marks it required); a null end is open. */
function checkValidity(validFor: unknown, where: string, bad: string[]): void {
  if (validFor === undefined || validFor === null) return;
  if (!isRecord(validFor) || !isTimestamp(validFor.start) || (validFor.end != null && !isTimestamp(validFor.end))) bad.push(where);
}

function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

