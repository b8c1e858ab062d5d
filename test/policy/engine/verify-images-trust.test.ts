/**
 * Verification sessions without a registry: the verify function is counted, so deduplication within
 * an evaluation, reuse across sessions through the shared cache, `useCache: false`, and the
 * never-cached failures are visible.
 */
import { describe, expect, it } from 'vitest';
import { evaluateWithImageVerification, ImageVerificationSession, type VerifiedImage } from '../../../src/policy/engine/verify-images-trust.ts';
import type { ImageVerificationRequest } from '../../../src/policy/engine/verify-images-spec.ts';
import { VerificationCache } from '../../../src/trust/oci/verification-cache.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;
const request = (image: string, useCache?: false): ImageVerificationRequest => ({
  kind: 'signature',
  image,
  attestor: { kind: 'key', publicKey: 'PEM' },
  ...(useCache === false && { useCache }),
});

function counted(fail?: (image: string) => Error | undefined): { calls: string[]; verify: (r: ImageVerificationRequest) => Promise<VerifiedImage> } {
  const calls: string[] = [];
  return {
    calls,
    verify: (r) => {
      calls.push(r.image);
      const err = fail?.(r.image);
      return err ? Promise.reject(err) : Promise.resolve({ digest: DIGEST });
    },
  };
}

describe('image verification sessions', () => {
  it('verifies each distinct request once per evaluation and reuses verified ones across sessions', async () => {
    const cache = new VerificationCache<VerifiedImage>({ deadlineMs: 1000 });
    const { calls, verify } = counted();
    const first = new ImageVerificationSession(cache, verify);
    const evaluations: (string | undefined)[][] = [];
    await evaluateWithImageVerification(first, (results) => {
      evaluations.push(['a:v1', 'a:v1', 'b:v1'].map((image) => results.outcome(request(image))?.status));
    });
    expect(evaluations).toEqual([[undefined, undefined, undefined], ['verified', 'verified', 'verified']]);
    expect(calls).toEqual(['a:v1', 'b:v1']);

    const second = new ImageVerificationSession(cache, verify);
    await evaluateWithImageVerification(second, (results) => results.outcome(request('a:v1')));
    expect(calls).toEqual(['a:v1', 'b:v1']);
    // The digest a tag resolved to is verified too (what /mutate pinned, /validate sees).
    const pinned = await evaluateWithImageVerification(new ImageVerificationSession(cache, verify), (results) => results.outcome(request(`a@${DIGEST}`)));
    expect(pinned).toEqual({ status: 'verified', digest: DIGEST });
    expect(calls).toEqual(['a:v1', 'b:v1']);
    // useCache: false verifies again, every time.
    await evaluateWithImageVerification(new ImageVerificationSession(cache, verify), (results) => results.outcome(request('a:v1', false)));
    await evaluateWithImageVerification(new ImageVerificationSession(cache, verify), (results) => results.outcome(request('a:v1', false)));
    expect(calls).toEqual(['a:v1', 'b:v1', 'a:v1', 'a:v1']);
  });

  it('keeps failures out of the cache and turns a missed deadline into unavailable', async () => {
    const cache = new VerificationCache<VerifiedImage>({ deadlineMs: 50 });
    const { calls, verify } = counted(() => new Error('connect ECONNREFUSED 127.0.0.1:1'));
    const outcome = await evaluateWithImageVerification(new ImageVerificationSession(cache, verify), (results) => results.outcome(request('a:v1')));
    expect(outcome).toEqual({ status: 'unavailable', reason: 'connect ECONNREFUSED 127.0.0.1:1' });
    await evaluateWithImageVerification(new ImageVerificationSession(cache, verify), (results) => results.outcome(request('a:v1')));
    expect(calls).toHaveLength(2);

    const slow = new ImageVerificationSession(cache, () => new Promise<VerifiedImage>(() => undefined));
    expect(await evaluateWithImageVerification(slow, (results) => results.outcome(request('c:v1')))).toEqual({
      status: 'unavailable',
      reason: 'verification did not complete within 50 ms',
    });
  });
});
