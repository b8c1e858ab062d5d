/**
 * in-toto Statements (in-toto/attestation spec v1, and v0.1 from older tools): what an attestation
 * says about which artifacts (subjects, by digest), with a typed predicate. Also cosign's `--type`
 * shorthands for predicate types.
 */
import { TrustError } from './errors.ts';
import { jsonObjectInput } from './json-input.ts';
import { isRecord } from '../core/json.ts';

export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
/** DSSE payloadType of in-toto statements. */
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface Subject {
  name: string;
  /** algorithm (sha256, sha512, gitCommit, …) → lowercase hex */
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface Statement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate?: unknown;
}

/** cosign's `--type` shorthands (cmd/cosign/cli/options/predicate.go). */
export const PREDICATE_TYPE_ALIASES: Readonly<Record<string, string>> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

/** The predicate type URI for a cosign shorthand or a URI; UNKNOWN_PREDICATE_TYPE for anything else. */
export function resolvePredicateType(typeOrAlias: string): string {
  const alias = PREDICATE_TYPE_ALIASES[typeOrAlias];
  if (alias) return alias;
  if (/^[a-z][a-z0-9+.-]*:\S+$/i.test(typeOrAlias)) return typeOrAlias;
  throw new TrustError(
    'UNKNOWN_PREDICATE_TYPE',
    `unknown predicate type "${typeOrAlias}": use a URI or one of ${Object.keys(PREDICATE_TYPE_ALIASES).join(', ')}`,
  );
}

/** A v1 Statement. */
export function buildStatement(subjects: readonly Subject[], predicateType: string, predicate: unknown): Statement {
  if (subjects.length === 0) throw new TrustError('MALFORMED_STATEMENT', 'a statement needs at least one subject');
  return { _type: STATEMENT_V1, subject: subjects.map((s) => ({ ...s, digest: { ...s.digest } })), predicateType, predicate };
}

/**
 * A Statement (v1 or v0.1) from a DSSE payload, JSON text or a parsed value, validated once:
 * MALFORMED_STATEMENT names every bad field.
 */
export function parseStatement(input: unknown): Statement {
  const value = jsonObjectInput(input, 'MALFORMED_STATEMENT', 'the in-toto statement');
  const bad: string[] = [];
  if (value._type !== STATEMENT_V1 && value._type !== STATEMENT_V01) bad.push(`_type (${JSON.stringify(value._type)})`);
  if (typeof value.predicateType !== 'string' || value.predicateType === '') bad.push('predicateType');
  const subjects: Subject[] = [];
  if (!Array.isArray(value.subject) || value.subject.length === 0) bad.push('subject');
  else {
    value.subject.forEach((s: unknown, i) => {
      const subject = checkSubject(s);
      if (subject) subjects.push(subject);
      else bad.push(`subject[${i}]`);
    });
  }
  if (bad.length > 0) throw new TrustError('MALFORMED_STATEMENT', `malformed in-toto statement: missing or invalid ${bad.join(', ')}`);
  return { _type: value._type as string, subject: subjects, predicateType: value.predicateType as string, predicate: value.predicate };
}

/** Whether a subject of the statement has `digest` (`sha256:<hex>` or `{algorithm: hex}`). */
export function hasSubjectDigest(statement: Statement, digest: string | Record<string, string>): boolean {
  const wanted = typeof digest === 'string' ? splitDigest(digest) : digest;
  return statement.subject.some((s) =>
    Object.entries(wanted).some(([alg, hex]) => s.digest[alg] !== undefined && s.digest[alg].toLowerCase() === hex.toLowerCase()),
  );
}

/** SUBJECT_MISMATCH unless a subject carries `digest`: a signature over another artifact must not count (replay). */
export function assertSubjectDigest(statement: Statement, digest: string | Record<string, string>): void {
  if (hasSubjectDigest(statement, digest)) return;
  const shown = typeof digest === 'string' ? digest : Object.entries(digest).map(([a, h]) => `${a}:${h}`).join(', ');
  const have = statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`));
  throw new TrustError('SUBJECT_MISMATCH', `no statement subject has digest ${shown} (subjects: ${have.join(', ') || 'none'})`);
}

/** PREDICATE_TYPE_MISMATCH unless the statement's predicate type is `expected` (a URI or a cosign shorthand). */
export function assertPredicateType(statement: Statement, expected: string): void {
  const uri = resolvePredicateType(expected);
  if (statement.predicateType !== uri) {
    throw new TrustError('PREDICATE_TYPE_MISMATCH', `predicate type is ${statement.predicateType}, expected ${uri}`);
  }
}

function splitDigest(digest: string): Record<string, string> {
  const colon = digest.indexOf(':');
  if (colon <= 0) throw new TrustError('MALFORMED_DIGEST', `not a digest: "${digest}" (expected algorithm:hex)`);
  return { [digest.slice(0, colon)]: digest.slice(colon + 1) };
}

function checkSubject(value: unknown): Subject | undefined {
  if (!isRecord(value) || !isRecord(value.digest)) return undefined;
  const digest: Record<string, string> = {};
  for (const [alg, hex] of Object.entries(value.digest)) {
    if (typeof hex !== 'string') return undefined;
    digest[alg] = hex;
  }
  if (Object.keys(digest).length === 0) return undefined;
  // v1 makes name optional when a digest identifies the artifact; keep "" rather than inventing one.
  if (value.name !== undefined && typeof value.name !== 'string') return undefined;
  const subject: Subject = { name: typeof value.name === 'string' ? value.name : '', digest };
  if (isRecord(value.annotations)) subject.annotations = value.annotations;
  return subject;
}

