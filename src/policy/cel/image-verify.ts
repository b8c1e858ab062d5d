/**
 * Image verification for ImageValidatingPolicies through the trust capability (src/trust/oci).
 *
 * CEL evaluation is synchronous and registries are not, so verification runs first: for every
 * ImageValidatingPolicy and resource, each image the policy selects is verified against each
 * attestor (signatures) and each attestation × attestor (attestations), and the outcomes are
 * kept. The CEL functions (`verifyImageSignatures`, `verifyAttestationSignatures`,
 * `extractPayload`, see image-policy.ts) then answer from these results.
 *
 * Attestors are turned by image-attestors.ts into the requests of the verification core shared
 * with verifyImages rules (TrustImageVerifier: keys, keyless identities, certificates; the rest is
 * `unsupported:`), whose cache keeps verified material — signatures and attestation payloads, never
 * a policy's verdict: the CEL validations judge the payloads on every evaluation. A certificate
 * that does not chain verifies nothing (count 0). Attestations: `intoto.type` and `referrer.type`
 * give the predicate type.
 */
import { registryReferenceOf } from '../../image/reference.ts';
import type { TrustedRoot } from '../../trust/bundle/trusted-root.ts';
import { DigestCache } from '../../trust/oci/cache.ts';
import { mapLimit } from '../../trust/oci/discover.ts';
import type { RegistryStoreOptions } from '../../trust/oci/store.ts';
import type { Attestor, ImageVerificationOutcome, ImageVerificationRequest } from '../engine/verify-images-spec.ts';
import { TrustImageVerifier } from '../engine/verify-images-trust.ts';
import type { KubeResource } from '../types.ts';
import { requestScope, type CelApplyOptions, type PreparedRequests } from './apply.ts';
import { CelEvalError } from './errors.ts';
import { attestorVerification, concreteAttestor, insecureRegistry, type AttestorVerification } from './image-attestors.ts';
import { selectedImages, type ImageVerifier } from './image-policy.ts';
import { celPolicyKey, type CelPolicy, type CelPolicySet } from './types.ts';
import { isRecord, stableJson } from '../../core/json.ts';

type Json = Record<string, unknown>;

export interface ImageVerificationOptions {
  registry?: RegistryStoreOptions;
  /** Roots for keyless attestors (Fulcio CAs, Rekor and CT log keys) when no `verifier` is given; default the Sigstore public-good root. */
  trustedRoot?: TrustedRoot;
  /** Registry reads to reuse (the webhook keeps one across requests); default one per call. */
  cache?: DigestCache;
  /**
   * The verification core and its cache of verified material (the webhook's, shared with
   * verifyImages rules and across requests); default one per call over `registry`, `trustedRoot`
   * and `cache`.
   */
  verifier?: TrustImageVerifier;
  /** The options evaluation will get (operation, namespaces…): policies whose match constraints exclude a resource are not verified for it. */
  request?: CelApplyOptions;
  /**
   * The caller's deadline (the webhook's per-request pass): a verification stops when it aborts,
   * unless another caller still waits for it (the verifier's cache shares verifications).
   */
  signal?: AbortSignal;
}

/** Asks the verification core one question (through its cache). */
type Ask = (request: ImageVerificationRequest) => Promise<ImageVerificationOutcome>;

/** An outcome per (image, attestor[, attestation]): verified, not verified, or an error to report. */
type Outcome = { verified: true; payload?: unknown } | { verified: false } | { error: Error };

function predicateType(attestation: Json): string | undefined {
  const intoto = isRecord(attestation.intoto) ? attestation.intoto : isRecord(attestation.referrer) ? attestation.referrer : undefined;
  return typeof intoto?.type === 'string' ? intoto.type : undefined;
}

/** The core's outcome as the CEL functions answer: a rejection verifies nothing, what could not be checked is an error. */
function answer(outcome: ImageVerificationOutcome): Outcome {
  if (outcome.status === 'verified') return { verified: true, payload: outcome.statements?.[0]?.predicate };
  if (outcome.status === 'rejected') return { verified: false };
  return { error: new Error(outcome.reason) };
}

