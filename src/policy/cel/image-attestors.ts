/**
 * What an ImageValidatingPolicy's attestors and `spec.credentials` mean for the verification core
 * shared with verifyImages rules (src/policy/engine/verify-images-trust.ts): the leaf attestors
 * one attestor verifies with, the registry access of a policy — or why Palisade cannot honour
 * them, as `unsupported:` errors naming the field.
 *
 * - `cosign.key.data`: a PEM public key (`hashAlgorithm` must be the one cosign signs with);
 * - `cosign.ctlog.insecureIgnoreTlog`: accept signatures without a transparency-log entry, which
 *   every attestor otherwise needs (keys and certificates too, as in cosign and Kyverno); the log
 *   keys come from the verifier's trusted root, so custom log settings are unsupported;
 * - `cosign.keyless`: identities (any one) against the verifier's trusted root;
 * - `cosign.certificate`: the certificate's key, once it chains to `certChain`;
 * - `cosign.annotations` (signed annotations), `cosign.source.repository` (signature repository);
 * - `spec.credentials.allowInsecureRegistry`;
 * - key and certificate values given as CEL `expression`s, evaluated per request (concreteAttestor).
 */
import { PalisadeError } from '../../core/errors.ts';
import { certificateKey, parseCertificates } from '../../trust/certificate-chain.ts';
import { hashFor, keyAlgorithm, loadPublicKey } from '../../trust/keys.ts';
import type { Attestor } from '../engine/verify-images-spec.ts';
import { containsWildcard } from '../pattern/wildcard.ts';
import type { Activation } from './evaluate.ts';
import { CelEvalError, CelUnsupportedError } from './errors.ts';
import type { AttestorExpression } from './types.ts';
import { celToString } from './values.ts';
import { isRecord } from '../../core/json.ts';

type Json = Record<string, unknown>;
type KeylessAttestor = Extract<Attestor, { kind: 'keyless' }>;

/** How one attestor verifies: any of `alternatives` verifying suffices; signatures in `repository`, carrying `annotations`. */
export interface AttestorVerification {
  alternatives: Attestor[];
  repository?: string;
  annotations?: Record<string, string>;
}

/**
 * How an attestor verifies, or why it cannot: one alternative per keyless identity (cosign accepts
 * a certificate naming any of them), one otherwise.
 */
export function attestorVerification(attestor: Json): AttestorVerification {
  const name = String(attestor.name ?? '');
  const where = `attestor ${name}`;
  if (isRecord(attestor.notary)) throw new CelUnsupportedError('notary attestors', where);
  const cosign = isRecord(attestor.cosign) ? attestor.cosign : undefined;
  if (!cosign) throw new CelUnsupportedError('attestor without cosign settings', where);
  if (cosign.tuf !== undefined) throw new CelUnsupportedError('cosign.tuf (pass the roots as --trusted-root)', where);
  const common = { ...signatureSource(cosign, where), ...signedAnnotations(cosign, where) };
  const log = logSettings(cosign, isRecord(cosign.keyless), where);
  if (isRecord(cosign.key)) return { ...common, alternatives: [{ kind: 'key', publicKey: attestorKey(cosign.key, where), ...log }] };
  if (isRecord(cosign.keyless)) return { ...common, alternatives: keylessAttestors(cosign, where).map((keyless) => ({ ...keyless, ...log })) };
  if (isRecord(cosign.certificate)) {
    const cert = literal(cosign.certificate.cert);
    if (cert === undefined) throw new PalisadeError('USAGE', `${where}: cosign.certificate.cert is required`);
    const certChain = literal(cosign.certificate.certChain);
    return { ...common, alternatives: [{ kind: 'certificate', cert, ...(certChain !== undefined && { certChain }), ...log }] };
  }
  throw new CelUnsupportedError('attestor without key, keyless or certificate settings', where);
}

/** `cosign.key`: PEM data, whose `hashAlgorithm` must be the one cosign signs with for that key. */
function attestorKey(key: Json, where: string): string {
  if (key.kms !== undefined) throw new CelUnsupportedError('cosign.key.kms', where);
  if (typeof key.data !== 'string') throw new CelUnsupportedError('cosign.key without data or expression (secretRef)', where);
  const publicKey = loadPublicKey(key.data);
  const hash = hashFor(keyAlgorithm(publicKey));
  if (typeof key.hashAlgorithm === 'string' && key.hashAlgorithm !== '' && key.hashAlgorithm.toLowerCase() !== hash) {
    throw new CelUnsupportedError(`cosign.key.hashAlgorithm ${key.hashAlgorithm} with a ${keyAlgorithm(publicKey)} key (cosign signs it with ${hash ?? 'no separate hash'})`, where);
  }
  return key.data;
}

