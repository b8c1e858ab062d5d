/** What every command needs from the process: the logger and the output stream. */
import { createLogger, type Logger } from '../core/log.ts';

export interface GlobalOptions {
  quiet?: boolean;
  debug?: boolean;
}

export interface CliContext {
  log: Logger;
  stdout: NodeJS.WritableStream;
  debug: boolean;
}

export function contextFrom(options: GlobalOptions): CliContext {
  const level = options.debug ? 'debug' : options.quiet ? 'quiet' : 'normal';
  return { log: createLogger(level), stdout: process.stdout, debug: Boolean(options.debug) };
}

/**
 * Thrown by a command that finished its work but must exit non-zero (`--exit-code` when findings
 * remain): main() exits with `code` and prints nothing more.
 */
export class ExitRequest extends Error {
  readonly code: number;

  constructor(code: number, reason: string) {
    super(reason);
    this.name = 'ExitRequest';
    this.code = code;
  }
}
