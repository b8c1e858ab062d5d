/**
 * The `evt.*` fields every event has, whatever its source: number, time in its several
 * renderings, source, host and plugin. Times are rendered in UTC (Falco renders local time).
 * Syscall-only `evt.*` fields (type, arguments, result …) are in syscall.ts.
 */
import { hostname } from 'node:os';
import { isoTime, rawTime, type RuntimeEvent } from '../event.ts';
import { eventJson } from './json.ts';
import type { Extractor, FieldClass, FieldDef, FieldType } from './types.ts';

const HOST = hostname();

const PLUGIN_OF_SOURCE: Record<string, string> = { k8s_audit: 'k8saudit' };

function clock(evt: RuntimeEvent, withSeconds: boolean): string {
  const t = new Date(evt.sec * 1000).toISOString().slice(11, 19);
  return withSeconds ? t : `${t}.${String(evt.nsec).padStart(9, '0')}`;
}

function date(evt: RuntimeEvent): string {
  return new Date(evt.sec * 1000).toISOString().slice(0, 10);
}

const field = (name: string, type: FieldType, desc: string, extract: Extractor): FieldDef => ({ name, type, desc, bind: () => extract });

export const genericEventFields: FieldClass = {
  name: 'evt',
  sources: ['k8s_audit', 'syscall'],
  fields: [
    field('evt.num', 'uint', 'The event number', (e) => e.num),
    field('evt.time', 'string', 'Event timestamp as a time string, with nanoseconds (UTC)', (e) => clock(e, false)),
    field('evt.time.s', 'string', 'Event timestamp as a time string, without decimals (UTC)', (e) => clock(e, true)),
    field('evt.time.iso8601', 'string', 'Event timestamp in ISO 8601 format, with nanoseconds and time zone', isoTime),
    field('evt.datetime', 'string', 'Event timestamp as a date and time string, with nanoseconds (UTC)', (e) => `${date(e)} ${clock(e, false)}`),
    field('evt.datetime.s', 'string', 'Event timestamp as a date and time string, without decimals (UTC)', (e) => `${date(e)} ${clock(e, true)}`),
    field('evt.rawtime', 'abstime', 'Absolute event timestamp, in nanoseconds since the epoch', (e) => Number(rawTime(e))),
    field('evt.rawtime.s', 'abstime', 'Integer part of the event timestamp (seconds since the epoch)', (e) => e.sec),
    field('evt.rawtime.ns', 'abstime', 'Fractional part of the absolute event timestamp (nanoseconds)', (e) => e.nsec),
    field('evt.source', 'string', 'The name of the source that produced the event', (e) => e.source),
    field('evt.hostname', 'string', 'The hostname of the underlying host', (e) => (typeof e.data['evt.hostname'] === 'string' ? e.data['evt.hostname'] : HOST)),
    field('evt.pluginname', 'string', 'The name of the plugin that generated the event (for plugin sources)', (e) => PLUGIN_OF_SOURCE[e.source]),
    field('evt.plugininfo', 'string', 'A summary of the event, as its plugin renders it (the event JSON)', (e) => (PLUGIN_OF_SOURCE[e.source] ? eventJson(e) : undefined)),
  ],
};
