/** VerificationCache: verified outcomes kept for the TTL and within the entry and byte bounds; rejections never. */
import { describe, expect, it } from 'vitest';
import { ImageVerificationError } from '../../../src/trust/oci/verify.ts';
import { VerificationCache } from '../../../src/trust/oci/verification-cache.ts';

const rejected = () =>
  Promise.reject(new ImageVerificationError('NO_SIGNATURES', 'no signatures found for x', { reference: 'x', digest: '', verified: [], rejected: [], skipped: [] }));

describe('VerificationCache', () => {
  it('keeps verified outcomes for the TTL, never rejections', async () => {
    let now = 0;
    const cache = new VerificationCache<{ size: number }>({ deadlineMs: 1000, ttlMs: 100, now: () => now });
    expect(await cache.get('a', () => Promise.resolve({ size: 1 }))).toEqual({ status: 'verified', size: 1 });
    expect(cache.peek('a')).toEqual({ status: 'verified', size: 1 });
    expect(await cache.get('b', rejected)).toEqual({ status: 'rejected', reason: 'no signatures found for x' });
    expect(cache.peek('b')).toBeUndefined();
    now = 100;
    expect(cache.peek('a')).toBeUndefined();
  });

  it('drops the oldest outcomes beyond maxBytes, and does not keep one larger than the bound', async () => {
    const cache = new VerificationCache<{ size: number }>({ deadlineMs: 1000, maxBytes: 100, sizeOf: (v) => v.size });
    for (const key of ['a', 'b', 'c']) await cache.get(key, () => Promise.resolve({ size: 40 }));
    expect(['a', 'b', 'c'].map((k) => cache.peek(k) !== undefined)).toEqual([false, true, true]);
    await cache.get('huge', () => Promise.resolve({ size: 200 }));
    expect(cache.peek('huge')).toBeUndefined();
    expect(cache.peek('c')).toBeDefined();
  });

  it("aborts the verification's signal at the deadline, with the reason, and answers unavailable", async () => {
    const cache = new VerificationCache<{ size: number }>({ deadlineMs: 50 });
    let seen: AbortSignal | undefined;
    const outcome = await cache.get('slow', (signal) => {
      seen = signal;
      return new Promise(() => {});
    });
    expect(outcome).toEqual({ status: 'unavailable', reason: 'verification did not complete within 50 ms' });
    expect(seen?.aborted).toBe(true);
    expect((seen?.reason as Error).message).toBe('verification did not complete within 50 ms');
    // A verification that finishes in time is never aborted.
    let fast: AbortSignal | undefined;
    await cache.get('fast', async (signal) => ((fast = signal), { size: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fast?.aborted).toBe(false);
  });

  it('cancels a verification once every caller waiting for it has given up, not before', async () => {
    const cache = new VerificationCache<{ size: number }>({ deadlineMs: 1000 });
    let seen: AbortSignal | undefined;
    const verify = (signal: AbortSignal) => {
      seen = signal;
      return new Promise<{ size: number }>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error(String((signal.reason as Error).message)))));
    };
    const [first, second] = [new AbortController(), new AbortController()];
    const outcome = cache.get('k', verify, first.signal);
    void cache.get('k', verify, second.signal);
    first.abort(new Error('request 1 deadline'));
    expect(seen?.aborted).toBe(false);
    second.abort(new Error('request 2 deadline'));
    expect(seen?.aborted).toBe(true);
    expect(await outcome).toEqual({ status: 'unavailable', reason: 'request 2 deadline' });

    // A caller without a signal waits for the verification's own deadline: the run goes on.
    const third = new AbortController();
    void cache.get('other', verify, third.signal);
    void cache.get('other', verify);
    third.abort(new Error('request 3 deadline'));
    expect(seen?.aborted).toBe(false);
  });

  it('starts afresh for a caller that arrives after everyone waiting for a verification gave up on it', async () => {
    const cache = new VerificationCache<{ size: number }>({ deadlineMs: 1000 });
    let runs = 0;
    let finishCancelled: () => void = () => {};
    const cancelled = cache.get(
      'k',
      (signal) => (runs++, new Promise((_resolve, reject) => (finishCancelled = () => reject(signal.reason as Error)))),
      AbortSignal.abort(new Error('request 1 deadline')),
    );
    // The cancelled run has not settled yet (its registry reads are still being torn down).
    const later = cache.get('k', async () => (runs++, { size: 1 }));
    finishCancelled();
    expect(await cancelled).toEqual({ status: 'unavailable', reason: 'request 1 deadline' });
    expect(await later).toEqual({ status: 'verified', size: 1 });
    expect(runs).toBe(2);
    expect(cache.peek('k')).toEqual({ status: 'verified', size: 1 });
  });
});
