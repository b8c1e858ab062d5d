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
import { createPublicKey, type KeyObject } from 'node:crypto';
import { publicGoodTrustedRoot, type TrustedRoot } from '../../trust/bundle/trusted-root.ts';
import { PalisadeError } from '../../core/errors.ts';
import { parseImageReference, type RegistryReference } from '../../image/reference.ts';
import { certificateKey } from '../../trust/certificate-chain.ts';
import { TrustError, isInputFailure } from '../../trust/errors.ts';
import { openImageTarget } from '../../trust/oci/target.ts';
import { ImageVerificationError, verifyImageAttestations, verifyImageSignatures, type KeylessOptions } from '../../trust/oci/verify.ts';
import type { RegistryStoreOptions } from '../../trust/oci/store.ts';
import type { KubeResource } from '../types.ts';
import { CelEvalError, CelUnsupportedError } from './errors.ts';
import { withVariables } from './evaluate.ts';
import { selectedImages, type ImageVerifier } from './image-policy.ts';
import type { CelPolicy, CelPolicySet } from './types.ts';
import { toCel } from './values.ts';

type Json = Record<string, unknown>;

export interface ImageVerificationOptions {
  /** Roots for keyless attestors (Fulcio CAs, Rekor and CT log keys); default the Sigstore public-good root. */
  trustedRoot?: TrustedRoot;
  registry?: RegistryStoreOptions;
}

