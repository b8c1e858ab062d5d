/**
 * Image verification for ImageValidatingPolicies through the trust capability (src/trust/oci).
 *
 * CEL evaluation is synchronous and registries are not, so verification runs first: for every
 * ImageValidatingPolicy and resource, each image the policy selects is verified against each
 * attestor (signatures) and each attestation × attestor (attestations), and the outcomes are
 * kept. The CEL functions (`verifyImageSignatures`, `verifyAttestationSignatures`,
 * `extractPayload`, see image-policy.ts) then answer from these results.
 *
 * Attestors: `cosign.key.data` (PEM public keys); `cosign.keyless` (identities: issuer and
 * subject, or their regexps) checked against the trusted root given in the options, else the
 * Sigstore public-good root shipped with Palisade (offline: there is no TUF fetch here);
 * `cosign.certificate` (`cert`, and `certChain` the certificate must chain to:
 * src/trust/certificate-chain.ts) — signatures are then checked with the certificate's key, the
 * transparency log is not consulted (as for keys). A certificate that does not chain verifies
 * nothing (count 0). `cosign.key.kms`, `notary` and Kyverno's
 * `expression`-valued attestor fields are unsupported: verifying with them is an error naming the
 * feature. Attestations: `intoto.type` and `referrer.type` give the predicate type.
 */
import type { KeyObject } from 'node:crypto';
import { publicGoodTrustedRoot, type TrustedRoot } from '../../trust/bundle/trusted-root.ts';
import { PalisadeError } from '../../core/errors.ts';
import { parseImageReference, type RegistryReference } from '../../image/reference.ts';
import { certificateKey } from '../../trust/certificate-chain.ts';
import { TrustError, isInputFailure } from '../../trust/errors.ts';
import { DigestCache } from '../../trust/oci/cache.ts';
import { mapLimit } from '../../trust/oci/discover.ts';
import { openImageTarget } from '../../trust/oci/target.ts';
import { hashFor, keyAlgorithm, loadPublicKey } from '../../trust/keys.ts';
import { ImageVerificationError, verifyImageAttestations, verifyImageSignatures, type KeylessOptions, type VerifyImageOptions } from '../../trust/oci/verify.ts';
import type { RegistryStoreOptions } from '../../trust/oci/store.ts';
import type { KubeResource } from '../types.ts';
import { CelEvalError, CelUnsupportedError } from './errors.ts';
import { ruleSetFor, type CelApplyOptions } from './apply.ts';
import { withVariables } from './evaluate.ts';
import { selectedImages, type ImageVerifier } from './image-policy.ts';
import { celPolicyKey, type CelPolicy, type CelPolicySet } from './types.ts';
import { toCel } from './values.ts';

type Json = Record<string, unknown>;

export interface ImageVerificationOptions {
  /** Roots for keyless attestors (Fulcio CAs, Rekor and CT log keys); default the Sigstore public-good root. */
  trustedRoot?: TrustedRoot;
  registry?: RegistryStoreOptions;
  /** Registry reads to reuse (the webhook keeps one across requests); default one per call. */
  cache?: DigestCache;
  /** The options evaluation will get (operation, namespaces…): policies whose match constraints exclude a resource are not verified for it. */
  request?: CelApplyOptions;
}

/** An outcome per (image, attestor[, attestation]): verified, not verified, or an error to report. */
type Outcome = { verified: true; payload?: unknown } | { verified: false } | { error: Error };

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What one attestor contributes to a verification. */
type AttestorOptions = Pick<VerifyImageOptions, 'publicKeys' | 'keyless' | 'annotations' | 'signatureRepository'>;

/** How an attestor verifies, or why it cannot. */
function verifierOptions(attestor: Json, options: ImageVerificationOptions): AttestorOptions {
  const name = String(attestor.name ?? '');
  const where = `attestor ${name}`;
  if (isRecord(attestor.notary)) throw new CelUnsupportedError('notary attestors', where);
  const cosign = isRecord(attestor.cosign) ? attestor.cosign : undefined;
  if (!cosign) throw new CelUnsupportedError('attestor without cosign settings', where);
  if (cosign.tuf !== undefined) throw new CelUnsupportedError('cosign.tuf (pass the roots as --trusted-root)', where);
  const common = { ...signatureSource(cosign, where), ...signedAnnotations(cosign, where) };
  if (isRecord(cosign.key)) return { ...common, publicKeys: [attestorKey(cosign.key, where)] };
  if (isRecord(cosign.keyless)) return { ...common, publicKeys: [], keyless: keylessOptions(cosign, options, where) };
  if (isRecord(cosign.certificate)) {
    const cert = literal(cosign.certificate.cert, `${where} cosign.certificate.cert`);
    if (cert === undefined) throw new PalisadeError('USAGE', `${where}: cosign.certificate.cert is required`);
    const chain = literal(cosign.certificate.certChain, `${where} cosign.certificate.certChain`);
    return { ...common, publicKeys: [certificateKey(cert, chain)] };
  }
  throw new CelUnsupportedError('attestor without key, keyless or certificate settings', where);
}

