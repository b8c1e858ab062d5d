/**
 * Trust failures: one error class with a string-literal `reason`, so callers and tests branch on the
 * reason and never on message text (sigstore-js's coded-error habit). A reason is either a bad input
 * (exit 2: the key, envelope or bundle could not be read) or a failed verification (exit 1: the input
 * was understood and does not verify).
 */
import { ExitCode, PalisadeError } from '../core/errors.ts';

/** Inputs that could not be read or used: exit 2. */
export type TrustInputFailure =
  | 'WRONG_PASSWORD'
  | 'MALFORMED_KEY'
  | 'UNSUPPORTED_KEY'
  | 'MALFORMED_ENVELOPE'
  | 'MALFORMED_STATEMENT'
  | 'MALFORMED_BUNDLE'
  | 'MALFORMED_TRUSTED_ROOT'
  | 'MALFORMED_SIGNATURE'
  | 'MALFORMED_DIGEST'
  | 'UNKNOWN_PREDICATE_TYPE';

/** Inputs that were understood and do not verify: exit 1. */
export type TrustVerificationFailure =
  | 'SIGNATURE_INVALID'
  | 'DIGEST_MISMATCH'
  | 'SUBJECT_MISMATCH'
  | 'PREDICATE_TYPE_MISMATCH'
  | 'KEY_MISMATCH'
  | 'CERTIFICATE_ERROR'
  | 'TLOG_ERROR'
  | 'TIMESTAMP_ERROR'
  | 'POLICY_ERROR'
  | 'NO_SIGNATURES';

export type TrustFailure = TrustInputFailure | TrustVerificationFailure;

const INPUT_FAILURES: ReadonlySet<TrustFailure> = new Set<TrustInputFailure>([
  'WRONG_PASSWORD',
  'MALFORMED_KEY',
  'UNSUPPORTED_KEY',
  'MALFORMED_ENVELOPE',
  'MALFORMED_STATEMENT',
  'MALFORMED_BUNDLE',
  'MALFORMED_TRUSTED_ROOT',
  'MALFORMED_SIGNATURE',
  'MALFORMED_DIGEST',
  'UNKNOWN_PREDICATE_TYPE',
]);

export function isInputFailure(reason: TrustFailure): reason is TrustInputFailure {
  return INPUT_FAILURES.has(reason);
}

export class TrustError extends PalisadeError {
  readonly reason: TrustFailure;

  constructor(reason: TrustFailure, message: string, options?: { cause?: unknown }) {
    const input = isInputFailure(reason);
    super(input ? 'PARSE_ERROR' : 'VERIFICATION_FAILED', message, {
      ...(options?.cause !== undefined && { cause: options.cause }),
      exitCode: input ? ExitCode.usage : ExitCode.failed,
    });
    this.name = 'TrustError';
    this.reason = reason;
  }
}

export function isTrustError(err: unknown, reason?: TrustFailure): err is TrustError {
  return err instanceof TrustError && (reason === undefined || err.reason === reason);
}
