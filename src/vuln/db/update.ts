/**
 * `palisade db update`: downloads OSV's per-ecosystem exports (`<source>/<ECOSYSTEM>/all.zip`)
 * and imports them. Requests are conditional (ETag / Last-Modified from the previous run, so an
 * unchanged export costs one 304), time out when no data arrives, and are retried with
 * exponential backoff that honours Retry-After. Everything is imported into a temporary copy
 * of the database that replaces it only when every requested ecosystem succeeded: a failed or
 * interrupted update leaves the previous database as it was.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/log.ts';
import type { ZipLimits } from '../../core/zip.ts';
import { emptyReport, importFile, summariseProblems, type ImportReport } from './import.ts';
import { rewriteAtomically, tempPathFor, type FeedState } from './store.ts';

export const DEFAULT_SOURCE = 'https://osv-vulnerabilities.storage.googleapis.com';

/**
 * Fetched when no --ecosystems are given: the ecosystems Palisade catalogs and can order
 * versions for. Others OSV publishes (CRAN, Hackage, SwiftURL, AlmaLinux, Rocky Linux, SUSE,
 * Wolfi, Chainguard, …; see `<source>/ecosystems.txt`) can be named explicitly.
 */
export const DEFAULT_ECOSYSTEMS: readonly string[] = [
  'npm', 'PyPI', 'Go', 'crates.io', 'Maven', 'NuGet', 'RubyGems', 'Packagist', 'Pub', 'Hex',
  'Debian', 'Ubuntu', 'Alpine', 'Red Hat',
];

export interface UpdateProgress {
  ecosystem: string;
  received: number;
  /** From Content-Length, when the server sends it. */
  total?: number;
}

export interface RetryPolicy {
  /** Tries per download, including the first (default 4). */
  attempts?: number;
  /** Delay before the first retry; doubles each time (default 1 s). */
  baseDelayMs?: number;
  /** Longest wait, also for a Retry-After the server asks for (default 60 s). */
  maxDelayMs?: number;
}

export interface UpdateOptions {
  ecosystems?: readonly string[];
  source?: string;
  log?: Logger;
  progress?: (progress: UpdateProgress) => void;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
  /**
   * A request fails when no data arrives for this long (default 60 s). This is an inactivity
   * timeout, not a total one, so a slow but steady 200 MB download is not cut off.
   */
  timeoutMs?: number;
  retry?: RetryPolicy;
  zipLimits?: ZipLimits;
}

export interface EcosystemUpdate {
  ecosystem: string;
  url: string;
  status: 'updated' | 'unchanged';
  /** Bytes downloaded (0 when unchanged). */
  bytes: number;
}

export interface UpdateReport {
  path: string;
  ecosystems: EcosystemUpdate[];
  import: ImportReport;
}

