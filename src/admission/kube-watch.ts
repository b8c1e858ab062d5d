/**
 * One Kubernetes resource kept in memory through the API, the way an informer does: a list gives
 * the objects and a resourceVersion; a watch from there (`?watch=1&allowWatchBookmarks=true`, one
 * JSON event per line) applies ADDED / MODIFIED / DELETED. When the watch ends (the API server
 * closes watches after timeoutSeconds) it resumes from the last resourceVersion seen; a 410 Gone
 * (that version is too old) lists again; any other failure retries with backoff (doubling to 30 s).
 * A resource the API does not serve (404: its CRD is not installed) counts as listed and empty —
 * there are no such objects — and is looked for again every 30 s.
 */
import { createInterface } from 'node:readline';
import { errorMessage } from '../core/errors.ts';
import { kubeJson, kubeOpen, KubeHttpError, type KubeConnection } from '../core/kube-connection.ts';
import type { StructuredLog } from './log.ts';
import { isRecord } from '../core/json.ts';

type Json = Record<string, unknown>;

const WATCH_SECONDS = 300;

export interface ResourceWatcherOptions {
  connection: KubeConnection;
  /** The list path, e.g. `/apis/kyverno.io/v1/clusterpolicies` or `/api/v1/namespaces`. */
  path: string;
  /** Kind and apiVersion set on list items (the API leaves them out of items). */
  kind: string;
  apiVersion: string;
  log: StructuredLog;
  /** Called after every change of the objects (list, event). */
  onChange?: () => void;
  /** First retry delay after a failure; default 1 s. */
  backoffMs?: number;
  /** Per list request; default 15 s. */
  timeoutMs?: number;
}

const NOT_SERVED_RETRY_MS = 30_000;

/** `namespace/name` of an object (`/name` when cluster-scoped). */
export function objectKey(object: Json): string {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  return `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${typeof meta.name === 'string' ? meta.name : ''}`;
}

export class ResourceWatcher {
  readonly #options: ResourceWatcherOptions;
  readonly #objects = new Map<string, Json>();
  readonly #requests = new Set<{ destroy(): void }>();
  #listed = false;
  #closed = false;
  /** Ends the wait between attempts (#sleep), when there is one. */
  #wake: (() => void) | undefined;
  #resolveListed: () => void = () => undefined;
  readonly #firstList: Promise<void>;

  constructor(options: ResourceWatcherOptions) {
    this.#options = options;
    this.#firstList = new Promise((resolve) => (this.#resolveListed = resolve));
  }

  /** The objects by `namespace/name`. */
  get objects(): ReadonlyMap<string, Json> {
    return this.#objects;
  }

  /** Whether a list has succeeded (before that the objects are not the cluster's). */
  get listed(): boolean {
    return this.#listed;
  }

  /** Starts listing and watching; resolves after the first successful list (or on close). */
  start(): Promise<void> {
    void this.#run();
    return this.#firstList;
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
    this.#resolveListed();
    for (const r of this.#requests) r.destroy();
    this.#requests.clear();
  }

  #track = (req: { destroy(): void; once(event: 'close', listener: () => void): unknown }) => {
    this.#requests.add(req);
    req.once('close', () => this.#requests.delete(req));
  };

  async #run(): Promise<void> {
    const { path, log } = this.#options;
    let delay = this.#options.backoffMs ?? 1000;
    let resourceVersion: string | undefined;
    while (!this.#closed) {
      try {
        resourceVersion ??= await this.#list();
        resourceVersion = await this.#watch(resourceVersion);
        delay = this.#options.backoffMs ?? 1000;
        continue;
      } catch (err) {
        if (this.#closed) return;
        if (err instanceof KubeHttpError && err.status === 410) {
          // Our resourceVersion is older than the API server keeps: start over with a fresh list.
          resourceVersion = undefined;
          continue;
        }
        if (err instanceof KubeHttpError && err.status === 404) {
          this.#notServed();
          resourceVersion = undefined;
          await this.#sleep(NOT_SERVED_RETRY_MS);
          continue;
        }
        log.write('warn', 'Kubernetes watch failed; retrying', { resource: path, error: errorMessage(err), retryInMs: delay });
      }
      await this.#sleep(delay);
      delay = Math.min(delay * 2, 30_000);
    }
  }

  /** Waits `ms` between attempts; close() ends the wait, so a closed watch leaves no timer behind. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  /** A 404: the resource is listed and empty; said (and signalled) only when that changes something. */
  #notServed(): void {
    if (this.#listed && this.#objects.size === 0) return;
    this.#options.log.write('info', 'Kubernetes resource not served (CRD not installed?); treated as empty', { resource: this.#options.path });
    this.#objects.clear();
    this.#listed = true;
    this.#resolveListed();
    this.#options.onChange?.();
  }

  #normalized(item: Json): Json {
    return { ...item, apiVersion: typeof item.apiVersion === 'string' ? item.apiVersion : this.#options.apiVersion, kind: this.#options.kind };
  }

  async #list(): Promise<string> {
    const { connection, path } = this.#options;
    const body = await kubeJson(connection, path, { timeoutMs: this.#options.timeoutMs ?? 15_000, track: this.#track });
    if (!isRecord(body) || !Array.isArray(body.items)) throw new Error(`${path}: the response is not a list`);
    // Replaced whole: objects deleted while nothing was watching disappear too.
    this.#objects.clear();
    for (const item of body.items) if (isRecord(item)) this.#objects.set(objectKey(item), this.#normalized(item));
    this.#listed = true;
    this.#resolveListed();
    this.#options.onChange?.();
    const meta = isRecord(body.metadata) ? body.metadata : {};
    return typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '';
  }

  /** Applies watch events until the stream ends; returns the last resourceVersion seen. */
  async #watch(from: string): Promise<string> {
    const { connection, path } = this.#options;
    // The API server ends the watch after timeoutSeconds; the socket timeout above it catches a
    // connection that died without closing (bookmarks keep a healthy one busy).
    const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: String(WATCH_SECONDS), ...(from && { resourceVersion: from }) });
    const res = await kubeOpen(connection, `${path}?${query}`, { timeoutMs: (WATCH_SECONDS + 30) * 1000, track: this.#track });
    let last = from;
    for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
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
      if (event.type === 'ADDED' || event.type === 'MODIFIED') this.#objects.set(objectKey(object), this.#normalized(object));
      else if (event.type === 'DELETED') this.#objects.delete(objectKey(object));
      else continue;
      this.#options.onChange?.();
    }
    return last;
  }
}
