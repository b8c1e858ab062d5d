/**
 * `mutate.patchStrategicMerge`: Kubernetes strategic merge with Kyverno's anchors.
 *
 * Two steps, as in Kyverno (pkg/engine/mutate/patch):
 *
 * 1. Preprocessing resolves the anchors against the resource. `+(key)` is added only when the
 *    resource lacks `key`. `(key)` (conditional) and `<(key)` (global) must match the resource
 *    (pattern semantics) for the patch around them to apply: in a list of maps, a conditional
 *    element is instantiated once per matching resource element, keyed by its `name`; a failed
 *    global condition cancels the whole patch. Then every anchor is stripped.
 * 2. The merge (kustomize kyaml merge2 semantics): maps merge recursively, `null` deletes, lists of
 *    maps with an associative key (`name`, `mountPath`, `containerPort`…) merge element by element
 *    and append new elements, other lists are replaced, `$patch: delete|replace` directives apply.
 */
import { parseAnchor, type Anchor } from '../pattern/anchors.ts';
import { deepEqual } from './json-patch.ts';
import { isRecord } from '../../core/json.ts';

/** Whether `resource` satisfies a validate-style `pattern` (the pattern module's matchPattern). */
export type PatternTest = (resource: unknown, pattern: unknown) => boolean;

type Json = unknown;
type JsonMap = Record<string, unknown>;

const isConditionAnchor = (a: Anchor | undefined) => a?.type === 'condition';
const isGlobalAnchor = (a: Anchor | undefined) => a?.type === 'global';
const isAddAnchor = (a: Anchor | undefined) => a?.type === 'addIfNotPresent';
/** Kyverno's ContainsCondition: conditional or global. */
const containsCondition = (a: Anchor | undefined) => isConditionAnchor(a) || isGlobalAnchor(a);
const hasAnchor = (a: Anchor | undefined) => containsCondition(a) || isAddAnchor(a);

class ConditionFailed extends Error {
  readonly global: boolean;

  constructor(message: string, global: boolean) {
    super(message);
    this.global = global;
  }
}

/**
 * Applies a strategic merge patch with anchors to `resource` and returns the patched copy (the
 * input is not modified). A failed conditional or global anchor at the top means no change.
 */
export function applyStrategicMerge(resource: Json, patch: Json, matches: PatternTest): Json {
  const prepared = structuredClone(patch);
  try {
    preprocess(prepared, resource, matches);
    deleteConditionElements(prepared);
  } catch (err) {
    if (err instanceof ConditionFailed) return structuredClone(resource);
    throw err;
  }
  return merge(prepared, resource, []);
}

/* ─────────────────────────── anchors ─────────────────────────── */

function preprocess(pattern: Json, resource: Json, matches: PatternTest): void {
  if (isRecord(pattern)) walkMap(pattern, resource, matches);
  else if (Array.isArray(pattern) && pattern.length > 0 && isRecord(pattern[0])) processListOfMaps(pattern, resource, matches);
}

function walkMap(pattern: JsonMap, resource: Json, matches: PatternTest): void {
  handleAddIfNotPresent(pattern, resource);
  validateConditions(pattern, resource, matches);
  for (const key of Object.keys(pattern)) {
    if (hasAnchor(parseAnchor(key))) continue;
    preprocess(pattern[key], isRecord(resource) ? resource[key] : undefined, matches);
  }
}

/** `+(key)`: dropped from the patch when the resource has `key`, else renamed to `key`. Returns how many there were. */
function handleAddIfNotPresent(pattern: Json, resource: Json): number {
  if (!isRecord(pattern)) return 0;
  let count = 0;
  for (const field of Object.keys(pattern)) {
    const a = parseAnchor(field);
    if (!isAddAnchor(a)) continue;
    count++;
    if (isRecord(resource) && Object.hasOwn(resource, a!.key)) delete pattern[field];
    else renameKey(pattern, field, a!.key);
  }
  return count;
}

