/**
 * JSON lockfiles and manifests: JSON.parse with a ParseError that names the file kind and the
 * line (JSON.parse gives an offset at best), tolerating the byte-order mark that the .NET SDK and
 * Visual Studio write. Nesting deep enough to overflow the stack is a ParseError too.
 */
import { ParseError, errorMessage } from '../../core/errors.ts';
import { lineOfJsonError } from '../../core/lines.ts';

export function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') throw new ParseError('empty file');
  try {
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (err) {
    throw new ParseError(`${what} is not valid JSON: ${errorMessage(err)}`, lineOfJsonError(text, err));
  }
}

/** `parseJson` for formats whose document is an object (`not a <what>` otherwise). */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  const doc = parseJson(text, what);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ParseError(`not a ${what}: not a JSON object`);
  return doc as Record<string, unknown>;
}
