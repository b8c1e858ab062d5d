import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { SignatureGate, verificationCacheFor } from '../../src/admission/signatures.ts';
import { generateKeyPairSync } from 'node:crypto';
import { decode, get, hasOpenssl, pod, post, review, selfSignedCertificate } from './https.ts';

const FIXTURES = [join(import.meta.dirname, '../fixtures/admission'), join(import.meta.dirname, '../fixtures/admission-cel')];

/** mulberry32: a small seeded PRNG, so every run posts the same cases. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, unknown>;

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 2 ? 6 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 2 ** 40) * (rand() < 0.5 ? -1 : 1);
    case 3:
      return rand() * 1e6;
    case 4:
      return ['', 'Pod', 'CREATE', 'v1', 'apps', '\u0000', '💥', 'x'.repeat(Math.floor(rand() * 300)), '{{ request.object }}', '*'][Math.floor(rand() * 10)];
    case 5:
      return String.fromCharCode(...Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 0xffff)));
    case 6:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const out: Json = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) out[['metadata', 'spec', 'containers', 'labels', 'name', 'image', 'kind', 'apiVersion'][Math.floor(rand() * 8)]!] = randomValue(rand, depth + 1);
      return out;
    }
  }
}

/** Every path (as keys) to a value inside `doc`. */
function paths(doc: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof doc === 'object' && doc !== null) {
    for (const [k, v] of Object.entries(doc)) {
      const here = [...prefix, Array.isArray(doc) ? Number(k) : k];
      out.push(here);
      paths(v, here, out);
    }
  }
  return out;
}

/** A valid AdmissionReview with one value replaced, deleted or retyped somewhere. */
function mutated(rand: () => number, base: Json): string {
  const doc = structuredClone(base);
  const all = paths(doc);
  for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
    const path = all[Math.floor(rand() * all.length)]!;
    let parent: unknown = doc;
    for (const key of path.slice(0, -1)) parent = (parent as Json | undefined)?.[key as string];
    if (typeof parent !== 'object' || parent === null) continue;
    const last = path.at(-1)!;
    if (rand() < 0.3 && !Array.isArray(parent)) delete (parent as Json)[last as string];
    else (parent as Json)[last as string] = randomValue(rand);
  }
  return JSON.stringify(doc);
}

