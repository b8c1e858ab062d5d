/**
 * Directory scans on several cores: each worker thread builds the same detector (from the same
 * configuration file or the defaults) and scans batches of files the main thread hands out;
 * results come back per batch and the main thread applies ignores and baselines in file order,
 * so the output does not depend on the number of workers.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { InputIssue } from '../core/types.ts';
import { defaultConfig, loadConfigFile, type SecretsConfig } from './config.ts';
import { Detector, type DetectorOptions } from './detect.ts';
import type { SecretFinding } from './finding.ts';
import { readTextFile, type FileEntry } from './sources/files.ts';

export interface WorkerSetup {
  /** A configuration file, or undefined for the default rules. */
  configPath?: string;
  cwd?: string;
  enableRules?: string[];
  detector: DetectorOptions;
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

/** Scans one batch of files with a detector (in a worker or, without workers, in this thread). */
export function scanBatch(detector: Detector, entries: FileEntry[], maxBytes: number): BatchResult {
  const result: BatchResult = { findings: [], bytes: 0, scanned: 0, skippedBinary: 0, skippedTooLarge: 0, issues: [] };
  for (const entry of entries) {
    const read = readTextFile(entry, maxBytes);
    let found: SecretFinding[] = [];
    if (read.kind === 'binary') result.skippedBinary++;
    else if (read.kind === 'too-large') {
      result.skippedTooLarge++;
      result.issues.push({ path: entry.path, message: `skipped: ${entry.size} bytes is over the ${maxBytes}-byte limit (--max-target-megabytes)` });
    } else if (read.kind === 'error') result.issues.push({ path: entry.path, message: `cannot read: ${read.message}` });
    else {
      result.scanned++;
      result.bytes += read.bytes.length;
      found = detector.detect({ raw: read.text, bytes: read.bytes, filePath: entry.path, startLine: 1 });
    }
    result.findings.push(found);
  }
  return result;
}

export function restrictRules(config: SecretsConfig, ids: string[] | undefined): SecretsConfig {
  if (!ids?.length) return config;
  const wanted = new Set(ids);
  return { ...config, rules: new Map([...config.rules].filter(([id]) => wanted.has(id))), orderedRules: config.orderedRules.filter((id) => wanted.has(id)) };
}

/** Below this many bytes the threads' start-up costs more than they save. */
const PARALLEL_MIN_BYTES = 16 * 1_000_000;
const BATCH_BYTES = 2 * 1_000_000;
const BATCH_FILES = 256;

export function workerCount(totalBytes: number): number {
  if (totalBytes < PARALLEL_MIN_BYTES) return 0;
  return Math.min(availableParallelism(), 8);
}

/** Scans `entries` on `count` worker threads; results in the order of `entries`. */
export async function scanInWorkers(entries: FileEntry[], setup: WorkerSetup, count: number): Promise<BatchResult[]> {
  const batches: FileEntry[][] = [];
  let current: FileEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    current.push(e);
    bytes += e.size;
    if (bytes >= BATCH_BYTES || current.length >= BATCH_FILES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);

  const results: BatchResult[] = new Array(batches.length);
  let next = 0;
  const url = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const run = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      const feed = () => {
        if (next >= batches.length) {
          resolve();
          return;
        }
        const index = next++;
        worker.once('message', (r: BatchResult) => {
          results[index] = r;
          feed();
        });
        worker.postMessage(batches[index]);
      };
      worker.once('error', reject);
      feed();
    });
  const workers = Array.from({ length: Math.min(count, batches.length) }, () => new Worker(url, { workerData: setup }));
  try {
    await Promise.all(workers.map(run));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

if (!isMainThread && parentPort && (workerData as WorkerSetup | undefined)?.detector) {
  const setup = workerData as WorkerSetup;
  const base = setup.configPath ? loadConfigFile(setup.configPath, setup.cwd ? { cwd: setup.cwd } : {}) : defaultConfig();
  const detector = new Detector(restrictRules(base, setup.enableRules), setup.detector);
  const port = parentPort;
  port.on('message', (entries: FileEntry[]) => port.postMessage(scanBatch(detector, entries, setup.maxBytes)));
}
