/**
 * The audit webhook end to end over HTTPS on loopback: an EventList batch posted the way the
 * kube-apiserver's webhook backend posts it is answered 200 and turned into alerts; wrong
 * methods, content types, paths and oversized bodies are refused like Falco's k8saudit plugin
 * refuses them; a full queue answers 503 and counts the drop; metrics expose the counters.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWebhookServer, LatencyWindow, loadRules, RuntimeEngine, type Alert } from '../../src/runtime/index.ts';
import { repoRoot } from '../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/runtime');
const cert = readFileSync(join(fixtures, 'tls-cert.pem'));
const key = readFileSync(join(fixtures, 'tls-key.pem'));
const auditLines = readFileSync(join(fixtures, 'audit.jsonl'), 'utf8').split('\n');

function engine(): RuntimeEngine {
  const loaded = loadRules([{ name: 'rules.yaml', text: readFileSync(join(fixtures, 'rules.yaml'), 'utf8') }]);
  return new RuntimeEngine(loaded.ruleset!);
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(port: number, options: { method?: string; path?: string; body?: string; contentType?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: options.path ?? '/k8s-audit', method: options.method ?? 'POST', ca: cert, servername: 'localhost', headers: { 'content-type': options.contentType ?? 'application/json' } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('audit webhook server (HTTPS, loopback)', () => {
  const alerts: Alert[] = [];
  let server: AuditWebhookServer;
  let port: number;

  beforeAll(async () => {
    server = new AuditWebhookServer({ engine: engine(), onAlert: (a) => alerts.push(a), host: '127.0.0.1', port: 0, tls: { cert, key }, maxBodyBytes: 64 * 1024 });
    port = (await server.listen()).port;
  });
  afterAll(() => server.close());

  it('turns a posted EventList into alerts', async () => {
    const batch = { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [JSON.parse(auditLines[0]!), ...JSON.parse(auditLines[1]!).items] };
    const reply = await send(port, { body: JSON.stringify(batch) });
    expect(reply.status).toBe(200);
    await server.idle();
    expect(alerts.map((a) => [a.rule, a.priority, a.source])).toEqual([
      ['Privileged Pod', 'Warning', 'k8s_audit'],
      ['Secret Read', 'Informational', 'k8s_audit'],
    ]);
    expect(alerts[0]!.output).toBe('10:00:00.123456000: Warning Privileged pod (user=alice pod=web-1 ns=default images=(nginx:1.25))');
    expect(server.stats.read.events).toBe(3);
    expect(server.eventLatency.size).toBe(3);
  });

  it('accepts a single Event and JSON arrays too', async () => {
    alerts.length = 0;
    expect((await send(port, { body: auditLines[0] })).status).toBe(200);
    expect((await send(port, { body: `[${auditLines[0]}]` })).status).toBe(200);
    await server.idle();
    expect(alerts.map((a) => a.rule)).toEqual(['Privileged Pod', 'Privileged Pod']);
  });

  it('answers 200 to bodies it cannot use, and counts them', async () => {
    const before = server.stats.read.malformed + server.stats.read.invalid;
    expect((await send(port, { body: 'not json' })).status).toBe(200);
    expect((await send(port, { body: '{"kind":"Status"}' })).status).toBe(200);
    await server.idle();
    expect(server.stats.read.malformed + server.stats.read.invalid).toBe(before + 2);
  });

  it('refuses what Falco refuses', async () => {
    expect((await send(port, { method: 'GET' })).status).toBe(405);
    expect((await send(port, { contentType: 'text/plain', body: '{}' })).status).toBe(400);
    expect((await send(port, { path: '/other', body: '{}' })).status).toBe(404);
    expect((await send(port, { body: 'x'.repeat(70 * 1024) })).status).toBe(413);
  });

  it('serves health and Prometheus metrics', async () => {
    expect((await send(port, { method: 'GET', path: '/healthz' })).body).toBe('ok\n');
    const metrics = (await send(port, { method: 'GET', path: '/metrics' })).body;
    expect(metrics).toContain('palisade_runtime_events_total 5');
    expect(metrics).toContain('palisade_runtime_alerts_total{rule="Privileged Pod",priority="WARNING"} 3');
    expect(metrics).toContain('palisade_runtime_requests_total{code="405"} 1');
    expect(metrics).toMatch(/palisade_runtime_event_latency_seconds\{quantile="0.99"\} [\d.e-]+/);
  });
});

describe('bounded queue', () => {
  it('refuses batches with 503 when the queue is full, and counts them', async () => {
    const server = new AuditWebhookServer({ engine: engine(), onAlert: () => {}, host: '127.0.0.1', port: 0, tls: { cert, key }, maxQueueBytes: 1 });
    const { port } = await server.listen();
    try {
      const reply = await send(port, { body: auditLines[0] });
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('1');
      expect(server.stats).toMatchObject({ droppedBatches: 1, batches: 0 });
      expect(server.metrics()).toContain('palisade_runtime_queue_dropped_batches_total 1');
    } finally {
      await server.close();
    }
  });
});

describe('LatencyWindow', () => {
  it('keeps the most recent values and reports quantiles', () => {
    const w = new LatencyWindow(100);
    for (let i = 1; i <= 1000; i++) w.add(i);
    expect(w.size).toBe(100);
    expect(w.quantile(0.5)).toBe(951);
    expect(w.quantile(0.99)).toBe(1000);
    expect(new LatencyWindow().quantile(0.5)).toBeNaN();
  });
});
