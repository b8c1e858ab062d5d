/**
 * --key enforcement against a real registry: Debian's docker-registry on 127.0.0.1, images signed
 * with palisade's signImage. Signed → admitted, unsigned or signed by another key → denied, registry
 * down → denied with the reason (fail closed), while already verified images are served from the cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../src/image/registry/index.ts';
import { signImage } from '../../src/trust/oci/sign.ts';
import { decide } from '../../src/admission/handler.ts';
import { AdmissionMetrics } from '../../src/admission/metrics.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';
import { SignatureGate, verificationCacheFor } from '../../src/admission/signatures.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../image/registry/helpers/images.ts';
import { REGISTRY_OPTIONS, p256, plainClient, type TestKeys } from '../trust/oci/helpers.ts';

const available = dockerRegistryAvailable();
if (!available) console.warn('docker-registry not installed: admission signature tests against a real registry skipped');

function podRequest(images: string[]): AdmissionRequest {
  const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'apps' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
  return { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'apps', object, oldObject: null, dryRun: false, raw: {} };
}

describe.skipIf(!available)('--key signature enforcement against docker-registry', () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let keys: TestKeys;
  let other: TestKeys;
  let counter = 0;

  async function pushed(): Promise<string> {
    const repo = `admission/app${++counter}`;
    await pushImage(client, repo, await buildImage({ layers: [{ 'app/id': `admission ${counter}\n` }] }), 'v1');
    return `${registry.host}/${repo}:v1`;
  }

  // Palisade signs offline: these gates accept signatures without a transparency-log entry (--insecure-ignore-tlog).
  const gate = (metrics?: AdmissionMetrics, ignoreTlog = true) =>
    new SignatureGate({
      publicKeys: [keys.publicKey],
      cache: verificationCacheFor({ deadlineMs: 3000, ...(metrics && { metrics }) }),
      registry: { ...REGISTRY_OPTIONS, timeoutMs: 3000, retries: 0 },
      ignoreTlog,
    });

  beforeAll(async () => {
    registry = await startDockerRegistry();
    client = plainClient(registry.host);
    keys = p256();
    other = p256();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('admits signed images, denies unsigned and foreign-signed ones, and fails closed when the registry is down', async () => {
    const signed = await pushed();
    await signImage(signed, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    const unsigned = await pushed();
    const foreign = await pushed();
    await signImage(foreign, { privateKey: other.privateKey, registry: REGISTRY_OPTIONS });

    const metrics = new AdmissionMetrics();
    const warm = gate(metrics);
    expect(await decide(podRequest([signed, signed]), 'validate', { policies: [], signatures: warm })).toEqual({ allowed: true });
    expect(metrics.cache.get({ result: 'miss' })).toBe(1);

    const denied = await decide(podRequest([signed, unsigned, foreign]), 'validate', { policies: [], signatures: warm });
    expect(denied.allowed).toBe(false);
    expect(denied.message).toContain(`image ${unsigned}: signature not verified`);
    expect(denied.message).toContain(`image ${foreign}: signature not verified`);
    expect(denied.message).not.toContain(`image ${signed}:`);
    expect(metrics.cache.get({ result: 'hit' })).toBe(1);
    // By default the gate, as cosign verify --key, wants the signature logged.
    const strict = await decide(podRequest([signed]), 'validate', { policies: [], signatures: gate(undefined, false) });
    expect(strict.allowed).toBe(false);
    expect(strict.message).toContain('no transparency log entry');

    await registry.stop();
    // Verified before: served from the cache without the registry.
    expect((await decide(podRequest([signed]), 'validate', { policies: [], signatures: warm })).allowed).toBe(true);
    // A cold replica cannot reach the registry: denied with the reason.
    const cold = await decide(podRequest([signed]), 'validate', { policies: [], signatures: gate() });
    expect(cold.allowed).toBe(false);
    expect(cold.message).toContain('signature could not be verified (failing closed)');
  }, 60_000);
});
