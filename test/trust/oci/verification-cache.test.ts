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
});
