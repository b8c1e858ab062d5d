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
