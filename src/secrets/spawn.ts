/**
 * Starting the worker threads of a directory scan (worker.ts), apart from the rest of it so that
 * the CLI can start one before it loads the scanner: a worker takes ~50 ms to boot Node, then loads
 * the scanner and the rules, most of that before the scan can give it a batch. Started as the CLI
 * starts (`prestartScanWorker`), it is ready sooner; a scan that turns out small, or not of a
 * directory, never takes it and it is stopped (`discardPrestartedWorker`).
 */
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

let prestarted: Worker | undefined;

/**
 * Why a worker stopped, from the moment it was started: a worker that fails while it loads (or
 * dies before a scan hands it a batch) must fail the scan that takes it, not leave it waiting.
 */
const stopped = new WeakMap<Worker, Error>();

/** The error a scan worker stopped with, if it has. */
export function scanWorkerStopped(worker: Worker): Error | undefined {
  return stopped.get(worker);
}

/** The error of a scan worker that exited (a worker only exits when it fails or is stopped). */
export function exitError(code: number): Error {
  return new Error(`secret scan worker exited (code ${code}) before finishing its batches`);
}

/**
 * `count` scan workers, of which the one started ahead of time, if any.
 *
 * A scan keeps every core busy from its first file, and its code is only fast once V8 has
 * optimised it: compiled in the background (V8's default), that work waits for a core while the
 * scan runs slow code meanwhile. Workers compile in their own thread instead, which shortens a
 * scan of 100 MB by ~5%. V8 reads the setting when an isolate starts, so it is set while the
 * workers start, and put back once they run (the main thread's isolate is not affected).
 */
export function spawnScanWorkers(count: number, url: URL = WORKER_URL): Worker[] {
  const workers: Worker[] = [];
  if (count > 0 && prestarted && url === WORKER_URL) {
    // It keeps the process alive again while it works for the scan.
    prestarted.ref();
    workers.push(prestarted);
    prestarted = undefined;
  }
  let starting = count - workers.length;
  if (starting <= 0) return workers;
  v8.setFlagsFromString('--no-concurrent-recompilation');
  const started = () => {
    if (--starting === 0) v8.setFlagsFromString('--concurrent-recompilation');
  };
  while (workers.length < count) {
    const worker = new Worker(url, { workerData: { secretScanWorker: true } });
    // Running, or failed before it ran: either ends its start, once.
    let counted = false;
    const once = () => {
      if (counted) return;
      counted = true;
      started();
    };
    worker.once('online', once);
    worker.once('error', (err) => {
      if (!stopped.has(worker)) stopped.set(worker, err);
      once();
    });
    worker.once('exit', (code) => {
      if (!stopped.has(worker)) stopped.set(worker, exitError(code));
    });
    workers.push(worker);
  }
  return workers;
}

/**
 * Starts one scan worker ahead of a scan that may want it (on a machine with cores to spare).
 * Until a scan takes it, it does not keep the process alive: a command that ends another way
 * (a usage error) exits as it would have.
 */
export function prestartScanWorker(): void {
  if (prestarted || availableParallelism() < 2) return;
  [prestarted] = spawnScanWorkers(1);
  prestarted!.unref();
}

/** Stops the worker started ahead of time when no scan took it. */
export function discardPrestartedWorker(): void {
  void prestarted?.terminate();
  prestarted = undefined;
}
