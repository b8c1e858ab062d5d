import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureGate, imagesOf, verificationCacheFor, type ImageVerifier } from '../../src/admission/signatures.ts';
import { AdmissionMetrics } from '../../src/admission/metrics.ts';
import { decide } from '../../src/admission/handler.ts';
import { jsonPatchDiff } from '../../src/admission/diff.ts';
import { ImageVerificationError } from '../../src/trust/oci/verify.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const DIGEST = 'sha256:' + 'b'.repeat(64);

function counting(impl: ImageVerifier): { verify: ImageVerifier; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    verify: async (reference, options) => {
      calls.push(reference);
      return impl(reference, options);
    },
  };
}

function podRequest(images: string[]): AdmissionRequest {
  const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'apps' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
  return { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'apps', object, oldObject: null, dryRun: false, raw: {} };
}

describe('SignatureGate', () => {
  it('verifies identical images once per request and serves later requests from the cache until the TTL passes', async () => {
    let now = 1_000;
    const metrics = new AdmissionMetrics();
    const { verify, calls } = counting(async () => ({ digest: DIGEST }));
    const gate = new SignatureGate({ publicKeys: [publicKey], cache: verificationCacheFor({ deadlineMs: 1000, ttlMs: 60_000, now: () => now, metrics }), verify });
    const first = await gate.check(['r/a:1', 'r/a:1', 'r/b:1']);
    expect(calls).toEqual(['r/a:1', 'r/b:1']);
    expect(first.get('r/a:1')).toEqual({ status: 'verified', digest: DIGEST });
    await gate.check(['r/a:1']);
    expect(calls).toHaveLength(2);
    expect(metrics.cache.get({ result: 'hit' })).toBe(1);
    now += 60_001;
    await gate.check(['r/a:1']);
    expect(calls).toHaveLength(3);
  });

  it('keeps its outcomes in the cache it is given (the server\'s, shared with policy image verification), by normalised reference', async () => {
    const metrics = new AdmissionMetrics();
    const cache = verificationCacheFor({ deadlineMs: 1000, metrics });
    const { verify, calls } = counting(async () => ({ digest: DIGEST }));
    await new SignatureGate({ publicKeys: [publicKey], cache, verify }).check(['nginx:1.27']);
    // A gate built later over the same cache (a restart of nothing but the gate) verifies nothing again,
    // whether the image is named short, fully qualified, or by the digest it resolved to.
    const again = new SignatureGate({ publicKeys: [publicKey], cache, verify });
    const outcomes = await again.check(['docker.io/library/nginx:1.27', `nginx:1.27@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`]);
    expect(calls).toEqual(['nginx:1.27']);
    expect([...outcomes.values()].every((o) => o.status === 'verified')).toBe(true);
    expect(metrics.cache.get({ result: 'hit' })).toBe(3);
    // Another key set never reuses them.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    await new SignatureGate({ publicKeys: [other], cache, verify }).check(['nginx:1.27']);
    expect(calls).toHaveLength(2);
  });

  it('coalesces concurrent verifications of one image', async () => {
    let release: () => void = () => undefined;
    const gateOpen = new Promise<void>((resolve) => (release = resolve));
    const metrics = new AdmissionMetrics();
    const { verify, calls } = counting(async () => {
      await gateOpen;
      return { digest: DIGEST };
    });
    const gate = new SignatureGate({ publicKeys: [publicKey], cache: verificationCacheFor({ deadlineMs: 1000, metrics }), verify });
    const pending = [gate.check(['r/a:1']), gate.check(['r/a:1']), gate.check(['r/a:1'])];
    release();
    const results = await Promise.all(pending);
    expect(calls).toHaveLength(1);
    expect(results.every((r) => r.get('r/a:1')?.status === 'verified')).toBe(true);
    expect(metrics.cache.get({ result: 'coalesced' })).toBe(2);
  });

  it('does not cache failures, and reports a deadline as unavailable', async () => {
    const metrics = new AdmissionMetrics();
    const { verify, calls } = counting(async (reference) => {
      if (reference === 'slow') await new Promise((r) => setTimeout(r, 500));
      throw new ImageVerificationError('SIGNATURE_INVALID', 'no signature found', { reference, digest: DIGEST, verified: [], rejected: [], skipped: [] });
    });
    const gate = new SignatureGate({ publicKeys: [publicKey], cache: verificationCacheFor({ deadlineMs: 50, metrics }), verify });
    expect((await gate.check(['unsigned'])).get('unsigned')).toEqual({ status: 'rejected', reason: 'no signature found' });
    await gate.check(['unsigned']);
    expect(calls.filter((c) => c === 'unsigned')).toHaveLength(2);
    const slow = (await gate.check(['slow'])).get('slow');
    expect(slow).toEqual({ status: 'unavailable', reason: 'verification did not complete within 50 ms' });
    expect(metrics.registryErrors.get()).toBe(1);
  });

  it('denies under Enforce and warns under Audit through decide() on /mutate', async () => {
    const verify: ImageVerifier = async () => {
      throw new Error('registry down');
    };
    const enforce = await decide(podRequest(['r/x:1']), 'mutate', { policies: [], signatures: new SignatureGate({ publicKeys: [publicKey], cache: verificationCacheFor({ deadlineMs: 100 }), verify }) });
    expect(enforce.allowed).toBe(false);
    expect(enforce.message).toContain('failing closed');
    const audit = await decide(podRequest(['r/x:1']), 'mutate', { policies: [], signatures: new SignatureGate({ publicKeys: [publicKey], cache: verificationCacheFor({ deadlineMs: 100 }), verify, action: 'Audit' }) });
    expect(audit.allowed).toBe(true);
    expect(audit.warnings?.[0]).toContain('r/x:1');
  });
});

describe('imagesOf', () => {
  it('reads Pods, controllers and CronJobs, including init and ephemeral containers', () => {
    const spec = { initContainers: [{ image: 'init:1' }], containers: [{ image: 'app:1' }], ephemeralContainers: [{ image: 'debug:1' }] };
    expect(imagesOf({ kind: 'Pod', spec })).toEqual(['init:1', 'app:1', 'debug:1']);
    expect(imagesOf({ kind: 'Deployment', spec: { template: { spec } } })).toEqual(['init:1', 'app:1', 'debug:1']);
    expect(imagesOf({ kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: 'job:1' }] } } } } } })).toEqual(['job:1']);
    expect(imagesOf({ kind: 'ConfigMap', data: {} })).toEqual([]);
  });
});

describe('jsonPatchDiff', () => {
  it('produces add/remove/replace with escaped pointers and whole-array replaces on length change', () => {
    expect(jsonPatchDiff({ a: 1, b: { 'x/y': 1 }, c: [1, 2], d: [1] }, { a: 2, b: { 'x/y': 1, 'm~n': 3 }, c: [1, 3], d: [1, 2] })).toEqual([
      { op: 'replace', path: '/a', value: 2 },
      { op: 'add', path: '/b/m~0n', value: 3 },
      { op: 'replace', path: '/c/1', value: 3 },
      { op: 'replace', path: '/d', value: [1, 2] },
    ]);
    expect(jsonPatchDiff({ a: 1, b: 2 }, { a: 1 })).toEqual([{ op: 'remove', path: '/b' }]);
    expect(jsonPatchDiff({ a: [1] }, { a: [1] })).toEqual([]);
  });
});
