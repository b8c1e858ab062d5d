/**
 * The webhook's HTTPS server: `/validate` and `/mutate` take AdmissionReview v1 POSTs;
 * `/healthz` (process alive), `/readyz` (policies loaded) and `/metrics` (Prometheus text).
 *
 * TLS 1.2 is the floor. Keep-alive outlasts the API server's idle-connection reuse (a connection
 * closed by Node's 5 s default just as the API server reuses it fails the admission call),
 * bodies are capped so a huge request cannot exhaust memory, and handshake, header and request
 * deadlines close connections that send too slowly (slowloris) instead of letting them pile up.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decide, type AdmissionMode, type HandlerOptions } from './handler.ts';
import type { StructuredLog } from './log.ts';
import { AdmissionMetrics } from './metrics.ts';
import type { PolicySource } from './reload.ts';
import { admissionResponse, MalformedReviewError, parseAdmissionReview } from './review.ts';

export interface AdmissionServerOptions extends Omit<HandlerOptions, 'metrics'> {
  /**
   * Where the served policies come from when they can change while serving (reload.ts); read once
   * per request, and it then replaces `policies` and `cel`. /readyz answers 503 while it has none.
   */
  policySource?: PolicySource;
  cert: string | Buffer;
  key: string | Buffer;
  port?: number;
  host?: string;
  /** Largest accepted body; default 3 MiB (the API server's own request limit). */
  maxBodyBytes?: number;
  /** Slow-client limits (a slowloris must not hold connections open); defaults in DEFAULT_TIMEOUTS. */
  timeouts?: Partial<ServerTimeouts>;
  log?: StructuredLog;
  metrics?: AdmissionMetrics;
}

export interface AdmissionServer {
  server: Server;
  metrics: AdmissionMetrics;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY = 3 * 1024 * 1024;

export interface ServerTimeouts {
  /** TLS handshake must complete within this. */
  handshakeMs: number;
  /** Request headers must be complete within this after the connection starts sending. */
  headersMs: number;
  /** The whole request (headers and body) must arrive within this. */
  requestMs: number;
  /** How often Node checks connections against headersMs/requestMs (its default, 30 s, would let a slow client stay 30 s past the limit). */
  checkIntervalMs: number;
  /** Idle keep-alive connections are kept this long (above the API server's reuse window). */
  keepAliveMs: number;
}

/**
 * The API server gives up on a webhook after timeoutSeconds (at most 30 s) and sends its headers at
 * once, so no honest request needs longer; keep-alive follows Pepr's fix (90 s). Node requires
 * headersMs <= requestMs.
 */
export const DEFAULT_TIMEOUTS: ServerTimeouts = { handshakeMs: 10_000, headersMs: 10_000, requestMs: 30_000, checkIntervalMs: 1_000, keepAliveMs: 90_000 };

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ error: message }) + '\n');
}

export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const metrics = options.metrics ?? new AdmissionMetrics();
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const handlerOptions: HandlerOptions = { ...options, metrics };

  async function review(req: IncomingMessage, res: ServerResponse, mode: AdmissionMode): Promise<void> {
    const path = `/${mode}`;
    const started = process.hrtime.bigint();
    try {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        sendError(res, 405, `${path} accepts POST only`);
        metrics.requests.inc({ path, decision: 'invalid' });
        return;
      }
      let body: string;
      try {
        body = await readBody(req, limit);
      } catch (err) {
        if (!(err instanceof BodyTooLarge)) throw err;
        res.setHeader('connection', 'close');
        sendError(res, 413, `request body exceeds ${limit} bytes`);
        metrics.requests.inc({ path, decision: 'invalid' });
        return;
      }
      const request = parseAdmissionReview(body);
      const set = options.policySource?.current();
      const decision = await decide(request, mode, set ? { ...handlerOptions, policies: set.classic, exceptions: set.exceptions, cel: set, unevaluated: set.unevaluated } : handlerOptions);
      send(res, 200, JSON.stringify(admissionResponse(request.uid, decision)));
      metrics.requests.inc({ path, decision: decision.allowed ? 'allowed' : 'denied' });
      // One line per request at debug level: its fields are built only when it is written.
      if (options.log?.enabled('debug')) {
        options.log.write('debug', 'admission request', {
          path,
          uid: request.uid,
          operation: request.operation,
          kind: request.kind.kind,
          ...(request.subResource && { subResource: request.subResource }),
          namespace: request.namespace ?? '',
          name: request.name ?? '',
          dryRun: request.dryRun,
          allowed: decision.allowed,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        });
      }
    } catch (err) {
      metrics.requests.inc({ path, decision: 'invalid' });
      if (err instanceof MalformedReviewError) sendError(res, 400, `malformed AdmissionReview: ${err.message}`);
      else {
        options.log?.write('error', 'admission request failed', { path, error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) sendError(res, 500, 'internal error evaluating the request');
      }
    } finally {
      metrics.latency.observe(Number(process.hrtime.bigint() - started) / 1e9, { path });
    }
  }

  function readiness(res: ServerResponse): void {
    if (!options.policySource) {
      send(res, 200, `ok: ${options.policies.length} policies\n`, 'text/plain');
      return;
    }
    const set = options.policySource.current();
    if (set) send(res, 200, `ok: ${set.count} policies, version ${set.version}\n`, 'text/plain');
    else send(res, 503, 'not ready: no policy set loaded\n', 'text/plain');
  }

  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const tlsOptions = { cert: options.cert, key: options.key, minVersion: 'TLSv1.2' as const, handshakeTimeout: timeouts.handshakeMs };
  // Shutdown: responses still to be written say `Connection: close`, so keep-alive connections
  // (the API server's) end after their last answer instead of holding the exit for keepAliveMs.
  let closing = false;
  const unanswered = new Set<ServerResponse>();
  const server = createServer({ ...tlsOptions, connectionsCheckingInterval: timeouts.checkIntervalMs, headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, keepAliveTimeout: timeouts.keepAliveMs }, (req, res) => {
    if (closing) res.setHeader('connection', 'close');
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/validate':
        void review(req, res, 'validate');
        return;
      case '/mutate':
        void review(req, res, 'mutate');
        return;
      case '/healthz':
        send(res, 200, 'ok\n', 'text/plain');
        return;
      case '/readyz':
        readiness(res);
        return;
      case '/metrics':
        send(res, 200, metrics.render(), 'text/plain; version=0.0.4');
        return;
      default:
        sendError(res, 404, `no such path: ${path}`);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8443, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    metrics,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const res of unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
