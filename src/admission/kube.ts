/**
 * The webhook's access to the Kubernetes API: the server and credentials from
 * @kubernetes/client-node's KubeConfig (the Pod's service account in a cluster, else a kubeconfig),
 * and plain HTTP(S) requests carrying them, so responses stay the API's own JSON and every failure
 * keeps its HTTP status and Status message.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { PalisadeError, errorMessage } from '../core/errors.ts';

export interface KubeConnection {
  server: string;
  /** TLS options and headers for one request (exec-plugin tokens may change between calls). */
  options(): Promise<RequestOptions>;
}

/** A response other than 2xx, with the API's Status message when there is one. */
export class KubeHttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'KubeHttpError';
    this.status = status;
  }
}

/** The API server and credentials: in-cluster service account, or a kubeconfig (and context). */
export async function kubeConnection(kubeconfig?: string, context?: string): Promise<KubeConnection> {
  // Loaded on demand: the client library is large and a webhook without cluster access never needs it.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (kubeconfig !== undefined) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
    if (context !== undefined) {
      if (!kc.getContextObject(context)) {
        throw new PalisadeError('USAGE', `context "${context}" is not in the kubeconfig (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
      }
      kc.setCurrentContext(context);
    }
    await kc.applyToHTTPSOptions({ headers: {} });
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    throw new PalisadeError('INPUT_UNREADABLE', `cannot load the Kubernetes configuration${kubeconfig ? ` ${kubeconfig}` : ''}: ${errorMessage(err)}`, { cause: err });
  }
  const server = kc.getCurrentCluster()?.server?.replace(/\/+$/, '');
  if (!server) throw new PalisadeError('USAGE', 'no Kubernetes API server: not in a cluster and the kubeconfig has no current context with a server');
  return {
    server,
    options: async () => {
      const opts: RequestOptions = { headers: {} };
      await kc.applyToHTTPSOptions(opts);
      return opts;
    },
  };
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
