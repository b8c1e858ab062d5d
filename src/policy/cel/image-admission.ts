/**
 * What the admission webhook's mutating phase needs from ImageValidatingPolicies: the JSON patch
 * that pins the request's image tags to their digests (`validationConfigurations.mutateDigest`,
 * on by default), as Kyverno's mutating webhook returns it.
 *
 *   const imageVerifier = await prepareImageVerification(set, [{ object }], {
 *     registry, trustedRoot, cache, request: applyOptions,
 *   });
 *   const { patch, unresolved } = imageDigestMutation(set, { object }, { ...applyOptions, imageVerifier });
 *   // patch: [{ op: 'replace', path: '/spec/containers/0/image', value: 'ghcr.io/org/app:v1@sha256:…' }]
 *   // unresolved: tags whose digest the registry could not give; Kyverno denies the request
 *   // when such a policy's validationActions include Deny (its failurePolicy is given too).
 *
 * Without `imageVerifier` (no registry access) nothing is pinned. `set` may hold any CEL
 * policies: only the ImageValidatingPolicies (and Namespaced ones) are evaluated, with the same
 * matching as validation (match constraints, match conditions, CEL PolicyExceptions). Each policy
 * pins on the previous one's output, so a tag is pinned once. The validating phase then sees the pinned images: their signatures were verified by digest in
 * the same pass (image-verify.ts), and `applyCelPoliciesToResource` pins again if the request
 * reaches it unpinned (a mutating webhook that was skipped).
 */
import type { PatchOperation } from '../engine/json-patch.ts';
import { policyKey } from '../engine/types.ts';
import type { KubeResource } from '../types.ts';
import { applyCelPoliciesToResource, type CelApplyOptions } from './apply.ts';
import { digestPatch, type DigestPin } from './image-digests.ts';
import type { CelPolicySet } from './types.ts';

export interface PolicyDigestPin extends DigestPin {
  /** The policy that pinned it (`name`, or `namespace/name`). */
  policy: string;
}

export interface UnresolvedImage {
  policy: string;
  image: string;
  /** Why the digest is unknown (the registry's error). */
  message: string;
  validationActions: readonly string[];
  failurePolicy: 'Fail' | 'Ignore';
}

export interface DigestMutation {
  /** RFC 6902 operations, in container order; empty when nothing was pinned. */
  patch: PatchOperation[];
  pins: PolicyDigestPin[];
  unresolved: UnresolvedImage[];
}

/** The digest pins of the ImageValidatingPolicies of `set` for one request (after prepareImageVerification). */
export function imageDigestMutation(set: CelPolicySet, resource: KubeResource, options: CelApplyOptions = {}): DigestMutation {
  const images: CelPolicySet = { ...set, policies: set.policies.filter((p) => p.kind.endsWith('ImageValidatingPolicy')) };
  const pins: PolicyDigestPin[] = [];
  const unresolved: UnresolvedImage[] = [];
  if (images.policies.length === 0) return { patch: [], pins, unresolved };
  for (const response of applyCelPoliciesToResource(images, resource, options).responses) {
    if (!response.imageDigests) continue;
    const policy = policyKey(response.policy);
    for (const pin of response.imageDigests.pins) pins.push({ policy, ...pin });
    const actions = Object.values(response.validationActions)[0] ?? [];
    for (const u of response.imageDigests.unresolved) unresolved.push({ policy, ...u, validationActions: actions, failurePolicy: response.failurePolicy });
  }
  return { patch: digestPatch(pins), pins, unresolved };
}
