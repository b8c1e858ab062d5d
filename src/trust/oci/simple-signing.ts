/**
 * The simple-signing payload of legacy cosign image signatures (containers-signature.5 JSON, with
 * cosign's `critical.type`), built byte for byte as cosign writes it — sigstore's payload.Cosign
 * marshalled by encoding/json:
 *
 *   {"critical":{"identity":{"docker-reference":"index.docker.io/library/alpine"},
 *    "image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},
 *    "optional":null}
 *
 * (one line, no spaces; `optional` is null without annotations, else a map with sorted keys).
 * What is signed is these exact bytes, so verification never re-serialises them.
 */
import { TrustError } from '../errors.ts';
import { GoMap, goMarshal } from './gojson.ts';
import { SIMPLE_SIGNING_TYPE } from './types.ts';
import { isRecord } from '../../core/json.ts';

export interface SimpleSigningClaims {
  /** `critical.identity.docker-reference`: the repository that was signed, without tag. */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest`. */
  digest: string;
  type: string;
  /** `optional`: the `-a key=value` annotations, or null. */
  optional: Record<string, unknown> | null;
  /** The payload as parsed, for output. */
  document: Record<string, unknown>;
}

export function buildSimpleSigningPayload(dockerReference: string, digest: string, annotations?: Record<string, string>): Uint8Array {
  const optional = annotations !== undefined && Object.keys(annotations).length > 0 ? new GoMap(annotations) : null;
  return goMarshal({
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: SIMPLE_SIGNING_TYPE,
    },
    optional,
  });
}

/**
 * Reads a payload. Field names match case-insensitively, as Go's decoder does (the spec's own
 * example spells `Docker-manifest-digest`); a payload of another `critical.type` is refused.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningClaims {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new TrustError('MALFORMED_SIGNATURE', 'the simple-signing payload is not JSON');
  }
  if (!isRecord(document)) throw new TrustError('MALFORMED_SIGNATURE', 'the simple-signing payload is not a JSON object');
  const critical = field(document, 'critical');
  const identity = isRecord(critical) ? field(critical, 'identity') : undefined;
  const image = isRecord(critical) ? field(critical, 'image') : undefined;
  const type = isRecord(critical) ? field(critical, 'type') : undefined;
  const dockerReference = isRecord(identity) ? field(identity, 'docker-reference') : undefined;
  const digest = isRecord(image) ? field(image, 'docker-manifest-digest') : undefined;
  if (typeof type !== 'string' || type !== SIMPLE_SIGNING_TYPE) {
    throw new TrustError('MALFORMED_SIGNATURE', `the payload is not a cosign image signature (critical.type is ${JSON.stringify(type ?? null)})`);
  }
  if (typeof digest !== 'string' || typeof dockerReference !== 'string') {
    throw new TrustError('MALFORMED_SIGNATURE', 'the payload lacks critical.image.docker-manifest-digest or critical.identity.docker-reference');
  }
  const optional = field(document, 'optional');
  return {
    dockerReference,
    digest,
    type,
    optional: isRecord(optional) ? optional : null,
    document,
  };
}

/** An exact key first, else the first case-insensitive match (Go's rule). */
function field(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}
