/**
 * The position-tracking `yaml` package's reading of a YAML text, as reference for the block-YAML
 * reader: each document's value, the line it starts on, and the line of every key and list item by
 * canonical field path (as the manifest readers index them).
 */
import { expect } from 'vitest';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { appendSegment } from '../../src/misconfig/field-path.ts';
import { KUBERNETES_YAML_OPTIONS } from '../../src/policy/engine/documents.ts';

/** The `yaml` package's reading: values, document lines and the line of every key and item. */
export function precise(text: string): { value: unknown; line: number; lines: Map<string, number> }[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...KUBERNETES_YAML_OPTIONS, lineCounter } as Parameters<typeof parseAllDocuments>[1]) as Document[];
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const index = (node: unknown, prefix: string, lines: Map<string, number>): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        // A lone `.` reads as NaN in this package's YAML 1.1 schema, as a string in js-yaml and go-yaml: the key is its text.
        const key = typeof pair.key.value === 'number' && Number.isNaN(pair.key.value) && pair.key.source !== undefined ? pair.key.source : String(pair.key.value);
        const path = appendSegment(prefix, key);
        lines.set(path, lineAt(pair.key.range?.[0] ?? 0));
        index(pair.value, path, lines);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const path = appendSegment(prefix, i);
        const start = (item as Node | null)?.range?.[0];
        if (start !== undefined) lines.set(path, lineAt(start));
        index(item, path, lines);
      });
    }
  };
  return docs.flatMap((doc) => {
    expect(doc.errors).toEqual([]);
    const value: unknown = doc.contents === null ? null : doc.toJS();
    if (value === null || value === undefined) return [];
    const lines = new Map<string, number>();
    index(doc.contents, '', lines);
    return [{ value, line: lineAt((doc.contents as Node).range?.[0] ?? 0), lines }];
  });
}

