/**
 * Errors a person can act on. Anything else that escapes is an internal error (exit 3) and
 * only `--debug` shows its stack.
 */

export const ExitCode = {
  ok: 0,
  /** Failed policy tests or verifications. */
  failed: 1,
  /** Usage or input error. */
  usage: 2,
  internal: 3,
} as const;

export type PalisadeErrorCode =
  | 'USAGE'
  | 'INPUT_NOT_FOUND'
  | 'INPUT_UNREADABLE'
  | 'PARSE_ERROR'
  | 'UNSUPPORTED_FORMAT'
  | 'STRICT_WARNINGS'
  | 'DB_MISSING'
  | 'DB_CORRUPT'
  | 'NETWORK'
  /** The work needs a registry and registry access was not given (policy apply/test without --registry). */
  | 'REGISTRY_ACCESS_REQUIRED'
  | 'VERIFICATION_FAILED';

export class PalisadeError extends Error {
  readonly code: PalisadeErrorCode;
  readonly exitCode: number;

  constructor(code: PalisadeErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PalisadeError';
    this.code = code;
    this.exitCode = options?.exitCode ?? ExitCode.usage;
  }
}

/**
 * A file whose content cannot be understood. Catalogers throw it with the line when they know it;
 * the catalog runner turns it into an InputIssue and carries on with the other files.
 */
export class ParseError extends Error {
  readonly line?: number;

  constructor(message: string, line?: number) {
    super(message);
    this.name = 'ParseError';
    if (line !== undefined) this.line = line;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first line of a message (parsers append source excerpts and carets below it). */
export function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}
