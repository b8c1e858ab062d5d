/**
 * The Kubernetes API server and credentials, for the cluster audit's live reads and the admission
 * webhook's watches and reports: @kubernetes/client-node's KubeConfig (kubeconfig files,
 * `KUBECONFIG`, contexts, client certificates, tokens, exec plugins, the in-cluster service
 * account) resolves them, and its `applyToHTTPSOptions` fills the TLS options and headers of each
 * request, so callers send plain HTTP(S) requests and keep the API's own JSON and HTTP statuses.
 */
import type { RequestOptions } from 'node:https';
import { PalisadeError, errorMessage } from './errors.ts';

export interface KubeConnection {
  /** The API server's URL, without a trailing slash. */
  server: string;
  /** The kubeconfig context in use; undefined in a cluster. */
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
  if (!server) throw new PalisadeError('USAGE', options.noServer);
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
