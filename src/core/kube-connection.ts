/**
 * The Kubernetes API, for the cluster audit's live reads and the admission webhook's watches and
 * reports: the server and credentials from @kubernetes/client-node's KubeConfig (kubeconfig files,
 * `KUBECONFIG`, contexts, client certificates, tokens, exec plugins, the in-cluster service
 * account), whose `applyToHTTPSOptions` fills the TLS options and headers of each request; and
 * plain HTTP(S) requests carrying them, so responses stay the API's own JSON and every failure
 * keeps its HTTP status and Status message.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import { PalisadeError, errorMessage } from './errors.ts';
import { isRecord } from './json.ts';

export interface KubeConnection {
  /** The API server's URL, without a trailing slash. */
  server: string;
  /** The context in use: the one asked for, else the kubeconfig's current one (client-node's `inClusterContext` in a Pod). */
  context?: string;
  /** TLS options and headers for one request (tokens from exec plugins may change between calls). */
  options(): Promise<RequestOptions>;
}

export interface KubeConnectionOptions {
  /** A kubeconfig file; default: `KUBECONFIG`, `~/.kube/config`, or the in-cluster service account. */
  kubeconfig?: string;
  /** A context of the kubeconfig; default: its current context. An unknown one is a usage error naming it. */
  context?: string;
  /** The usage error when no server is configured: it says what the caller needed one for and what to pass. */
  noServer: string;
}

/** Loads the configuration and resolves its credentials once; throws a PalisadeError a person can act on. */
export async function connectKube(options: KubeConnectionOptions): Promise<KubeConnection> {
  // Loaded on demand: the client library is large, and commands that never reach a cluster never need it.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (options.context !== undefined) {
      if (!kc.getContextObject(options.context)) {
        throw new PalisadeError('USAGE', `context "${options.context}" is not in the kubeconfig (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
      }
      kc.setCurrentContext(options.context);
    }
  } catch (err) {
    if (err instanceof PalisadeError) throw err;
    const what = options.kubeconfig !== undefined ? `the kubeconfig ${options.kubeconfig}` : 'the Kubernetes configuration';
    throw new PalisadeError('INPUT_UNREADABLE', `cannot load ${what}: ${errorMessage(err)}`, { cause: err });
  }
  const server = kc.getCurrentCluster()?.server?.replace(/\/+$/, '');
  if (!server || (options.kubeconfig === undefined && isPlaceholder(kc))) throw new PalisadeError('USAGE', options.noServer);
  const context = kc.getCurrentContext() || undefined;
  try {
    // Credentials (exec plugins, token files, certificates) are resolved once up front, so that a
    // configuration problem is one clear error rather than the same failure on every request.
    await kc.applyToHTTPSOptions({ headers: {} });
  } catch (err) {
    throw new PalisadeError('INPUT_UNREADABLE', `cannot use the kubeconfig for ${server}${context ? ` (context ${context})` : ''}: ${errorMessage(err)}`, { cause: err });
  }
  return {
    server,
    ...(context !== undefined && { context }),
    options: async () => {
      const opts: RequestOptions = { headers: {} };
      await kc.applyToHTTPSOptions(opts);
      return opts;
    },
  };
}

/**
 * Whether `kc` is what client-node's loadFromDefault makes up when it finds no configuration at
 * all (no KUBECONFIG, no ~/.kube/config, no service account): a lone context `loaded-context` for
 * http://localhost:8080 without credentials, which would end in "connection refused" instead of
 * the caller's message saying what to pass.
 */
function isPlaceholder(kc: { getCurrentContext(): string; clusters: readonly { name: string; server: string }[]; users: readonly { name: string }[] }): boolean {
  const [cluster, ...otherClusters] = kc.clusters;
  const [user, ...otherUsers] = kc.users;
  return (
    kc.getCurrentContext() === 'loaded-context' &&
    otherClusters.length === 0 &&
    otherUsers.length === 0 &&
    cluster?.name === 'cluster' &&
    cluster.server === 'http://localhost:8080' &&
    user?.name === 'user' &&
    Object.keys(user).length === 1
  );
}

/** A response other than 2xx, with the API's Status message when there is one. */
export class KubeHttpError extends Error {
  readonly status: number;
  /** The Status object's `message`, when the body is one and has a message. */
  readonly apiMessage: string | undefined;

  constructor(status: number, message: string, apiMessage?: string) {
    super(message);
    this.name = 'KubeHttpError';
    this.status = status;
    this.apiMessage = apiMessage;
  }
}

/** A 2xx response whose body is not JSON. */
export class KubeNotJsonError extends Error {
  constructor(path: string) {
    super(`${path}: the response is not JSON`);
    this.name = 'KubeNotJsonError';
  }
}

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT';
  /** JSON request body. */
  body?: unknown;
  /** Socket inactivity limit; when it passes, the request fails with code ETIMEDOUT. */
  timeoutMs: number;
  /** Called with the request, so a caller can abort it (close). */
  track?: (req: { destroy(): void; once(event: 'close', listener: () => void): unknown }) => void;
}

/** Sends a request; resolves with the response stream when the status is 2xx, else rejects with KubeHttpError. */
export async function kubeOpen(connection: KubeConnection, path: string, request: KubeRequest): Promise<IncomingMessage> {
  const url = new URL(connection.server + path);
  const base = await connection.options();
  // Loaded on demand, like the client library: commands that never reach a cluster never need them.
  const send = url.protocol === 'https:' ? (await import('node:https')).request : (await import('node:http')).request;
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers = {
    ...(base.headers as Record<string, string>),
    Accept: 'application/json',
    ...(payload !== undefined && { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }),
  };
  const method = request.method ?? 'GET';
  return new Promise((resolve, reject) => {
    const req = send(url, { ...base, method, headers, timeout: request.timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(res);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const apiMessage = statusMessage(Buffer.concat(chunks).toString('utf8'));
        reject(new KubeHttpError(status, `${method} ${path}: HTTP ${status}${apiMessage !== undefined ? `: ${apiMessage}` : ''}`, apiMessage));
      });
      // A body that breaks off never ends: without this the request would wait forever.
      const brokenOff = () => reject(new KubeHttpError(status, `${method} ${path}: HTTP ${status}: the answer broke off`));
      res.on('error', brokenOff);
      res.on('close', () => {
        if (!res.complete) brokenOff();
      });
    });
    request.track?.(req);
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${request.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
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
    throw new KubeNotJsonError(path);
  }
}

/** The message of a Status object (`pods is forbidden: User "x" cannot list resource "pods"…`), if the body is one with a message. */
function statusMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return isRecord(body) && typeof body.message === 'string' && body.message !== '' ? body.message : undefined;
  } catch {
    return undefined;
  }
}
