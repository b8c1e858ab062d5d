/**
 * Serving certificate rotation: when --tls-cert or --tls-key changes (cert-manager renewing the
 * Secret, a re-applied `palisade admission manifests`), the new pair is read, checked (the key
 * must match the certificate) and installed with `server.setSecureContext`; new connections get
 * it, open ones keep theirs. A pair that does not load keeps the current one and logs why — a
 * half-written rotation must not take the webhook down (under `failurePolicy: Fail` that would
 * block every Pod in the cluster).
 */
import { createSecureContext } from 'node:tls';
import { readFile } from 'node:fs/promises';
import type { FSWatcher } from 'node:fs';
import type { Server } from 'node:https';
import { errorMessage } from '../core/errors.ts';
import type { StructuredLog } from './log.ts';
import { watchPaths } from './reload.ts';

export interface TlsReloaderOptions {
  server: Server;
  certFile: string;
  keyFile: string;
  /** The pair being served, so an unchanged rewrite is not reported as a rotation. */
  current: { cert: string; key: string };
  log: StructuredLog;
  /** Quiet period after the last change; default 250 ms (the two files of a Secret change together). */
  debounceMs?: number;
}

export class TlsReloader {
  readonly #options: TlsReloaderOptions;
  #current: { cert: string; key: string };
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TlsReloaderOptions) {
    this.#options = options;
    this.#current = options.current;
  }

  async watch(): Promise<void> {
    const onError = (path: string, err: Error) => this.#options.log.write('warn', 'certificate watch error', { path, error: errorMessage(err) });
    this.#watchers = await watchPaths([this.#options.certFile, this.#options.keyFile], () => this.#schedule(), onError);
  }

  /** Reads and installs the pair now; resolves true when a new pair is served. */
  async reload(): Promise<boolean> {
    const { certFile, keyFile, log, server } = this.#options;
    let next: { cert: string; key: string };
    try {
      next = { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
      if (next.cert === this.#current.cert && next.key === this.#current.key) return false;
      // Throws on an unreadable PEM or a key that does not belong to the certificate.
      createSecureContext({ ...next, minVersion: 'TLSv1.2' });
    } catch (err) {
      log.write('error', 'serving certificate not reloaded; keeping the current one', { cert: certFile, key: keyFile, error: errorMessage(err) });
      return false;
    }
    if (this.#closed) return false;
    server.setSecureContext({ ...next, minVersion: 'TLSv1.2' });
    this.#current = next;
    log.write('info', 'serving certificate reloaded', { cert: certFile });
    return true;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.reload(), this.#options.debounceMs ?? 250);
  }
}
