/**
 * The audit webhook receiver: the endpoint a kube-apiserver audit webhook backend posts to, as
 * Falco's k8saudit plugin serves it. `POST <endpoint>` with a JSON body (an EventList batch, an
 * Event, or an array) answers 200 as soon as the body is queued; parsing and rule evaluation run
 * after, and alerts go to `onAlert`. Non-POST is 405, a body that is not JSON-typed 400, a body over
 * the batch limit 413. The queue is bounded in bytes: when full, a batch is refused with 503 and
 * Retry-After (the apiserver's batch backend retries with backoff) and counted as dropped. HTTPS
 * when a certificate is given. `GET /healthz` and Prometheus text at `GET /metrics`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RuntimeEngine } from './engine.ts';
import { DEFAULT_MAX_EVENT_SIZE } from './events/k8s-audit.ts';
import { eventsFromText, newCounters, type ReadCounters } from './events/reader.ts';
import { makeAlert, type Alert, type AlertOptions } from './output/alert.ts';

export interface AuditServerOptions {
  engine: RuntimeEngine;
  onAlert: (alert: Alert) => void;
  host?: string;
  port: number;
  /** Default `/k8s-audit`, the path of Falco's documented `http://:9765/k8s-audit`. */
  endpoint?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Largest request body, bytes (the plugin's webhookMaxBatchSize, 12 MiB). */
  maxBodyBytes?: number;
  /** Largest single event, bytes (the plugin's maxEventSize, 256 KiB). */
  maxEventSize?: number;
  /** Bodies waiting to be processed, bytes; beyond it requests get 503. Default 64 MiB. */
  maxQueueBytes?: number;
  alertOptions?: AlertOptions;
}

export interface ServerStats {
  requests: Map<number, number>;
  batches: number;
  droppedBatches: number;
  droppedBytes: number;
  queuedBytes: number;
  read: ReadCounters;
  alerts: Map<string, number>;
}

/** Recent latencies (ms) in a ring buffer, for quantiles. */
export class LatencyWindow {
  private readonly values: Float64Array;
  private count = 0;

  constructor(size = 10_000) {
    this.values = new Float64Array(size);
  }

  add(ms: number): void {
    this.values[this.count++ % this.values.length] = ms;
  }

  get size(): number {
    return Math.min(this.count, this.values.length);
  }

  quantile(q: number): number {
    const n = this.size;
    if (n === 0) return NaN;
    const sorted = this.values.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.floor(q * n))]!;
  }
}

interface QueuedBatch {
  body: string;
  receivedAt: number;
}

