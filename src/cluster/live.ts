/**
 * Live input: the audited resources read from the Kubernetes API with read-only list calls
 * (`GET /api/v1/pods?limit=500`, then `continue` tokens), all namespaces at once.
 *
 * Configuration, credentials and requests come from core/kube-connection.ts; each request is a
 * plain GET, so every list returns the API's own JSON (no client-side model conversion) and every
 * failure keeps its HTTP status.
 *
 * A list that fails does not stop the audit: it is recorded in the coverage (403 → `forbidden`,
 * 404 → `not-served`, no connection → `unreachable`, anything else → `failed`). Once the server
 * has proved unreachable, the remaining lists are not attempted.
 */
import { errorMessage } from '../core/errors.ts';
import { connectKube, kubeJson, KubeHttpError, KubeNotJsonError, type KubeConnection } from '../core/kube-connection.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { isRecord } from '../core/json.ts';
import type { Manifest } from '../misconfig/manifests.ts';
import { apiVersionOf, listPath, RESOURCES, type ResourceName, type ResourceSpec } from './resources.ts';
import { redactObject, type ListCoverage, type Snapshot } from './snapshot.ts';

export interface LiveOptions {
  /** A kubeconfig file; default: `KUBECONFIG`, `~/.kube/config`, or the in-cluster service account. */
  kubeconfig?: string;
  /** A context of the kubeconfig; default: its current context. */
  context?: string;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  /** Items per page (`limit`); default 500. */
  pageSize?: number;
  /** Lists in flight at once; default 4. */
  concurrency?: number;
  log?: Logger;
  /** Resources to list; default all the audit reads. */
  resources?: readonly ResourceName[];
}

class ListError extends Error {
  readonly status: ListCoverage['status'];

  constructor(status: ListCoverage['status'], message: string) {
    super(message);
    this.status = status;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECT_TIMEOUT']);

/** Reads the cluster. Throws only when the configuration itself cannot be loaded. */
export async function collectLive(options: LiveOptions = {}): Promise<Snapshot> {
  const log = options.log ?? silentLogger;
  const connection = await connectKube({
    kubeconfig: options.kubeconfig,
    context: options.context,
    noServer: 'no cluster to audit: the kubeconfig has no current context with a server (pass --kubeconfig, --context or --dump)',
  });
  log.info(`reading ${connection.server}${connection.context ? ` (context ${connection.context})` : ''}`);
  const wanted = new Set(options.resources ?? RESOURCES.map((r) => r.resource));
  const specs = RESOURCES.filter((r) => wanted.has(r.resource));
  const coverage = new Map<ResourceName, ListCoverage>();
  const results = new Map<ResourceName, Manifest[]>();
  let unreachable: string | undefined;
  let next = 0;
  async function worker(): Promise<void> {
    while (next < specs.length) {
      const spec = specs[next++]!;
      if (unreachable !== undefined) {
        coverage.set(spec.resource, { resource: spec.resource, status: 'unreachable', count: 0, message: unreachable });
        continue;
      }
      try {
        const items = await listAll(connection, spec, options);
        results.set(spec.resource, items);
        coverage.set(spec.resource, { resource: spec.resource, status: 'ok', count: items.length });
        log.debug(`${listPath(spec)}: ${items.length} object(s)`);
      } catch (err) {
        const failure = err instanceof ListError ? err : new ListError('failed', errorMessage(err));
        if (failure.status === 'unreachable') unreachable = failure.message;
        coverage.set(spec.resource, { resource: spec.resource, status: failure.status, count: 0, message: failure.message });
        log.debug(`${listPath(spec)}: ${failure.status}: ${failure.message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, specs.length)) }, worker));
  const objects = specs.flatMap((s) => results.get(s.resource) ?? []);
  return {
    source: { kind: 'live', server: connection.server, ...(connection.context !== undefined && { context: connection.context }) },
    objects,
    coverage,
    unknownKinds: new Map(),
    issues: [],
  };
}

/** Every page of one list; items get the apiVersion and kind the API leaves out of list items. */
async function listAll(connection: KubeConnection, spec: ResourceSpec, options: LiveOptions): Promise<Manifest[]> {
  const items: Manifest[] = [];
  const limit = options.pageSize ?? 500;
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ limit: String(limit) });
    if (token) query.set('continue', token);
    const body = await getJson(connection, `${listPath(spec)}?${query}`, options.timeoutMs ?? 15_000);
    if (!isRecord(body) || !Array.isArray(body.items)) throw new ListError('failed', `${listPath(spec)}: the response is not a list`);
    for (const item of body.items) {
      if (!isRecord(item)) continue;
      items.push(liveManifest(spec, item));
    }
    const metadata = isRecord(body.metadata) ? body.metadata : {};
    token = typeof metadata.continue === 'string' && metadata.continue !== '' ? metadata.continue : undefined;
  } while (token);
  return items;
}

function liveManifest(spec: ResourceSpec, item: Record<string, unknown>): Manifest {
  const object = redactObject(spec.kind, { apiVersion: apiVersionOf(spec), kind: spec.kind, ...item }, true);
  object.apiVersion = apiVersionOf(spec);
  object.kind = spec.kind;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const namespace = spec.namespaced && typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  return {
    object,
    path: namespace !== undefined ? `${spec.kind}/${namespace}/${name}` : `${spec.kind}/${name}`,
    line: 0,
    apiVersion: apiVersionOf(spec),
    kind: spec.kind,
    name,
    ...(namespace !== undefined && { namespace }),
    lineOf: () => 0,
  };
}

/** One GET; every failure becomes a ListError saying how the list fared. */
async function getJson(connection: KubeConnection, path: string, timeoutMs: number): Promise<unknown> {
  try {
    return await kubeJson(connection, path, { timeoutMs });
  } catch (err) {
    throw listError(connection, path, err);
  }
}

/** The API's Status message when there is one: `HTTP 403: pods is forbidden: User "x" cannot list resource "pods"…`. */
function listError(connection: KubeConnection, path: string, err: unknown): ListError {
  if (err instanceof KubeHttpError) {
    const message = `HTTP ${err.status}${err.apiMessage !== undefined ? `: ${err.apiMessage}` : ''}`;
    if (err.status === 401 || err.status === 403) return new ListError('forbidden', message);
    if (err.status === 404) return new ListError('not-served', `${path}: ${message}`);
    return new ListError('failed', `${path}: ${message}`);
  }
  if (err instanceof KubeNotJsonError) return new ListError('failed', err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && NETWORK_CODES.has(code)) return new ListError('unreachable', `cannot reach ${connection.server}: ${code === 'ETIMEDOUT' ? errorMessage(err) : code}`);
  return new ListError('failed', `${path}: ${errorMessage(err)}`);
}
