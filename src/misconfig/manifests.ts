/**
 * Kubernetes manifests for misconfiguration scanning: every `.yaml`/`.yml`/`.json` document that is
 * a Kubernetes object (has `apiVersion` and `kind`), `List` kinds flattened into their items, each
 * object with a line map from field path to source line, so that a finding names the file:line of
 * the offending field (or of its nearest existing parent when the field is missing).
 *
 * Repositories are full of YAML that is not Kubernetes (CI workflows, compose files, Helm values,
 * OpenAPI specs): it is skipped silently. Only a file that looks like a manifest (mentions both
 * `apiVersion` and `kind`) and does not parse becomes an input issue, with the line of the error.
 * Helm chart templates (`{{ … }}`) are not YAML until rendered; they are skipped, as `helm template`
 * output is what should be scanned.
 *
 * YAML is read the way Kubernetes tools read it (sigs.k8s.io/yaml): YAML 1.1 scalars (`yes`/`on`
 * are booleans), timestamps kept as strings. The block-YAML reader (block-yaml.ts) reads most
 * manifests several times faster than the position-tracking `yaml` parser, which reads the rest
 * (anchors, flow collections, tags…) and reports syntax errors.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { firstLine } from '../core/errors.ts';
import type { InputIssue } from '../core/types.ts';
import { KUBERNETES_YAML_OPTIONS } from '../policy/engine/documents.ts';
import { readBlockYaml, type BlockYamlDocument } from './block-yaml.ts';
import { appendSegment, parseFieldPath, type FieldPath } from './field-path.ts';
import { isRecord } from '../core/json.ts';

export interface Manifest {
  object: Record<string, unknown>;
  /** The file, as the caller named it (root-relative for directory scans). */
  path: string;
  /** 1-based line where the object starts. */
  line: number;
  apiVersion: string;
  kind: string;
  name: string;
  /** `metadata.namespace` as written; undefined when the manifest leaves it to apply time. */
  namespace?: string;
  /** Line of the field at `path`, or of its nearest existing parent (the object's line at worst). */
  lineOf(path: string | FieldPath): number;
}

export interface ManifestFile {
  manifests: Manifest[];
  issues: InputIssue[];
  /** The file is a Go template (Helm chart): skipped, as it is not YAML until rendered. */
  template?: boolean;
}

/** Alias expansion bound: a "billion laughs" document must not exhaust memory. */
const MAX_ALIAS_COUNT = 1000;

/** Cheap test on the text before parsing: both words must appear somewhere. */
export function mentionsKubernetes(text: string): boolean {
  return text.includes('apiVersion') && text.includes('kind');
}

/** Parses one file's text into the Kubernetes objects it holds. */
export function parseManifests(text: string, path: string): ManifestFile {
  const issues: InputIssue[] = [];
  if (!mentionsKubernetes(text)) return { manifests: [], issues };
  if (isHelmTemplate(text, path)) return { manifests: [], issues, template: true };
  if (isOtherJson(text)) return { manifests: [], issues };
  const block = readBlockYaml(text, { fieldLines: true });
  if (block) return { manifests: block.flatMap((doc) => blockYamlManifests(doc, path)), issues };
  const lineCounter = new LineCounter();
  let docs: Document[];
  try {
    const parsed = parseAllDocuments(text, { ...KUBERNETES_YAML_OPTIONS, lineCounter } as Parameters<typeof parseAllDocuments>[1]);
    docs = Array.isArray(parsed) ? (parsed as Document[]) : [];
  } catch (err) {
    issues.push({ path, message: `invalid YAML: ${yamlErrorMessage(err instanceof Error ? err.message : String(err))}` });
    return { manifests: [], issues };
  }
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const manifests: Manifest[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      // A broken document in a file of manifests is worth saying; elsewhere it is someone else's YAML.
      if (looksLikeManifest(text, doc)) issues.push({ path, line: lineAt(error.pos[0]), message: `invalid YAML: ${yamlErrorMessage(error.message)}` });
      continue;
    }
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      issues.push({ path, line: lineAt(doc.contents.range?.[0] ?? 0), message: `invalid YAML: ${yamlErrorMessage(err instanceof Error ? err.message : String(err))}` });
      continue;
    }
    const root = doc.contents as Node;
    if (isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      const itemNodes = isMap(root) ? itemsNode(root) : undefined;
      value.items.forEach((item, i) => {
        const node = itemNodes?.items[i] as Node | undefined;
        const m = node ? toManifest(item, path, node, lineAt) : undefined;
        if (m) manifests.push(m);
      });
    } else {
      const m = toManifest(value, path, root, lineAt);
      if (m) manifests.push(m);
    }
  }
  return { manifests, issues };
}

/** The objects of a document the block-YAML reader read: the document itself, or the items of a `List`. */
function blockYamlManifests(doc: BlockYamlDocument, path: string): Manifest[] {
  const root = doc.value;
  const lines = doc.fieldLines!;
  const list = isRecord(root) && typeof root.kind === 'string' && root.kind.endsWith('List') && Array.isArray(root.items);
  const items = list ? (root.items as unknown[]) : [root];
  const out: Manifest[] = [];
  items.forEach((item, i) => {
    if (!isKubernetesObject(item)) return;
    const prefix = list ? appendSegment('items', i) : '';
    const line = list ? (lines.get(prefix) ?? doc.line) : doc.line;
    out.push(manifestOf(item, path, line, (fieldPath) => lineAtField(lines, prefix, fieldPath, line)));
  });
  return out;
}

