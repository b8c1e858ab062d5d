/**
 * Where alerts go: a stream (stdout), a file (appended), an HTTP webhook taking Falco's JSON
 * (Falcosidekick's `POST /`), behind an optional rate limiter. Every sink counts what it could not
 * deliver; none buffers without bound.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { alertJson, alertText, type Alert } from './alert.ts';

export type AlertFormat = 'json' | 'text';

export interface AlertSink {
  write(alert: Alert): void;
  /** Waits for pending deliveries. */
  close(): Promise<void>;
  readonly failed: number;
}

export function formatAlert(alert: Alert, format: AlertFormat): string {
  return format === 'json' ? alertJson(alert) : alertText(alert);
}

export class StreamSink implements AlertSink {
  failed = 0;
  private readonly stream: NodeJS.WritableStream;
  private readonly format: AlertFormat;

  constructor(stream: NodeJS.WritableStream, format: AlertFormat) {
    this.stream = stream;
    this.format = format;
  }

  write(alert: Alert): void {
    this.stream.write(`${formatAlert(alert, this.format)}\n`);
  }

  async close(): Promise<void> {}
}

export class FileSink implements AlertSink {
  failed = 0;
  private readonly out: WriteStream;
  private readonly format: AlertFormat;

  constructor(path: string, format: AlertFormat) {
    this.format = format;
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', () => this.failed++);
  }

  write(alert: Alert): void {
    this.out.write(`${formatAlert(alert, this.format)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

export interface WebhookOptions {
  timeoutMs?: number;
  /** Deliveries in flight; alerts beyond are dropped (counted in `failed`). */
  maxInFlight?: number;
  headers?: Record<string, string>;
}

/** POSTs each alert as Falco JSON, the payload Falcosidekick and similar receivers take. */
export class WebhookSink implements AlertSink {
  failed = 0;
  delivered = 0;
  private readonly url: string;
  private readonly options: Required<Pick<WebhookOptions, 'timeoutMs' | 'maxInFlight'>> & WebhookOptions;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(url: string, options: WebhookOptions = {}) {
    this.url = url;
    this.options = { timeoutMs: 5000, maxInFlight: 64, ...options };
  }

  write(alert: Alert): void {
    if (this.inFlight.size >= this.options.maxInFlight) {
      this.failed++;
      return;
    }
    const p = this.post(alertJson(alert)).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async post(body: string): Promise<void> {
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await res.arrayBuffer();
      if (res.ok) this.delivered++;
      else this.failed++;
    } catch {
      this.failed++;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}

/**
 * Token bucket per rule: `rate` alerts per second on average, bursts of up to `burst`. Falco's
 * `outputs.rate`/`max_burst` limit all alerts together; per rule, one noisy rule cannot silence
 * the others. Dropped alerts are counted per rule.
 */
export class RateLimiter {
  readonly dropped = new Map<string, number>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  constructor(rate: number, burst: number, now: () => number = () => performance.now()) {
    this.rate = rate;
    this.burst = Math.max(1, burst);
    this.now = now;
  }

  allow(key: string): boolean {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.dropped.set(key, (this.dropped.get(key) ?? 0) + 1);
    return false;
  }
}