/** An outcome per (image, attestor[, attestation]): verified, not verified, or an error to report. */
type Outcome = { verified: true; payload?: unknown } | { verified: false } | { error: Error };

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How an attestor verifies, or why it cannot. */
function verifierOptions(attestor: Json, options: ImageVerificationOptions): { publicKeys: KeyObject[]; keyless?: KeylessOptions } {
  const name = String(attestor.name ?? '');
  if (isRecord(attestor.notary)) throw new CelUnsupportedError('notary attestors', `attestor ${name}`);
  const cosign = isRecord(attestor.cosign) ? attestor.cosign : undefined;
  if (!cosign) throw new CelUnsupportedError('attestor without cosign settings', `attestor ${name}`);
  if (isRecord(cosign.key)) {
    if (typeof cosign.key.data !== 'string') throw new CelUnsupportedError('cosign.key without data (kms, secretRef, expression)', `attestor ${name}`);
    return { publicKeys: [createPublicKey(cosign.key.data)] };
  }
  if (isRecord(cosign.keyless)) {
    const identity = (Array.isArray(cosign.keyless.identities) ? cosign.keyless.identities : []).find(isRecord) ?? {};
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
    if (isRecord(cosign.ctlog) && cosign.ctlog.insecureIgnoreTlog === true) keyless.ignoreTlog = true;
    return { publicKeys: [], keyless };
  }
  if (isRecord(cosign.certificate)) {
    const cert = literal(cosign.certificate.cert, `attestor ${name} cosign.certificate.cert`);
    if (cert === undefined) throw new PalisadeError('USAGE', `attestor ${name}: cosign.certificate.cert is required`);
    const chain = literal(cosign.certificate.certChain, `attestor ${name} cosign.certificate.certChain`);
    return { publicKeys: [certificateKey(cert, chain)] };
  }
  throw new CelUnsupportedError('attestor without key, keyless or certificate settings', `attestor ${name}`);
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
 * The images a policy may ask about: those its rule sets (declared and autogen) select in each
 * resource, extractors and matchImageReferences expressions evaluated on the resource alone
 * (`request` and `params` are not known yet: what needs them selects nothing here).
 */
function imagesToVerify(policy: CelPolicy, resources: readonly KubeResource[]): Set<string> {
  const images = new Set<string>();
  for (const resource of resources) {
    const activation = { object: toCel(resource.object) };
    for (const rules of policy.rules) {
      if (!rules.images) continue;
      for (const list of Object.values(selectedImages(rules, withVariables(activation, rules.variables)))) for (const image of list) images.add(image);
    }
  }
  return images;
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
  const target = await openImageTarget(image, { ...(options.registry && { registry: options.registry }) });
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
  const outcomes = new Map<string, Outcome>();
  const digests = new Map<string, { digest: string } | { error: Error }>();
  const attestorsByName = new Map<string, Json>();
  const attestationsByName = new Map<string, Json>();
  const keep = (image: string, pinned: string | undefined, k: (i: string) => string, outcome: Outcome) => {
    outcomes.set(k(image), outcome);
    if (pinned !== undefined) outcomes.set(k(pinned), outcome);
  };
  for (const policy of set.policies.filter((p) => p.kind.endsWith('ImageValidatingPolicy'))) {
    const rules = policy.rules[0]?.images;
    if (!rules) continue;
    for (const a of rules.attestors) attestorsByName.set(String(a.name), a);
    for (const a of rules.attestations) attestationsByName.set(String(a.name), a);
    for (const image of imagesToVerify(policy, resources)) {
      let resolved: Awaited<ReturnType<typeof resolveImage>>;
      try {
        resolved = await resolveImage(image, options);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        digests.set(image, { error });
        for (const attestor of rules.attestors) {
          keep(image, undefined, (i) => key('sig', i, String(attestor.name)), { error });
          for (const attestation of rules.attestations) keep(image, undefined, (i) => key('att', i, String(attestation.name), String(attestor.name)), { error });
        }
        continue;
      }
      const { pinned } = resolved;
      digests.set(image, { digest: resolved.digest });
      if (pinned !== undefined) digests.set(pinned, { digest: resolved.digest });
      for (const attestor of rules.attestors) {
        const name = String(attestor.name);
        let how: ReturnType<typeof verifierOptions>;
        try {
          how = verifierOptions(attestor, options);
        } catch (err) {
          // A certificate that does not chain to the attestor's roots verifies nothing; bad input is an error.
          const outcome: Outcome = err instanceof TrustError && !isInputFailure(err.reason) ? { verified: false } : { error: err as Error };
          keep(image, pinned, (i) => key('sig', i, name), outcome);
          for (const attestation of rules.attestations) keep(image, pinned, (i) => key('att', i, String(attestation.name), name), outcome);
          continue;
        }
        const common = { ...how, ...(options.registry && { registry: options.registry }) };
        keep(image, pinned, (i) => key('sig', i, name), await attempt(() => verifyImageSignatures(resolved.verifyAs, common)));
        for (const attestation of rules.attestations) {
          const type = predicateType(attestation);
          keep(
            image,
            pinned,
            (i) => key('att', i, String(attestation.name), name),
            await attempt(async () => (await verifyImageAttestations(resolved.verifyAs, { ...common, ...(type && { predicateType: type }) })).verified[0]?.statement.predicate),
          );
        }
      }
    }
  }
  const lookup = (k: string, what: string): Outcome => {
    const o = outcomes.get(k);
    if (!o) throw new CelEvalError(`${what}: not verified ahead of evaluation`);
    if ('error' in o) throw o.error;
    return o;
  };
  return {
    verifySignatures(image, attestors) {
      return attestors.filter((a) => (lookup(key('sig', image, String(a.name)), `verifyImageSignatures(${image})`) as { verified: boolean }).verified).length;
    },
    verifyAttestations(image, attestation, attestors) {
      return attestors.filter((a) => (lookup(key('att', image, String(attestation.name), String(a.name)), `verifyAttestationSignatures(${image})`) as { verified: boolean }).verified).length;
    },
    extractPayload(image, attestation) {
      for (const attestor of attestorsByName.keys()) {
        const o = outcomes.get(key('att', image, String(attestation.name), attestor));
        if (o && 'verified' in o && o.verified) return o.payload;
      }
      if (!attestationsByName.has(String(attestation.name))) throw new CelEvalError(`extractPayload: unknown attestation ${String(attestation.name)}`);
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
