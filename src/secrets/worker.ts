/**
 * Directory scans on several cores: worker threads are started as soon as the scan knows it is
 * large enough (or as the CLI starts: spawn.ts) and load their code meanwhile; the main thread,
 * which compiles the rules before it walks the tree, sends them the compiled configuration (regex
 * translations, no parsing left to redo) and then batches of files as the walk lists them, so
 * they scan while it walks on; once the walk is over it scans batches itself between their
 * messages (one thread per core in all).
 * Results come back per batch and the main thread applies ignores and baselines in file order, so
 * the output does not depend on the number of threads.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import type { InputIssue } from '../core/types.ts';
import { fromPortable, type PortableConfig } from './portable.ts';
import { Detector, type DetectorOptions } from './detect.ts';
import type { SecretFinding } from './finding.ts';
import type { AutomatonTables } from './prefilter.ts';
import { FileReader, type FileEntry } from './sources/files.ts';
import { exitError, scanWorkerStopped, spawnScanWorkers } from './spawn.ts';

export interface WorkerSetup {
  /** The configuration to scan with (rules already restricted to --enable-rule). */
  config: PortableConfig;
  detector: DetectorOptions;
  /** The main thread's pre-filter automaton for that configuration (saves building it again). */
  automaton: AutomatonTables;
  maxBytes: number;
}

export interface BatchResult {
  /** Findings per file, in the order of the batch. */
  findings: SecretFinding[][];
  bytes: number;
  scanned: number;
  skippedBinary: number;
  skippedTooLarge: number;
  issues: InputIssue[];
}

/** One per thread: the bytes of a file are only needed while it is scanned. */
const reader = new FileReader();

/** Scans one batch of files with a detector (in a worker or, without workers, in this thread). */
export function scanBatch(detector: Detector, entries: FileEntry[], maxBytes: number): BatchResult {
  const result: BatchResult = { findings: [], bytes: 0, scanned: 0, skippedBinary: 0, skippedTooLarge: 0, issues: [] };
  for (const entry of entries) {
    const read = reader.read(entry, maxBytes);
    let found: SecretFinding[] = [];
    if (read.kind === 'binary') result.skippedBinary++;
    else if (read.kind === 'too-large') {
      result.skippedTooLarge++;
      result.issues.push({ path: entry.path, message: `skipped: ${read.size} bytes is over the ${maxBytes}-byte limit (--max-target-megabytes)` });
    } else if (read.kind === 'error') result.issues.push({ path: entry.path, message: `cannot read: ${read.message}` });
    // An empty file is not scanned (the walk leaves out those whose size it looked at).
    else if (read.kind === 'text') {
      result.scanned++;
      result.bytes += read.bytes.length;
      found = detector.detect({ raw: read.text, bytes: read.bytes, filePath: entry.path, startLine: 1 });
    }
    result.findings.push(found);
  }
  return result;
}

/** Below this many bytes the threads' start-up costs more than they save. */
export const PARALLEL_MIN_BYTES = 16 * 1_000_000;
const BATCH_BYTES = 1_000_000;
const BATCH_FILES = 256;

/** More threads than this gain nothing: reading files and merging results in one thread bound the rest. */
export const MAX_THREADS = 8;

export function workerCount(totalBytes: number): number {
  if (totalBytes < PARALLEL_MIN_BYTES) return 0;
  return Math.min(availableParallelism(), MAX_THREADS);
}

/**
 * Groups files into batches of about BATCH_BYTES, in order, as the walk lists them; a file listed
 * without its size counts as the average of those with. The walk sizes files only until the tree
 * is known to be large (sources/files.ts), so every sized file comes before the first unsized one
 * and the running average is the final one by then.
 */
export class Batcher {
  readonly #onBatch: (batch: FileEntry[]) => void;
  #known = 0;
  #knownBytes = 0;
  #current: FileEntry[] = [];
  #bytes = 0;

  constructor(onBatch: (batch: FileEntry[]) => void) {
    this.#onBatch = onBatch;
  }

