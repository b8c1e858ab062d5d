/**
 * JSON helpers shared by the .NET catalogers: parsing with a ParseError that has the line, and
 * finding an object member's position (JSON.parse gives none) to report lines.
 */
import { ParseError } from '../../../core/errors.ts';
import { lineOfJsonError } from '../../../core/lines.ts';

export function parseJson(text: string): unknown {
  try {
    // The SDK and Visual Studio may write a byte-order mark; JSON.parse refuses it.
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    throw new ParseError('invalid JSON', lineOfJsonError(text, err));
  }
}

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
