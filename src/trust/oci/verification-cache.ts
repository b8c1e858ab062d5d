/**
 * Verification outcomes shared across requests, for servers that verify the same images over and
 * over (the admission webhook):
 *
 * - verified outcomes are kept for a TTL under a key the caller builds from everything the
 *   verification depends on (image, keys or identities, predicate type…) — rejections and
 *   "could not verify" are never kept, so a freshly signed image or a recovered registry is seen
 *   on the next try (Kyverno made the same choice: kyverno/kyverno#9503);
 * - identical concurrent verifications share one promise (singleflight), so a burst of Pods of
 *   one Deployment costs one registry round;
 * - each verification has a deadline; when it passes, or the registry cannot be read, the outcome
 *   is `unavailable` with the reason — callers fail closed (deny) or warn, never pass. The
 *   deadline also aborts the signal `verify` receives, so the registry requests it started are
 *   cancelled rather than left running for nobody; so does the moment every caller waiting for
 *   it has given up (each caller may pass its own signal: a request's deadline).
 *
 * What is cached is the verified material, not a policy's verdict on it: callers that judge an
 * attestation's content (conditions) judge it again on every hit.
 */
import { errorMessage } from '../../core/errors.ts';
import { ImageVerificationError } from './verify.ts';

/** A verification's outcome: `V` when it verified, else why not. */
export type VerificationOutcome<V> =
  | ({ status: 'verified' } & V)
  | { status: 'rejected'; reason: string }
  | { status: 'unavailable'; reason: string };

/** How a lookup was served, for metrics. */
export type CacheLookup = 'hit' | 'miss' | 'coalesced';

export interface VerificationCacheOptions<V = unknown> {
  /** Whole-verification deadline (registry round trips included). */
  deadlineMs: number;
  /** How long a verified outcome is reused; default 5 minutes. */
  ttlMs?: number;
  /** Most verified outcomes kept (oldest dropped first); default 10 000. */
  maxEntries?: number;
  /**
   * Bytes a verified value holds (attestation predicates — an SBOM — can be megabytes); with it,
   * at most `maxBytes` (default 64 MiB) are kept, and a larger value is not kept at all.
   */
  sizeOf?: (value: V) => number;
  maxBytes?: number;
  now?: () => number;
  onLookup?: (how: CacheLookup) => void;
  /** Called for each `unavailable` outcome (registry errors, deadline). */
  onUnavailable?: () => void;
}

export class VerificationCache<V extends object> {
  readonly #options: VerificationCacheOptions<V>;
  readonly #verified = new Map<string, { outcome: VerificationOutcome<V>; expires: number; bytes: number }>();
  #bytes = 0;
  readonly #inflight = new Map<string, Run<V>>();
  readonly #now: () => number;

  constructor(options: VerificationCacheOptions<V>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The verified outcome under `key` when one is still valid (a hit); never starts a verification. */
  peek(key: string): VerificationOutcome<V> | undefined {
    const outcome = this.#valid(key);
    if (outcome !== undefined) this.#options.onLookup?.('hit');
    return outcome;
  }

  /**
   * The outcome under `key`: from the cache, from a verification already running, or by running
   * `verify` (which resolves with the verified value, throws ImageVerificationError for a signature
   * that is missing or wrong, and anything else when it could not look). Its signal aborts at the
   * deadline, or once every caller waiting for the verification has given up (`waiter`, the
   * caller's own deadline; a caller without one waits for the verification's): pass it to the
   * registry reads.
   */
  get(key: string, verify: (signal: AbortSignal) => Promise<V>, waiter?: AbortSignal): Promise<VerificationOutcome<V>> {
    const cached = this.peek(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let run = this.#inflight.get(key);
    // A run everyone gave up on is only winding down: a caller arriving now starts afresh.
    if (run !== undefined && !run.controller.signal.aborted) {
      this.#options.onLookup?.('coalesced');
    } else {
      this.#options.onLookup?.('miss');
      const controller = new AbortController();
      const promise = this.#run(verify, controller).then((outcome) => {
        if (outcome.status === 'verified') this.#keep(key, outcome as V & { status: 'verified' });
        return outcome;
      });
      const started: Run<V> = { promise, controller, waiting: 0 };
      this.#inflight.set(key, started);
      void promise.finally(() => {
        if (this.#inflight.get(key) === started) this.#inflight.delete(key);
      });
      run = started;
    }
    wait(run, waiter);
    return run.promise;
  }

  /** Keeps `value` as verified under `key` (an outcome known to hold for another key too). */
  remember(key: string, value: V): void {
    this.#keep(key, { status: 'verified', ...value });
  }

  /** Runs `verify` with the deadline and the outcome mapping, but neither reads nor fills the cache. */
  verifyUncached(verify: (signal: AbortSignal) => Promise<V>): Promise<VerificationOutcome<V>> {
    return this.#run(verify, new AbortController());
  }

  #valid(key: string): VerificationOutcome<V> | undefined {
    const entry = this.#verified.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires > this.#now()) return entry.outcome;
    this.#drop(key);
    return undefined;
  }

