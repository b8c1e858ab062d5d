/**
 * The webhook's access to the Kubernetes API: the server and credentials of core/kube-connection.ts
 * (the Pod's service account in a cluster, else a kubeconfig), and plain HTTP(S) requests carrying
 * them, so responses stay the API's own JSON and every failure keeps its HTTP status and Status message.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connectKube, type KubeConnection } from '../core/kube-connection.ts';

export type { KubeConnection };

/** A response other than 2xx, with the API's Status message when there is one. */
export class KubeHttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'KubeHttpError';
    this.status = status;
  }
}

/** The webhook's API server and credentials: the in-cluster service account, or a kubeconfig (and context). */
export function kubeConnection(kubeconfig?: string, context?: string): Promise<KubeConnection> {
  return connectKube({ kubeconfig, context, noServer: 'no Kubernetes API server: not in a cluster and the kubeconfig has no current context with a server' });
}

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT';
  /** JSON request body. */
  body?: unknown;
  /** Socket inactivity limit. */
  timeoutMs: number;
  /** Called with the request, so a caller can abort it (close). */
  track?: (req: { destroy(): void; once(event: 'close', listener: () => void): unknown }) => void;
}

/** Sends a request; resolves with the response stream when the status is 2xx, else rejects with KubeHttpError. */
export async function kubeOpen(connection: KubeConnection, path: string, request: KubeRequest): Promise<IncomingMessage> {
  const url = new URL(connection.server + path);
  const base = await connection.options();
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers = {
    ...(base.headers as Record<string, string>),
    Accept: 'application/json',
    ...(payload !== undefined && { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }),
  };
  return new Promise((resolve, reject) => {
    const req = send(url, { ...base, method: request.method ?? 'GET', headers, timeout: request.timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(res);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let message = `HTTP ${status}`;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: unknown };
          if (typeof body.message === 'string') message += `: ${body.message}`;
        } catch {
          // Not a Status object: the HTTP status says enough.
        }
        reject(new KubeHttpError(status, `${request.method ?? 'GET'} ${path}: ${message}`));
      });
    });
    request.track?.(req);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Sends a request and parses the JSON response. */
export async function kubeJson(connection: KubeConnection, path: string, request: KubeRequest): Promise<unknown> {
  const res = await kubeOpen(connection, path, request);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error(`${path}: the response is not JSON`);
  }
}
