/**
 * `validationConfigurations.required` of ImageValidatingPolicies: which images of one request
 * were verified, and the check that every image a passing policy selected was.
 *
 * Kyverno's model (its ImageVerificationResults and EnforceRequired): every
 * `verifyImageSignatures` / `verifyAttestationSignatures` call records its image as attempted,
 * and as verified when at least one attestor verified; the evidence counts for every
 * ImageValidatingPolicy of the request (a policy that only requires verification is satisfied by
 * another that verifies), so `required` is enforced only after all of them have run. A policy
 * whose validations passed then fails for the first selected image that was not verified.
 */
import type { RuleResponse } from '../engine/types.ts';

export class ImageVerificationLedger {
  /** Image → verified; absent when no check was attempted. */
  readonly #verified = new Map<string, boolean>();
  readonly #required: { rule: RuleResponse; images: readonly string[] }[] = [];

  /** Notes one verification attempt; success is sticky (one verified check suffices). */
  record(image: string, verified: boolean): void {
    this.#verified.set(image, this.#verified.get(image) === true || verified);
  }

  status(image: string): { verified: boolean; attempted: boolean } {
    const v = this.#verified.get(image);
    return { verified: v === true, attempted: v !== undefined };
  }

  /** Defers the `required` check of a passing rule until the request's policies have all run. */
  requireVerified(rule: RuleResponse, images: readonly string[]): void {
    this.#required.push({ rule, images });
  }

  /** Fails each deferred rule that selected an image no policy of the request verified. */
  enforceRequired(): void {
    for (const { rule, images } of this.#required) {
      if (rule.status !== 'pass') continue;
      const message = this.#unverified(images);
      if (message === undefined) continue;
      rule.status = 'fail';
      rule.message = message;
    }
    this.#required.length = 0;
  }

  #unverified(images: readonly string[]): string | undefined {
    for (const image of images) {
      const { verified, attempted } = this.status(image);
      if (verified) continue;
      return attempted ? `image ${image} failed signature or attestation verification` : `image ${image} is not verified: no policy performed a signature or attestation check on it`;
    }
    return undefined;
  }
}
