/**
 * A `verifyImages[]` entry of a Kyverno rule (api/kyverno/v1 ImageVerification), read into the
 * typed spec the rule handler evaluates, and the verification requests it sends to the trust
 * capability.
 *
 * Read after variable substitution (except attestation conditions and `validate`, which refer to
 * attestation payloads). Defaults are Kyverno's: type Cosign (SigstoreBundle: the same, counting
 * only Sigstore bundles stored as referrers), mutateDigest, verifyDigest and required true, an
 * attestor set's `count` all its entries (a `publicKeys` field holding several PEM keys is one
 * entry per key, as Kyverno expands it). The deprecated single-attestor fields (`image`, `key`,
 * `subject`, `issuer`, `roots`) are converted as Kyverno's Convert() does. Anything that cannot be
 * checked offline against Palisade's trust capability (Notary, KMS and Secret keys, registry
 * credential providers and secrets…) throws UnsupportedImageFeature naming the field.
 */
import { createHash } from 'node:crypto';
import { parseCertificates } from '../../trust/certificate-chain.ts';
import { hashFor, keyAlgorithm, loadPublicKey } from '../../trust/keys.ts';
import type { Conditions } from '../types.ts';
import { isRecord, stableJson, stringItems } from '../../core/json.ts';

/**
 * A leaf attestor, as the trust capability verifies it; `repository`/`annotations` override the
 * entry's; `ignoreTlog` (Kyverno's `rekor.ignoreTlog`) accepts signatures without a verified
 * transparency-log entry, which every kind otherwise needs.
 */
export type Attestor = (
  | { kind: 'key'; publicKey: string }
  | { kind: 'keyless'; subject?: string; subjectRegExp?: string; issuer?: string; issuerRegExp?: string; roots?: string }
  | { kind: 'certificate'; cert: string; certChain?: string }
) & { repository?: string; annotations?: Record<string, string>; ignoreTlog?: boolean };

export interface AttestorSet {
  /** How many entries must verify. */
  count: number;
  entries: ({ attestor: Attestor; path: string } | { nested: AttestorSet; path: string })[];
}

export interface AttestationSpec {
  /** Under this name the predicate is a context entry for `validate.deny`. */
  name?: string;
  predicateType: string;
  attestors: AttestorSet[];
  /** Kyverno's `conditions: [{any, all}]`: every block must hold for every verified statement. */
  conditions: Conditions[];
}

export interface ImageVerificationSpec {
  imageReferences: string[];
  skipImageReferences: string[];
  attestors: AttestorSet[];
  attestations: AttestationSpec[];
  /** Repository holding the signatures when not the image's own. */
  repository?: string;
  /** Signed annotations every signature must carry. */
  annotations?: Record<string, string>;
  mutateDigest: boolean;
  verifyDigest: boolean;
  required: boolean;
  /** false: verify on every evaluation, never from a cache. */
  useCache: boolean;
  /** imageRegistryCredentials.allowInsecureRegistry. */
  insecure: boolean;
  /** type SigstoreBundle: only Sigstore bundles stored as OCI 1.1 referrers count (no legacy `.sig`/`.att` tags). */
  bundlesOnly: boolean;
  /** Deny conditions over the named attestations' predicates, checked once they verified. */
  validate?: { message?: string; deny: Conditions };
}

/** What the rule handler asks the trust capability; `key` of each is stable JSON of its content. */
export type ImageVerificationRequest =
  | { kind: 'signature'; image: string; attestor: Attestor; repository?: string; annotations?: Record<string, string>; insecure?: true; useCache?: false; bundlesOnly?: true }
  // verifyImages attestations always name a predicate type and carry no annotations; ImageValidatingPolicy ones may do either.
  | { kind: 'attestation'; image: string; attestor: Attestor; predicateType?: string; repository?: string; annotations?: Record<string, string>; insecure?: true; useCache?: false; bundlesOnly?: true }
  | { kind: 'digest'; image: string; insecure?: true };

/** A verified in-toto statement, as conditions see it. */
export interface VerifiedStatement {
  predicateType: string;
  predicate: unknown;
}

/** A request's outcome: verified (with the digest and, for attestations, the verified statements), or why not. */
export type ImageVerificationOutcome =
  | { status: 'verified'; digest: string; statements?: readonly VerifiedStatement[] }
  | { status: 'rejected'; reason: string }
  | { status: 'unavailable'; reason: string };