  async #run(verify: (signal: AbortSignal) => Promise<V>, controller: AbortController): Promise<VerificationOutcome<V>> {
    const deadline = this.#options.deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<VerificationOutcome<V>>((resolve) => {
      timer = setTimeout(() => {
        const reason = `verification did not complete within ${deadline} ms`;
        controller.abort(new Error(reason));
        resolve({ status: 'unavailable', reason });
      }, deadline);
    });
    const attempt = verify(controller.signal).then(
      (value): VerificationOutcome<V> => ({ status: 'verified', ...value }),
      (err: unknown): VerificationOutcome<V> =>
        err instanceof ImageVerificationError ? { status: 'rejected', reason: err.message } : { status: 'unavailable', reason: errorMessage(err) },
    );
    try {
      const outcome = await Promise.race([attempt, expired]);
      if (outcome.status === 'unavailable') this.#options.onUnavailable?.();
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  #keep(key: string, outcome: V & { status: 'verified' }): void {
    this.#drop(key);
    const bytes = this.#options.sizeOf?.(outcome) ?? 0;
    const maxBytes = this.#options.maxBytes ?? 64 << 20;
    if (bytes > maxBytes) return;
    this.#verified.set(key, { outcome, expires: this.#now() + (this.#options.ttlMs ?? 300_000), bytes });
    this.#bytes += bytes;
    const max = this.#options.maxEntries ?? 10_000;
    for (const oldest of this.#verified.keys()) {
      if (this.#verified.size <= max && this.#bytes <= maxBytes) break;
      this.#drop(oldest);
    }
  }

  #drop(key: string): void {
    const entry = this.#verified.get(key);
    if (entry === undefined) return;
    this.#bytes -= entry.bytes;
    this.#verified.delete(key);
  }
}

/** A verification in flight: its outcome, the controller that cancels it, and how many callers still wait for it. */
interface Run<V> {
  promise: Promise<VerificationOutcome<V>>;
  controller: AbortController;
  /** Callers whose signal has not aborted; Infinity once one without a signal waits. */
  waiting: number;
}

/**
 * Counts `waiter` among those waiting for `run`. When the last of them gives up (its signal
 * aborts), nobody needs the outcome any more: the run is cancelled with that waiter's reason.
 */
function wait<V>(run: Run<V>, waiter: AbortSignal | undefined): void {
  if (waiter === undefined) {
    run.waiting = Infinity;
    return;
  }
  if (waiter.aborted) {
    if (run.waiting === 0) run.controller.abort(waiter.reason);
    return;
  }
  run.waiting++;
  const giveUp = () => {
    if (--run.waiting === 0) run.controller.abort(waiter.reason);
  };
  waiter.addEventListener('abort', giveUp, { once: true });
  void run.promise.finally(() => waiter.removeEventListener('abort', giveUp));
}
