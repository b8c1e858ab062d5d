/**
 * Alerts as Falco emits them. The text line is `<time>: <Priority> <rule output>`; the JSON form
 * has Falco's keys in Falco's (alphabetical) order: hostname, output (the text line),
 * output_fields (each placeholder's typed value, null when missing, plus `evt.time` in
 * nanoseconds, exact in the JSON text), priority, rule, source, tags, time (ISO 8601, UTC, nanoseconds).
 */
import { hostname as osHostname } from 'node:os';
import { isoTime, rawTime, type RuntimeEvent } from '../event.ts';
import { priorityName } from '../priority.ts';
import type { CompiledRule } from '../rules/compile.ts';
import { outputFieldValues, renderOutput, type OutputFormat } from './format.ts';

export interface Alert {
  hostname: string;
  /** The full text line, time and priority included. */
  output: string;
  output_fields: Record<string, unknown>;
  priority: string;
  rule: string;
  source: string;
  tags: string[];
  time: string;
}

export interface AlertOptions {
  hostname?: string;
  /** `iso`: `2016-08-04T16:17:57.882054739+0000`; default: `16:17:57.882054739` (UTC). */
  timeFormat?: 'clock' | 'iso';
}

const HOST = osHostname();

/** Exact `evt.time` (nanoseconds, as digits) of each alert: a JSON number in output would round it. */
const EXACT_TIME = new WeakMap<Alert, string>();

/** Output field keys of a format, sorted, with `evt.time` (Falco adds it to every alert). */
const SORTED_KEYS = new WeakMap<OutputFormat, string[]>();

function sortedKeys(format: OutputFormat): string[] {
  let keys = SORTED_KEYS.get(format);
  if (!keys) {
    keys = [...new Set([...format.fields.filter((f) => !f.silent).map((f) => f.key), 'evt.time'])].sort();
    SORTED_KEYS.set(format, keys);
  }
  return keys;
}

export function makeAlert(rule: CompiledRule, evt: RuntimeEvent, options: AlertOptions = {}): Alert {
  const message = renderOutput(rule.output, evt);
  const fields = outputFieldValues(rule.output, evt);
  const raw = rawTime(evt);
  const output_fields: Record<string, unknown> = {};
  for (const key of sortedKeys(rule.output)) output_fields[key] = key === 'evt.time' ? Number(raw) : fields[key];
  const iso = isoTime(evt);
  const alert: Alert = {
    hostname: options.hostname ?? HOST,
    output: `${options.timeFormat === 'iso' ? `${iso.slice(0, -1)}+0000` : iso.slice(11, -1)}: ${priorityName(rule.priority)} ${message}`,
    output_fields,
    priority: priorityName(rule.priority),
    rule: rule.name,
    source: rule.source,
    tags: [...rule.tags],
    time: iso,
  };
  EXACT_TIME.set(alert, raw);
  return alert;
}

/** `"field":` of output field names (few distinct ones: those of the loaded rules' outputs). */
const QUOTED_KEYS = new Map<string, string>();

function quotedKey(key: string): string {
  let q = QUOTED_KEYS.get(key);
  if (q === undefined) {
    q = `${JSON.stringify(key)}:`;
    if (QUOTED_KEYS.size < 10_000) QUOTED_KEYS.set(key, q);
  }
  return q;
}

/** One line of JSON, Falco's schema and key order, `evt.time` exact. */
export function alertJson(alert: Alert): string {
  let fields = '';
  for (const key of Object.keys(alert.output_fields)) {
    const exact = key === 'evt.time' ? EXACT_TIME.get(alert) : undefined;
    fields += `${fields ? ',' : ''}${quotedKey(key)}${exact ?? JSON.stringify(alert.output_fields[key] ?? null)}`;
  }
  const s = JSON.stringify;
  return `{"hostname":${s(alert.hostname)},"output":${s(alert.output)},"output_fields":{${fields}},"priority":${s(alert.priority)},"rule":${s(alert.rule)},"source":${s(alert.source)},"tags":${s(alert.tags)},"time":${s(alert.time)}}`;
}

/** The text line. */
export function alertText(alert: Alert): string {
  return alert.output;
}