  add(entry: FileEntry): void {
    if (entry.size !== undefined) {
      this.#known++;
      this.#knownBytes += entry.size;
    }
    this.#current.push(entry);
    this.#bytes += entry.size ?? (this.#known > 0 ? this.#knownBytes / this.#known : BATCH_BYTES / BATCH_FILES);
    if (this.#bytes >= BATCH_BYTES || this.#current.length >= BATCH_FILES) this.#flush();
  }

  /** The walk is over: the last, partial batch. */
  end(): void {
    if (this.#current.length > 0) this.#flush();
  }

  #flush(): void {
    this.#onBatch(this.#current);
    this.#current = [];
    this.#bytes = 0;
  }
}

type ToWorker = { setup: WorkerSetup } | { batch: FileEntry[]; index: number };
type FromWorker = { index: number; result: BatchResult };

/** Batches a worker holds at once, so that it never waits for the main thread between two. */
const QUEUE_DEPTH = 2;
/**
 * The same while the walk goes on: this thread is walking, not reading the workers' messages, so
 * a worker gets enough to stay busy until the walk ends.
 */
const WALK_QUEUE_DEPTH = 4;

/**
 * Worker threads that scan batches of files alongside the main thread. Started as soon as the
 * walk shows the tree is large (the threads load their code meanwhile), they are given the
 * configuration (`start`), then batches (`add`) as the walk goes on listing them; once it is over,
 * `scan` shares out the rest with this thread.
 */
export class ScanPool {
  readonly #workers: Worker[];
  readonly #batches: FileEntry[][] = [];
  readonly #results: BatchResult[] = [];
  #next = 0;
  #walked = false;
  // Once a worker has failed the scan has failed: nobody takes another batch.
  #failed = false;
  /** Per worker: posts it batches while it has room, and ends its run once it has none left to do. */
  readonly #posters: (() => void)[] = [];
  #runs: Promise<void>[] = [];

  /**
   * `count` threads in all: the main thread and count - 1 workers (one of them started ahead of
   * time, if any: spawn.ts); `url` (tests) is the workers' script.
   */
  constructor(count: number, url?: URL) {
    this.#workers = spawnScanWorkers(Math.max(0, count - 1), url);
  }

  /** Sends the workers the configuration: they build their detectors while the walk goes on. */
  start(setup: WorkerSetup): void {
    this.#runs = this.#workers.map((worker) => this.#run(worker, setup));
    // A failure is the scan's, reported when it awaits the runs; until then it is not unhandled.
    for (const run of this.#runs) run.catch(() => undefined);
  }

  /** A batch the walk has listed, for the first worker with room (or for `scan`). */
  add(batch: FileEntry[]): void {
    this.#batches.push(batch);
    for (const post of this.#posters) post();
  }

  /**
   * Once the walk is over: scans the batches no worker has taken, on the workers and, between
   * their messages, on this thread with `detector`; results in the order of the batches.
   */
  async scan(detector: Detector, maxBytes: number): Promise<BatchResult[]> {
    this.#walked = true;
    for (const post of this.#posters) post();
    const local = async () => {
      while (!this.#failed && this.#next < this.#batches.length) {
        const index = this.#next++;
        this.#results[index] = scanBatch(detector, this.#batches[index]!, maxBytes);
        // Let the workers' results in, and their next batches out.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all([...this.#runs, local()]);
    return this.#results;
  }

  #run(worker: Worker, setup: WorkerSetup): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        this.#failed = true;
        reject(err);
      };
      let outstanding = 0;
      const post = () => {
        const depth = this.#walked ? QUEUE_DEPTH : WALK_QUEUE_DEPTH;
        while (!this.#failed && outstanding < depth && this.#next < this.#batches.length) {
          const index = this.#next++;
          outstanding++;
          worker.postMessage({ batch: this.#batches[index]!, index } satisfies ToWorker);
        }
        if (outstanding === 0 && this.#walked) {
          worker.off('message', receive);
          resolve();
        }
      };
      const receive = (m: FromWorker) => {
        this.#results[m.index] = m.result;
        outstanding--;
        post();
      };
      // A worker that failed or died before this scan took it never says so again.
      const stoppedWith = scanWorkerStopped(worker);
      if (stoppedWith) return fail(stoppedWith);
      worker.on('message', receive);
      worker.once('error', fail);
      // A worker that dies without an 'error' (killed, out of memory) would otherwise leave the scan waiting forever.
      worker.once('exit', (code) => fail(exitError(code)));
      worker.postMessage({ setup } satisfies ToWorker);
      this.#posters.push(post);
      post();
    });
  }

  /**
   * Stops the workers. Their results are in by then: nothing waits for the threads to wind down
   * (~15 ms at the end of every parallel scan), and they no longer keep the process alive.
   */
  close(): void {
    for (const worker of this.#workers) {
      worker.unref();
      void worker.terminate();
    }
  }
}

if (!isMainThread && parentPort && (workerData as { secretScanWorker?: boolean } | undefined)?.secretScanWorker) {
  const port = parentPort;
  let detector: Detector | undefined;
  let maxBytes = 0;
  port.on('message', (message: ToWorker) => {
    if ('setup' in message) {
      detector = new Detector(fromPortable(message.setup.config), message.setup.detector, message.setup.automaton);
      maxBytes = message.setup.maxBytes;
    } else port.postMessage({ index: message.index, result: scanBatch(detector!, message.batch, maxBytes) } satisfies FromWorker);
  });
}
