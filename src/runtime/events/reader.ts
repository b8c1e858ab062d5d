/**
 * Event streams: JSON lines (one event, EventList or Falco/Tetragon object per line) or a single
 * JSON document (an EventList, an array, a pretty-printed Event). A stream is read line by line;
 * when its first line is not JSON on its own, the whole stream is parsed as one document. Lines
 * that are not JSON, and JSON that is no event of the expected source, are counted and skipped.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { RuntimeEvent } from '../event.ts';
import { collectAuditEvents, isAuditJson, K8S_AUDIT_SOURCE } from './k8s-audit.ts';
import { syscallEvent, type SYSCALL_SOURCE } from './syscall.ts';

export type SourceChoice = 'auto' | typeof K8S_AUDIT_SOURCE | typeof SYSCALL_SOURCE;

export interface ReadCounters {
  /** JSON values read (lines or documents). */
  values: number;
  events: number;
  /** Lines or documents that are not JSON. */
  malformed: number;
  /** JSON that is not an event of the source (or an audit event without a time). */
  invalid: number;
  /** Audit events over the size limit. */
  oversized: number;
}

export function newCounters(): ReadCounters {
  return { values: 0, events: 0, malformed: 0, invalid: 0, oversized: 0 };
}

export interface ReadOptions {
  source?: SourceChoice;
  maxEventSize?: number;
}

/** Events in one parsed JSON value; `textSize` is the length of the text it came from. */
export function eventsFromJson(value: unknown, counters: ReadCounters, nextNum: () => number, options: ReadOptions = {}, textSize?: number): RuntimeEvent[] {
  counters.values++;
  const source = options.source ?? 'auto';
  const out: RuntimeEvent[] = [];
  if (source === K8S_AUDIT_SOURCE || (source === 'auto' && isAuditJson(value))) {
    const auditOptions = options.maxEventSize === undefined ? {} : { maxEventSize: options.maxEventSize };
    collectAuditEvents(value, out, counters, nextNum, textSize === undefined ? auditOptions : { ...auditOptions, textSize });
  } else {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const evt = syscallEvent(v, nextNum());
      if (evt) out.push(evt);
      else counters.invalid++;
    }
  }
  counters.events += out.length;
  return out;
}

/** Events of a whole text (file content, request body). */
export function eventsFromText(text: string, counters: ReadCounters, options: ReadOptions = {}, startNum = 0): RuntimeEvent[] {
  let num = startNum;
  const next = () => ++num;
  const whole = tryParse(text);
  if (whole.ok) return eventsFromJson(whole.value, counters, next, options, text.length);
  const out: RuntimeEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = tryParse(line);
    if (parsed.ok) out.push(...eventsFromJson(parsed.value, counters, next, options, line.length));
    else counters.malformed++;
  }
  return out;
}

/** Events of a stream, as they are read. */
export async function* readEvents(input: Readable, counters: ReadCounters, options: ReadOptions = {}): AsyncGenerator<RuntimeEvent> {
  let num = 0;
  const next = () => ++num;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let document: string[] | undefined;
  let first = true;
  for await (const line of lines) {
    if (document) {
      document.push(line);
      continue;
    }
    if (line.trim() === '') continue;
    const parsed = tryParse(line);
    if (parsed.ok) {
      first = false;
      yield* eventsFromJson(parsed.value, counters, next, options, line.length);
    } else if (first && /^\s*[[{]/.test(line)) {
      document = [line];
    } else {
      first = false;
      counters.malformed++;
    }
  }
  if (document) {
    const text = document.join('\n');
    const parsed = tryParse(text);
    if (parsed.ok) yield* eventsFromJson(parsed.value, counters, next, options, text.length);
    else counters.malformed++;
  }
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
