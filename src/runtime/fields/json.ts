/**
 * The json plugin's fields (falcosecurity/plugins plugins/json), which Falco's k8s audit rules
 * use beside `ka.*`: `json.value[<JSON pointer>]` (alias `jevt.value`), `json.obj` (`jevt.obj`)
 * and `json.rawtime` (`jevt.rawtime`). A string value extracts as itself, any other JSON value as
 * its compact JSON text; a pointer that leads nowhere extracts no value.
 */
import { rawTime, type RuntimeEvent } from '../event.ts';
import { FieldArgError, type FieldClass, type FieldDef } from './types.ts';

/** Plugin version the json fields stand in for (the default audit rules require 0.7.0). */
export const JSON_PLUGIN_VERSION = '0.7.0';

/** The compact JSON text of a value, or the string itself: how plugins render JSON values. */
export function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? 'null';
}

/** RFC 6901 pointer tokens (`/a~1b/0` → ['a/b', '0']). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new FieldArgError(`'${pointer}' is not a JSON pointer: it must start with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~[^01]|~$/.test(t)) throw new FieldArgError(`invalid escape in JSON pointer '${pointer}'`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

export function resolvePointer(doc: unknown, tokens: readonly string[]): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(t)) return undefined;
      cur = cur[Number(t)];
    } else if (cur !== null && typeof cur === 'object') {
      cur = Object.hasOwn(cur, t) ? (cur as Record<string, unknown>)[t] : undefined;
    } else {
      return undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** The event's JSON text: the text it was read from, else its data serialised. */
export function eventJson(evt: RuntimeEvent): string {
  return evt.raw ?? JSON.stringify(evt.data);
}

function valueField(name: string): FieldDef {
  return {
    name,
    type: 'string',
    desc: 'The value of the event JSON at the JSON pointer given as argument (e.g. [/user/username])',
    arg: { kind: 'key', required: true },
    bind(arg) {
      const tokens = parsePointer(arg ?? '');
      return (evt) => {
        const v = resolvePointer(evt.data, tokens);
        return v === undefined ? undefined : jsonText(v);
      };
    },
  };
}

const objField = (name: string): FieldDef => ({
  name,
  type: 'string',
  desc: 'The full event, as JSON',
  bind: () => eventJson,
});

const rawtimeField = (name: string): FieldDef => ({
  name,
  type: 'string',
  desc: 'The time of the event, in nanoseconds since the epoch (as evt.rawtime)',
  bind: () => rawTime,
});

export const jsonFields: FieldClass = {
  name: 'json',
  sources: ['k8s_audit'],
  plugin: { name: 'json', version: JSON_PLUGIN_VERSION },
  fields: [
    valueField('json.value'),
    objField('json.obj'),
    rawtimeField('json.rawtime'),
    valueField('jevt.value'),
    objField('jevt.obj'),
    rawtimeField('jevt.rawtime'),
  ],
};