/** Downloads and imports the OSV exports of `ecosystems` into the database at `path`. */
export async function updateDb(path: string, options: UpdateOptions = {}): Promise<UpdateReport> {
  const log = options.log ?? silentLogger;
  const source = (options.source ?? DEFAULT_SOURCE).replace(/\/+$/, '');
  const ecosystems = [...new Set((options.ecosystems ?? DEFAULT_ECOSYSTEMS).map((e) => e.trim()).filter(Boolean))];
  if (ecosystems.length === 0) throw new PalisadeError('USAGE', 'no ecosystems to update');
  if (!/^https?:\/\//i.test(source)) throw new PalisadeError('USAGE', `--source must be an http(s) URL, got ${source}`);
  const report = emptyReport();
  const results: EcosystemUpdate[] = [];
  await rewriteAtomically(path, async (writer) => {
    for (const ecosystem of ecosystems) {
      const url = `${source}/${encodeURIComponent(ecosystem)}/all.zip`;
      const previous = writer.feed(ecosystem);
      const file = tempPathFor(path, '-download');
      try {
        const result = await download(url, file, previous?.source === url ? previous : undefined, ecosystem, source, options, log);
        const checked = new Date().toISOString();
        if (result.status === 'unchanged') {
          log.info(`${ecosystem}: unchanged`);
          writer.setFeed({ ...previous!, checked });
          results.push({ ecosystem, url, status: 'unchanged', bytes: 0 });
          continue;
        }
        const before = report.imported + report.updated;
        try {
          importFile(writer, { path: file, kind: 'zip' }, report, log, options.zipLimits);
        } catch (err) {
          if (err instanceof PalisadeError && err.code === 'INPUT_UNREADABLE') {
            throw failure(ecosystem, url, `the download is not a usable OSV archive: ${errorMessage(err)}`, err);
          }
          throw err;
        }
        log.info(`${ecosystem}: ${result.bytes} bytes, ${report.imported + report.updated - before} new or changed records`);
        writer.setFeed({
          ecosystem,
          source: url,
          checked,
          ...(result.etag && { etag: result.etag }),
          ...(result.lastModified && { lastModified: result.lastModified }),
        });
        results.push({ ecosystem, url, status: 'updated', bytes: result.bytes });
      } finally {
        try {
          unlinkSync(file);
        } catch {
          // Not created (304 or failure before the body).
        }
      }
    }
  });
  summariseProblems(report, log);
  return { path, ecosystems: results, import: report };
}

type DownloadResult = { status: 'unchanged' } | { status: 'updated'; bytes: number; etag?: string; lastModified?: string };

/** Statuses worth retrying: rate limiting and transient server trouble. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Network errors that mean "cannot reach the host at all": retrying only delays the message. */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN']);

class TimeoutError extends Error {}

async function download(
  url: string,
  file: string,
  previous: FeedState | undefined,
  ecosystem: string,
  source: string,
  options: UpdateOptions,
  log: Logger,
): Promise<DownloadResult> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const attempts = Math.max(1, options.retry?.attempts ?? 4);
  const baseDelay = options.retry?.baseDelayMs ?? 1000;
  const maxDelay = options.retry?.maxDelayMs ?? 60_000;
  const headers: Record<string, string> = { 'user-agent': 'palisade (vulnerability db update)' };
  if (previous?.etag) headers['if-none-match'] = previous.etag;
  if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;

  for (let attempt = 1; ; attempt++) {
    const last = attempt >= attempts;
    const backoff = () => Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
    // One controller per attempt, re-armed whenever bytes arrive (see timeoutMs).
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new TimeoutError(`no data for ${timeoutMs / 1000} s`)), timeoutMs);
    };
    try {
      arm();
      const response = await fetchImpl(url, { headers, signal: controller.signal });
      // 304 only answers our conditional request; to an unconditional one it is a server error.
      if (response.status === 304 && previous) {
        await response.body?.cancel();
        return { status: 'unchanged' };
      }
      if (response.ok) {
        const bytes = await saveBody(response, file, ecosystem, arm, options.progress);
        return {
          status: 'updated',
          bytes,
          ...(response.headers.get('etag') && { etag: response.headers.get('etag')! }),
          ...(response.headers.get('last-modified') && { lastModified: response.headers.get('last-modified')! }),
        };
      }
      await response.body?.cancel();
      const what = `${url} answered ${response.status} ${response.statusText}`.trim();
      if (response.status === 404) {
        throw failure(ecosystem, url, `${what}: is "${ecosystem}" an OSV ecosystem name? The list is at ${source}/ecosystems.txt`);
      }
      if (!RETRY_STATUSES.has(response.status) || last) throw failure(ecosystem, url, `${what}${last && attempt > 1 ? ` (after ${attempt} attempts)` : ''}`);
      const delay = Math.min(maxDelay, retryAfter(response.headers.get('retry-after')) ?? backoff());
      log.warn(`${ecosystem}: ${what}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attempts})`);
      await sleep(delay);
    } catch (err) {
      if (err instanceof PalisadeError) throw err;
      const reason = controller.signal.aborted && controller.signal.reason instanceof TimeoutError ? `timed out: ${controller.signal.reason.message}` : networkReason(err);
      const code = errorCode(err);
      if (code && UNREACHABLE.has(code)) {
        throw failure(
          ecosystem,
          url,
          `cannot reach ${new URL(url).host} (${reason}). Check the network connection; behind a proxy, set HTTPS_PROXY and NODE_USE_ENV_PROXY=1`,
          err,
        );
      }
      if (last) throw failure(ecosystem, url, `${reason}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`, err);
      const delay = backoff();
      log.warn(`${ecosystem}: ${reason}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attempts})`);
      await sleep(delay);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Streams the body to `file`, reporting progress; checks the length against Content-Length. */
async function saveBody(
  response: Response,
  file: string,
  ecosystem: string,
  onData: () => void,
  progress: UpdateOptions['progress'],
): Promise<number> {
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  const fd = openSync(file, 'w');
  let received = 0;
  try {
    progress?.({ ecosystem, received, ...(total !== undefined && { total }) });
    if (response.body) {
      for await (const chunk of response.body) {
        onData();
        writeSync(fd, chunk);
        received += chunk.byteLength;
        progress?.({ ecosystem, received, ...(total !== undefined && { total }) });
      }
    }
  } finally {
    closeSync(fd);
  }
  if (total !== undefined && received !== total) throw new Error(`download truncated: ${received} of ${total} bytes`);
  return received;
}

/** Retry-After is either delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** The system error code behind a failed fetch (undici wraps it in `cause`). */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const code = errorCode(err);
  const detail = cause instanceof Error ? cause.message : errorMessage(err);
  return code && !detail.includes(code) ? `${detail} (${code})` : detail;
}

function failure(ecosystem: string, url: string, reason: string, cause?: unknown): PalisadeError {
  return new PalisadeError(
    'NETWORK',
    `database update failed for ${ecosystem} (${url}): ${reason}. Nothing was changed on disk. ` +
      'Without network access, download the OSV all.zip files elsewhere and load them with `palisade db import <dir|zip>`.',
    cause === undefined ? undefined : { cause },
  );
}