/**
 * `cosign.ctlog`, for every kind of attestor: whether the transparency log may be ignored. Custom
 * transparency-log or CT keys or a TSA chain would change what the verifier's trusted root is:
 * unsupported (a trusted_root.json holding them can be passed instead). For keys and certificates
 * the Rekor URL is never contacted (entries are checked offline against the root's log keys), CT
 * logs do not apply, and a custom Rekor key matters only while the log is consulted.
 */
function logSettings(cosign: Json, keyless: boolean, where: string): Pick<Attestor, 'ignoreTlog'> {
  const ctlog = isRecord(cosign.ctlog) ? cosign.ctlog : {};
  const ignoreTlog = ctlog.insecureIgnoreTlog === true;
  const unsupported = keyless ? (['url', 'rekorPubKey', 'ctLogPubKey', 'tsaCertChain'] as const) : ignoreTlog ? (['tsaCertChain'] as const) : (['rekorPubKey', 'tsaCertChain'] as const);
  for (const field of unsupported) {
    if (typeof ctlog[field] === 'string' && ctlog[field] !== '') throw new CelUnsupportedError(`cosign.ctlog.${field} (pass the roots as --trusted-root)`, where);
  }
  return ignoreTlog ? { ignoreTlog: true } : {};
}

/**
 * `cosign.keyless` identities, each checked against the verifier's trusted root (default: the
 * public-good one). Skipping SCTs would accept certificates the root's CT logs never saw: unsupported.
 */
function keylessAttestors(cosign: Json, where: string): KeylessAttestor[] {
  const keylessSpec = cosign.keyless as Json;
  if (isRecord(cosign.ctlog) && cosign.ctlog.insecureIgnoreSCT === true) throw new CelUnsupportedError('cosign.ctlog.insecureIgnoreSCT', where);
  if (keylessSpec.roots !== undefined) throw new CelUnsupportedError('cosign.keyless.roots (pass the roots as --trusted-root)', where);
  const identities = (Array.isArray(keylessSpec.identities) ? keylessSpec.identities : []).filter(isRecord);
  if (identities.length === 0) throw new PalisadeError('USAGE', `${where}: cosign.keyless needs at least one identity`);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return identities.map((identity): KeylessAttestor => ({
    kind: 'keyless',
    ...exactMatch('subject', str(identity.subject), str(identity.subjectRegExp)),
    ...exactMatch('issuer', str(identity.issuer), str(identity.issuerRegExp)),
  }));
}

/**
 * An identity's exact `subject` or `issuer` (and its regexp) for the core, which reads `*` and `?`
 * in them as wildcards (Kyverno's verifyImages): cosign compares them literally, so one holding a
 * wildcard character becomes an anchored literal regexp — joined to the identity's own regexp when it has one, since
 * cosign requires both to match.
 */
function exactMatch(field: 'subject' | 'issuer', exact: string | undefined, regexp: string | undefined): Partial<KeylessAttestor> {
  const regexpField = field === 'subject' ? 'subjectRegExp' : 'issuerRegExp';
  if (exact === undefined || !containsWildcard(exact)) return { ...(exact !== undefined && { [field]: exact }), ...(regexp !== undefined && { [regexpField]: regexp }) };
  const literal = exact.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { [regexpField]: regexp === undefined ? `^${literal}$` : `^(?=${literal}$)[\\s\\S]*?(?:${regexp})` };
}

/** `cosign.source`: the repository holding the signatures; a tag prefix or pull secrets are unsupported. */
function signatureSource(cosign: Json, where: string): Pick<AttestorVerification, 'repository'> {
  if (!isRecord(cosign.source)) return {};
  if (typeof cosign.source.tagPrefix === 'string' && cosign.source.tagPrefix !== '') throw new CelUnsupportedError('cosign.source.tagPrefix', where);
  if (Array.isArray(cosign.source.PullSecrets) && cosign.source.PullSecrets.length > 0) throw new CelUnsupportedError('cosign.source.PullSecrets (registry credentials come from the Docker config)', where);
  return typeof cosign.source.repository === 'string' && cosign.source.repository !== '' ? { repository: cosign.source.repository } : {};
}

/** `cosign.annotations`: key/values every accepted signature must carry. */
function signedAnnotations(cosign: Json, where: string): Pick<AttestorVerification, 'annotations'> {
  if (cosign.annotations === undefined) return {};
  if (!isRecord(cosign.annotations) || Object.values(cosign.annotations).some((v) => typeof v !== 'string')) {
    throw new PalisadeError('USAGE', `${where}: cosign.annotations must map names to strings`);
  }
  return { annotations: cosign.annotations as Record<string, string> };
}

