/**
 * Registry failures as PalisadeErrors, with the HTTP status and the distribution error codes kept
 * so callers (the trust capability looking for signatures, for one) can tell "not there" from
 * "not allowed" from "broken".
 */
import { PalisadeError } from '../../core/errors.ts';
import type { PalisadeErrorCode } from '../../core/errors.ts';

export type RegistryFailure =
  | 'not-found'
  | 'unauthorized'
  | 'denied'
  | 'rate-limited'
  | 'server'
  | 'unreachable'
  | 'timeout'
  /** The caller stopped waiting (its AbortSignal, a verification deadline); says nothing about the registry. */
  | 'abandoned'
  | 'digest-mismatch'
  | 'unsupported'
  | 'invalid-response'
  | 'insecure';

const CODE: Record<RegistryFailure, PalisadeErrorCode> = {
  'not-found': 'INPUT_NOT_FOUND',
  unauthorized: 'NETWORK',
  denied: 'NETWORK',
  'rate-limited': 'NETWORK',
  server: 'NETWORK',
  unreachable: 'NETWORK',
  timeout: 'NETWORK',
  abandoned: 'NETWORK',
  'digest-mismatch': 'INPUT_UNREADABLE',
  unsupported: 'UNSUPPORTED_FORMAT',
  'invalid-response': 'INPUT_UNREADABLE',
  insecure: 'USAGE',
};

export class RegistryError extends PalisadeError {
  readonly reason: RegistryFailure;
  /** HTTP status of the failing response, when there was one. */
  readonly status?: number;
  /** Error codes from the registry's JSON error body (MANIFEST_UNKNOWN, DENIED, …). */
  readonly registryCodes: readonly string[];

  constructor(
    reason: RegistryFailure,
    message: string,
    options?: { status?: number; registryCodes?: readonly string[]; cause?: unknown },
  ) {
    super(CODE[reason], message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.reason = reason;
    if (options?.status !== undefined) this.status = options.status;
    this.registryCodes = options?.registryCodes ?? [];
  }
}
