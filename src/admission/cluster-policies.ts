/**
 * In-cluster policies: Kyverno ClusterPolicy and Policy objects read and watched through the
 * Kubernetes API (`--watch-cluster-policies`), served together with the --policies files.
 *
 * For each of the two resources: a list (`GET /apis/kyverno.io/v1/clusterpolicies`) gives the
 * objects and a resourceVersion; a watch from there (`?watch=1&allowWatchBookmarks=true`, one JSON
 * event per line) applies ADDED / MODIFIED / DELETED. When the watch ends (the API server closes
 * watches after a few minutes) it resumes from the last resourceVersion seen; a 410 Gone (that
 * version is too old) lists again; any failure retries with backoff. Credentials and the server
 * come from @kubernetes/client-node's KubeConfig: the Pod's service account in a cluster, else the
 * kubeconfig (`KUBECONFIG`, `~/.kube/config`).
 *
 * Each object is parsed by the classic policy loader on its own; one the engine rejects is logged
 * and left out, and never takes the others down. The set is not ready (`current()` undefined)
 * until both lists have succeeded once.
 */
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { errorMessage } from '../core/errors.ts';
import { parsePolicies } from '../policy/engine/load.ts';
import type { Policy } from '../policy/engine/types.ts';
import { kubeJson, kubeOpen, KubeHttpError, type KubeConnection } from './kube.ts';
import type { StructuredLog } from './log.ts';
import { policySet, type AdmissionPolicySet } from './policy-set.ts';
import type { PolicySource } from './reload.ts';

type Json = Record<string, unknown>;

const WATCH_SECONDS = 300;

const RESOURCES = [
  { kind: 'ClusterPolicy', path: '/apis/kyverno.io/v1/clusterpolicies' },
  { kind: 'Policy', path: '/apis/kyverno.io/v1/policies' },
] as const;

export interface ClusterPolicyWatcherOptions {
  connection: KubeConnection;
  log: StructuredLog;
  /** Called after every change of the served objects. */
  onChange?: () => void;
  /** First retry delay after a failure (doubled up to 30 s); default 1 s. */
  backoffMs?: number;
  /** Per list request; default 15 s. */
  timeoutMs?: number;
}

interface Stored {
  object: Json;
  policy?: Policy;
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyOf(kind: string, object: Json): string {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  return `${kind}/${typeof meta.namespace === 'string' ? meta.namespace : ''}/${typeof meta.name === 'string' ? meta.name : ''}`;
}

export class ClusterPolicyWatcher {
  readonly #options: ClusterPolicyWatcherOptions;
  readonly #objects = new Map<string, Stored>();
  readonly #listed = new Set<string>();
  readonly #requests = new Set<{ destroy(): void }>();
  #closed = false;
  #policies: Policy[] | undefined;
  #version = '';
  readonly #ready: Promise<void>;
  #resolveReady: () => void = () => undefined;

  constructor(options: ClusterPolicyWatcherOptions) {
    this.#options = options;
    this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
  }

