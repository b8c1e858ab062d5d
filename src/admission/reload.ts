/**
 * Policy reload on file change, atomically: the --policies paths are watched (fs.watch on each
 * directory, recursively, and on the directory holding each named file — editors and Kubernetes
 * ConfigMap mounts replace files by rename, which a watch on the file itself would miss). After
 * a quiet period (debounce) the whole set is loaded again; it replaces the served set only when
 * every document loaded and compiled. A broken edit keeps the last good set, and the log says why.
 *
 * Reloads never overlap: a change during a reload schedules one more reload after it, so the set
 * served ends up matching the files as they were last written. Requests read `current` once, so
 * each is decided by one whole set, old or new.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { errorMessage } from '../core/errors.ts';
import type { StructuredLog } from './log.ts';
import type { AdmissionMetrics } from './metrics.ts';
import type { AdmissionPolicySet } from './policy-set.ts';

/**
 * Watches files and directories: a directory recursively, a file through its directory (so a
 * replace by rename is seen), counting the volume internals of a ConfigMap or Secret mount
 * (`..data` swapped on update) as a change of the file. One watcher per directory: a directory
 * named twice, or a file or directory inside a watched directory, adds none, and the named files
 * of one directory share its watcher. `onError`: a watched directory went away — the server must
 * not crash; the next load reports the missing path.
 */
export async function watchPaths(paths: readonly string[], onChange: () => void, onError: (path: string, err: Error) => void): Promise<FSWatcher[]> {
  const trees = new Map<string, string>();
  const files = new Map<string, { path: string; names: Set<string> }>();
  for (const path of paths) {
    const full = resolve(path);
    if ((await stat(full)).isDirectory()) {
      if (!trees.has(full)) trees.set(full, path);
      continue;
    }
    const entry = files.get(dirname(full)) ?? { path, names: new Set<string>() };
    entry.names.add(basename(full));
    files.set(dirname(full), entry);
  }
  const inside = (dir: string, tree: string) => {
    const rel = relative(tree, dir);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, path] of trees) {
    if ([...trees.keys()].some((tree) => tree !== dir && inside(dir, tree))) continue;
    watchers.push(watch(dir, { recursive: true }, () => onChange()).on('error', (err) => onError(path, err)));
  }
  for (const [dir, { path, names }] of files) {
    if ([...trees.keys()].some((tree) => inside(dir, tree))) continue;
    const listener = (_event: string, name: string | Buffer | null) => {
      const changed = name?.toString();
      if (changed && !names.has(changed) && !changed.startsWith('..')) return;
      onChange();
    };
    watchers.push(watch(dir, listener).on('error', (err) => onError(path, err)));
  }
  return watchers;
}

/** What the server reads the served policies from. */
export interface PolicySource {
  /** The set in force; undefined before the first successful load. */
  current(): AdmissionPolicySet | undefined;
}

export interface PolicyReloaderOptions {
  paths: readonly string[];
  load: (paths: readonly string[]) => Promise<AdmissionPolicySet>;
  log: StructuredLog;
  metrics?: AdmissionMetrics;
  /** Quiet period after the last change before reloading; default 250 ms. */
  debounceMs?: number;
}

export class PolicyReloader implements PolicySource {
  #set: AdmissionPolicySet | undefined;
  readonly #options: PolicyReloaderOptions;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #pending = false;
  #closed = false;

  constructor(options: PolicyReloaderOptions) {
    this.#options = options;
  }

  current(): AdmissionPolicySet | undefined {
    return this.#set;
  }

  /** Loads the first set (its errors are the caller's: a webhook must not start without policies). */
  async load(): Promise<AdmissionPolicySet> {
    const set = await this.#options.load(this.#options.paths);
    this.#set = set;
    return set;
  }

  /** Starts watching the paths for changes. */
  async watch(): Promise<void> {
    this.#watchers.push(...(await watchPaths(this.#options.paths, () => this.#schedule(), (path, err) => this.#options.log.write('warn', 'policy watch error', { path, error: errorMessage(err) }))));
  }

  /** Reloads now (also what a file change triggers after the debounce); resolves when the set is settled. */
  reload(): Promise<void> {
    if (this.#running) {
      this.#pending = true;
      return this.#running;
    }
    this.#running = this.#reloadOnce().finally(() => {
      this.#running = undefined;
      if (this.#pending && !this.#closed) {
        this.#pending = false;
        void this.reload();
      }
    });
    return this.#running;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers.length = 0;
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.reload(), this.#options.debounceMs ?? 250);
  }

  async #reloadOnce(): Promise<void> {
    const { log, metrics } = this.#options;
    const previous = this.#set;
    let next: AdmissionPolicySet;
    try {
      next = await this.#options.load(this.#options.paths);
    } catch (err) {
      metrics?.reloads.inc({ result: 'failure' });
      log.write('error', 'policy reload failed; keeping the last good policy set', { error: errorMessage(err), version: previous?.version ?? null, policies: previous?.count ?? 0 });
      return;
    }
    if (this.#closed) return;
    if (previous && next.version === previous.version) return;
    this.#set = next;
    metrics?.reloads.inc({ result: 'success' });
    log.write('info', 'policies reloaded', { version: next.version, previous: previous?.version ?? null, policies: next.count, ...(next.skipped.length > 0 && { skipped: next.skipped }) });
  }
}
