/**
 * Image signature verification through a registry: `verifyImageSignatures` of an image carrying 10
 * signatures in Debian's docker-registry on 127.0.0.1 (no referrers API, so v3 bundles are listed
 * in the sha256-<hex> fallback index), cold (a new client and no cache, as one CLI run does minus
 * process start) and with the digest cache warm (what the admission webhook does for images it has
 * seen). Registry requests are counted from undici's diagnostics channel. Part of `npm run bench
 * trust`; results in bench/results/trust-image.json. Skipped when docker-registry is not installed.
 *
 * Two kinds of signatures: Palisade's own (no transparency-log entry, verified with ignoreTlog)
 * and signatures logged in a test Rekor (verified with their SETs, or bundles' inclusion proofs,
 * against its key: the default, cosign's and Kyverno's). CPU time is reported beside wall time,
 * which a loaded machine inflates.
 */
import { subscribe } from 'node:diagnostics_channel';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { signImage } from '../src/trust/oci/sign.ts';
import { DigestCache } from '../src/trust/oci/cache.ts';
import { verifyImageSignatures, type VerifyImageOptions } from '../src/trust/oci/verify.ts';
import { RegistryClient } from '../src/image/registry/index.ts';
import { dockerRegistryAvailable, startDockerRegistry } from '../test/image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../test/image/registry/helpers/images.ts';
import { signLogged } from '../test/trust/oci/logged.ts';
import { TestRekor } from '../test/trust/test-rekor.ts';
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
    const rekor = new TestRekor();
    const kinds = ['bundle', 'legacy', 'bundle+tlog', 'legacy+tlog'] as const;
    type Kind = (typeof kinds)[number];
    const images = {} as Record<Kind, { tag: string; digest: string }>;
    for (const kind of kinds) {
      const format = kind.startsWith('bundle') ? 'bundle' : 'legacy';
      const logged = kind.endsWith('+tlog');
      const repo = `bench/${kind.replace('+', '-')}`;
      const image = await buildImage({ layers: [{ 'app/format': `${kind}\n` }] });
      await pushImage(client, repo, image, 'v1');
      const tag = `${registry.host}/${repo}:v1`;
      for (let i = 0; i < SIGNATURES; i++) {
        if (logged) await signLogged(tag, privateKey, rekor, { format, registry: registryOptions });
        else await signImage(tag, { privateKey, format, annotations: { n: String(i) }, registry: registryOptions });
      }
      images[kind] = { tag, digest: `${registry.host}/${repo}@${image.manifestDigest}` };
    }
    // How each kind is verified: Palisade's own signatures have no log entry to check.
    const logOptions = (kind: Kind): Partial<VerifyImageOptions> => (kind.endsWith('+tlog') ? { trustedRoot: rekor.root } : { ignoreTlog: true });

    interface Row {
      name: string;
      iterations: number;
      options: () => VerifyImageOptions;
      reference: string;
    }
    const warm = new DigestCache({ listingTtlMs: 10 * 60_000 });
    const shared = { ...registryOptions, client: new RegistryClient({ registry: registry.host, ...registryOptions }) };
    const rows: Row[] = [];
    for (const kind of kinds) {
      const log = logOptions(kind);
      rows.push(
        { name: `${kind} ×${SIGNATURES}, by tag, cold`, iterations: 20, reference: images[kind].tag, options: () => ({ publicKeys: [publicKey], ...log, registry: registryOptions }) },
        { name: `${kind} ×${SIGNATURES}, by tag, cache warm`, iterations: 200, reference: images[kind].tag, options: () => ({ publicKeys: [publicKey], ...log, registry: shared, cache: warm }) },
        { name: `${kind} ×${SIGNATURES}, by digest, cache warm`, iterations: 200, reference: images[kind].digest, options: () => ({ publicKeys: [publicKey], ...log, registry: shared, cache: warm }) },
      );
    }

    const pass = async (row: Row): Promise<{ ms: number; cpuMs: number; requests: number }> => {
      const before = requests;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < row.iterations; i++) {
        const result = await verifyImageSignatures(row.reference, row.options());
        if (result.verified.length !== SIGNATURES) throw new Error(`${row.name}: ${result.verified.length} verified`);
      }
      const cpu = process.cpuUsage(cpu0);
      return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, requests: requests - before };
    };
    for (const row of rows) await pass(row); // warm-up (fills the cache for the warm rows)
    const samples = rows.map(() => [] as { ms: number; cpuMs: number; requests: number }[]);
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
        cpuMsPerVerify: median.cpuMs / row.iterations,
        perSecond: (row.iterations / median.ms) * 1000,
        requestsPerVerify: median.requests / row.iterations,
      };
    });
    printTable(
      `verifyImageSignatures, ${SIGNATURES} ECDSA P-256 signatures, docker-registry on 127.0.0.1 (median of ${RUNS})`,
      ['case', 'ms/verify', 'CPU ms/verify', 'verifies/s', 'registry requests/verify'],
      [
        ...results.map((r) => [r.name, fmt(r.msPerVerify, 2), fmt(r.cpuMsPerVerify, 2), fmt(r.perSecond), fmt(r.requestsPerVerify, 1)]),
        [`floor: ${SIGNATURES} × crypto.verify`, fmt(floorMs, 2), '', fmt(1000 / floorMs), '0'],
      ],
    );
    saveResults('trust-image', { runs: RUNS, signatures: SIGNATURES, results, floorMsPerVerify: floorMs, cache: warm.stats() });
  } finally {
    await registry.stop();
  }
}