/** The first alternative that verifies; else an error if one could not be checked, else not verified. */
async function anyVerifies(ask: Ask, how: AttestorVerification, request: (attestor: Attestor) => ImageVerificationRequest): Promise<Outcome> {
  let outcome: Outcome = { verified: false };
  for (const attestor of how.alternatives) {
    const o = answer(await ask(request(attestor)));
    if ('verified' in o && o.verified) return o;
    if ('error' in o) outcome = o;
  }
  return outcome;
}

function key(...parts: string[]): string {
  return parts.join('\u0000');
}

/**
 * An attestor or attestation by its content (keys sorted), not its name: two policies may each
 * call a different key `ci`. The CEL functions receive the same objects back from `attestors.x`.
 */
function identity(value: unknown): string {
  return stableJson(value);
}

/** Images of one policy verified at a time. */
const IMAGE_CONCURRENCY = 4;
/** Verifications (attestor × signature or attestation) of one image run at a time. */
const VERIFICATION_CONCURRENCY = 8;

/** One question a policy may ask about an image: where its answer is kept, and the answer (or how to get it). */
interface Question {
  key: (image: string) => string;
  /** For attestations: where a verified payload is kept (extractPayload). */
  payloadKey?: (image: string) => string;
  answer: Outcome | (() => Promise<Outcome>);
}

/** One attestor as a request sees it: the one a CEL function receives (`id`), and what it verifies with. */
interface RequestAttestor {
  id: string;
  attestor: Json | Error;
}

/**
 * The images a policy may ask about, with the attestors as each request sees them (their
 * expressions evaluated): in each resource its match constraints select (so no registry is read
 * for requests the policy cannot apply to), the images the matching rule set (declared or
 * autogen) selects. Params are not known yet: what needs them selects nothing here. An image
 * shared by resources whose attestor expressions disagree cannot be answered for both: that
 * attestor is an error for it.
 */
function imagesToVerify(policy: CelPolicy, resources: readonly KubeResource[], request: CelApplyOptions, prepared: PreparedRequests): Map<string, RequestAttestor[]> {
  const images = new Map<string, RequestAttestor[]>();
  for (const resource of resources) {
    const scope = requestScope(policy, resource.object, request, prepared);
    const rules = scope?.rules.images;
    if (!scope || !rules) continue;
    const attestors = rules.attestors.map((a, i): RequestAttestor => {
      try {
        return { id: identity(a), attestor: concreteAttestor(a, rules.attestorExpressions.filter((e) => e.attestor === i), scope.activation) };
      } catch (err) {
        return { id: identity(a), attestor: err as Error };
      }
    });
    for (const list of Object.values(selectedImages(scope.rules, scope.activation))) {
      for (const image of list) {
        const seen = images.get(image);
        if (!seen) images.set(image, attestors);
        else images.set(image, seen.map((s, i) => (identity(s.attestor) === identity(attestors[i]!.attestor) ? s : { id: s.id, attestor: new CelEvalError(`attestor ${String(rules.attestors[i]!.name)}: its expressions give different values for different resources that use ${image}; evaluate them separately`) })));
      }
    }
  }
  return images;
}

/**
 * The digest of an image, the reference mutateDigest writes for it (`<image>@<digest>`, when the
 * image names no digest yet) and the reference to verify it by: a registry image by the digest its
 * tag resolved to, so that the digest verified is the one admitted; a layout (`oci:DIR:tag`,
 * which LayoutStore opens by tag) as written.
 *
 * A tag is resolved through the verifier's cache, keyed by registry, repository and tag: its
 * digest is reused for the cache's TTL (the webhook's --cache-ttl) like verified material, so a
 * repeated Pod reads no registry; a failed resolution is not kept.
 */