/** A field the engine cannot evaluate: the rule answers `unsupported: <feature> in <policy>/<rule>`. */
export class UnsupportedImageFeature extends Error {
  readonly feature: string;

  constructor(feature: string) {
    super(`unsupported: ${feature}`);
    this.name = 'UnsupportedImageFeature';
    this.feature = feature;
  }
}

/** A field with a value Kyverno would reject: the rule answers `error`. */
export class InvalidImageVerification extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidImageVerification';
  }
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The cache and deduplication key of a request: a hash of everything its outcome depends on
 * (image reference, key or identity, predicate type, signature repository, annotations), in
 * stable JSON so that equal requests have equal keys whatever order their fields came in.
 */
export function requestKey(request: ImageVerificationRequest): string {
  return createHash('sha256').update(stableJson(request)).digest('hex');
}

/** The rule-level failure action of a verifyImages rule: the first entry that sets one. */
export function verifyImagesFailureAction(entries: readonly unknown[] | undefined): string | undefined {
  for (const entry of entries ?? []) {
    const action = isRecord(entry) ? str(entry.failureAction) : undefined;
    if (action !== undefined) return action;
  }
  return undefined;
}

/** Load-time shape checks (field path, message), as load.ts reports them. */
export function checkVerifyImages(entries: readonly unknown[]): { path: (string | number)[]; message: string }[] {
  const errors: { path: (string | number)[]; message: string }[] = [];
  entries.forEach((entry, i) => {
    if (!isRecord(entry)) {
      errors.push({ path: [i], message: 'must be an object' });
      return;
    }
    for (const key of ['imageReferences', 'skipImageReferences'] as const) {
      const list = entry[key];
      if (list !== undefined && list !== null && (!Array.isArray(list) || list.some((v) => typeof v !== 'string'))) errors.push({ path: [i, key], message: 'must be a list of strings' });
    }
    for (const key of ['mutateDigest', 'verifyDigest', 'required', 'useCache'] as const) {
      if (entry[key] !== undefined && entry[key] !== null && typeof entry[key] !== 'boolean') errors.push({ path: [i, key], message: 'must be true or false' });
    }
    const action = entry.failureAction;
    if (action !== undefined && action !== null && (typeof action !== 'string' || !/^(enforce|audit)$/i.test(action))) errors.push({ path: [i, 'failureAction'], message: 'must be Enforce or Audit' });
    for (const key of ['attestors', 'attestations'] as const) {
      if (entry[key] !== undefined && entry[key] !== null && !Array.isArray(entry[key])) errors.push({ path: [i, key], message: 'must be a list' });
    }
  });
  return errors;
}

/** Splits a `publicKeys` field holding several PEM public keys into one PEM per key (Kyverno's splitPEM). */
export function splitPublicKeys(pem: string): string[] {
  const keys = pem.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g);
  return keys ?? [pem];
}

/** Reads one `verifyImages[]` entry (after variable substitution). */
export function parseImageVerification(entry: unknown): ImageVerificationSpec {
  if (!isRecord(entry)) throw new InvalidImageVerification('a verifyImages entry must be an object');
  const type = str(entry.type) ?? 'Cosign';
  if (type !== 'Cosign' && type !== 'SigstoreBundle') throw new UnsupportedImageFeature(`verifyImages type ${type}`);
  const imageReferences = stringItems(entry.imageReferences);
  const image = str(entry.image);
  if (image !== undefined) imageReferences.push(image);
  const attestors = listOf(entry.attestors).map((set, i) => attestorSet(set, `.attestors[${i}]`));
  // Deprecated single-attestor fields become one attestor set (Kyverno's Convert()).
  const key = str(entry.key);
  if (key !== undefined) attestors.push(attestorSet({ entries: [{ keys: { publicKeys: key } }] }, '.key'));
  if (str(entry.subject) !== undefined || str(entry.issuer) !== undefined || str(entry.roots) !== undefined) {
    attestors.push(attestorSet({ entries: [{ keyless: { subject: entry.subject, issuer: entry.issuer, roots: entry.roots } }] }, '.keyless'));
  }
  if (entry.additionalExtensions !== undefined && entry.additionalExtensions !== null) throw new UnsupportedImageFeature('verifyImages additionalExtensions');
  const attestations = listOf(entry.attestations).map((a, i) => attestation(a, `.attestations[${i}]`));
  const credentials = isRecord(entry.imageRegistryCredentials) ? entry.imageRegistryCredentials : {};
  if (listOf(credentials.providers).length > 0) throw new UnsupportedImageFeature('imageRegistryCredentials.providers');
  if (listOf(credentials.secrets).length > 0) throw new UnsupportedImageFeature('imageRegistryCredentials.secrets');
  const annotations = stringMap(entry.annotations);
  const repository = str(entry.repository);
  const validate = isRecord(entry.validate) && isRecord(entry.validate.deny) && entry.validate.deny.conditions !== undefined ? entry.validate : undefined;
  return {
    imageReferences,
    skipImageReferences: stringItems(entry.skipImageReferences),
    attestors,
    attestations,
    ...(repository !== undefined && { repository }),
    ...(annotations && { annotations }),
    mutateDigest: entry.mutateDigest !== false,
    verifyDigest: entry.verifyDigest !== false,
    required: entry.required !== false,
    useCache: entry.useCache !== false,
    insecure: credentials.allowInsecureRegistry === true,
    bundlesOnly: type === 'SigstoreBundle',
    ...(validate && {
      validate: { ...(str(validate.message) !== undefined && { message: str(validate.message) }), deny: (validate.deny as Json).conditions as Conditions },
    }),
  };
}

