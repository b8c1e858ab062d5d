/**
 * Multi-document YAML (and JSON) with source positions, read the way Kubernetes tools read it:
 * sigs.k8s.io/yaml decodes YAML 1.1 (`yes`/`on` are booleans, `0777` is octal) but keeps
 * timestamps as strings, so we use the 1.1 schema without its timestamp and sexagesimal tags.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import jsyaml from 'js-yaml';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { PalisadeError, errorMessage, firstLine } from '../../core/errors.ts';

/** One YAML document of a file: its plain value and where it starts. */
export interface SourceDocument {
  value: unknown;
  path: string;
  /** 1-based line of the document's first content. */
  line: number;
  /** 1-based line of the node at a field path (the deepest part of the path that exists). */
  lineOf(fieldPath: readonly (string | number)[]): number;
}

/** `spec.rules[0].name`: a field path as messages print it. */
function formatPath(fieldPath: readonly (string | number)[]): string {
  let out = '';
  for (const part of fieldPath) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

/** `file.yaml:12: spec.rules[0].name`: a field of a document as load errors name it. */
export function fieldLocation(doc: SourceDocument, fieldPath: readonly (string | number)[]): string {
  return `${doc.path}:${doc.lineOf(fieldPath)}: ${formatPath(fieldPath)}`;
}

const DROPPED_TAGS = new Set(['tag:yaml.org,2002:timestamp', 'tag:yaml.org,2002:binary']);

/**
 * How Kubernetes reads YAML (YAML 1.1, merge keys, duplicate keys tolerated; timestamps and
 * binaries left as strings): the `yaml` package options every manifest reader uses.
 */
export const KUBERNETES_YAML_OPTIONS = {
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
  const parsed = parseAllDocuments(text, { ...KUBERNETES_YAML_OPTIONS, lineCounter } as Parameters<typeof parseAllDocuments>[1]);
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

/* ───────────── fast path: documents without field positions (resource manifests) ───────────── */

const YAML11_BOOL = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/.test(data),
  construct: (data: string) => /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(data),
});

const core = (jsyaml as unknown as { types: Record<'null' | 'int' | 'float' | 'merge', InstanceType<typeof jsyaml.Type>> }).types;
const LEGACY_OCTAL = /^[-+]?0[0-7]+$/;

/** js-yaml keeps one type per tag, so YAML 1.1's `0644` (octal) wraps the core int type. */
const YAML11_INT = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: unknown) => (typeof data === 'string' && LEGACY_OCTAL.test(data)) || core.int.resolve(data),
  construct: (data: string) =>
    LEGACY_OCTAL.test(data) ? (data.startsWith('-') ? -1 : 1) * parseInt(data.replace(/^[-+]/, ''), 8) : (core.int.construct(data) as number),
});

/** YAML 1.1 as sigs.k8s.io/yaml reads it (yes/no/on/off booleans, 0-prefixed octal), without timestamps. */
export const MANIFEST_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [core.null, YAML11_BOOL, YAML11_INT, core.float, core.merge] });

export interface PlainDocument {
  value: unknown;
  /** 1-based line of the document's first content. */
  line: number;
}

const SEPARATOR = /^---(?:[ \t]|$)/;
const END = /^\.\.\.(?:[ \t]|$)/;

/**
 * Parses every document of a manifest file with js-yaml, about twenty times faster than the
 * position-tracking parser: scanning a directory of thousands of manifests spends most of its time
 * here. Documents are split at `---` lines first so that each knows its first line. On a syntax
 * error the precise parser reports it (file:line).
 */
export function parsePlainDocuments(text: string, path: string): PlainDocument[] {
  const out: PlainDocument[] = [];
  const lines = text.split(/\r?\n/);
  let start = 0;
  let body: string[] = [];
  let failed = false;
  const flush = (end: number) => {
    const first = failed ? -1 : body.findIndex((l) => l.trim() !== '' && !l.trimStart().startsWith('#') && !l.startsWith('%'));
    if (first !== -1) {
      try {
        const value = jsyaml.load(body.join('\n'), { schema: MANIFEST_SCHEMA, json: true });
        if (value !== null && value !== undefined) out.push({ value, line: start + first + 1 });
      } catch {
        failed = true;
      }
    }
    body = [];
    start = end;
  };
  for (const [i, line] of lines.entries()) {
    if (SEPARATOR.test(line)) {
      flush(i);
      body.push(line.slice(3));
    } else if (END.test(line)) {
      flush(i + 1);
    } else {
      body.push(line);
    }
  }
  flush(lines.length);
  // A syntax error, or YAML the fast parser reads differently: the precise parser decides (and reports file:line).
  return failed ? parseDocuments(text, path) : out;
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * Expands files and directories (recursively, `.yaml`/`.yml`/`.json` only, sorted) into file
 * paths, each file once: a file named beside a directory holding it (`DIR DIR/a.yaml`) would
 * otherwise be read, and its policies evaluated and reported, twice. A missing path is an input
 * error.
 */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    const full = resolve(file);
    if (seen.has(full)) return;
    seen.add(full);
    out.push(file);
  };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw new PalisadeError('INPUT_NOT_FOUND', `${path}: ${errorMessage(err)}`, { cause: err });
    }
    if (info.isDirectory()) for (const file of await walk(path)) add(file);
    else add(path);
  }
  return out;
}

/** Whether a symlink leads to a regular file (symlinked directories are not followed: no loops). */
async function isFileTarget(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    // A ConfigMap or Secret volume holds its files in `..<timestamp>/` behind a `..data` symlink and
    // shows each as a symlink at the top: read them there (once, under a stable path), never the
    // internals, which for a moment hold both the old and the new version during an update.
    if (entry.name.startsWith('..')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (MANIFEST_EXTENSIONS.test(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await isFileTarget(full))))) out.push(full);
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