async function resolveImage(image: string, ask: Ask, insecure: boolean): Promise<{ digest: string; pinned?: string; verifyAs: string }> {
  // Layouts and archives are not pinned or checked for digests here.
  const reference = registryReferenceOf(image);
  if (reference?.digest !== undefined) return { digest: reference.digest, verifyAs: image };
  const named = reference ? `${reference.registry}/${reference.repository}:${reference.tag ?? 'latest'}` : image;
  const outcome = await ask({ kind: 'digest', image: named, ...(insecure && { insecure: true }) });
  if (outcome.status !== 'verified') throw new Error(outcome.reason);
  const digest = outcome.digest;
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
  const cache = options.cache ?? new DigestCache();
  const verifier =
    options.verifier ??
    new TrustImageVerifier({ digests: cache, ...(options.registry && { registry: options.registry }), ...(options.trustedRoot && { trustedRoot: options.trustedRoot }) });
  const ask: Ask = (request) => verifier.outcome(request, options.signal);
  const outcomes = new Map<string, Outcome>();
  const digests = new Map<string, { digest: string } | { error: Error }>();
  const payloads = new Map<string, unknown>();
  const keep = (images: readonly string[], k: (image: string) => string, outcome: Outcome) => {
    for (const image of images) outcomes.set(k(image), outcome);
  };
  // Each resource's request and activation are built once for all the policies.
  const prepared: PreparedRequests = new Map();
  for (const policy of set.policies.filter((p) => p.kind.endsWith('ImageValidatingPolicy'))) {
    const rules = policy.rules[0]?.images;
    if (!rules) continue;
    const attestations = rules.attestations.map((a) => ({ id: identity(a), attestation: a }));
    let insecure: boolean | Error;
    try {
      insecure = insecureRegistry(rules.credentials, `${celPolicyKey(policy)} spec.credentials`);
    } catch (err) {
      insecure = err as Error;
    }
    await mapLimit([...imagesToVerify(policy, resources, options.request ?? {}, prepared)], IMAGE_CONCURRENCY, async ([image, attestors]) => {
      let resolved: Awaited<ReturnType<typeof resolveImage>>;
      try {
        if (insecure instanceof Error) throw insecure;
        resolved = await resolveImage(image, ask, insecure);
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
      // Every attestor's signature and attestation questions are verified at once (bounded), then
      // recorded in attestor order, as one after another would: the last verified payload wins.
      const questions = attestors.flatMap(({ id, attestor }): Question[] => {
        let how: AttestorVerification;
        try {
          if (attestor instanceof Error) throw attestor;
          how = attestorVerification(attestor);
        } catch (err) {
          const outcome: Outcome = { error: err as Error };
          return [{ key: (i) => key('sig', i, id), answer: outcome }, ...attestations.map((a): Question => ({ key: (i) => key('att', i, a.id, id), answer: outcome }))];
        }
        const common = {
          image: resolved.verifyAs,
          ...(how.repository !== undefined && { repository: how.repository }),
          ...(how.annotations && { annotations: how.annotations }),
          ...(insecure && { insecure: true as const }),
        };
        return [
          { key: (i) => key('sig', i, id), answer: () => anyVerifies(ask, how, (a) => ({ kind: 'signature', attestor: a, ...common })) },
          ...attestations.map((a): Question => {
            const type = predicateType(a.attestation);
            return {
              key: (i) => key('att', i, a.id, id),
              payloadKey: (i) => key(i, a.id),
              answer: () => anyVerifies(ask, how, (attestor) => ({ kind: 'attestation', attestor, ...common, ...(type && { predicateType: type }) })),
            };
          }),
        ];
      });
      const answers = await mapLimit(questions, VERIFICATION_CONCURRENCY, (q) => (typeof q.answer === 'function' ? q.answer() : Promise.resolve(q.answer)));
      questions.forEach((question, n) => {
        const outcome = answers[n] as Outcome;
        keep(names, question.key, outcome);
        if (question.payloadKey && 'verified' in outcome && outcome.verified) for (const name of names) payloads.set(question.payloadKey(name), outcome.payload);
      });
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