/** `cosign.key`: PEM data, whose `hashAlgorithm` must be the one cosign signs with for that key. */
function attestorKey(key: Json, where: string): KeyObject {
  if (key.kms !== undefined) throw new CelUnsupportedError('cosign.key.kms', where);
  if (typeof key.data !== 'string') throw new CelUnsupportedError('cosign.key without data (expression, secretRef)', where);
  const publicKey = loadPublicKey(key.data);
  const hash = hashFor(keyAlgorithm(publicKey));
  if (typeof key.hashAlgorithm === 'string' && key.hashAlgorithm !== '' && key.hashAlgorithm.toLowerCase() !== hash) {
    throw new CelUnsupportedError(`cosign.key.hashAlgorithm ${key.hashAlgorithm} with a ${keyAlgorithm(publicKey)} key (cosign signs it with ${hash ?? 'no separate hash'})`, where);
  }
  return publicKey;
}

/**
 * `cosign.keyless` identities, checked against the given trusted root (default: the public-good
 * one). Custom transparency-log or CT keys, a TSA chain or skipping SCTs would change what the
 * root is: unsupported (a trusted_root.json holding them can be passed instead).
 */
function keylessOptions(cosign: Json, options: ImageVerificationOptions, where: string): KeylessOptions {
  const keylessSpec = cosign.keyless as Json;
  const ctlog = isRecord(cosign.ctlog) ? cosign.ctlog : {};
  for (const field of ['url', 'rekorPubKey', 'ctLogPubKey', 'tsaCertChain'] as const) {
    if (typeof ctlog[field] === 'string' && ctlog[field] !== '') throw new CelUnsupportedError(`cosign.ctlog.${field} (pass the roots as --trusted-root)`, where);
  }
  if (ctlog.insecureIgnoreSCT === true) throw new CelUnsupportedError('cosign.ctlog.insecureIgnoreSCT', where);
  if (keylessSpec.roots !== undefined) throw new CelUnsupportedError('cosign.keyless.roots (pass the roots as --trusted-root)', where);
  const identity = (Array.isArray(keylessSpec.identities) ? keylessSpec.identities : []).find(isRecord) ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const keyless: KeylessOptions = { trustedRoot: options.trustedRoot ?? publicGoodTrustedRoot() };
  const issuer = str(identity.issuer);
  const issuerRegexp = str(identity.issuerRegExp);
  const subject = str(identity.subject);
  const subjectRegexp = str(identity.subjectRegExp);
  if (issuer) keyless.issuer = issuer;
  if (issuerRegexp) keyless.issuerRegexp = issuerRegexp;
  if (subject) keyless.identity = subject;
  if (subjectRegexp) keyless.identityRegexp = subjectRegexp;
  if (ctlog.insecureIgnoreTlog === true) keyless.ignoreTlog = true;
  return keyless;
}

/** `cosign.source`: the repository holding the signatures; a tag prefix or pull secrets are unsupported. */
function signatureSource(cosign: Json, where: string): Pick<VerifyImageOptions, 'signatureRepository'> {
  if (!isRecord(cosign.source)) return {};
  if (typeof cosign.source.tagPrefix === 'string' && cosign.source.tagPrefix !== '') throw new CelUnsupportedError('cosign.source.tagPrefix', where);
  if (Array.isArray(cosign.source.PullSecrets) && cosign.source.PullSecrets.length > 0) throw new CelUnsupportedError('cosign.source.PullSecrets (registry credentials come from the Docker config)', where);
  return typeof cosign.source.repository === 'string' && cosign.source.repository !== '' ? { signatureRepository: cosign.source.repository } : {};
}

/** `cosign.annotations`: key/values every accepted signature must carry. */
function signedAnnotations(cosign: Json, where: string): Pick<VerifyImageOptions, 'annotations'> {
  if (cosign.annotations === undefined) return {};
  if (!isRecord(cosign.annotations) || Object.values(cosign.annotations).some((v) => typeof v !== 'string')) {
    throw new PalisadeError('USAGE', `${where}: cosign.annotations must map names to strings`);
  }
  return { annotations: cosign.annotations as Record<string, string> };
}