/** A StringOrExpression field's literal value (`value`, or a plain string); expressions are evaluated before (concreteAttestor). */
function literal(field: unknown): string | undefined {
  if (typeof field === 'string') return field;
  return isRecord(field) && typeof field.value === 'string' ? field.value : undefined;
}

/**
 * Whether a policy reads registries over plain HTTP (`spec.credentials.allowInsecureRegistry`;
 * loopback registries only, as everywhere in Palisade). Credentials come from the Docker config
 * of the process: cloud `providers` other than `default` and Kubernetes `secrets` are unsupported.
 */
export function insecureRegistry(credentials: Json | undefined, where: string): boolean {
  if (!credentials) return false;
  const providers = Array.isArray(credentials.providers) ? credentials.providers.filter((p) => p !== 'default') : [];
  if (providers.length > 0) throw new CelUnsupportedError(`registry credential providers ${providers.join(', ')} (credentials come from the Docker config)`, where);
  if (Array.isArray(credentials.secrets) && credentials.secrets.length > 0) throw new CelUnsupportedError('registry credential secrets (credentials come from the Docker config)', where);
  return credentials.allowInsecureRegistry === true;
}

/**
 * What is wrong with an attestor as written (field path below the attestor, message), for load
 * time: a missing name, keys and certificates that do not parse. What Palisade cannot honour is
 * left for verification time (`unsupported:`), where it names the policy's expression.
 */
export function attestorProblems(attestor: unknown): { path: string[]; message: string }[] {
  if (!isRecord(attestor)) return [{ path: [], message: 'must be an object' }];
  const problems: { path: string[]; message: string }[] = [];
  if (typeof attestor.name !== 'string' || attestor.name === '') problems.push({ path: ['name'], message: 'required' });
  const cosign = isRecord(attestor.cosign) ? attestor.cosign : undefined;
  const check = (path: string[], text: unknown, parse: (pem: string) => unknown) => {
    if (typeof text !== 'string') return;
    try {
      parse(text);
    } catch (err) {
      problems.push({ path, message: (err as Error).message });
    }
  };
  if (isRecord(cosign?.key)) check(['cosign', 'key', 'data'], cosign.key.data, loadPublicKey);
  if (isRecord(cosign?.certificate)) {
    const { cert, certChain } = cosign.certificate;
    check(['cosign', 'certificate', 'cert', 'value'], literal(cert), (pem) => certificateKey(pem));
    check(['cosign', 'certificate', 'certChain', 'value'], literal(certChain), (pem) => parseCertificates(pem, 'certificate chain'));
  }
  return problems;
}

/** The CEL expressions an attestor gives its key or certificates with, and where they stand. */
export function expressionFields(attestor: unknown): { field: AttestorExpression['field']; path: string[]; source: unknown }[] {
  const cosign = isRecord(attestor) && isRecord(attestor.cosign) ? attestor.cosign : undefined;
  const out: { field: AttestorExpression['field']; path: string[]; source: unknown }[] = [];
  if (isRecord(cosign?.key) && cosign.key.expression !== undefined) out.push({ field: 'key', path: ['cosign', 'key', 'expression'], source: cosign.key.expression });
  const certificate = isRecord(cosign?.certificate) ? cosign.certificate : undefined;
  for (const field of ['cert', 'certChain'] as const) {
    const value = certificate?.[field];
    if (isRecord(value) && value.expression !== undefined) out.push({ field, path: ['cosign', 'certificate', field, 'expression'], source: value.expression });
  }
  return out;
}

/**
 * The attestor with its expressions evaluated in `activation` (the request's), as the literal
 * values they stand for: `cosign.key.data`, `cosign.certificate.cert/certChain.value`. Throws,
 * naming the attestor and expression, when one fails or gives no string.
 */
export function concreteAttestor(attestor: Json, expressions: readonly AttestorExpression[], activation: Activation): Json {
  if (expressions.length === 0) return attestor;
  const copy = structuredClone(attestor) as Json;
  const cosign = copy.cosign as Json;
  for (const { field, program } of expressions) {
    let value: unknown;
    try {
      value = program.run(activation);
    } catch (err) {
      throw new CelEvalError(`attestor ${String(attestor.name)} ${field} expression ${JSON.stringify(program.source.trim())}: ${(err as Error).message}`);
    }
    if (typeof value !== 'string') throw new CelEvalError(`attestor ${String(attestor.name)} ${field} expression ${JSON.stringify(program.source.trim())} must give a string, got ${celToString(value)}`);
    if (field === 'key') {
      const key = cosign.key as Json;
      delete key.expression;
      key.data = value;
    } else (cosign.certificate as Json)[field] = { value };
  }
  return copy;
}
