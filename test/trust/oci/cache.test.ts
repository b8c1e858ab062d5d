/** The digest cache: immutable content kept, listings expire, failures never cached, bounded size. */
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../src/image/registry/index.ts';
import type { Descriptor } from '../../../src/image/types.ts';
import { DigestCache, cachedStore } from '../../../src/trust/oci/cache.ts';
import type { ArtifactStore } from '../../../src/trust/oci/store.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function countingStore(): ArtifactStore & { calls: string[]; fail: boolean } {
  const calls: string[] = [];
  const store = {
    kind: 'registry' as const,
    name: 'r.example/app',
    cacheKey: 'registry:r.example/app',
    dockerReference: 'r.example/app',
    tag: undefined,
    calls,
    fail: false,
    resolve: async () => ({ mediaType: 'm', digest: DIGEST, size: 1 }),
    manifest: async (reference: string) => {
      calls.push(`manifest ${reference}`);
      if (store.fail) throw new Error('network down');
      return reference.endsWith('.sig') ? undefined : { digest: DIGEST, mediaType: 'm', body: new Uint8Array(10) };
    },
    blob: async (digest: string) => {
      calls.push(`blob ${digest}`);
      return new Uint8Array(100);
    },
    referrers: async (digest: string): Promise<Descriptor[]> => {
      calls.push(`referrers ${digest}`);
      return [];
    },
    tags: async () => [],
    write: async () => ({ digest: DIGEST, location: 'x' }),
  };
  return store;
}

describe('DigestCache', () => {
  it('keeps content by digest, and listings and absences for the TTL only', async () => {
    let now = 0;
    const cache = new DigestCache({ listingTtlMs: 1000, now: () => now });
    const inner = countingStore();
    const store = cachedStore(inner, cache);
    for (let i = 0; i < 3; i++) {
      await store.manifest(DIGEST);
      await store.blob(DIGEST);
      await store.referrers(DIGEST);
      await store.manifest('sha256-aaa.sig');
    }
    expect(inner.calls).toHaveLength(4);
    now = 1500;
    await store.manifest(DIGEST);
    await store.blob(DIGEST);
    await store.referrers(DIGEST);
    await store.manifest('sha256-aaa.sig');
    expect(inner.calls.slice(4)).toEqual([`referrers ${DIGEST}`, 'manifest sha256-aaa.sig']);
    expect(cache.stats()).toMatchObject({ hits: 10, misses: 6 });
  });

  it('shares one load between concurrent callers and never caches a failure', async () => {
    const cache = new DigestCache();
    const inner = countingStore();
    const store = cachedStore(inner, cache);
    await Promise.all([store.blob(DIGEST), store.blob(DIGEST), store.blob(DIGEST)]);
    expect(inner.calls).toEqual([`blob ${DIGEST}`]);
    inner.fail = true;
    await expect(store.manifest('v1')).rejects.toThrow('network down');
    inner.fail = false;
    await expect(store.manifest('v1')).resolves.toBeDefined();
  });

  it('loads again for a caller whose shared load was given up by the caller that started it', async () => {
    const cache = new DigestCache();
    const loads: string[] = [];
    const how = { immutable: () => true, size: () => 1 };
    let giveUp: (err: Error) => void = () => {};
    const first = cache.get('k', () => {
      loads.push('first');
      return new Promise<string>((_resolve, reject) => (giveUp = reject));
    }, how);
    const joined = cache.get('k', async () => {
      loads.push('joined');
      return 'value';
    }, how);
    giveUp(new RegistryError('abandoned', 'gave up: verification did not complete within 10 ms'));
    await expect(first).rejects.toMatchObject({ reason: 'abandoned' });
    await expect(joined).resolves.toBe('value');
    expect(loads).toEqual(['first', 'joined']);
    // Any other failure is shared as it is: the registry said it.
    const failed = cache.get('f', () => Promise.reject(new RegistryError('server', 'HTTP 500')), how);
    const failedToo = cache.get('f', async () => 'never', how);
    await expect(failed).rejects.toMatchObject({ reason: 'server' });
    await expect(failedToo).rejects.toMatchObject({ reason: 'server' });
  });

  it('shares one new load among the callers left waiting by a load given up on', async () => {
    const cache = new DigestCache();
    const how = { immutable: () => true, size: () => 1 };
    let loads = 0;
    let giveUp: (err: Error) => void = () => {};
    const first = cache.get('k', () => new Promise<string>((_resolve, reject) => (giveUp = reject)), how);
    const joined = [1, 2, 3].map(() => cache.get('k', async () => `value ${++loads}`, how));
    giveUp(new RegistryError('abandoned', 'gave up: verification did not complete within 10 ms'));
    await expect(first).rejects.toMatchObject({ reason: 'abandoned' });
    expect(await Promise.all(joined)).toEqual(['value 1', 'value 1', 'value 1']);
    expect(loads).toBe(1);
  });

  it('drops a repository’s listings when something is written through it, and evicts by size', async () => {
    const cache = new DigestCache({ maxBytes: 250 });
    const inner = countingStore();
    const store = cachedStore(inner, cache);
    await store.referrers(DIGEST);
    await store.write({ blobs: [], manifest: { body: new Uint8Array(), mediaType: 'm' } });
    await store.referrers(DIGEST);
    expect(inner.calls.filter((c) => c.startsWith('referrers'))).toHaveLength(2);
    for (const d of ['b', 'c', 'd']) await store.blob(`sha256:${d.repeat(64)}`);
    expect(cache.stats().bytes).toBeLessThanOrEqual(250);
  });
});