function validateConditions(pattern: JsonMap, resource: Json, matches: PatternTest): void {
  for (const [test, global] of [[isGlobalAnchor, true], [isConditionAnchor, false]] as const) {
    for (const field of Object.keys(pattern)) {
      const a = parseAnchor(field);
      if (!test(a)) continue;
      if (!isRecord(resource) || !Object.hasOwn(resource, a!.key)) throw new ConditionFailed(`"${a!.key}" not found in the resource`, global);
      const patternValue = pattern[field];
      const resourceValue = resource[a!.key];
      if (handleAddIfNotPresent(patternValue, resourceValue) > 0) continue;
      if (!conditionHolds(patternValue, resourceValue, matches)) throw new ConditionFailed(`condition ${field} not met`, global);
    }
  }
}

/** Kyverno compares scalar conditions on their YAML text, so `"true"` matches `true`. */
function conditionHolds(pattern: Json, resource: Json, matches: PatternTest): boolean {
  const scalar = (v: unknown) => v !== null && typeof v !== 'object';
  if (scalar(pattern) && scalar(resource)) return matches(String(resource), String(pattern));
  return matches(resource, pattern);
}

function processListOfMaps(pattern: Json[], resource: Json, matches: PatternTest): void {
  const resourceElements = Array.isArray(resource) ? resource : [];
  for (const element of [...pattern]) {
    if (!hasAnchors(element, hasAnchor)) continue;
    const hasGlobal = hasAnchors(element, isGlobalAnchor);
    let anyGlobalPassed = false;
    let lastGlobalError: ConditionFailed | undefined;
    // Kyverno reuses one copy for every resource element: +() anchors resolved against an earlier element stay resolved.
    const copy = structuredClone(element);
    for (const resourceElement of resourceElements) {
      try {
        preprocess(copy, resourceElement, matches);
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
        if (err.global) lastGlobalError = err;
        continue;
      }
      if (hasGlobal) anyGlobalPassed = true;
      else instantiateForElement(pattern, copy, resourceElement);
    }
    if (resource === undefined || resource === null) {
      try {
        preprocess(copy, undefined, matches);
        if (hasGlobal) anyGlobalPassed = true;
      } catch (err) {
        if (!(err instanceof ConditionFailed) || err.global) throw err;
      }
    }
    if (!anyGlobalPassed && lastGlobalError) throw lastGlobalError;
  }
}

/** A conditional list element that matched a resource element becomes a patch element for it, keyed by name. */
function instantiateForElement(pattern: Json[], element: Json, resourceElement: Json): void {
  if (!isRecord(resourceElement)) return;
  const name = resourceElement.name;
  if (name === undefined || name === null || name === '') return;
  const instance = structuredClone(element);
  if (deleteAnchors(instance, true)) return;
  (instance as JsonMap).name = name;
  pattern.push(instance);
}

function hasAnchors(node: Json, test: (a: Anchor | undefined) => boolean): boolean {
  if (isRecord(node)) return Object.entries(node).some(([k, v]) => test(parseAnchor(k)) || (v !== null && v !== undefined && hasAnchors(v, test)));
  if (Array.isArray(node)) return node.some((e) => hasAnchors(e, test));
  return typeof node === 'string' && containsCondition(parseAnchor(node));
}

function deleteConditionElements(pattern: Json): void {
  if (!isRecord(pattern)) return;
  for (const field of Object.keys(pattern)) {
    if (deleteAnchors(pattern[field], containsCondition(parseAnchor(field)))) delete pattern[field];
  }
}

/**
 * Removes conditional/global anchors (and the elements built around them); true when nothing but
 * anchors was left, so the caller drops the node instead of patching with an empty value.
 */
function deleteAnchors(node: Json, deleteScalar: boolean): boolean {
  if (isRecord(node)) return deleteAnchorsInMap(node);
  if (Array.isArray(node)) return deleteAnchorsInList(node);
  return deleteScalar;
}

function deleteAnchorsInMap(node: JsonMap): boolean {
  let anchorsRemain = false;
  for (const field of Object.keys(node)) {
    if (!containsCondition(parseAnchor(field))) continue;
    if (deleteAnchors(node[field], true)) delete node[field];
    else anchorsRemain = true;
  }
  if (anchorsRemain) {
    for (const field of Object.keys(node)) {
      const a = parseAnchor(field);
      if (containsCondition(a)) renameKey(node, field, a!.key);
    }
  }
  let needToDelete = true;
  for (const field of Object.keys(node)) {
    if (deleteAnchors(node[field], false)) delete node[field];
    else needToDelete = false;
  }
  return needToDelete;
}

