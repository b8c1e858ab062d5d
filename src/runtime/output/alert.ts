/**
 * Alerts as Falco emits them. The text line is `<time>: <Priority> <rule output>`; the JSON form
 * has Falco's keys in Falco's (alphabetical) order: hostname, output (the text line),
 * output_fields (each placeholder's typed value, null when missing, plus `evt.time` in
 * nanoseconds), priority, rule, source, tags, time (ISO 8601, UTC, nanoseconds).
 */
import { hostname as osHostname } from 'node:os';
import { isoTime, rawTime, type RuntimeEvent } from '../event.ts';
import { priorityName } from '../priority.ts';
import type { CompiledRule } from '../rules/compile.ts';
import { outputFieldValues, renderOutput } from './format.ts';

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

/** Marker replaced by the exact nanosecond integer when serialising (a double would round it). */
const EVT_TIME_MARK = '\u0000evt.time\u0000';

export function makeAlert(rule: CompiledRule, evt: RuntimeEvent, options: AlertOptions = {}): Alert {
  const message = renderOutput(rule.output, evt);
  const fields = outputFieldValues(rule.output, evt);
  const output_fields: Record<string, unknown> = {};
  for (const key of [...Object.keys(fields), 'evt.time'].sort()) output_fields[key] = key === 'evt.time' ? EVT_TIME_MARK + rawTime(evt) : fields[key];
  return {
    hostname: options.hostname ?? HOST,
    output: `${lineTime(evt, options.timeFormat)}: ${priorityName(rule.priority)} ${message}`,
    output_fields,
    priority: priorityName(rule.priority),
    rule: rule.name,
    source: rule.source,
    tags: [...rule.tags],
    time: isoTime(evt),
  };
}

function lineTime(evt: RuntimeEvent, format: AlertOptions['timeFormat']): string {
  const iso = isoTime(evt);
  return format === 'iso' ? `${iso.slice(0, -1)}+0000` : iso.slice(11, -1);
}

/** One line of JSON, Falco's schema. */
export function alertJson(alert: Alert): string {
  return JSON.stringify(alert).replace(/"\\u0000evt\.time\\u0000(\d+)"/, '$1');
}

/** The text line. */
export function alertText(alert: Alert): string {
  return alert.output;
}