export class AuditWebhookServer {
  readonly stats: ServerStats = { requests: new Map(), batches: 0, droppedBatches: 0, droppedBytes: 0, queuedBytes: 0, read: newCounters(), alerts: new Map() };
  /** Receive-to-evaluated latency of every event. */
  readonly eventLatency = new LatencyWindow();
  /** Receive-to-alert latency of events that raised an alert. */
  readonly alertLatency = new LatencyWindow();
  private readonly options: AuditServerOptions;
  private readonly server: Server;
  private readonly queue: QueuedBatch[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  private eventNum = 0;

  constructor(options: AuditServerOptions) {
    this.options = options;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createHttpServer(handler);
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.idle();
  }

  /** Resolves once every queued batch has been processed. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private reply(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): void {
    this.stats.requests.set(code, (this.stats.requests.get(code) ?? 0) + 1);
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return this.reply(res, 200, 'ok\n');
    if (req.method === 'GET' && path === '/metrics') return this.reply(res, 200, this.metrics(), { 'content-type': 'text/plain; version=0.0.4' });
    if (path !== (this.options.endpoint ?? '/k8s-audit')) return this.reply(res, 404, 'not found\n');
    if (req.method !== 'POST') return this.reply(res, 405, 'method not allowed\n', { allow: 'POST' });
    if (!(req.headers['content-type'] ?? '').includes('application/json')) return this.reply(res, 400, 'wrong Content Type, expected application/json\n');
    const limit = this.options.maxBodyBytes ?? 12 * 1024 * 1024;
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      return this.reply(res, 413, 'request body too large\n', { connection: 'close' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return this.reply(res, 413, 'request body too large\n', { connection: 'close' });
      const body = Buffer.concat(chunks).toString('utf8');
      if (this.stats.queuedBytes + body.length > (this.options.maxQueueBytes ?? 64 * 1024 * 1024)) {
        this.stats.droppedBatches++;
        this.stats.droppedBytes += body.length;
        return this.reply(res, 503, 'queue full\n', { 'retry-after': '1' });
      }
      this.stats.queuedBytes += body.length;
      this.queue.push({ body, receivedAt: performance.now() });
      this.reply(res, 200, '<html><body>Ok</body></html>\n', { 'content-type': 'text/html' });
      this.drainSoon();
    });
    req.on('error', () => this.reply(res, 400, 'could not read request body\n'));
  }

  private drainSoon(): void {
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => this.drainOne());
  }

  /** One batch per turn of the event loop, so requests keep being accepted under load. */
  private drainOne(): void {
    const batch = this.queue.shift();
    if (batch) {
      this.stats.queuedBytes -= batch.body.length;
      this.process(batch);
    }
    if (this.queue.length > 0) {
      setImmediate(() => this.drainOne());
      return;
    }
    this.draining = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private process(batch: QueuedBatch): void {
    this.stats.batches++;
    const { engine, onAlert } = this.options;
    const events = eventsFromText(batch.body, this.stats.read, { source: 'k8s_audit', maxEventSize: this.options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE }, this.eventNum);
    this.eventNum += events.length;
    for (const evt of events) {
      const rules = engine.evaluate(evt);
      for (const rule of rules) {
        this.stats.alerts.set(`${rule.name}\u0000${rule.priority}`, (this.stats.alerts.get(`${rule.name}\u0000${rule.priority}`) ?? 0) + 1);
        onAlert(makeAlert(rule, evt, this.options.alertOptions));
      }
      const latency = performance.now() - batch.receivedAt;
      this.eventLatency.add(latency);
      if (rules.length > 0) this.alertLatency.add(latency);
    }
  }

  /** Prometheus text exposition of the counters. */
  metrics(): string {
    const s = this.stats;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 'NaN'}`);
    };
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    metric('palisade_runtime_requests_total', 'counter', 'Webhook requests by HTTP status.', [...s.requests].map(([code, n]) => [`{code="${code}"}`, n]));
    metric('palisade_runtime_batches_total', 'counter', 'Request bodies processed.', [['', s.batches]]);
    metric('palisade_runtime_events_total', 'counter', 'Audit events evaluated.', [['', s.read.events]]);
    metric('palisade_runtime_events_invalid_total', 'counter', 'JSON values that were no audit event, and bodies that were not JSON.', [['', s.read.invalid + s.read.malformed]]);
    metric('palisade_runtime_events_oversized_total', 'counter', 'Audit events dropped for exceeding the event size limit.', [['', s.read.oversized]]);
    metric('palisade_runtime_queue_dropped_batches_total', 'counter', 'Batches refused with 503 because the queue was full.', [['', s.droppedBatches]]);
    metric('palisade_runtime_queue_dropped_bytes_total', 'counter', 'Bytes of the batches refused because the queue was full.', [['', s.droppedBytes]]);
    metric('palisade_runtime_queue_bytes', 'gauge', 'Bytes of request bodies waiting to be processed.', [['', s.queuedBytes]]);
    metric('palisade_runtime_alerts_total', 'counter', 'Alerts by rule and priority.', [...s.alerts].map(([key, n]) => {
      const [rule, priority] = key.split('\u0000');
      return [`{rule="${esc(rule!)}",priority="${priority}"}`, n];
    }));
    metric('palisade_runtime_event_latency_seconds', 'summary', 'Receive-to-evaluated latency of recent events.', [
      ['{quantile="0.5"}', this.eventLatency.quantile(0.5) / 1000],
      ['{quantile="0.99"}', this.eventLatency.quantile(0.99) / 1000],
    ]);
    return `${lines.join('\n')}\n`;
  }
}
