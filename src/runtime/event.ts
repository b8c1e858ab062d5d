/**
 * The event the engine evaluates, whatever its source. `data` is the event's JSON: an
 * audit.k8s.io Event for `k8s_audit`, the flat field map described in docs for `syscall`
 * (see events/syscall.ts). Field extractors read `data`; `cache` holds values already extracted
 * for this event (slots are numbered when rules are compiled).
 */

export interface RuntimeEvent {
  /** Event source name as rules write it: `k8s_audit`, `syscall`. */
  source: string;
  /** 1-based sequence number within a stream (`evt.num`). */
  num: number;
  /** Event time: whole seconds since the epoch and nanoseconds within the second. */
  sec: number;
  nsec: number;
  data: Record<string, unknown>;
  /** The JSON text the event was read from, when there was one (`json.obj`). */
  raw?: string;
  /** Per-event memo of extracted values, indexed by compiled field slot. */
  cache: unknown[];
  /** The slot table `cache` belongs to (slots of another table mean other fields). */
  cacheOwner: number;
}

export function makeEvent(source: string, data: Record<string, unknown>, time: { sec: number; nsec: number }, num = 0, raw?: string): RuntimeEvent {
  const evt: RuntimeEvent = { source, num, sec: time.sec, nsec: time.nsec, data, cache: [], cacheOwner: 0 };
  if (raw !== undefined) evt.raw = raw;
  return evt;
}

/** Seconds of recently seen `YYYY-MM-DDTHH:MM:SS` prefixes: events arrive close in time. */
const prefixSeconds = new Map<string, number>();
const DATE_CACHE_LIMIT = 4096;
const UTC_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const FRACTION = /^\.\d{1,9}$/;

/**
 * Seconds and nanoseconds of an RFC 3339 timestamp with up to nine fractional digits
 * (`2018-10-25T14:09:12.581541Z`, `…+02:00`); undefined when it is not one.
 */
export function parseTimestamp(text: string): { sec: number; nsec: number } | undefined {
  // Fast path for the UTC stamps audit logs carry: consecutive events mostly share the second.
  if (text.length >= 20 && text.charCodeAt(text.length - 1) === 90 /* Z */) {
    const prefix = text.slice(0, 19);
    const fraction = text.slice(19, -1);
    if (fraction === '' || FRACTION.test(fraction)) {
      let sec = prefixSeconds.get(prefix);
      if (sec === undefined && UTC_PREFIX.test(prefix)) {
        const ms = Date.parse(`${prefix}Z`);
        if (!Number.isNaN(ms)) {
          if (prefixSeconds.size >= DATE_CACHE_LIMIT) prefixSeconds.clear();
          prefixSeconds.set(prefix, (sec = ms / 1000));
        }
      }
      if (sec !== undefined) return { sec, nsec: fraction === '' ? 0 : Number(fraction.slice(1).padEnd(9, '0')) };
    }
  }
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})$/.exec(text);
  if (!m) return undefined;
  const zone = m[3]!.toUpperCase() === 'Z' ? 'Z' : m[3]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${m[1]!.replace(/[t ]/, 'T')}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return { sec: Math.floor(ms / 1000), nsec: Number((m[2] ?? '').padEnd(9, '0')) };
}

/** Time from nanoseconds since the epoch (a number, a digit string or a bigint). */
export function timeFromNanos(ns: number | string | bigint): { sec: number; nsec: number } {
  const big = BigInt(typeof ns === 'number' ? Math.trunc(ns) : ns);
  return { sec: Number(big / 1_000_000_000n), nsec: Number(big % 1_000_000_000n) };
}

export function nowTime(): { sec: number; nsec: number } {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

/** Date and time text of recently seen seconds (alerts of one stream share few seconds). */
const secondTexts = new Map<number, string>();

/** `2018-10-25T14:09:12.581541000Z`: Falco's ISO 8601 event time, always UTC, nanoseconds. */
export function isoTime(evt: Pick<RuntimeEvent, 'sec' | 'nsec'>): string {
  let text = secondTexts.get(evt.sec);
  if (text === undefined) {
    if (secondTexts.size >= DATE_CACHE_LIMIT) secondTexts.clear();
    secondTexts.set(evt.sec, (text = new Date(evt.sec * 1000).toISOString().slice(0, 19)));
  }
  return `${text}.${String(evt.nsec).padStart(9, '0')}Z`;
}

/** Nanoseconds since the epoch as a decimal string (exact, unlike a double). */
export function rawTime(evt: Pick<RuntimeEvent, 'sec' | 'nsec'>): string {
  return evt.sec === 0 ? String(evt.nsec) : `${evt.sec}${String(evt.nsec).padStart(9, '0')}`;
}
