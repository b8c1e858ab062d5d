/**
 * verifyImages rules in the webhook's decision path (`decide`, no HTTPS): a Pod of 3 signed images
 * (one bundle signature each, docker-registry on 127.0.0.1) under an Enforce ClusterPolicy with one
 * key attestor, on /mutate:
 *
 * - cold: a new verifier per request (nothing cached: what the first Pod after a deploy costs);
 * - warm: one verifier, every verification served from its cache;
 * - burst: 50 concurrent identical requests on a cold verifier (singleflight: one registry round);
 * - baseline: the same Pod against a validate-only policy (the engine without verification).
 *
 * Registry requests are counted from undici's diagnostics channel. Part of `npm run bench
 * verify-images`; results in bench/results/verify-images.json. Skipped without docker-registry.
 */
import { subscribe } from 'node:diagnostics_channel';
import { generateKeyPairSync } from 'node:crypto';
import { decide, type HandlerOptions } from '../src/admission/handler.ts';
import { AdmissionImageVerification } from '../src/admission/image-verification.ts';
import type { AdmissionRequest } from '../src/admission/review.ts';
import { RegistryClient } from '../src/image/registry/index.ts';
import { parsePolicies } from '../src/policy/engine/load.ts';
import { publicKeyPem } from '../src/trust/keys.ts';
import { signImage } from '../src/trust/oci/sign.ts';
import { dockerRegistryAvailable, startDockerRegistry } from '../test/image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../test/image/registry/helpers/images.ts';
import { fmt, printTable, saveResults } from './lib.ts';

const IMAGES = 3;
const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 5);

let requests = 0;
subscribe('undici:request:create', () => requests++);

function policyYaml(rule: string): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: bench, annotations: {pod-policies.kyverno.io/autogen-controllers: none}}
spec:
  validationFailureAction: Enforce
  rules:
    - name: bench
      match: {any: [{resources: {kinds: [Pod]}}]}
${rule}`;
}

if (!dockerRegistryAvailable()) {
  process.stdout.write('\nverify-images: skipped (docker-registry not installed)\n');
} else {
  const registry = await startDockerRegistry();
  try {
    const registryOptions = { insecure: true, credentials: {} };
    const client = new RegistryClient({ registry: registry.host, ...registryOptions });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const images: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      await pushImage(client, `bench/app${i}`, await buildImage({ layers: [{ 'app/id': `${i}\n` }] }), 'v1');
      const ref = `${registry.host}/bench/app${i}:v1`;
      await signImage(ref, { privateKey, registry: registryOptions });
      images.push(ref);
    }
    const verifying = parsePolicies(
      policyYaml(`      verifyImages:
        - imageReferences: ["${registry.host}/*"]
          attestors: [{entries: [{keys: {publicKeys: ${JSON.stringify(publicKeyPem(publicKey))}, rekor: {ignoreTlog: true}}}]}]
`),
      'bench.yaml',
    ).policies;
    const validating = parsePolicies(policyYaml(`      validate: {pattern: {spec: {containers: [{image: "?*"}]}}}\n`), 'bench.yaml').policies;
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'apps' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
    const request: AdmissionRequest = { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'apps', object, oldObject: null, dryRun: false, raw: {} };
    const verifier = () => new AdmissionImageVerification({ deadlineMs: 5000, registry: registryOptions });
    const warm = verifier();

    interface Row {
      name: string;
      iterations: number;
      concurrency: number;
      options: () => HandlerOptions;
    }
    const rows: Row[] = [
      { name: 'baseline: validate rule, no verification', iterations: 200, concurrency: 1, options: () => ({ policies: validating }) },
      { name: `verifyImages, ${IMAGES} images, cold`, iterations: 20, concurrency: 1, options: () => ({ policies: verifying, images: verifier() }) },
      { name: `verifyImages, ${IMAGES} images, cache warm`, iterations: 200, concurrency: 1, options: () => ({ policies: verifying, images: warm }) },
      { name: `verifyImages, ${IMAGES} images, 50 concurrent, cold`, iterations: 1, concurrency: 50, options: () => ({ policies: verifying, images: verifier() }) },
    ];
    const pass = async (row: Row): Promise<{ ms: number; requests: number }> => {
      const before = requests;
      const t0 = performance.now();
      for (let i = 0; i < row.iterations; i++) {
        const options = row.options();
        const decisions = await Promise.all(Array.from({ length: row.concurrency }, () => decide(request, 'mutate', options)));
        if (decisions.some((d) => !d.allowed)) throw new Error(`${row.name}: denied: ${decisions.find((d) => !d.allowed)?.message}`);
      }
      return { ms: performance.now() - t0, requests: requests - before };
    };
    for (const row of rows) await pass(row); // warm-up (fills the warm verifier)
    const samples = rows.map(() => [] as { ms: number; requests: number }[]);
    for (let round = 0; round < RUNS; round++) for (const [i, row] of rows.entries()) samples[i]!.push(await pass(row));
    const results = rows.map((row, i) => {
      const sorted = samples[i]!.sort((a, b) => a.ms - b.ms);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      return {
        name: row.name,
        decisions: row.iterations * row.concurrency,
        msPerRound: median.ms / row.iterations,
        registryRequestsPerRound: median.requests / row.iterations,
      };
    });
    printTable(
      `decide() on /mutate, Pod of ${IMAGES} signed images, docker-registry on 127.0.0.1 (median of ${RUNS}; a round is one request, or 50 concurrent ones)`,
      ['case', 'ms/round', 'registry requests/round'],
      results.map((r) => [r.name, fmt(r.msPerRound, 2), fmt(r.registryRequestsPerRound, 1)]),
    );
    saveResults('verify-images', { runs: RUNS, images: IMAGES, results });
  } finally {
    await registry.stop();
  }
}