/** A map of annotations (values as strings); undefined when absent or empty. */
function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value) || Object.keys(value).length === 0) return undefined;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function attestorSet(value: unknown, path: string): AttestorSet {
  if (!isRecord(value)) throw new InvalidImageVerification(`${path}: an attestor set must be an object`);
  const entries: AttestorSet['entries'] = [];
  listOf(value.entries).forEach((raw, i) => {
    const at = `${path}.entries[${i}]`;
    if (!isRecord(raw)) throw new InvalidImageVerification(`${at}: an attestor must be an object`);
    if (isRecord(raw.attestor)) {
      entries.push({ nested: attestorSet(raw.attestor, `${at}.attestor`), path: `${at}.attestor` });
      return;
    }
    const repository = str(raw.repository);
    const annotations = stringMap(raw.annotations);
    for (const attestor of leafAttestors(raw, at)) entries.push({ attestor: { ...attestor, ...(repository !== undefined && { repository }), ...(annotations && { annotations }) }, path: at });
  });
  if (entries.length === 0) throw new InvalidImageVerification(`${path}: an attestor set needs entries`);
  const count = value.count;
  if (count !== undefined && count !== null && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) {
    throw new InvalidImageVerification(`${path}.count: must be a whole number`);
  }
  const required = typeof count === 'number' && count > 0 ? count : entries.length;
  if (required > entries.length) throw new InvalidImageVerification(`${path}.count: ${required} is more than the ${entries.length} entries`);
  return { count: required, entries };
}

/**
 * Transparency-log and CT-log settings that ask for checks Palisade does not make offline (custom
 * log keys, RFC 3161 timestamp authorities): honouring them silently would pass what they reject.
 */
function checkLogSettings(kind: string, attestor: Json, at: string): void {
  const rekor = isRecord(attestor.rekor) ? attestor.rekor : {};
  const ctlog = isRecord(attestor.ctlog) ? attestor.ctlog : {};
  if (str(rekor.pubkey) !== undefined) throw new UnsupportedImageFeature(`${kind}.rekor.pubkey (${at})`);
  if (str(ctlog.pubkey) !== undefined) throw new UnsupportedImageFeature(`${kind}.ctlog.pubkey (${at})`);
  if (str(ctlog.tsaCertChain) !== undefined) throw new UnsupportedImageFeature(`${kind}.ctlog.tsaCertChain (timestamp authorities) (${at})`);
}

