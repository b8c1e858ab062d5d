/**
 * Kubernetes audit events (`k8s_audit` source) from JSON, as the k8saudit plugin accepts them: a
 * single `Event`, an `EventList` (`items`), or a JSON array of either, nested at will. Each event's
 * time is its `stageTimestamp` (RFC 3339, nanoseconds); an event without one falls back to
 * `requestReceivedTimestamp` or v1beta1's `timestamp`, and with none of them is invalid (the
 * plugin requires a timestamp). Events larger than the size limit are dropped and counted.
 */
import { makeEvent, parseTimestamp, type RuntimeEvent } from '../event.ts';

export const K8S_AUDIT_SOURCE = 'k8s_audit';

/** The plugin's default `maxEventSize`. */
export const DEFAULT_MAX_EVENT_SIZE = 262_144;

export interface AuditCounters {
  /** JSON values that are neither audit events nor lists of them, and events without a time. */
  invalid: number;
  /** Events over the size limit. */
  oversized: number;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether a JSON value looks like audit data (an Event, an EventList or an array of them). */
export function isAuditJson(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0 && isAuditJson(value[0]);
  if (!isObj(value)) return false;
  if (value.kind === 'EventList' || value.kind === 'Event') return true;
  return typeof value.apiVersion === 'string' && value.apiVersion.startsWith('audit.k8s.io/');
}

export interface AuditOptions {
  /** Bytes; events whose JSON exceeds it are dropped. Checked only when the whole input exceeds it. */
  maxEventSize?: number;
  /** Size of the JSON text the value was parsed from, when known (skips per-event size checks below the limit). */
  textSize?: number;
}

/** Appends the audit events in `value` to `out` (event numbers continue from `nextNum`). */
export function collectAuditEvents(value: unknown, out: RuntimeEvent[], counters: AuditCounters, nextNum: () => number, options: AuditOptions = {}): void {
  const limit = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
  const checkSize = options.textSize === undefined || options.textSize > limit;
  const visit = (v: unknown, depth: number): void => {
    if (depth > 8) {
      counters.invalid++;
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    if (!isObj(v)) {
      counters.invalid++;
      return;
    }
    if (v.kind === 'EventList') {
      if (Array.isArray(v.items)) for (const x of v.items) visit(x, depth + 1);
      else counters.invalid++;
      return;
    }
    if (v.kind !== undefined && v.kind !== 'Event') {
      counters.invalid++;
      return;
    }
    const time = eventTime(v);
    if (!time) {
      counters.invalid++;
      return;
    }
    if (checkSize && JSON.stringify(v).length > limit) {
      counters.oversized++;
      return;
    }
    out.push(makeEvent(K8S_AUDIT_SOURCE, v, time, nextNum()));
  };
  visit(value, 0);
}

function eventTime(e: Obj): { sec: number; nsec: number } | undefined {
  for (const key of ['stageTimestamp', 'requestReceivedTimestamp', 'timestamp']) {
    const v = e[key];
    if (typeof v === 'string') {
      const t = parseTimestamp(v);
      if (t) return t;
    }
  }
  return undefined;
}