  /** The policies of the cluster; undefined until both resources were listed once. */
  policies(): readonly Policy[] | undefined {
    if (this.#listed.size < RESOURCES.length) return undefined;
    this.#policies ??= [...this.#objects.values()].flatMap((s) => (s.policy ? [s.policy] : []));
    return this.#policies;
  }

  /** Changes with every add, update or delete (resourceVersions of the objects served). */
  version(): string {
    return this.#version;
  }

  /** Starts listing and watching both resources; resolves when both were listed once (or on close). */
  start(): Promise<void> {
    for (const resource of RESOURCES) void this.#run(resource.kind, resource.path);
    return this.#ready;
  }

  close(): void {
    this.#closed = true;
    this.#resolveReady();
    for (const r of this.#requests) r.destroy();
    this.#requests.clear();
  }

  async #run(kind: string, path: string): Promise<void> {
    let delay = this.#options.backoffMs ?? 1000;
    let resourceVersion: string | undefined;
    while (!this.#closed) {
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.#list(kind, path);
          if (this.#listed.size === RESOURCES.length) this.#resolveReady();
        }
        resourceVersion = await this.#watch(kind, path, resourceVersion);
        delay = this.#options.backoffMs ?? 1000;
        continue;
      } catch (err) {
        if (this.#closed) return;
        if (err instanceof KubeHttpError && err.status === 410) {
          // Our resourceVersion is older than the API server keeps: start over with a fresh list.
          resourceVersion = undefined;
          continue;
        }
        this.#options.log.write('warn', 'cluster policy watch failed; retrying', { resource: path, error: errorMessage(err), retryInMs: delay });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }

  async #list(kind: string, path: string): Promise<string> {
    const body = await kubeJson(this.#options.connection, path, { timeoutMs: this.#options.timeoutMs ?? 15_000, track: this.#track });
    if (!isRecord(body) || !Array.isArray(body.items)) throw new Error(`${path}: the response is not a list`);
    const seen = new Set<string>();
    for (const item of body.items) {
      if (!isRecord(item)) continue;
      seen.add(keyOf(kind, item));
      this.#store(kind, item);
    }
    // Objects deleted while we were not watching.
    for (const key of this.#objects.keys()) if (key.startsWith(`${kind}/`) && !seen.has(key)) this.#objects.delete(key);
    this.#listed.add(kind);
    this.#changed();
    const meta = isRecord(body.metadata) ? body.metadata : {};
    return typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
  }

  /** Applies watch events until the stream ends; returns the last resourceVersion seen. */
  async #watch(kind: string, path: string, from: string): Promise<string> {
    // The API server ends the watch after timeoutSeconds; the socket timeout above it catches a
    // connection that died without closing (bookmarks keep a healthy one busy).
    const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: String(WATCH_SECONDS), ...(from && { resourceVersion: from }) });
    const res = await kubeOpen(this.#options.connection, `${path}?${query}`, { timeoutMs: (WATCH_SECONDS + 30) * 1000, track: this.#track });
    let last = from;
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        throw new Error(`${path}: watch event is not JSON`);
      }
      if (!isRecord(event) || !isRecord(event.object)) continue;
      const object = event.object;
      if (event.type === 'ERROR') {
        const code = typeof object.code === 'number' ? object.code : 0;
        throw new KubeHttpError(code, `${path}: watch error ${code}: ${String(object.message ?? '')}`);
      }
      const meta = isRecord(object.metadata) ? object.metadata : {};
      if (typeof meta.resourceVersion === 'string') last = meta.resourceVersion;
      if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#store(kind, object);
      else if (event.type === 'DELETED') this.#objects.delete(keyOf(kind, object));
      else continue;
      this.#changed();
    }
    return last;
  }

  #store(kind: string, item: Json): void {
    const object: Json = { ...item, apiVersion: typeof item.apiVersion === 'string' ? item.apiVersion : 'kyverno.io/v1', kind };
    const key = keyOf(kind, object);
    let policy: Policy | undefined;
    try {
      policy = parsePolicies(JSON.stringify(object), `cluster:${key}`).policies[0];
    } catch (err) {
      this.#options.log.write('error', 'cluster policy not loaded', { policy: key, error: errorMessage(err) });
    }
    this.#objects.set(key, { object, ...(policy && { policy }) });
  }

  #track = (req: { destroy(): void; once(event: 'close', listener: () => void): unknown }) => {
    this.#requests.add(req);
    req.once('close', () => this.#requests.delete(req));
  };

  #changed(): void {
    this.#policies = undefined;
    const h = createHash('sha256');
    for (const [key, s] of [...this.#objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const meta = isRecord(s.object.metadata) ? s.object.metadata : {};
      h.update(`${key}\0${String(meta.resourceVersion ?? JSON.stringify(s.object.spec))}\0`);
    }
    this.#version = h.digest('hex').slice(0, 12);
    this.#options.onChange?.();
  }

}

/**
 * The served set: the files' set with the cluster's ClusterPolicies/Policies added; undefined
 * (not ready) until both have one. Rebuilt only when either changes.
 */
export function withClusterPolicies(files: PolicySource, cluster: ClusterPolicyWatcher): PolicySource {
  let cached: { key: string; set: AdmissionPolicySet } | undefined;
  return {
    current() {
      const fileSet = files.current();
      const clusterPolicies = cluster.policies();
      if (!fileSet || !clusterPolicies) return undefined;
      const key = `${fileSet.version}+${cluster.version()}`;
      if (cached?.key !== key) {
        const cel = { policies: [...fileSet.validating.policies, ...fileSet.mutating.policies], bindings: fileSet.validating.bindings, exceptions: fileSet.validating.exceptions };
        cached = { key, set: policySet([...fileSet.classic, ...clusterPolicies], cel, key, fileSet.skipped, fileSet.exceptions) };
      }
      return cached.set;
    },
  };
}