function corrupted(rand: () => number, text: string): string {
  const cut = Math.floor(rand() * text.length);
  switch (Math.floor(rand() * 3)) {
    case 0:
      return text.slice(0, cut);
    case 1:
      return text.slice(0, cut) + String.fromCharCode(Math.floor(rand() * 256)) + text.slice(cut + 1);
    default:
      return text.slice(0, cut) + text.slice(cut).replace(/[{}[\]":,]/, '');
  }
}

describe.skipIf(!hasOpenssl)('webhook robustness', () => {
  const tls = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  let server: AdmissionServer;
  const registryCalls: string[] = [];

  beforeAll(async () => {
    const set = await loadAdmissionPolicies(FIXTURES);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signatures = new SignatureGate({
      publicKeys: [publicKey],
      cache: verificationCacheFor({ deadlineMs: 200 }),
      verify: async (reference) => {
        registryCalls.push(reference);
        return { digest: 'sha256:' + 'a'.repeat(64) };
      },
    });
    server = await startAdmissionServer({
      policies: set.classic,
      cel: set,
      signatures,
      ...tls,
      port: 0,
      host: '127.0.0.1',
      timeouts: { headersMs: 400, requestMs: 800, checkIntervalMs: 100 },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers a few hundred random and mutated AdmissionReviews with 400 and a message, or a decision echoing the uid', async () => {
    const rand = prng(20261126);
    const base = JSON.parse(review('fuzz-base', pod('web', { labels: { team: 'a' }, privileged: true }))) as Json;
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const send = (body: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: rand() < 0.5 ? '/validate' : '/mutate', method: 'POST', rejectUnauthorized: false, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const counts = { decided: 0, rejected: 0 };
    try {
      for (let i = 0; i < 300; i++) {
        const kind = i % 3;
        const body = kind === 0 ? JSON.stringify(randomValue(rand)) : kind === 1 ? mutated(rand, base) : corrupted(rand, mutated(rand, base));
        const reply = await send(body);
        if (reply.status === 200) {
          const doc = JSON.parse(reply.body) as { apiVersion: string; kind: string; response: { uid: unknown; allowed: unknown } };
          expect(doc.apiVersion, body).toBe('admission.k8s.io/v1');
          expect(doc.kind).toBe('AdmissionReview');
          expect(doc.response.uid, body).toBe((JSON.parse(body) as { request: { uid: unknown } }).request.uid);
          expect(typeof doc.response.allowed).toBe('boolean');
          counts.decided++;
        } else {
          expect(reply.status, `${reply.body} for ${body}`).toBe(400);
          expect((JSON.parse(reply.body) as { error: string }).error).toMatch(/^malformed AdmissionReview: .+/);
          counts.rejected++;
        }
      }
    } finally {
      agent.destroy();
    }
    // Both outcomes occur: the fuzzer reaches the policies, not only the parser.
    expect(counts.decided).toBeGreaterThan(20);
    expect(counts.rejected).toBeGreaterThan(20);
    expect((await get(server.port, '/healthz')).status).toBe(200);
  });

  it('refuses bodies over 3 MiB by default with 413, without reading them whole', async () => {
    const huge = review('big', { ...pod('big'), data: 'x'.repeat(3 * 1024 * 1024) });
    const reply = await post(server.port, '/validate', huge);
    expect(reply.status).toBe(413);
    expect(reply.body).toContain('request body exceeds 3145728 bytes');
  });

  function slowClient(headersOnly: boolean): Promise<{ closedAfterMs: number; response: string }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let response = '';
      const socket: TLSSocket = connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => {
        socket.write(headersOnly ? 'POST /validate HTTP/1.1\r\nHost: x\r\n' : 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
        const drip = setInterval(() => socket.write(headersOnly ? 'X-A: b\r\n' : ' '), 50);
        socket.on('close', () => {
          clearInterval(drip);
          resolve({ closedAfterMs: Date.now() - started, response });
        });
      });
      socket.on('data', (d: Buffer) => (response += d.toString('utf8')));
      socket.on('error', () => undefined);
      setTimeout(() => reject(new Error('slow client was never cut off')), 5000);
    });
  }

  it('cuts off clients that send headers or the body too slowly (slowloris), while serving others', async () => {
    const [headers, body, normal] = await Promise.all([slowClient(true), slowClient(false), post(server.port, '/validate', review('ok', pod('ok', { labels: { team: 'a' } })))]);
    expect(decode(normal).response.allowed).toBe(true);
    expect(headers.closedAfterMs).toBeLessThan(2000);
    expect(body.closedAfterMs).toBeLessThan(2500);
    expect(headers.response + body.response).toMatch(/^(HTTP\/1.1 408|)/);
  });

  it('skips status subresource updates (no policy, no registry call) but checks ephemeral containers', async () => {
    const bad = pod('bad', { labels: { team: 'a' }, privileged: true, image: 'registry.local/debug:subresource-test' });
    const before = registryCalls.length;
    const status = decode(await post(server.port, '/validate', review('st', bad, { operation: 'UPDATE', oldObject: bad, subResource: 'status' })));
    expect(status.response).toEqual({ uid: 'st', allowed: true });
    expect(registryCalls.length).toBe(before);
    const ephemeral = decode(await post(server.port, '/validate', review('eph', bad, { operation: 'UPDATE', oldObject: bad, subResource: 'ephemeralcontainers' })));
    expect(ephemeral.response.allowed).toBe(false);
    expect(ephemeral.response.status?.message).toContain('policy disallow-privileged-containers');
    expect(registryCalls.length).toBe(before + 1);
  });
});