/** A StringOrExpression field's literal value (`value`, or a plain string); CEL `expression`s are not evaluated here. */
function literal(field: unknown, what: string): string | undefined {
  if (typeof field === 'string') return field;
  if (!isRecord(field)) return undefined;
  if (typeof field.value === 'string') return field.value;
  if (field.expression !== undefined) throw new CelUnsupportedError('attestor values given as CEL expressions', what);
  return undefined;
}

function predicateType(attestation: Json): string | undefined {
  const intoto = isRecord(attestation.intoto) ? attestation.intoto : isRecord(attestation.referrer) ? attestation.referrer : undefined;
  return typeof intoto?.type === 'string' ? intoto.type : undefined;
}

async function attempt(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { verified: true, payload: await run() };
  } catch (err) {
    if (err instanceof ImageVerificationError) return { verified: false };
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

function key(...parts: string[]): string {
  return parts.join('\u0000');
}

/**
 * An attestor or attestation by its content (keys sorted), not its name: two policies may each
 * call a different key `ci`. The CEL functions receive the same objects back from `attestors.x`.
 */
function identity(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/** Images of one policy verified at a time. */
const IMAGE_CONCURRENCY = 4;

/**
 * The images a policy may ask about: in each resource its match constraints select (so no
 * registry is read for requests the policy cannot apply to), those the matching rule set (declared
 * or autogen) selects — extractors and matchImageReferences expressions evaluated on the resource
 * alone (`request` and `params` are not known yet: what needs them selects nothing here).
 */
function imagesToVerify(policy: CelPolicy, resources: readonly KubeResource[], request: CelApplyOptions): Set<string> {
  const images = new Set<string>();
  for (const resource of resources) {
    const rules = ruleSetFor(policy, resource.object, request);
    if (!rules?.images) continue;
    const activation = withVariables({ object: toCel(resource.object) }, rules.variables);
    for (const list of Object.values(selectedImages(rules, activation))) for (const image of list) images.add(image);
  }
  return images;
}

/**
 * The registry access of a policy: `spec.credentials.allowInsecureRegistry` allows plain HTTP
 * (loopback registries only, as everywhere in Palisade). Credentials come from the Docker config
 * of the process: cloud `providers` other than `default` and Kubernetes `secrets` are unsupported.
 */
function withCredentials(credentials: Json | undefined, options: ImageVerificationOptions, where: string): ImageVerificationOptions {
  if (!credentials) return options;
  const providers = Array.isArray(credentials.providers) ? credentials.providers.filter((p) => p !== 'default') : [];
  if (providers.length > 0) throw new CelUnsupportedError(`registry credential providers ${providers.join(', ')} (credentials come from the Docker config)`, where);
  if (Array.isArray(credentials.secrets) && credentials.secrets.length > 0) throw new CelUnsupportedError('registry credential secrets (credentials come from the Docker config)', where);
  return credentials.allowInsecureRegistry === true ? { ...options, registry: { ...options.registry, insecure: true } } : options;
}

/** The registry reference of an image, when it is one (layouts and archives are not pinned or checked for digests here). */
function registryReference(image: string): RegistryReference | undefined {
  try {
    const parsed = parseImageReference(image);
    return parsed.kind === 'registry' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The digest of an image, the reference mutateDigest writes for it (`<image>@<digest>`, when the
 * image names no digest yet) and the reference to verify it by: a registry image by the digest its
 * tag resolved to, so that the digest verified is the one admitted; a layout (`oci:DIR:tag`,
 * which LayoutStore opens by tag) as written.
 */
async function resolveImage(image: string, options: ImageVerificationOptions): Promise<{ digest: string; pinned?: string; verifyAs: string }> {
  const reference = registryReference(image);
  if (reference?.digest !== undefined) return { digest: reference.digest, verifyAs: image };
  const target = await openImageTarget(image, { ...(options.registry && { registry: options.registry }), ...(options.cache && { cache: options.cache }) });
  const digest = (await target.store.resolve()).digest;
  const pinned = `${image}@${digest}`;
  return { digest, pinned, verifyAs: reference ? pinned : image };
}

/**
 * Verifies what the ImageValidatingPolicies of `set` may ask about the images of `resources`; the
 * answers are for evaluating them: `applyCelPolicies(set, resources, { imageVerifier })`.
 *
 * Each selected image is resolved once (tag → digest, which mutateDigest pins) and verified by
 * that digest; the answers are kept under the reference as written and as pinned, since the
 * validations see the pinned one. An image that cannot be resolved (registry down, unknown tag)
 * makes every question about it an error carrying the registry's reason.
 */
export async function prepareImageVerification(set: CelPolicySet, resources: readonly KubeResource[], options: ImageVerificationOptions = {}): Promise<ImageVerifier> {
  // Signatures and attestations of one digest are read once for all the questions about it.
  const shared: ImageVerificationOptions = { ...options, cache: options.cache ?? new DigestCache() };
  const outcomes = new Map<string, Outcome>();
  const digests = new Map<string, { digest: string } | { error: Error }>();
  const payloads = new Map<string, unknown>();
  const keep = (images: readonly string[], k: (image: string) => string, outcome: Outcome) => {
    for (const image of images) outcomes.set(k(image), outcome);
  };
  for (const policy of set.policies.filter((p) => p.kind.endsWith('ImageValidatingPolicy'))) {
    const rules = policy.rules[0]?.images;
    if (!rules) continue;
    const attestors = rules.attestors.map((a) => ({ id: identity(a), attestor: a }));
    const attestations = rules.attestations.map((a) => ({ id: identity(a), attestation: a }));
    let access: ImageVerificationOptions | Error;
    try {
      access = withCredentials(rules.credentials, shared, `${celPolicyKey(policy)} spec.credentials`);
    } catch (err) {
      access = err as Error;
    }
    await mapLimit([...imagesToVerify(policy, resources, options.request ?? {})], IMAGE_CONCURRENCY, async (image) => {
      let resolved: Awaited<ReturnType<typeof resolveImage>>;
      try {
        if (access instanceof Error) throw access;
        resolved = await resolveImage(image, access);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        digests.set(image, { error });
        for (const { id } of attestors) {
          keep([image], (i) => key('sig', i, id), { error });
          for (const a of attestations) keep([image], (i) => key('att', i, a.id, id), { error });
        }
        return;
      }
      // The validations see the pinned reference when mutateDigest wrote it: answers go under both.
      const names = resolved.pinned === undefined ? [image] : [image, resolved.pinned];
      for (const name of names) digests.set(name, { digest: resolved.digest });
      for (const { id, attestor } of attestors) {
        let how: AttestorOptions;
        try {
          how = verifierOptions(attestor, access);
        } catch (err) {
          // A certificate that does not chain to the attestor's roots verifies nothing; bad input is an error.
          const outcome: Outcome = err instanceof TrustError && !isInputFailure(err.reason) ? { verified: false } : { error: err as Error };
          keep(names, (i) => key('sig', i, id), outcome);
          for (const a of attestations) keep(names, (i) => key('att', i, a.id, id), outcome);
          continue;
        }
        const common = { ...how, ...(access.registry && { registry: access.registry }), ...(access.cache && { cache: access.cache }) };
        keep(names, (i) => key('sig', i, id), await attempt(() => verifyImageSignatures(resolved.verifyAs, common)));
        for (const a of attestations) {
          const type = predicateType(a.attestation);
          const outcome = await attempt(async () => (await verifyImageAttestations(resolved.verifyAs, { ...common, ...(type && { predicateType: type }) })).verified[0]?.statement.predicate);
          keep(names, (i) => key('att', i, a.id, id), outcome);
          if ('verified' in outcome && outcome.verified) for (const name of names) payloads.set(key(name, a.id), outcome.payload);
        }
      }
    });
  }
  const lookup = (k: string, what: string): Outcome => {
    const o = outcomes.get(k);
    if (!o) throw new CelEvalError(`${what}: not verified ahead of evaluation`);
    if ('error' in o) throw o.error;
    return o;
  };
  const verified = (k: string, what: string) => (lookup(k, what) as { verified: boolean }).verified;
  return {
    verifySignatures(image, attestors) {
      return attestors.filter((a) => verified(key('sig', image, identity(a)), `verifyImageSignatures(${image})`)).length;
    },
    verifyAttestations(image, attestation, attestors) {
      const id = identity(attestation);
      return attestors.filter((a) => verified(key('att', image, id, identity(a)), `verifyAttestationSignatures(${image})`)).length;
    },
    extractPayload(image, attestation) {
      const k = key(image, identity(attestation));
      if (payloads.has(k)) return payloads.get(k);
      throw new CelEvalError(`extractPayload: no verified ${String(attestation.name)} attestation for ${image}`);
    },
    resolveDigest(image) {
      const d = digests.get(image);
      if (!d) throw new CelEvalError(`${image}: digest not resolved ahead of evaluation`);
      if ('error' in d) throw d.error;
      return d.digest;
    },
  };
}
