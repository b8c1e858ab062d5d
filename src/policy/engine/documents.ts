/**
 * Multi-document YAML (and JSON) with source positions, read the way Kubernetes tools read it:
 * sigs.k8s.io/yaml decodes YAML 1.1 (`yes`/`on` are booleans, `0777` is octal) but keeps
 * timestamps as strings, so we use the 1.1 schema without its timestamp and sexagesimal tags.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { PalisadeError, errorMessage } from '../../core/errors.ts';

/** One YAML document of a file: its plain value and where it starts. */
export interface SourceDocument {
  value: unknown;
  path: string;
  /** 1-based line of the document's first content. */
  line: number;
  /** 1-based line of the node at a field path (the deepest part of the path that exists). */
  lineOf(fieldPath: readonly (string | number)[]): number;
}

const DROPPED_TAGS = new Set(['tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:binary']);

const PARSE_OPTIONS = {
  version: '1.1' as const,
  merge: true,
  uniqueKeys: false,
  customTags: (tags: unknown[]) =>
    tags.filter((t) => {
      const tag = t as { tag?: string; format?: string };
      return !DROPPED_TAGS.has(tag.tag ?? '') && tag.format !== 'TIME';
    }),
};

/**
 * Parses every document of `text`. A syntax error throws PalisadeError (exit 2) naming file:line;
 * empty documents (`---` alone, comments) are left out.
 */
export function parseDocuments(text: string, path: string): SourceDocument[] {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter } as Parameters<typeof parseAllDocuments>[1]);
  const docs = Array.isArray(parsed) ? parsed : [];
  const out: SourceDocument[] = [];
  for (const doc of docs as Document[]) {
    const error = doc.errors[0];
    if (error) {
      const line = lineCounter.linePos(error.pos[0]).line;
      throw new PalisadeError('PARSE_ERROR', `${path}:${line}: invalid YAML: ${firstLine(error.message)}`);
    }
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      throw new PalisadeError('PARSE_ERROR', `${path}: invalid YAML: ${errorMessage(err)}`, { cause: err });
    }
    if (value === null || value === undefined) continue;
    const contents = doc.contents as Node;
    out.push({
      value,
      path,
      line: lineCounter.linePos(contents.range?.[0] ?? 0).line,
      lineOf: (fieldPath) => lineCounter.linePos(offsetOf(contents, fieldPath)).line,
    });
  }
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Offset of the deepest node (or map key) along `fieldPath`. */
function offsetOf(root: Node, fieldPath: readonly (string | number)[]): number {
  let node: unknown = root;
  let offset = root.range?.[0] ?? 0;
  for (const segment of fieldPath) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * Expands files and directories (recursively, `.yaml`/`.yml`/`.json` only, sorted) into file
 * paths. A missing path is an input error.
 */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw new PalisadeError('INPUT_NOT_FOUND', `${path}: ${errorMessage(err)}`, { cause: err });
    }
    if (info.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && MANIFEST_EXTENSIONS.test(entry.name)) out.push(full);
  }
  return out;
}

export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PalisadeError('INPUT_UNREADABLE', `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
