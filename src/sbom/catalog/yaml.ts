/**
 * YAML lockfiles (pubspec.lock, stack.yaml.lock, Podfile.lock) read with the failsafe schema:
 * every scalar stays the string the file wrote, so a version like `1.10` is never read as the
 * number 1.1. Errors are ParseErrors with the line.
 */
import { isMap, parseDocument, type LineCounter, type YAMLMap } from 'yaml';
import { ParseError } from '../../core/errors.ts';

/** The document's top-level map; `format` names the file in the error for anything else. */
export function parseYamlMap(text: string, lineCounter: LineCounter, format: string): YAMLMap {
  const doc = parseDocument(text, { lineCounter, schema: 'failsafe', uniqueKeys: false });
  const error = doc.errors[0];
  if (error) throw new ParseError(`invalid YAML: ${error.message.split('\n')[0]}`, error.linePos?.[0].line);
  if (doc.contents === null) throw new ParseError('empty file');
  if (!isMap(doc.contents)) throw new ParseError(`not a ${format}: the document is not a map`);
  return doc.contents;
}

/** 1-based line where a parsed node starts, when it has a position. */
export function lineOf(node: unknown, lineCounter: LineCounter): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? lineCounter.linePos(range[0]).line : undefined;
}
