/**
 * Logging to stderr. stdout carries only the requested output (table, JSON, SBOM).
 */

export type LogLevel = 'quiet' | 'normal' | 'debug';

export interface Logger {
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  error(message: string): void;
}

export function createLogger(level: LogLevel, stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (prefix: string, message: string) => stream.write(`${prefix}${message}\n`);
  return {
    error: (m) => write('error: ', m),
    warn: (m) => {
      if (level !== 'quiet') write('warning: ', m);
    },
    info: (m) => {
      if (level !== 'quiet') write('', m);
    },
    debug: (m) => {
      if (level === 'debug') write('debug: ', m);
    },
  };
}

/** A logger that drops everything; the default for library calls that are not given one. */
export const silentLogger: Logger = { warn() {}, info() {}, debug() {}, error() {} };
