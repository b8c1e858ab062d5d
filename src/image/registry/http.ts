/**
 * One HTTP exchange with timeouts and bounded retries. Redirects and authentication are the
 * client's business (they depend on which host a request goes to); this layer only makes each
 * request survive the transient failures of the network and of busy registries.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { RegistryError } from './errors.ts';

export interface TransportOptions {
  /** Per-attempt limit: until the response headers, then (for streams) between two chunks. */
  timeoutMs: number;
  /** Extra attempts after the first one. */
  retries: number;
  /** First backoff delay; doubled on every retry. */
  backoffMs: number;
  /** A Retry-After longer than this is not waited for: the request fails and says so. */
  maxRetryAfterMs: number;
  log: Logger;
  /**
   * The caller's deadline: when it aborts, the request in flight (and its body) is cancelled —
   * its connection closed — and no retry or backoff follows, so work nobody waits for stops.
   */
  signal?: AbortSignal;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** A response plus the timer that still guards its body; `done()` once the body is consumed. */
export interface HttpExchange {
  response: Response;
  /** True once the timeout fired (the body then fails with an abort error). */
  readonly expired: boolean;
  /** True once the caller's signal aborted (the body then fails with an abort error). */
  readonly abandoned: boolean;
  /** Re-arm the timeout (a streamed body calls it on every chunk). */
  touch(): void;
  /** Stop the clock while the consumer, not the network, is the slow side (backpressure). */
  suspend(): void;
  done(): void;
}

/** Statuses that mean "busy or briefly broken, ask again". */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const MAX_BACKOFF_MS = 10_000;
/** Connection-level failures that retrying cannot fix. */
const PERMANENT_CAUSES = /CERT|SSL|TLS|EPROTO|ERR_INVALID|bad port/i;

export class Transport {
  readonly options: TransportOptions;

  constructor(options: TransportOptions) {
    this.options = options;
  }

  async send(request: HttpRequest): Promise<HttpExchange> {
    const { retries, log, signal } = this.options;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abandonedFailure(signal, request);
      const timer = new IdleTimer(this.options.timeoutMs);
      let response: Response;
      try {
        response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: 'manual',
          signal: signal ? AbortSignal.any([timer.signal, signal]) : timer.signal,
        });
      } catch (err) {
        timer.done();
        if (signal?.aborted) throw abandonedFailure(signal, request, err);
        const failure = networkFailure(err, request, timer.expired, this.options.timeoutMs);
        if (attempt >= retries || !isRetryable(err, timer.expired)) throw failure;
        const wait = backoff(this.options.backoffMs, attempt);
        log.debug(`${failure.message}; retrying in ${wait} ms (${attempt + 1}/${retries})`);
        await pause(wait, signal, request);
        continue;
      }
      if (RETRY_STATUSES.has(response.status) && attempt < retries) {
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? backoff(this.options.backoffMs, attempt);
        if (wait <= this.options.maxRetryAfterMs) {
          await response.body?.cancel().catch(() => {});
          timer.done();
          log.debug(
            `${request.method} ${redact(request.url)}: HTTP ${response.status}; retrying in ${wait} ms (${attempt + 1}/${retries})`,
          );
          await pause(wait, signal, request);
          continue;
        }
      }
      return {
        response,
        get expired() {
          return timer.expired;
        },
        get abandoned() {
          return signal?.aborted === true;
        },
        touch: () => timer.touch(),
        suspend: () => timer.suspend(),
        done: () => timer.done(),
      };
    }
  }
}

/**
 * Reads a whole (small) body — manifests, tokens, error documents — refusing more than `limit`
 * bytes, and turns a timeout while reading into a RegistryError.
 */
export async function readBody(exchange: HttpExchange, limit: number, what: string): Promise<Uint8Array> {
  const { response } = exchange;
  try {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > limit) {
      await response.body?.cancel().catch(() => {});
      throw new RegistryError('invalid-response', `${what} is ${declared} bytes, more than the ${limit} accepted`);
    }
    if (response.body === null) return new Uint8Array();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > limit) throw new RegistryError('invalid-response', `${what} is more than the ${limit} bytes accepted`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    if (exchange.abandoned) throw new RegistryError('abandoned', `gave up reading ${what}: ${errorMessage(err)}`, { cause: err });
    if (exchange.expired) throw new RegistryError('timeout', `timed out while reading ${what}`, { cause: err });
    throw new RegistryError('unreachable', `the connection broke while reading ${what}`, { cause: err });
  } finally {
    exchange.done();
  }
}

/** Retry-After is either delta-seconds or an HTTP date; anything else is ignored. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter, so many clients that failed together do not retry together. */
function backoff(baseMs: number, attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Waits `ms` before a retry, unless the caller's signal ends the wait (and the request) first. */
async function pause(ms: number, signal: AbortSignal | undefined, request: HttpRequest): Promise<void> {
  try {
    await delay(ms, undefined, signal && { signal });
  } catch (err) {
    if (signal?.aborted) throw abandonedFailure(signal, request, err);
    throw err;
  }
}

/** The request given up because the caller's signal aborted; the message is the reason it aborted with. */
function abandonedFailure(signal: AbortSignal, request: HttpRequest, err?: unknown): RegistryError {
  return new RegistryError('abandoned', `gave up on ${request.method} ${redact(request.url)}: ${errorMessage(signal.reason)}`, err === undefined ? undefined : { cause: err });
}

function causeText(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return [cause?.code, cause?.message, err instanceof Error ? err.message : String(err)].filter(Boolean).join(' ');
}

function isRetryable(err: unknown, timedOut: boolean): boolean {
  return timedOut || !PERMANENT_CAUSES.test(causeText(err));
}

function networkFailure(err: unknown, request: HttpRequest, timedOut: boolean, timeoutMs: number): RegistryError {
  const host = request.url.host;
  if (timedOut) {
    return new RegistryError(
      'timeout',
      `${host} did not answer within ${timeoutMs / 1000} s (${request.method} ${redact(request.url)}); ` +
        'the registry may be overloaded or unreachable — retry later or raise the timeout',
      { cause: err },
    );
  }
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  const detail = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  const hint =
    request.url.protocol === 'https:' && /SSL|TLS|EPROTO|wrong version/i.test(causeText(err))
      ? 'if this registry speaks plain HTTP on a loopback address, use --insecure'
      : 'check the network connection and the registry address; behind a proxy, set HTTPS_PROXY and NODE_USE_ENV_PROXY=1';
  return new RegistryError('unreachable', `cannot reach registry ${host} (${detail}); ${hint}`, { cause: err });
}

/** URLs of redirected blobs carry signed credentials in their query; keep them out of logs. */
export function redact(url: URL): string {
  return url.search === '' ? url.href : `${url.origin}${url.pathname}?…`;
}

/** A timeout that can be pushed back while data keeps flowing. */
class IdleTimer {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  expired = false;

  constructor(ms: number) {
    this.#ms = ms;
    this.touch();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  touch(): void {
    if (this.expired || this.#finished) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.expired = true;
      this.#controller.abort(new DOMException('registry request timed out', 'TimeoutError'));
    }, this.#ms);
    this.#timer.unref();
  }

  suspend(): void {
    clearTimeout(this.#timer);
  }

  done(): void {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
