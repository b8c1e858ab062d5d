/**
 * Signature verification throughput, ECDSA P-256 (cosign's default key):
 * - floor: a bare `crypto.verify('sha256', …)` loop over a pre-built KeyObject and signature;
 * - `verifyData` (key-type dispatch + hash choice) over the same payload;
 * - `verifyEnvelope` over a DSSE envelope holding an in-toto statement: shape validation, base64
 *   decoding, PAE, signature (as a parsed object, and from JSON text);
 * - `verifyBundle` of a keyless Sigstore bundle (conformance happy path, against the shipped
 *   public-good root): certificate chain, SCT, tlog inclusion proof and SET, signature, identity.
 * Each row is the median of PALISADE_BENCH_RUNS timed passes (default 5) of a fixed iteration count,
 * after a warm-up pass; the rounds interleave the cases.
 */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicGoodTrustedRoot, verifyBundle } from '../src/trust/bundle/index.ts';
import { signEnvelope, verifyEnvelope } from '../src/trust/dsse.ts';
import { INTOTO_PAYLOAD_TYPE, buildStatement } from '../src/trust/intoto.ts';
import { verifyData } from '../src/trust/keys.ts';
import { fmt, printTable, repoRoot, saveResults } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 5);

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const imageDigest = createHash('sha256').update('image manifest').digest('hex');
const statement = buildStatement([{ name: 'registry.example/app', digest: { sha256: imageDigest } }], 'https://sigstore.dev/cosign/sign/v1', {});
const payload = Buffer.from(JSON.stringify(statement));
const signature = sign('sha256', payload, privateKey);
const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, privateKey);
const envelopeJson = JSON.stringify(envelope);

const fixtures = join(repoRoot, 'test/fixtures/trust');
const bundleText = readFileSync(join(fixtures, 'conformance-happy-path-v0.3.sigstore.json'), 'utf8');
const bundleArtifact = readFileSync(join(fixtures, 'conformance-a.txt'));
const root = publicGoodTrustedRoot();
const policy = {
  identity: 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
};

interface Case {
  name: string;
  iterations: number;
  run: () => unknown;
}

const cases: Case[] = [
  { name: 'crypto.verify (floor)', iterations: 5000, run: () => verify('sha256', payload, publicKey, signature) },
  { name: 'verifyData', iterations: 5000, run: () => verifyData(publicKey, payload, signature) },
  { name: 'verifyEnvelope (object)', iterations: 5000, run: () => verifyEnvelope(envelope, [publicKey]) },
  { name: 'verifyEnvelope (JSON text)', iterations: 5000, run: () => verifyEnvelope(envelopeJson, [publicKey]) },
  { name: 'verifyBundle (keyless, v0.3)', iterations: 300, run: () => verifyBundle(bundleText, bundleArtifact, policy, root) },
];

function pass(c: Case): number {
  const t0 = performance.now();
  for (let i = 0; i < c.iterations; i++) {
    if (c.run() === false) throw new Error(`${c.name}: verification failed`);
  }
  return performance.now() - t0;
}

// Rounds interleave the cases, so a noisy neighbour slows them all alike rather than one row.
for (const c of cases) pass(c); // warm-up
const times = cases.map(() => [] as number[]);
for (let round = 0; round < RUNS; round++) cases.forEach((c, i) => times[i]!.push(pass(c)));
const results = cases.map((c, i) => {
  const sorted = times[i]!.sort((a, b) => a - b);
  const ms = sorted[Math.floor(sorted.length / 2)]!;
  return { name: c.name, iterations: c.iterations, perSecond: (c.iterations / ms) * 1000, usPerOp: (ms * 1000) / c.iterations };
});

const floor = results[0]!.perSecond;
printTable(
  `Signature verification, ECDSA P-256, ${payload.length}-byte in-toto statement (median of ${RUNS})`,
  ['case', 'verifications/s', 'µs/op', 'vs floor'],
  results.map((r) => [r.name, fmt(r.perSecond), fmt(r.usPerOp, 1), `${fmt((r.perSecond / floor) * 100)}%`]),
);
saveResults('trust', { runs: RUNS, payloadBytes: payload.length, results });

// Image signatures through a registry, cold and with the digest cache warm (bench/trust-image.ts).
await import('./trust-image.ts');