/** One attestor entry; a `publicKeys` field with several keys is one attestor per key. */
function leafAttestors(raw: Json, at: string): Attestor[] {
  for (const kind of ['keys', 'keyless', 'certificates'] as const) if (isRecord(raw[kind])) checkLogSettings(kind, raw[kind], at);
  if (isRecord(raw.keys)) {
    const keys = raw.keys;
    if (str(keys.kms) !== undefined) throw new UnsupportedImageFeature(`keys.kms (${at})`);
    if (keys.secret !== undefined && keys.secret !== null) throw new UnsupportedImageFeature(`keys.secret (${at})`);
    const pem = str(keys.publicKeys);
    if (pem === undefined) throw new InvalidImageVerification(`${at}.keys: publicKeys is required`);
    if (pem.startsWith('k8s://')) throw new UnsupportedImageFeature(`keys.publicKeys k8s:// secrets (${at})`);
    const algorithm = str(keys.signatureAlgorithm);
    return splitPublicKeys(pem).map((publicKey, k) => {
      const key = checkPem(() => loadPublicKey(publicKey), `${at}.keys.publicKeys${k > 0 ? `[key ${k + 1}]` : ''}`);
      // cosign signs with the key's own hash; another one is a signature scheme Palisade does not verify.
      const hash = hashFor(keyAlgorithm(key)) ?? 'none';
      if (algorithm !== undefined && algorithm.toLowerCase() !== hash) {
        throw new UnsupportedImageFeature(`keys.signatureAlgorithm ${algorithm} with a ${keyAlgorithm(key)} key, which cosign signs with ${hash} (${at})`);
      }
      return { kind: 'key', publicKey, ...(ignoresTlog(keys) && { ignoreTlog: true }) };
    });
  }
  if (isRecord(raw.keyless)) {
    const k = raw.keyless;
    if (k.additionalExtensions !== undefined && k.additionalExtensions !== null) throw new UnsupportedImageFeature(`keyless.additionalExtensions (${at})`);
    const fields = { subject: str(k.subject), subjectRegExp: str(k.subjectRegExp), issuer: str(k.issuer), issuerRegExp: str(k.issuerRegExp) };
    if (fields.subject === undefined && fields.subjectRegExp === undefined) throw new InvalidImageVerification(`${at}.keyless: subject or subjectRegExp is required`);
    if (fields.issuer === undefined && fields.issuerRegExp === undefined) throw new InvalidImageVerification(`${at}.keyless: issuer or issuerRegExp is required`);
    const roots = str(k.roots);
    if (roots !== undefined) checkPem(() => parseCertificates(roots, 'roots'), `${at}.keyless.roots`);
    return [{ kind: 'keyless', ...definedOnly(fields), ...(ignoresTlog(k) && { ignoreTlog: true }), ...(roots !== undefined && { roots }) }];
  }
  if (isRecord(raw.certificates)) {
    const c = raw.certificates;
    const cert = str(c.cert);
    if (cert === undefined) throw new UnsupportedImageFeature(`certificates without cert (${at})`);
    const certChain = str(c.certChain);
    checkPem(() => parseCertificates(cert, 'certificate'), `${at}.certificates.cert`);
    if (certChain !== undefined) checkPem(() => parseCertificates(certChain, 'certificate chain'), `${at}.certificates.certChain`);
    return [{ kind: 'certificate', cert, ...(certChain !== undefined && { certChain }), ...(ignoresTlog(c) && { ignoreTlog: true }) }];
  }
  throw new InvalidImageVerification(`${at}: an attestor needs keys, keyless, certificates or attestor`);
}

/** `rekor.ignoreTlog: true`: as in Kyverno, the transparency log is required unless this says otherwise. */
function ignoresTlog(attestor: Json): boolean {
  return isRecord(attestor.rekor) && attestor.rekor.ignoreTlog === true;
}

/** A key or certificate that does not parse is the policy's error, found before any registry call. */
function checkPem<T>(parse: () => T, at: string): T {
  try {
    return parse();
  } catch (err) {
    throw new InvalidImageVerification(`${at}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function definedOnly<T extends Record<string, string | undefined>>(fields: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, string>>;
}

function attestation(value: unknown, path: string): AttestationSpec {
  if (!isRecord(value)) throw new InvalidImageVerification(`${path}: an attestation must be an object`);
  const predicateType = str(value.predicateType) ?? str(value.type);
  if (predicateType === undefined) throw new InvalidImageVerification(`${path}: missing predicateType`);
  const attestors = listOf(value.attestors).map((set, i) => attestorSet(set, `${path}.attestors[${i}]`));
  if (attestors.length === 0) throw new UnsupportedImageFeature(`attestations without attestors (${path})`);
  const conditions = listOf(value.conditions).filter(isRecord) as Conditions[];
  const name = str(value.name);
  return { ...(name !== undefined && { name }), predicateType, attestors, conditions };
}
