/**
 * Conversions between JSON (Kubernetes objects as parsed from YAML/JSON) and CEL values as the
 * CEL library represents them: CEL `int` is a BigInt, `double` a number, `uint` an UnsignedInt,
 * lists are arrays, maps plain objects or `Map`s, `optional` an `Optional`.
 *
 * Kubernetes decodes whole JSON numbers as int64 (unstructured objects hold int64, not float64),
 * so `object.spec.replicas + 1` is int arithmetic in the API server and in Kyverno; the same
 * happens here by turning every whole number into a BigInt on the way in. On the way out, BigInt
 * becomes a number again (a string when it does not fit exactly).
 */
import { Optional } from '@marcbachmann/cel-js';

/** A value that crosses into CEL: JSON with whole numbers as BigInt. */
export type CelValue = unknown;

const converted = new WeakMap<object, unknown>();

/**
 * JSON → CEL input. Results are cached per source object (objects handed to the engine are not
 * mutated afterwards; mutations build new objects), so one resource is converted once however
 * many policies look at it.
 */
export function toCel(value: unknown): CelValue {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'object': {
      if (value === null) return null;
      const cached = converted.get(value);
      if (cached !== undefined) return cached;
      let out: unknown;
      if (Array.isArray(value)) out = value.map(toCel);
      else if (value instanceof Uint8Array || value instanceof Date || value instanceof Map || value instanceof Optional) out = value;
      else {
        const o: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) if (v !== undefined) o[k] = toCel(v);
        out = o;
      }
      converted.set(value, out);
      return out;
    }
    default:
      return value;
  }
}

/** Anything CEL-side that knows how to present itself as JSON (quantities, URLs, IPs, semvers…). */
export interface JsonValue {
  toJSON(): unknown;
}

/** CEL result → JSON (for patches, messages, variables handed back to the engine). */
export function fromCel(value: unknown): unknown {
  switch (typeof value) {
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(fromCel);
      if (value instanceof Set) return [...value].map(fromCel);
      if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(fromCel(k)), fromCel(v)]));
      if (value instanceof Optional) return value.hasValue() ? fromCel(value.value()) : undefined;
      if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
      if (value instanceof Date) return value.toISOString().replace('.000Z', 'Z');
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto !== Object.prototype && proto !== null) {
        const json = value as Partial<JsonValue>;
        if (typeof json.toJSON === 'function') return fromCel(json.toJSON());
        return String(value);
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const j = fromCel(v);
        if (j !== undefined) out[k] = j;
      }
      return out;
    }
    default:
      return value;
  }
}

/** How a CEL value is shown in messages: strings bare, everything else as JSON. */
export function celToString(value: unknown): string {
  if (typeof value === 'string') return value;
  const json = fromCel(value);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

/** CEL type name of a runtime value, for error messages. */
export function celTypeName(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'object':
      if (value === null) return 'null_type';
      if (Array.isArray(value) || value instanceof Set) return 'list';
      if (value instanceof Uint8Array) return 'bytes';
      if (value instanceof Date) return 'google.protobuf.Timestamp';
      if (value instanceof Optional) return 'optional_type';
      if (value instanceof Map || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) return 'map';
      return (value as object).constructor.name;
    default:
      return typeof value;
  }
}

/** The elements of a CEL list (arrays and sets). */
export function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  return [];
}

/** The entries of a CEL map (plain objects and Maps). */
export function entriesOf(value: unknown): [unknown, unknown][] {
  if (value instanceof Map) return [...value.entries()];
  if (typeof value === 'object' && value !== null) return Object.entries(value);
  return [];
}
