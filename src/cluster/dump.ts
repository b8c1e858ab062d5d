/**
 * Offline input: a directory (or one file) of YAML/JSON as `kubectl get … -o yaml|json` writes it —
 * `List` documents, multi-document YAML, single objects. Objects keep their file:line so findings
 * point into the dump.
 *
 * A large cluster's dump is tens of megabytes, which a position-tracking YAML parser takes many
 * seconds over. JSON (`-o json`) is read with JSON.parse; YAML files over 64 KiB with the
 * block-YAML reader (misconfig/block-yaml.ts), which reads kubectl's output several times faster
 * than a general parser, and with js-yaml when it cannot; smaller YAML files as manifests
 * (misconfig/manifests.ts: the same reader first, then the position-tracking parser). Objects of
 * files over 64 KiB point at the line where each starts; smaller YAML files keep a line per field.
 *
 * Coverage: a dump cannot say that a list was empty, only that it holds objects. A resource counts
 * as read when the dump holds an object of its kind, or a file named after it (`networkpolicies.yaml`,
 * `networkpolicies.networking.k8s.io.json`) — which is what `kubectl get networkpolicies -A -o yaml >
 * networkpolicies.yaml` leaves even when the list is empty. Anything else is `absent`, and what
 * depends on it is reported incomplete.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { readTextFiles } from '../core/fs.ts';
import type { InputIssue } from '../core/types.ts';
import { isRecord } from '../core/json.ts';
import { readBlockYaml } from '../misconfig/block-yaml.ts';
import { isKubernetesObject, manifestOf, mentionsKubernetes, parseManifests, type Manifest } from '../misconfig/manifests.ts';
import { parsePlainDocuments } from '../policy/engine/documents.ts';
import { walk } from '../sbom/catalog/walk.ts';
import { RESOURCE_BY_KIND, RESOURCES, type ResourceName } from './resources.ts';
import { DEFAULT_NAMESPACE, redactObject, type ListCoverage, type Snapshot } from './snapshot.ts';

export interface DumpOptions {
  /** Files larger than this are skipped with an issue (default 256 MiB: a big cluster's pods list). */
  maxFileBytes?: number;
}

const DUMP_FILE = /\.(ya?ml|json)$/i;
const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
const LARGE_YAML_BYTES = 64 * 1024;

