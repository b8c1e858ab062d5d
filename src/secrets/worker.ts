/**
 * Directory scans on several cores: worker threads are started as soon as the scan knows it is
 * large enough, and load their code while the main thread compiles the rules; the main thread
 * then sends them the compiled configuration (regex translations, no parsing left to redo) and
 * batches of files, and scans batches itself between their messages (one thread per core in all).
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

/** Files in batches of about BATCH_BYTES, in order; a file listed without its size counts as the average of those with. */
export function batchEntries(entries: FileEntry[]): FileEntry[][] {
  let known = 0;
  let knownBytes = 0;
  for (const e of entries) {
    if (e.size === undefined) continue;
    known++;
    knownBytes += e.size;
  }
  const assumed = known > 0 ? knownBytes / known : BATCH_BYTES / BATCH_FILES;
  const batches: FileEntry[][] = [];
  let current: FileEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    current.push(e);
    bytes += e.size ?? assumed;
    if (bytes >= BATCH_BYTES || current.length >= BATCH_FILES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

type ToWorker = { setup: WorkerSetup } | { batch: FileEntry[]; index: number };
type FromWorker = { index: number; result: BatchResult };

/** Batches a worker holds at once, so that it never waits for the main thread between two. */
const QUEUE_DEPTH = 2;

/**
 * Worker threads that scan batches of files alongside the main thread. Start it early (the
 * threads load their code meanwhile), then `scan` once the configuration is compiled.
 */
export class ScanPool {
  readonly #workers: Worker[];

  /**
   * `count` threads in all: the main thread and count - 1 workers (one of them started ahead of
   * time, if any: spawn.ts); `url` (tests) is the workers' script.
   */
  constructor(count: number, url?: URL) {
    this.#workers = spawnScanWorkers(Math.max(0, count - 1), url);
  }

  /**
   * Scans the batches (batchEntries) on the workers and, between messages, on this thread with
   * `detector`; results in the order of the batches.
   */
  async scan(batches: FileEntry[][], setup: WorkerSetup, detector: Detector): Promise<BatchResult[]> {
    const results: BatchResult[] = new Array(batches.length);
    let next = 0;
    // Once a worker has failed the scan has failed: nobody takes another batch.
    let failed = false;
    const fail = (reject: (err: Error) => void) => (err: Error) => {
      failed = true;
      reject(err);
    };
    const run = (worker: Worker) =>
      new Promise<void>((resolve, reject) => {
        let outstanding = 0;
        const post = () => {
          while (!failed && outstanding < QUEUE_DEPTH && next < batches.length) {
            const index = next++;
            outstanding++;
            worker.postMessage({ batch: batches[index]!, index } satisfies ToWorker);
          }
          if (outstanding === 0) {
            worker.off('message', receive);
            resolve();
          }
        };
        const receive = (m: FromWorker) => {
          results[m.index] = m.result;
          outstanding--;
          post();
        };
        // A worker that failed or died before this scan took it never says so again.
        const stoppedWith = scanWorkerStopped(worker);
        if (stoppedWith) return fail(reject)(stoppedWith);
        worker.on('message', receive);
        worker.once('error', fail(reject));
        // A worker that dies without an 'error' (killed, out of memory) would otherwise leave the scan waiting forever.
        worker.once('exit', (code) => fail(reject)(exitError(code)));
        worker.postMessage({ setup } satisfies ToWorker);
        post();
      });
    const local = async () => {
      while (!failed && next < batches.length) {
        const index = next++;
        results[index] = scanBatch(detector, batches[index]!, setup.maxBytes);
        // Let the workers' results in, and their next batches out.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all([...this.#workers.map(run), local()]);
    return results;
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
