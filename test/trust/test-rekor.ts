/**
 * A transparency log owned by the tests: a P-256 log key of its own, a trusted root naming it, and
 * the proofs a Rekor v1 instance hands out — real ECDSA SETs over cosign's canonical payload, and
 * for Sigstore bundles a signed checkpoint with an RFC 6962 inclusion proof (each entry in a
 * one-leaf tree) — so verification runs its real checks on material no stub produced.
 *
 * Entry bodies are built as Rekor canonicalizes them (RFC 8785 JSON): `hashedrekordBody`,
 * `intotoBody` (0.0.1, what cosign's legacy attest logs), `dsseBody` (0.0.1, Sigstore bundles).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { json } from '@sigstore/core';
import { parseTrustedRoot, type TrustedRoot } from '../../src/trust/bundle/index.ts';
import { publicKeyPem } from '../../src/trust/keys.ts';

const ORIGIN = 'rekor.test.invalid';

export interface EntryOptions {
  integratedTime?: number;
  logIndex?: number;
}

export class TestRekor {
  readonly logID: string;
  /** trusted_root.json naming only this log (and no CAs): for key-based verification. */
  readonly rootJson: Record<string, unknown>;
  readonly root: TrustedRoot;
  readonly #key: KeyObject;
  #nextIndex = 1000;

  constructor(validFor: { start: Date; end?: Date } = { start: new Date('2020-01-01T00:00:00Z') }) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#key = privateKey;
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const keyId = createHash('sha256').update(der).digest();
    this.logID = keyId.toString('hex');
    this.rootJson = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: `https://${ORIGIN}`,
          hashAlgorithm: 'SHA2_256',
          publicKey: {
            rawBytes: der.toString('base64'),
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
            validFor: { start: validFor.start.toISOString(), ...(validFor.end && { end: validFor.end.toISOString() }) },
          },
          logId: { keyId: keyId.toString('base64') },
        },
      ],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    };
    this.root = parseTrustedRoot(this.rootJson);
  }

  /** cosign's `dev.sigstore.cosign/bundle` annotation for an entry with `body`. */
  annotation(body: object, options: EntryOptions = {}): string {
    const entry = this.#entry(body, options);
    return JSON.stringify({ SignedEntryTimestamp: entry.set, Payload: entry.payload });
  }

  /** A Sigstore bundle `tlogEntries[]` item (proto3 JSON) with both an inclusion promise and proof. */
  bundleEntry(body: { kind: string; apiVersion: string }, options: EntryOptions = {}): Record<string, unknown> {
    const { set, payload, canonical } = this.#entry(body, options);
    const root = createHash('sha256').update(Buffer.concat([Buffer.from([0]), canonical])).digest('base64');
    const note = `${ORIGIN} - 1\n1\n${root}\n`;
    const noteSignature = Buffer.concat([Buffer.from(this.logID, 'hex').subarray(0, 4), sign('sha256', Buffer.from(note), this.#key)]);
    return {
      logIndex: String(payload.logIndex),
      logId: { keyId: Buffer.from(this.logID, 'hex').toString('base64') },
      kindVersion: { kind: body.kind, version: body.apiVersion },
      integratedTime: String(payload.integratedTime),
      inclusionPromise: { signedEntryTimestamp: set },
      inclusionProof: {
        logIndex: '0',
        rootHash: root,
        treeSize: '1',
        hashes: [],
        checkpoint: { envelope: `${note}\n\u2014 ${ORIGIN} ${noteSignature.toString('base64')}\n` },
      },
      canonicalizedBody: canonical.toString('base64'),
    };
  }

  #entry(body: object, options: EntryOptions) {
    const canonical = Buffer.from(json.canonicalize(body), 'utf8');
    const payload = {
      body: canonical.toString('base64'),
      integratedTime: options.integratedTime ?? Math.floor(Date.now() / 1000) - 60,
      logIndex: options.logIndex ?? this.#nextIndex++,
      logID: this.logID,
    };
    const set = sign('sha256', Buffer.from(json.canonicalize(payload), 'utf8'), this.#key).toString('base64');
    return { set, payload, canonical };
  }
}

const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const pemBase64 = (key: KeyObject): string => Buffer.from(publicKeyPem(key)).toString('base64');

/** A hashedrekord 0.0.1 entry for a signature over `payload`. */
export function hashedrekordBody(payload: Uint8Array, signature: Uint8Array, publicKey: KeyObject): { kind: string; apiVersion: string; spec: object } {
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: sha256Hex(payload) } },
      signature: { content: Buffer.from(signature).toString('base64'), publicKey: { content: pemBase64(publicKey) } },
    },
  };
}

/** An intoto 0.0.1 entry for a DSSE envelope stored as `envelope`, as cosign's legacy attest logs it. */
export function intotoBody(envelope: Uint8Array, payload: Uint8Array, publicKey: KeyObject): { kind: string; apiVersion: string; spec: object } {
  return {
    apiVersion: '0.0.1',
    kind: 'intoto',
    spec: {
      content: { hash: { algorithm: 'sha256', value: sha256Hex(envelope) }, payloadHash: { algorithm: 'sha256', value: sha256Hex(payload) } },
      publicKey: pemBase64(publicKey),
    },
  };
}

/** A dsse 0.0.1 entry for an envelope with one signature. */
export function dsseBody(payload: Uint8Array, signature: Uint8Array, publicKey: KeyObject): { kind: string; apiVersion: string; spec: object } {
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      payloadHash: { algorithm: 'sha256', value: sha256Hex(payload) },
      signatures: [{ signature: Buffer.from(signature).toString('base64'), verifier: pemBase64(publicKey) }],
    },
  };
}
