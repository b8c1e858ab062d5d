/**
 * JSON bytes as Go's encoding/json writes them, for the documents cosign signs or stores: no white
 * space, map keys sorted by their UTF-8 bytes, and `<`, `>`, `&`, U+2028 and U+2029 escaped
 * (json.Marshal's HTML-safe default). Plain objects stand for Go structs and keep the order the
 * caller builds them in (field declaration order); maps are wrapped in {@link GoMap}, because a JS
 * object would put integer-like keys first whatever their byte order.
 */

export class GoMap {
  readonly entries: ReadonlyArray<readonly [string, unknown]>;

  constructor(map: Record<string, unknown>) {
    this.entries = Object.entries(map).sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  }
}

/** Marshals `value` like json.Marshal (undefined fields are left out, as `omitempty` would). */
export function goMarshal(value: unknown): Uint8Array {
  return Buffer.from(encode(value), 'utf8');
}

function encode(value: unknown): string {
  if (value instanceof GoMap) return `{${value.entries.map(([k, v]) => `${encodeString(k)}:${encode(v)}`).join(',')}}`;
  if (typeof value === 'string') return encodeString(value);
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${encodeString(k)}:${encode(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function encodeString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
