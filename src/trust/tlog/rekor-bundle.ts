/**
 * The transparency-log proof cosign attaches to a legacy signature or attestation layer: the
 * `dev.sigstore.cosign/bundle` annotation,
 *
 *   {"SignedEntryTimestamp": "<base64>", "Payload": {"body": "<base64 entry>", "integratedTime": <unix s>,
 *    "logIndex": <int>, "logID": "<hex sha256 of the log's DER key>"}}
 *
 * checked offline as `cosign verify` does (pkg/cosign/verify.go VerifyBundle), against the Rekor
 * keys of a trusted root:
 *
 *   1. the log: a `tlogs` entry of the root whose log ID is `logID`, whose key was valid at
 *      `integratedTime` (the root's `validFor`), and a time not in the future;
 *   2. the SET: the log's signature over the RFC 8785 canonical JSON of
 *      `{body, integratedTime, logIndex, logID}` (what @sigstore/verify checks for a bundle's
 *      inclusion promise, over the same trust material);
 *   3. the body names this signature: payload digest, signature and key (entry-body.ts).
 *
 * Every failure is TLOG_ERROR: the signature may be valid, but it is not shown to be logged.
 */
import { json, crypto as sigstoreCrypto } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { isRecord } from '../../core/json.ts';
import { trustMaterial } from '../bundle/trust-material.ts';
import { TrustError } from '../errors.ts';
import { checkEntryBody, malformed, type LoggedSignature } from './entry-body.ts';

/** The annotation, read: `body` stays the base64 text the SET covers. */
interface RekorBundle {
  signedEntryTimestamp: Buffer;
  body: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
}

/** What a verified entry tells: where and when the signature was logged. */
export interface LogEntryProof {
  logID: string;
  logIndex: number;
  integratedTime: Date;
}

/**
 * How far ahead of this machine's clock an integrated time may be: the log's clock and ours
 * drift, but an entry from further ahead was not made by an honest log.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The last second a Date holds (ECMAScript's ±8.64e15 ms): a later integrated time is no time at all. */
const MAX_DATE_SECONDS = 8.64e12;

/** The annotation's JSON, checked field by field (TLOG_ERROR naming what is wrong). */
function parseRekorBundle(text: string): RekorBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    malformed('the dev.sigstore.cosign/bundle annotation is not JSON');
  }
  const payload = isRecord(value) ? value.Payload : undefined;
  const bad: string[] = [];
  if (!isRecord(value) || typeof value.SignedEntryTimestamp !== 'string' || !isBase64(value.SignedEntryTimestamp)) bad.push('SignedEntryTimestamp');
  if (!isRecord(payload)) bad.push('Payload');
  else {
    if (typeof payload.body !== 'string' || !isBase64(payload.body)) bad.push('Payload.body');
    if (!isCount(payload.integratedTime) || payload.integratedTime > MAX_DATE_SECONDS) bad.push('Payload.integratedTime');
    if (!isCount(payload.logIndex)) bad.push('Payload.logIndex');
    if (typeof payload.logID !== 'string' || !/^[0-9a-f]{64}$/i.test(payload.logID)) bad.push('Payload.logID');
  }
  if (bad.length > 0) malformed(`missing or invalid ${bad.join(', ')} in the dev.sigstore.cosign/bundle annotation`);
  const p = payload as { body: string; integratedTime: number; logIndex: number; logID: string };
  return {
    signedEntryTimestamp: Buffer.from((value as { SignedEntryTimestamp: string }).SignedEntryTimestamp, 'base64'),
    body: p.body,
    integratedTime: p.integratedTime,
    logIndex: p.logIndex,
    logID: p.logID.toLowerCase(),
  };
}

/**
 * Verifies the annotation (absent: the signature was never logged) for `logged` against the
 * Rekor keys of `root`; throws TLOG_ERROR saying why it does not hold.
 */
export function verifyRekorBundle(annotation: string | undefined, logged: LoggedSignature, root: TrustedRoot, now: Date = new Date()): LogEntryProof {
  if (annotation === undefined) {
    throw new TrustError(
      'TLOG_ERROR',
      'no transparency log entry: the signature carries no dev.sigstore.cosign/bundle annotation (offline signers, `palisade sign` among them, write none; accept such signatures with ignoreTlog / --insecure-ignore-tlog)',
    );
  }
  const bundle = parseRekorBundle(annotation);
  const integratedTime = new Date(bundle.integratedTime * 1000);
  const logs = trustMaterial(root).tlogs.filter((log) => log.logID.toString('hex') === bundle.logID);
  if (logs.length === 0) throw new TrustError('TLOG_ERROR', `the transparency log entry comes from a log the trusted root does not name (logID ${bundle.logID})`);
  const current = logs.filter((log) => log.validFor.start <= integratedTime && integratedTime <= log.validFor.end);
  if (current.length === 0) {
    throw new TrustError('TLOG_ERROR', `the transparency log entry is dated ${integratedTime.toISOString()}, outside the validity of the log's key in the trusted root`);
  }
  if (integratedTime.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw new TrustError('TLOG_ERROR', `the transparency log entry's integrated time ${integratedTime.toISOString()} is in the future`);
  }
  const signed = Buffer.from(json.canonicalize({ body: bundle.body, integratedTime: bundle.integratedTime, logIndex: bundle.logIndex, logID: bundle.logID }), 'utf8');
  if (!current.some((log) => sigstoreCrypto.verify(signed, log.publicKey, bundle.signedEntryTimestamp))) {
    throw new TrustError('TLOG_ERROR', `the transparency log entry's signed entry timestamp does not verify with the key of log ${bundle.logID}`);
  }
  checkEntryBody(Buffer.from(bundle.body, 'base64'), logged);
  return { logID: bundle.logID, logIndex: bundle.logIndex, integratedTime };
}

function isBase64(value: string): boolean {
  return value !== '' && /^[A-Za-z0-9+/]+={0,2}$/.test(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
