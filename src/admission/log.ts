/**
 * The webhook's structured log: one JSON object per line on stderr (`time`, `level`, `msg`, then
 * the event's fields), the shape log collectors in a cluster index without parsing rules. The
 * same events can be written as text for a person at a terminal (`--log-format text`).
 */
import type { Logger } from '../core/log.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface StructuredLog {
  write(level: LogLevel, msg: string, fields?: LogFields): void;
  /** Whether `level` is written: callers ask before building fields for a line that may be dropped (one per request). */
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** JSON lines to `stream`, dropping levels below `min`. */
export function jsonLog(stream: NodeJS.WritableStream, min: LogLevel = 'info', now: () => Date = () => new Date()): StructuredLog {
  const enabled = (level: LogLevel) => RANK[level] >= RANK[min];
  return {
    enabled,
    write(level, msg, fields = {}) {
      if (!enabled(level)) return;
      stream.write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...fields })}\n`);
    },
  };
}

/** Events through the CLI's text logger (`msg key=value …`), dropping levels below `min`. */
export function textLog(logger: Logger, min: LogLevel = 'info'): StructuredLog {
  const enabled = (level: LogLevel) => RANK[level] >= RANK[min];
  return {
    enabled,
    write(level, msg, fields = {}) {
      if (!enabled(level)) return;
      const extra = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      logger[level]([msg, ...extra].join(' '));
    },
  };
}

/** The plain Logger interface over a structured log, for code that logs messages only. */
export function asLogger(log: StructuredLog): Logger {
  return {
    debug: (m) => log.write('debug', m),
    info: (m) => log.write('info', m),
    warn: (m) => log.write('warn', m),
    error: (m) => log.write('error', m),
  };
}
