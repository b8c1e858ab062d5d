/**
 * JSON helpers shared by the .NET catalogers: finding an object member's position (JSON.parse
 * gives none) to report lines. Parsing itself is ../json.ts.
 */

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Offset of the object member `"key": {` at or after `from`. Callers walk an object's keys in
 * order and start each search where the previous one matched, so a file is scanned about once.
 */
export function memberOffset(text: string, key: string, from: number): number | undefined {
  const quoted = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`${quoted}\\s*:\\s*\\{`, 'g');
  pattern.lastIndex = from;
  return pattern.exec(text)?.index;
}
