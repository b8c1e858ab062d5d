/**
 * Narrowing for parsed values (JSON.parse, the YAML readers, CEL results, API responses), which
 * arrive as `unknown`.
 */

/** A JSON object, as a mapping parses to: an object that is neither null nor an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