/**
 * The line of the field below the canonical path `prefix`, or of its nearest recorded parent; `line`
 * when none is. The parents of a recorded path are recorded too, and only one key of a name (the
 * block reader refuses duplicates, recordFieldLines keeps the last), so the walk down stops at the
 * first missing segment.
 */
function lineAtField(lines: ReadonlyMap<string, number>, prefix: string, fieldPath: string | FieldPath, line: number): number {
  let path = prefix;
  let found = line;
  for (const segment of typeof fieldPath === 'string' ? parseFieldPath(fieldPath) : fieldPath) {
    path = appendSegment(path, segment);
    const at = lines.get(path);
    if (at === undefined) break;
    found = at;
  }
  return found;
}

function itemsNode(root: Node): { items: unknown[] } | undefined {
  if (!isMap(root)) return undefined;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'items');
  return pair && isSeq(pair.value) ? pair.value : undefined;
}

function toManifest(value: unknown, path: string, node: Node, lineAt: (offset: number) => number): Manifest | undefined {
  if (!isKubernetesObject(value)) return undefined;
  const line = lineAt(node.range?.[0] ?? 0);
  const lines = new Map<string, number>();
  recordFieldLines(node, '', line, lineAt, lines);
  return manifestOf(value, path, line, (fieldPath) => lineAtField(lines, '', fieldPath, line));
}

/**
 * The line of every map key (with a scalar key) and sequence item under a `yaml` node, by canonical
 * field path: the map the block-YAML reader records, so that lineAtField serves both readers. An
 * empty item has no node: it is found at its list's line. Of duplicate keys the last one counts, as
 * in the value: entries are walked last first, and a key already recorded is not entered again.
 */
function recordFieldLines(node: unknown, prefix: string, line: number, lineAt: (offset: number) => number, lines: Map<string, number>): void {
  if (isMap(node)) {
    for (let i = node.items.length - 1; i >= 0; i--) {
      const pair = node.items[i];
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const path = appendSegment(prefix, String(pair.key.value));
      if (lines.has(path)) continue;
      const keyLine = lineAt(pair.key.range?.[0] ?? 0);
      lines.set(path, keyLine);
      recordFieldLines(pair.value, path, keyLine, lineAt, lines);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const start = (item as Node | null)?.range?.[0];
      const itemLine = start === undefined ? line : lineAt(start);
      const path = appendSegment(prefix, i);
      lines.set(path, itemLine);
      recordFieldLines(item, path, itemLine, lineAt, lines);
    });
  }
}

/** An object with a non-empty kind and an apiVersion: what Kubernetes would accept as one. */
export function isKubernetesObject(value: unknown): value is Record<string, unknown> & { apiVersion: string; kind: string } {
  return isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string' && value.kind !== '';
}

/** The Manifest of a Kubernetes object: kind, name (or generateName) and namespace read once. */
export function manifestOf(
  value: Record<string, unknown> & { apiVersion: string; kind: string },
  path: string,
  line: number,
  lineOf: Manifest['lineOf'],
): Manifest {
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  return {
    object: value,
    path,
    line,
    apiVersion: value.apiVersion,
    kind: value.kind,
    name: typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? metadata.generateName : '',
    ...(namespace !== undefined && { namespace }),
    lineOf,
  };
}

/**
 * A document with errors still says what it was meant to be: a top-level `apiVersion` or `kind`
 * key in its source text (or in the file's, when the document is too broken to tell).
 */
function looksLikeManifest(text: string, doc: Document): boolean {
  const source = doc.range ? text.slice(doc.range[0], doc.range[2]) : text;
  return /^(apiVersion|kind)\s*:/m.test(source) || /"(apiVersion|kind)"\s*:/.test(source);
}

/**
 * Repositories hold far more JSON (package metadata, schemas, dashboards, test data) than JSON
 * manifests, and the native JSON parser is much faster than the YAML one: a JSON document whose
 * top level is not a Kubernetes object (or List) is skipped before the YAML parse that positions need.
 */
function isOtherJson(text: string): boolean {
  const start = text.trimStart();
  if (!start.startsWith('{') && !start.startsWith('[')) return false;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false; // not JSON after all (a YAML flow mapping, or broken): the YAML parser decides
  }
  return !(isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string');
}

/**
 * Go-templated YAML (Helm chart templates, and the like): `{{` in a file under a `templates/`
 * directory, or template actions at the start of a line (`{{- if … }}`) anywhere.
 */
function isHelmTemplate(text: string, path: string): boolean {
  if (!text.includes('{{')) return false;
  return /(^|\/)templates\//.test(path) || /^\s*\{\{-?\s*(if|range|with|define|include|template|end|else|\/\*)/m.test(text);
}

/** The parser's first message line, without its own position (the issue carries the line). */
function yamlErrorMessage(message: string): string {
  return firstLine(message).replace(/\s+at line \d+, column \d+:?$/, '');
}

/** `Deployment storefront/web`, `ClusterRole admin`: how findings name the object. */
export function describeManifest(m: Pick<Manifest, 'kind' | 'name' | 'namespace'>): string {
  const name = m.namespace ? `${m.namespace}/${m.name}` : m.name;
  return name ? `${m.kind} ${name}` : m.kind;
}
