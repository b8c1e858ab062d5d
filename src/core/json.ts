/**
 * Narrowing for parsed values (JSON.parse, the YAML readers, CEL results, API responses), which
 * arrive as `unknown`.
 */

/** A JSON object, as a mapping parses to: an object that is neither null nor an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON text with every object's keys in sorted order, so that values equal but for key order give
 * the same text: cache and deduplication keys, order-insensitive comparison. A bigint (a CEL
 * integer) is written as its decimal string, where JSON.stringify would throw.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (!isRecord(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = v[key];
    return sorted;
  });
}

/** The strings of a JSON array, other items left out; none when the value is not an array. */
export function stringItems(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `{a: {b: value}}` for the path `['a', 'b']`; the value itself for an empty path. */
export function nestValue(path: readonly string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}
