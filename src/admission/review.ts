/**
 * AdmissionReview v1 (admission.k8s.io/v1): reading a request and writing the response envelope.
 * The API server rejects a response whose apiVersion/kind differ from the request's, whose uid does
 * not echo the request's, or that sets `patchType` without `patch` — so the envelope is built here
 * and only here.
 */
import { isRecord } from '../core/json.ts';

type Json = Record<string, unknown>;

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  /** Null on DELETE. */
  object: Json | null;
  oldObject: Json | null;
  dryRun: boolean;
  /** The request as received, exposed to policies as `request.*`. */
  raw: Json;
}

export interface AdmissionDecision {
  allowed: boolean;
  /** Shown to the user on deny. */
  message?: string;
  /** HTTP-like status code of a deny (403 for policy violations). */
  code?: number;
  warnings?: string[];
  /** RFC 6902 operations; sent base64-encoded with patchType JSONPatch, only when non-empty. */
  patch?: unknown[];
  /** Written into the API server's audit event, each key prefixed with the webhook's name. */
  auditAnnotations?: Record<string, string>;
}

/** A request body that is not a usable AdmissionReview: answered with HTTP 400 and this message. */
export class MalformedReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedReviewError';
  }
}

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** Parses and checks the body; throws MalformedReviewError saying what is wrong. */
export function parseAdmissionReview(body: string): AdmissionRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new MalformedReviewError(`body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(doc)) throw new MalformedReviewError('body must be a JSON object (an AdmissionReview)');
  if (doc.apiVersion !== ADMISSION_API_VERSION) throw new MalformedReviewError(`apiVersion must be ${ADMISSION_API_VERSION}, got ${JSON.stringify(doc.apiVersion ?? null)}`);
  if (doc.kind !== 'AdmissionReview') throw new MalformedReviewError(`kind must be AdmissionReview, got ${JSON.stringify(doc.kind ?? null)}`);
  const request = doc.request;
  if (!isRecord(request)) throw new MalformedReviewError('AdmissionReview has no request object');
  if (typeof request.uid !== 'string' || request.uid === '') throw new MalformedReviewError('request.uid must be a non-empty string');
  const kind = request.kind;
  if (!isRecord(kind) || typeof kind.kind !== 'string' || typeof kind.version !== 'string') {
    throw new MalformedReviewError('request.kind must be {group, version, kind}');
  }
  if (typeof request.operation !== 'string' || !OPERATIONS.has(request.operation)) {
    throw new MalformedReviewError(`request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got ${JSON.stringify(request.operation ?? null)}`);
  }
  const object = request.object ?? null;
  const oldObject = request.oldObject ?? null;
  if (object !== null && !isRecord(object)) throw new MalformedReviewError('request.object must be an object or null');
  if (oldObject !== null && !isRecord(oldObject)) throw new MalformedReviewError('request.oldObject must be an object or null');
  if (object === null && oldObject === null && request.operation !== 'CONNECT') {
    throw new MalformedReviewError(`request.object is required for ${request.operation}`);
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const subResource = str(request.subResource);
  const name = str(request.name);
  const namespace = str(request.namespace);
  return {
    uid: request.uid,
    kind: { group: typeof kind.group === 'string' ? kind.group : '', version: kind.version, kind: kind.kind },
    ...(isRecord(request.resource) && { resource: request.resource as AdmissionRequest['resource'] }),
    ...(subResource && { subResource }),
    ...(name && { name }),
    ...(namespace && { namespace }),
    operation: request.operation as AdmissionRequest['operation'],
    ...(isRecord(request.userInfo) && { userInfo: request.userInfo as AdmissionRequest['userInfo'] }),
    object,
    oldObject,
    dryRun: request.dryRun === true,
    raw: request,
  };
}

/** Kubernetes may truncate long warnings; keep each readable within the documented 120 characters. */
const MAX_WARNING = 120;

function shortWarning(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= MAX_WARNING ? flat : `${flat.slice(0, MAX_WARNING - 1)}…`;
}

/** The response AdmissionReview for `uid`. */
export function admissionResponse(uid: string, decision: AdmissionDecision): Json {
  const response: Json = { uid, allowed: decision.allowed };
  if (!decision.allowed || decision.message !== undefined) {
    response.status = {
      ...(decision.allowed ? {} : { code: decision.code ?? 403, reason: 'Forbidden' }),
      ...(decision.message !== undefined && { message: decision.message }),
    };
  }
  if (decision.warnings && decision.warnings.length > 0) response.warnings = decision.warnings.map(shortWarning);
  if (decision.auditAnnotations && Object.keys(decision.auditAnnotations).length > 0) response.auditAnnotations = decision.auditAnnotations;
  if (decision.allowed && decision.patch && decision.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(decision.patch)).toString('base64');
  }
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