function deleteAnchorsInList(node: Json[]): boolean {
  const wasEmpty = node.length === 0;
  const kept = node.filter((element) => !(hasAnchors(element, hasAnchor) || deleteAnchors(element, false)));
  node.splice(0, node.length, ...kept);
  return node.length === 0 && !wasEmpty;
}

function renameKey(map: JsonMap, from: string, to: string): void {
  if (from === to) return;
  const entries = Object.entries(map).map(([k, v]) => [k === from ? to : k, v] as const);
  for (const k of Object.keys(map)) delete map[k];
  for (const [k, v] of entries) map[k] = v;
}

/* ─────────────────────────── merge ─────────────────────────── */

/** kyaml's associative keys, in its order of preference. */
const ASSOCIATIVE_KEYS = ['mountPath', 'devicePath', 'ip', 'type', 'topologyKey', 'name', 'containerPort'];
/** Merge keys Kubernetes' schema sets where the heuristic would pick another field. */
const SCHEMA_MERGE_KEYS: Record<string, string> = { ports: 'containerPort' };

const DELETE = Symbol('delete');

function merge(patch: Json, dest: Json, path: string[]): Json {
  const result = mergeValue(patch, dest, path);
  return result === DELETE ? {} : result;
}

function mergeValue(patch: Json, dest: Json, path: string[]): Json | typeof DELETE {
  if (patch === null) return DELETE;
  if (isRecord(patch)) {
    const directive = patch.$patch;
    if (directive === 'delete') return DELETE;
    if (directive === 'replace') return clean(withoutDirective(patch));
    if (!isRecord(dest)) return clean(patch);
    const out: JsonMap = { ...dest };
    for (const [key, value] of Object.entries(patch)) {
      if (key === '$patch') continue;
      const merged = mergeValue(value, dest[key], [...path, key]);
      if (merged === DELETE) delete out[key];
      else out[key] = merged;
    }
    return out;
  }
  if (Array.isArray(patch)) {
    if (!Array.isArray(dest)) return cleanList(patch);
    const key = associativeKey(patch, dest, path);
    return key ? mergeList(patch, dest, key, path) : cleanList(patch);
  }
  return patch;
}

function associativeKey(patch: Json[], dest: Json[], path: string[]): string | undefined {
  const first = [dest[0], patch[0]].find(isRecord);
  if (!first) return undefined;
  const field = path[path.length - 1] ?? '';
  const schemaKey = SCHEMA_MERGE_KEYS[field];
  if (schemaKey && [...patch, ...dest].every((e) => isRecord(e) && Object.hasOwn(e, schemaKey))) return schemaKey;
  return ASSOCIATIVE_KEYS.find((k) => Object.hasOwn(first, k));
}

/** Elements with the same key value merge in place; new ones are appended in patch order. */
function mergeList(patch: Json[], dest: Json[], key: string, path: string[]): Json[] {
  const out = [...dest];
  for (const element of patch) {
    if (!isRecord(element) || element[key] === undefined || element[key] === null) continue;
    const idx = out.findIndex((d) => isRecord(d) && deepEqual(d[key], element[key]));
    const merged = mergeValue(element, idx === -1 ? undefined : out[idx], path);
    if (merged === DELETE) {
      if (idx !== -1) out.splice(idx, 1);
    } else if (idx === -1) out.push(merged);
    else out[idx] = merged;
  }
  return out;
}

function withoutDirective(map: JsonMap): JsonMap {
  const { $patch: _directive, ...rest } = map;
  return rest;
}

/** A patch subtree added where the resource had nothing: nulls and directives disappear. */
function clean(value: Json): Json {
  if (isRecord(value)) {
    const out: JsonMap = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || k === '$patch') continue;
      out[k] = clean(v);
    }
    return out;
  }
  if (Array.isArray(value)) return cleanList(value);
  return value;
}

function cleanList(list: Json[]): Json[] {
  return list.filter((e) => !(isRecord(e) && e.$patch === 'delete')).map(clean);
}