export async function loadDump(path: string, options: DumpOptions = {}): Promise<Snapshot> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the dump ${path}: ${errorMessage(err)}`, { cause: err });
  }
  const issues: InputIssue[] = [];
  let files: { rel: string; abs: string }[];
  if (info.isDirectory()) {
    const listed = await walk(path, { wants: (p) => DUMP_FILE.test(p), skipDirs: [] });
    issues.push(...listed.issues);
    files = listed.files.sort().map((rel) => ({ rel, abs: join(path, rel) }));
  } else {
    files = [{ rel: path, abs: path }];
  }
  const texts = (await readTextFiles(files.map((f) => ({ path: f.rel, absolute: f.abs })), options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, issues)).map((t) => ({ rel: t.path, text: t.text }));
  const manifests: Manifest[] = [];
  for (const { rel, text } of texts) {
    const fast = looksLikeJson(text) ? jsonManifests(text, rel) : text.length > LARGE_YAML_BYTES ? (blockYamlManifests(text, rel) ?? largeYamlManifests(text, rel)) : undefined;
    if (fast) {
      manifests.push(...fast);
      continue;
    }
    const parsed = parseManifests(text, rel);
    issues.push(...parsed.issues);
    if (parsed.template) issues.push({ path: rel, message: 'Go template (Helm chart?): skipped, audit the rendered output' });
    manifests.push(...parsed.manifests);
  }
  return snapshotOfDump(path, files.map((f) => f.rel), manifests, issues);
}

/** Builds the snapshot from parsed objects: known kinds kept (namespace defaulted, secrets redacted), duplicates dropped. */
export function snapshotOfDump(path: string, files: readonly string[], manifests: readonly Manifest[], issues: InputIssue[] = []): Snapshot {
  const objects: Manifest[] = [];
  const unknownKinds = new Map<string, number>();
  const seen = new Set<string>();
  const counts = new Map<ResourceName, number>();
  let defaulted = 0;
  for (const m of manifests) {
    const spec = RESOURCE_BY_KIND.get(m.kind);
    if (!spec) {
      unknownKinds.set(m.kind, (unknownKinds.get(m.kind) ?? 0) + 1);
      continue;
    }
    let object = m;
    if (spec.namespaced && m.namespace === undefined) {
      object = { ...m, namespace: DEFAULT_NAMESPACE };
      defaulted++;
    } else if (!spec.namespaced && m.namespace !== undefined) {
      // A cluster-scoped object ignores metadata.namespace, as the API server does.
      const { namespace: _ignored, ...rest } = m;
      object = rest;
    }
    const key = `${m.kind}/${object.namespace ?? ''}/${m.name}`;
    if (seen.has(key)) {
      issues.push({ path: m.path, line: m.line, message: `${m.kind} ${object.namespace ? `${object.namespace}/` : ''}${m.name} appears twice in the dump: the first one is audited` });
      continue;
    }
    seen.add(key);
    if (m.kind === 'Secret') object = { ...object, object: redactObject('Secret', m.object, false) };
    objects.push(object);
    counts.set(spec.resource, (counts.get(spec.resource) ?? 0) + 1);
  }
  if (defaulted > 0) {
    issues.push({ path, message: `${defaulted} namespaced object${defaulted === 1 ? '' : 's'} name${defaulted === 1 ? 's' : ''} no namespace: taken to be in "${DEFAULT_NAMESPACE}", where the API server would put ${defaulted === 1 ? 'it' : 'them'}` });
  }
  const named = new Set(files.map(resourceNamedByFile).filter((r): r is ResourceName => r !== undefined));
  const coverage = new Map<ResourceName, ListCoverage>();
  for (const r of RESOURCES) {
    const count = counts.get(r.resource) ?? 0;
    if (count > 0 || named.has(r.resource)) coverage.set(r.resource, { resource: r.resource, status: 'ok', count });
    else coverage.set(r.resource, { resource: r.resource, status: 'absent', count: 0, message: `no ${r.kind} in the dump and no ${r.resource}.yaml/.json file` });
  }
  return { source: { kind: 'dump', path, files: files.length }, objects, coverage, unknownKinds, issues };
}

/** The first character that is not whitespace opens a JSON object or array (a character loop: a regex over a megabytes-long file costs milliseconds). */
function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff) continue;
    return c === 0x7b /* { */ || c === 0x5b /* [ */;
  }
  return false;
}

/**
 * The objects of a JSON document (an object, a `List`, or an array of them), or undefined when it is
 * not valid JSON (the YAML reader then reports where it breaks).
 */
function jsonManifests(text: string, path: string): Manifest[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const roots = Array.isArray(value) ? value : [value];
  const out: Manifest[] = [];
  const starts = itemStartLines(text);
  let index = 0;
  for (const root of roots) {
    if (!isRecord(root)) continue;
    const items = typeof root.kind === 'string' && root.kind.endsWith('List') && Array.isArray(root.items) ? root.items : [root];
    for (const item of items) {
      const line = roots.length === 1 && items.length === 1 && items[0] === root ? 1 : (starts?.[index] ?? 0);
      index++;
      const m = plainManifest(item, path, line);
      if (m) out.push(m);
    }
  }
  return out;
}

/**
 * The objects of a large YAML file the block-YAML reader can read, each pointing at its first line
 * (the line of its `- ` in a List), or undefined for js-yaml.
 */
function blockYamlManifests(text: string, path: string): Manifest[] | undefined {
  const docs = readBlockYaml(text);
  if (!docs) return undefined;
  const out: Manifest[] = [];
  for (const doc of docs) {
    const root = doc.value;
    const list = isRecord(root) && typeof root.kind === 'string' && root.kind.endsWith('List') && Array.isArray(root.items);
    const items = list ? (root.items as unknown[]) : [root];
    items.forEach((item, i) => {
      const line = list && docs.length === 1 ? (doc.itemLines?.[i] ?? doc.line) : doc.line;
      const m = plainManifest(item, path, line);
      if (m) out.push(m);
    });
  }
  return out;
}

/**
 * A large YAML file through js-yaml. List items get the line of their `- ` when the file holds one
 * List (kubectl's output), else the line their document starts on. Undefined when js-yaml cannot
 * read it: the precise parser then reports where it breaks.
 */
function largeYamlManifests(text: string, path: string): Manifest[] | undefined {
  const docs = parsePlainDocuments(text, path);
  if (docs.length === 0 && mentionsKubernetes(text)) return undefined;
  const single = docs.length === 1 ? yamlItemStartLines(text) : undefined;
  const out: Manifest[] = [];
  for (const doc of docs) {
    const root = doc.value;
    if (!isRecord(root)) continue;
    const list = typeof root.kind === 'string' && root.kind.endsWith('List') && Array.isArray(root.items);
    const items = list ? (root.items as unknown[]) : [root];
    items.forEach((item, i) => {
      const line = list ? (single && single.length === items.length ? single[i]! : doc.line) : doc.line;
      const m = plainManifest(item, path, line);
      if (m) out.push(m);
    });
  }
  return out;
}

/** Lines of the `- ` that start each item of a top-level `items:` sequence (block style). */
function yamlItemStartLines(text: string): number[] | undefined {
  const m = /^items:[ \t]*\r?\n(?:[ \t]*(?:#.*)?\r?\n)*( *)- /m.exec(text);
  if (!m) return undefined;
  // The first item's dash is the last line of the match.
  return markerLines(text, m.index + m[0].length - m[1]!.length - 3, `\n${m[1]!}- `);
}

/** Lines where the items of a pretty-printed `"items": [` array start, when they can be told apart. */
function itemStartLines(text: string): number[] | undefined {
  const at = text.indexOf('"items": [');
  if (at === -1) return undefined;
  const after = /\n( *)\{/y;
  after.lastIndex = text.indexOf('\n', at);
  const first = after.exec(text);
  if (!first) return undefined;
  const marker = `\n${first[1]!}{`;
  // Only a `{` that ends its line opens an item, as JSON.stringify and kubectl indent them.
  const opensItem = (i: number) => text.charCodeAt(i + marker.length) === 10 || text.charCodeAt(i + marker.length) === 13;
  return markerLines(text, text.indexOf(marker, at), marker, opensItem);
}

/**
 * The 1-based lines that `marker` (a newline, then the first item's indentation and opener) starts,
 * from offset `from` (one of them) on, those `accept` takes: newlines are counted once, up to each.
 */
function markerLines(text: string, from: number, marker: string, accept?: (at: number) => boolean): number[] {
  const lines: number[] = [];
  let line = 1;
  let counted = 0;
  for (let i = from; i !== -1; i = text.indexOf(marker, i + 1)) {
    if (accept && !accept(i)) continue;
    for (let nl = text.indexOf('\n', counted); nl !== -1 && nl <= i; nl = text.indexOf('\n', nl + 1)) {
      line++;
      counted = nl + 1;
    }
    lines.push(line);
  }
  return lines;
}

function plainManifest(value: unknown, path: string, line: number): Manifest | undefined {
  return isKubernetesObject(value) ? manifestOf(value, path, line, () => line) : undefined;
}

/** `networkpolicies.yaml`, `networkpolicies.networking.k8s.io.json`, `rbac/roles.yml` → the resource. */
function resourceNamedByFile(path: string): ResourceName | undefined {
  const stem = basename(path).replace(DUMP_FILE, '').toLowerCase();
  for (const r of RESOURCES) {
    if (stem === r.resource || (r.group !== '' && stem === `${r.resource}.${r.group}`)) return r.resource;
  }
  return undefined;
}

