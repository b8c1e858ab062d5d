/**
 * Image signature verification through a registry: `verifyImageSignatures` of an image carrying 10
 * signatures in Debian's docker-registry on 127.0.0.1 (no referrers API, so v3 bundles are listed
 * in the sha256-<hex> fallback index), cold (a new client and no cache, as one CLI run does minus
 * process start) and with the digest cache warm (what the admission webhook does for images it has
 * seen). Registry requests are counted from undici's diagnostics channel. Part of `npm run bench
 * trust`; results in bench/results/trust-image.json. Skipped when docker-registry is not installed.
 */
import { subscribe } from 'node:diagnostics_channel';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { signImage } from '../src/trust/oci/sign.ts';
import { DigestCache } from '../src/trust/oci/cache.ts';
import { verifyImageSignatures, type VerifyImageOptions } from '../src/trust/oci/verify.ts';
import { RegistryClient } from '../src/image/registry/index.ts';
import { dockerRegistryAvailable, startDockerRegistry } from '../test/image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../test/image/registry/helpers/images.ts';
import { fmt, printTable, saveResults } from './lib.ts';

const SIGNATURES = 10;
const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 5);

let requests = 0;
subscribe('undici:request:create', () => requests++);

if (!dockerRegistryAvailable()) {
  process.stdout.write('\ntrust-image: skipped (docker-registry not installed)\n');
} else {
  const registry = await startDockerRegistry();
  try {
    const registryOptions = { insecure: true, credentials: {} };
    const client = new RegistryClient({ registry: registry.host, ...registryOptions });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const images: Record<'bundle' | 'legacy', { tag: string; digest: string }> = {
      bundle: { tag: '', digest: '' },
      legacy: { tag: '', digest: '' },
    };
    for (const format of ['bundle', 'legacy'] as const) {
      const image = await buildImage({ layers: [{ 'app/format': `${format}\n` }] });
      await pushImage(client, `bench/${format}`, image, 'v1');
      const tag = `${registry.host}/bench/${format}:v1`;
      for (let i = 0; i < SIGNATURES; i++) await signImage(tag, { privateKey, format, annotations: { n: String(i) }, registry: registryOptions });
      images[format] = { tag, digest: `${registry.host}/bench/${format}@${image.manifestDigest}` };
    }

    interface Row {
      name: string;
      iterations: number;
      options: () => VerifyImageOptions;
      reference: string;
    }
    const warm = new DigestCache({ listingTtlMs: 10 * 60_000 });
    const shared = { ...registryOptions, client: new RegistryClient({ registry: registry.host, ...registryOptions }) };
    const rows: Row[] = [];
    for (const format of ['bundle', 'legacy'] as const) {
      rows.push(
        { name: `${format} ×${SIGNATURES}, by tag, cold`, iterations: 20, reference: images[format].tag, options: () => ({ publicKeys: [publicKey], registry: registryOptions }) },
        { name: `${format} ×${SIGNATURES}, by tag, cache warm`, iterations: 200, reference: images[format].tag, options: () => ({ publicKeys: [publicKey], registry: shared, cache: warm }) },
        { name: `${format} ×${SIGNATURES}, by digest, cache warm`, iterations: 200, reference: images[format].digest, options: () => ({ publicKeys: [publicKey], registry: shared, cache: warm }) },
      );
    }

    const pass = async (row: Row): Promise<{ ms: number; requests: number }> => {
      const before = requests;
      const t0 = performance.now();
      for (let i = 0; i < row.iterations; i++) {
        const result = await verifyImageSignatures(row.reference, row.options());
        if (result.verified.length !== SIGNATURES) throw new Error(`${row.name}: ${result.verified.length} verified`);
      }
      return { ms: performance.now() - t0, requests: requests - before };
    };
    for (const row of rows) await pass(row); // warm-up (fills the cache for the warm rows)
    const samples = rows.map(() => [] as { ms: number; requests: number }[]);
    for (let round = 0; round < RUNS; round++) for (const [i, row] of rows.entries()) samples[i]!.push(await pass(row));
    // The floor: the signature checks alone, as bare crypto.verify calls.
    const payload = Buffer.alloc(400, 1);
    const signature = sign('sha256', payload, privateKey);
    const floorStart = performance.now();
    for (let i = 0; i < 200 * SIGNATURES; i++) verify('sha256', payload, publicKey, signature);
    const floorMs = (performance.now() - floorStart) / 200;
    const results = rows.map((row, i) => {
      const sorted = samples[i]!.sort((a, b) => a.ms - b.ms);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      return {
        name: row.name,
        iterations: row.iterations,
        msPerVerify: median.ms / row.iterations,
        perSecond: (row.iterations / median.ms) * 1000,
        requestsPerVerify: median.requests / row.iterations,
      };
    });
    printTable(
      `verifyImageSignatures, ${SIGNATURES} ECDSA P-256 signatures, docker-registry on 127.0.0.1 (median of ${RUNS})`,
      ['case', 'ms/verify', 'verifies/s', 'registry requests/verify'],
      [
        ...results.map((r) => [r.name, fmt(r.msPerVerify, 2), fmt(r.perSecond), fmt(r.requestsPerVerify, 1)]),
        [`floor: ${SIGNATURES} × crypto.verify`, fmt(floorMs, 2), fmt(1000 / floorMs), '0'],
      ],
    );
    saveResults('trust-image', { runs: RUNS, signatures: SIGNATURES, results, floorMsPerVerify: floorMs, cache: warm.stats() });
  } finally {
    await registry.stop();
  }
}
