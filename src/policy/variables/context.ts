/**
 * The JSON context a Kyverno rule is evaluated against (pkg/engine/context) and the loading of a
 * rule's `context:` entries (pkg/engine/context/loaders), for the offline CLI.
 *
 * - JsonContext holds the data; additions are JSON merges like Kyverno's merge patches (objects
 *   merge key by key, everything else is replaced, null is kept as null). checkpoint()/restore()
 *   bracket a rule (and reset() each foreach element) so nothing leaks into the next one.
 * - Context entries load lazily, as with Kyverno's deferred loading: an entry is loaded the first
 *   time a query mentions its name, and only entries declared before it may load while it loads.
 *   An entry that fails to load stays unloaded; a query that then needs it fails with the load
 *   error attached.
 * - newPolicyContext() builds `request` (object/oldObject, operation, userInfo, roles,
 *   clusterRoles, namespace, and admission fields when known), `serviceAccountName`,
 *   `serviceAccountNamespace` and `images`, in Kyverno's order.
 * - Values files (`kind: Values`, cli.kyverno.io/v1alpha1) supply global, per-resource and
 *   per-rule values; cluster data for configMap/apiCall/imageRegistry/globalReference entries
 *   comes from an ExternalData provider. Without one such entries are not loaded (the Kyverno CLI
 *   does the same) and a query that needs them explains which value is missing.
 */

import { ParseError } from '../../core/errors.ts';
import { RuleError } from '../types.ts';
import { goJson } from './gojson.ts';
import { extractImages, ImageReferenceError, type ImageExtractorConfig } from './image.ts';
import { JmesPathError, jpSearch } from './jmespath.ts';
import { substituteAll } from './substitute.ts';
import { isRecord, nestValue } from '../../core/json.ts';

type JsonObject = Record<string, unknown>;

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/** Deeper than this, a value is copied as JSON (which also rejects cycles). */
const MAX_SHARED_DEPTH = 1000;

/**
 * `value` itself when it is JSON data already (plain objects and arrays of strings, finite
 * numbers, booleans and null: what parsers give), else its JSON copy, which is what Kyverno's
 * context holds after marshalling. The context never changes what it holds, so JSON data is
 * shared rather than copied; the caller must not change it afterwards either.
 */
function asJson<T>(value: T): T {
  return isJsonData(value, 0) ? value : clone(value);
}

function isJsonData(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_SHARED_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isJsonData(value[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) if (!isJsonData((value as JsonObject)[key], depth + 1)) return false;
  return true;
}

/**
 * `target` with `patch` merged in: objects recursively, other values replace. `target` is not
 * changed: the objects along the patched paths are copied, everything else is shared.
 */
function mergedWith(target: JsonObject, patch: JsonObject, copy: <T>(value: T) => T = asJson): JsonObject {
  const out = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isRecord(value) && isRecord(current) ? mergedWith(current, value, copy) : copy(value);
  }
  return out;
}

/** For values read from the context itself: they are its own JSON data already. */
const own = <T>(value: T): T => value;

interface Deferred {
  readonly name: string;
  readonly matcher: RegExp;
  readonly load: () => void;
  state: 'pending' | 'loaded' | 'failed';
  error?: string;
}

interface Snapshot {
  data: JsonObject;
  deferred: Deferred[];
  unavailable: Map<string, string>;
}

/** Functions whose result changes from call to call: queries calling them are never memoized. */
const NOT_REPEATABLE = /\b(?:random|time_now|time_now_utc|time_since)\s*\(/;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The data is never changed in place: every write copies the objects along its path and shares the
 * rest. So a checkpoint is a reference to the data, and queries hand out the context's own values
 * without copying them (callers must treat query results as read-only). Values written in are kept
 * as they are when they are JSON data (see asJson), else copied as JSON.
 */
export class JsonContext {
  private data: JsonObject;
  private deferred: Deferred[] = [];
  /** Context entries that cannot be loaded offline, with the reason. */
  private unavailable = new Map<string, string>();
  private readonly checkpoints: Snapshot[] = [];
  /** While an entry loads, only entries declared before it may load (Kyverno's deferred levels). */
  private loadLimit = Number.POSITIVE_INFINITY;

  /**
   * Outcomes of queries per version of the data: policies evaluated against one resource ask the
   * same questions (`request.operation`, the containers of every kind) again and again.
   */
  private outcomes: WeakMap<JsonObject, Map<string, { value: unknown } | { error: unknown }>> | undefined;

  constructor(initial: JsonObject = {}) {
    this.data = asJson(initial);
  }

  /** Kyverno's AddVariable: `key` is split on dots (`request.object.metadata.name`) and merged. */
  add(key: string, value: unknown): void {
    // A split key has at least one segment: the value is nested in an object.
    this.data = mergedWith(this.data, nestValue(key.split('.'), value) as JsonObject);
  }

  /** Merges `value` under the single top-level key `name` (AddContextEntry). */
  addEntry(name: string, value: unknown): void {
    this.data = mergedWith(this.data, { [name]: value });
  }

  /** Replaces the top-level key `name` (ReplaceContextEntry). */
  replace(name: string, value: unknown): void {
    this.data = { ...this.data, [name]: asJson(value) };
  }

  /**
   * addEntry for a value read from this context (a query result, or built from query results
   * without changing them): it is the context's own data already, so it is stored without a copy.
   * Foreach elements are set this way, once per element.
   */
  addOwnEntry(name: string, value: unknown): void {
    this.data = mergedWith(this.data, { [name]: value }, own);
  }

  /** replace for a value read from this context (see addOwnEntry). */
  replaceWithOwn(name: string, value: unknown): void {
    this.data = { ...this.data, [name]: value };
  }

  /** Registers a loader that runs the first time a query mentions `name`. */
  addDeferred(name: string, load: () => void): void {
    // Word boundaries as Kyverno matches them: `x` matches `x.y` and `"x"` but not `y.x`.
    const matcher = new RegExp(`(?:^|$|\\s|[^.0-9A-Za-z_])${escapeRegExp(name)}(?![0-9A-Za-z_])`);
    this.deferred.push({ name, matcher, load, state: 'pending' });
  }

  /** Records that the context entry `name` cannot be loaded, for error messages. */
  markUnavailable(name: string, reason: string): void {
    this.unavailable.set(name, reason);
  }

  /**
   * Evaluates a JMESPath expression; errors are RuleErrors (JmesPathError for query failures).
   * Objects and arrays in the result may be the context's own: read-only for the caller.
   */
  query(expression: string): unknown {
    const query = expression.trim();
    if (query === '') throw new JmesPathError('JMESPATH', 'invalid query (nil)', expression, 'invalid query (nil)');
    this.loadMatching(query);
    // Without context entries a query's outcome depends on the data alone (and the data on its identity).
    const memo = this.deferred.length === 0 && this.unavailable.size === 0 && !NOT_REPEATABLE.test(query) ? this.memoFor(this.data) : undefined;
    const known = memo?.get(query);
    if (known) {
      if ('error' in known) throw known.error;
      return known.value;
    }
    try {
      const value = jpSearch(query, this.data);
      memo?.set(query, { value });
      return value;
    } catch (e) {
      const error = e instanceof JmesPathError && e.unknownKey !== undefined ? this.explainMissing(e) : e;
      memo?.set(query, { error });
      throw error;
    }
  }

  private memoFor(data: JsonObject): Map<string, { value: unknown } | { error: unknown }> {
    this.outcomes ??= new WeakMap();
    let memo = this.outcomes.get(data);
    if (!memo) this.outcomes.set(data, (memo = new Map()));
    return memo;
  }

  private loadMatching(query: string): void {
    const tried = new Set<Deferred>();
    for (;;) {
      const index = this.deferred.findIndex((d, i) => i < this.loadLimit && d.state !== 'loaded' && !tried.has(d) && d.matcher.test(query));
      if (index < 0) return;
      const entry = this.deferred[index] as Deferred;
      tried.add(entry);
      const previousLimit = this.loadLimit;
      this.loadLimit = index;
      try {
        entry.load();
        entry.state = 'loaded';
        entry.error = undefined;
      } catch (e) {
        entry.state = 'failed';
        entry.error = (e as Error).message;
      } finally {
        this.loadLimit = previousLimit;
      }
    }
  }

  /** Adds why a missing key is missing when it names a context entry that did not load. */
  private explainMissing(e: JmesPathError): JmesPathError {
    const key = e.unknownKey as string;
    const failed = [...this.deferred].reverse().find((d) => d.name === key && d.state === 'failed');
    const reason = failed?.error ?? this.unavailable.get(key);
    if (reason === undefined) return e;
    const detail = `${e.detail} (context entry "${key}": ${reason})`;
    return new JmesPathError('VARIABLE', `JMESPath query "${e.expression}" failed: ${detail}`, e.expression, detail, key);
  }

  /** Saves the current state; restore() returns to it. */
  checkpoint(): void {
    this.checkpoints.push(this.snapshot());
  }

  /** Returns to the last checkpoint and drops it. */
  restore(): void {
    const last = this.checkpoints.pop();
    if (last) this.apply(last);
  }

  /** Returns to the last checkpoint and keeps it (foreach elements). */
  reset(): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last) this.apply(last);
  }

  /** A copy of the data, for reports and tests. */
  toJSON(): JsonObject {
    return clone(this.data);
  }

  private snapshot(): Snapshot {
    return { data: this.data, deferred: this.deferred.map((d) => ({ ...d })), unavailable: new Map(this.unavailable) };
  }

  private apply(s: Snapshot): void {
    this.data = s.data;
    this.deferred = s.deferred.map((d) => ({ ...d }));
    this.unavailable = new Map(s.unavailable);
  }
}

// ---------------------------------------------------------------------------------------------
// The request

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** What is known about the admission request; fields left out are left out of `request`. */
export interface RequestInput {
  /** The resource; for DELETE it is stored as request.oldObject unless oldObject is given. */
  object?: JsonObject;
  oldObject?: JsonObject;
  /** Default CREATE. */
  operation?: Operation;
  userInfo?: UserInfo;
  roles?: string[];
  clusterRoles?: string[];
  /** Default: the resource's metadata.namespace, else ''. */
  namespace?: string;
  name?: string;
  uid?: string;
  kind?: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  dryRun?: boolean;
  options?: JsonObject;
  /** A rule's imageExtractors, by kind, for custom resources. */
  imageExtractors?: Readonly<Record<string, readonly ImageExtractorConfig[]>>;
}

/** serviceAccountName/serviceAccountNamespace from `system:serviceaccount:<ns>:<name>`. */
export function serviceAccountOf(username: string): { name: string; namespace: string } {
  const prefix = 'system:serviceaccount:';
  const rest = username.length <= prefix.length ? '' : username.slice(prefix.length);
  const parts = rest.split(':');
  return parts.length >= 2 ? { name: parts[1] as string, namespace: parts[0] as string } : { name: '', namespace: '' };
}

const compactUserInfo = (u: UserInfo | undefined): JsonObject => {
  const out: JsonObject = {};
  if (u?.username) out.username = u.username;
  if (u?.uid) out.uid = u.uid;
  if (u?.groups?.length) out.groups = u.groups;
  if (u?.extra && Object.keys(u.extra).length > 0) out.extra = u.extra;
  return out;
};

/**
 * The context of one admission request (Kyverno's NewPolicyContext): request.object (or
 * oldObject for DELETE), request.namespace, images, roles, clusterRoles, userInfo,
 * serviceAccountName, serviceAccountNamespace, request.operation, plus the admission fields
 * given. An image that is not a valid reference is a RuleError('INVALID').
 */
export function newPolicyContext(input: RequestInput): JsonContext {
  const ctx = new JsonContext();
  const operation = input.operation ?? 'CREATE';
  const resource = input.object ?? input.oldObject ?? {};
  if (operation === 'DELETE') ctx.add('request.oldObject', input.oldObject ?? input.object ?? null);
  else {
    if (input.object) ctx.add('request.object', input.object);
    if (input.oldObject) ctx.add('request.oldObject', input.oldObject);
  }
  const metadata = isRecord(resource.metadata) ? resource.metadata : {};
  ctx.add('request.namespace', input.namespace ?? (typeof metadata.namespace === 'string' ? metadata.namespace : ''));
  let images;
  try {
    images = extractImages(resource, input.imageExtractors, (jmesPath, value) => jpSearch(jmesPath, value));
  } catch (e) {
    if (e instanceof ImageReferenceError) throw new RuleError('INVALID', e.message);
    throw e;
  }
  if (Object.keys(images).length > 0) ctx.replace('images', images);
  const request: JsonObject = {};
  if (input.roles?.length) request.roles = input.roles;
  if (input.clusterRoles?.length) request.clusterRoles = input.clusterRoles;
  request.userInfo = compactUserInfo(input.userInfo);
  for (const key of ['name', 'uid', 'kind', 'resource', 'subResource', 'dryRun', 'options'] as const) {
    if (input[key] !== undefined) request[key] = input[key];
  }
  ctx.add('request', request);
  const sa = serviceAccountOf(input.userInfo?.username ?? '');
  ctx.replace('serviceAccountName', sa.name);
  ctx.replace('serviceAccountNamespace', sa.namespace);
  ctx.add('request.operation', operation);
  return ctx;
}

/**
 * A foreach element: `element`, `elementIndex` and the nesting-level copies `element<n>`,
 * `elementIndex<n>` (0 for the outermost loop). Like Kyverno this merges (an object element
 * keeps keys of what `element` held before), so call ctx.reset() before each element. The element
 * is a value of the foreach list, read from this context, so it is stored without a copy.
 */
export function addElement(ctx: JsonContext, element: unknown, index: number, nesting = 0): void {
  ctx.addOwnEntry('element', element);
  ctx.addOwnEntry(`element${nesting}`, element);
  ctx.addEntry('elementIndex', index);
  ctx.addEntry(`elementIndex${nesting}`, index);
}

// ---------------------------------------------------------------------------------------------
// Context entries

export interface ContextEntry {
  name: string;
  variable?: { value?: unknown; jmesPath?: string; default?: unknown };
  configMap?: { name: string; namespace?: string };
  apiCall?: {
    urlPath?: string;
    method?: string;
    data?: { key: string; value: unknown }[];
    service?: { url: string; caBundle?: string; headers?: { key: string; value: string }[] };
    jmesPath?: string;
    default?: unknown;
  };
  imageRegistry?: { reference: string; jmesPath?: string; imageRegistryCredentials?: unknown };
  globalReference?: { name: string; jmesPath?: string };
}

export interface ApiCallRequest {
  method: string;
  urlPath?: string;
  data?: JsonObject;
  serviceUrl?: string;
}

/**
 * Cluster and registry data for context entries. A missing method means the data source is not
 * available at all (the entry is not loaded); `undefined` from a method means "not found".
 */
export interface ExternalData {
  configMap?(namespace: string, name: string): JsonObject | undefined;
  apiCall?(request: ApiCallRequest): unknown;
  /** The image data Kyverno fetches (image, resolvedImage, registry, repository, identifier, manifest, configData…). */
  imageData?(reference: string): JsonObject | undefined;
  globalContext?(name: string): unknown;
}

export interface LoadContextOptions {
  external?: ExternalData;
  /** The rule's values from a values file (policies[].rules[].values), added before the entries. */
  ruleValues?: Readonly<Record<string, unknown>>;
  /** policies[].rules[].foreachValues: each key gets the value at `foreachIndex`. */
  foreachValues?: Readonly<Record<string, readonly unknown[]>>;
  foreachIndex?: number;
  /** Rule name for error messages. */
  rule?: string;
}

const SOURCES = ['variable', 'configMap', 'apiCall', 'imageRegistry', 'globalReference'] as const;

/**
 * Adds a rule's values and registers its context entries on `ctx` (call ctx.checkpoint() first).
 * Entries load when first used; an entry without exactly one source is a RuleError('INVALID').
 */
export function loadContext(ctx: JsonContext, entries: readonly ContextEntry[], options: LoadContextOptions = {}): void {
  for (const [key, value] of Object.entries(options.ruleValues ?? {})) ctx.add(key, value);
  if (options.foreachIndex !== undefined) {
    for (const [key, list] of Object.entries(options.foreachValues ?? {})) ctx.add(key, list[options.foreachIndex] ?? null);
  }
  for (const entry of entries) {
    const sources = SOURCES.filter((s) => entry[s] !== undefined && entry[s] !== null);
    if (sources.length !== 1) {
      throw new RuleError('INVALID', `missing ConfigMap|APICall|ImageRegistry|Variable|GlobalReference in context entry ${entry.name}`);
    }
    const loader = entryLoader(ctx, entry, sources[0] as (typeof SOURCES)[number], options);
    if (loader) ctx.addDeferred(entry.name, loader);
  }
}

const OFFLINE_REASONS: Readonly<Record<string, string>> = {
  configMap: 'configMap entries need cluster data; give the value in the values file (policies[].rules[].values) or as cluster resources',
  apiCall: 'apiCall entries need cluster data; give the value in the values file (policies[].rules[].values) or as cluster resources',
  imageRegistry: 'imageRegistry entries need registry access; give the value in the values file (policies[].rules[].values)',
  globalReference: 'globalReference entries need global context data; give the value in the values file or as global context entries',
};

function entryLoader(ctx: JsonContext, entry: ContextEntry, source: (typeof SOURCES)[number], options: LoadContextOptions): (() => void) | undefined {
  const external = options.external;
  const available =
    source === 'variable' ||
    (source === 'configMap' && external?.configMap) ||
    (source === 'apiCall' && external?.apiCall) ||
    (source === 'imageRegistry' && external?.imageData) ||
    (source === 'globalReference' && external?.globalContext);
  if (!available) {
    ctx.markUnavailable(entry.name, OFFLINE_REASONS[source] as string);
    return undefined;
  }
  const sub = (value: unknown, what: string): unknown => {
    try {
      return substituteAll(ctx, value, { rule: options.rule });
    } catch (e) {
      throw new RuleError('VARIABLE', `failed to substitute variables in context entry ${entry.name} ${what}: ${(e as Error).message}`);
    }
  };
  switch (source) {
    case 'variable':
      return () => loadVariable(ctx, entry, sub);
    case 'configMap':
      return () => loadConfigMap(ctx, entry, sub, external as ExternalData);
    case 'apiCall':
      return () => loadApiCall(ctx, entry, sub, external as ExternalData);
    case 'imageRegistry':
      return () => loadImageData(ctx, entry, sub, external as ExternalData);
    case 'globalReference':
      return () => loadGlobalReference(ctx, entry, sub, external as ExternalData);
  }
}

type Substitute = (value: unknown, what: string) => unknown;

/** Kyverno's variable loader: value (substituted) → jmesPath → default; null is an error. */
function loadVariable(ctx: JsonContext, entry: ContextEntry, sub: Substitute): void {
  const v = entry.variable ?? {};
  const path = v.jmesPath ? String(sub(v.jmesPath, v.jmesPath)) : '';
  const fallback = v.default !== undefined ? sub(v.default, goJson(v.default)) : null;
  let output: unknown = fallback;
  if (v.value !== undefined) {
    const value = sub(v.value, goJson(v.value));
    if (path) {
      try {
        output = jpSearch(path, value);
      } catch (e) {
        if (fallback === null) throw new RuleError('VARIABLE', `failed to apply jmespath ${path} to variable ${goJson(value)}: ${(e as Error).message}`);
      }
    } else output = value;
  } else if (path) {
    try {
      const result = ctx.query(path);
      if (result !== null) output = result;
    } catch (e) {
      if (fallback === null) throw new RuleError('VARIABLE', `failed to apply jmespath ${path} to variable: ${(e as Error).message}`);
    }
  }
  if (output === null || output === undefined) throw new RuleError('VARIABLE', `failed to add context entry for variable ${entry.name} since it evaluated to nil`);
  ctx.replace(entry.name, output);
}

function loadConfigMap(ctx: JsonContext, entry: ContextEntry, sub: Substitute, external: ExternalData): void {
  const spec = entry.configMap as NonNullable<ContextEntry['configMap']>;
  const name = String(sub(spec.name, `configMap.name ${spec.name}`));
  const namespace = String(sub(spec.namespace ?? '', `configMap.namespace ${spec.namespace ?? ''}`)) || 'default';
  const cm = external.configMap?.(namespace, name);
  if (!cm) throw new RuleError('VARIABLE', `failed to retrieve config map for context entry ${entry.name}: failed to get configmap ${namespace}/${name} : configmaps "${name}" not found`);
  ctx.addEntry(entry.name, { data: cm.data ?? {}, metadata: cm.metadata ?? {} });
}

function loadApiCall(ctx: JsonContext, entry: ContextEntry, sub: Substitute, external: ExternalData): void {
  const call = sub(entry.apiCall, entry.apiCall?.urlPath ?? '') as NonNullable<ContextEntry['apiCall']>;
  const request: ApiCallRequest = { method: call.method ?? 'GET' };
  if (call.urlPath) request.urlPath = call.urlPath;
  if (call.service?.url) request.serviceUrl = call.service.url;
  if (call.data?.length) request.data = Object.fromEntries(call.data.map((d) => [d.key, d.value]));
  const response = external.apiCall?.(request);
  if (response === undefined) {
    // A failed call falls back to the entry's default.
    if (call.default === undefined) throw new RuleError('VARIABLE', `failed to fetch data for APICall: ${request.method} ${request.urlPath ?? request.serviceUrl ?? ''}: not found`);
    ctx.addEntry(entry.name, call.default);
    return;
  }
  ctx.addEntry(entry.name, call.jmesPath ? jpSearch(String(call.jmesPath), response) : response);
}

function loadImageData(ctx: JsonContext, entry: ContextEntry, sub: Substitute, external: ExternalData): void {
  const spec = entry.imageRegistry as NonNullable<ContextEntry['imageRegistry']>;
  const reference = sub(spec.reference, spec.reference);
  if (typeof reference !== 'string') throw new RuleError('VARIABLE', `invalid image reference ${goJson(reference)}, image reference must be a string`);
  const data = external.imageData?.(reference);
  if (!data) throw new RuleError('VARIABLE', `failed to fetch image descriptor: ${reference}`);
  const jmesPath = spec.jmesPath ? String(sub(spec.jmesPath, spec.jmesPath)) : '';
  let result: unknown = data;
  if (jmesPath) {
    try {
      result = jpSearch(jmesPath, data);
    } catch (e) {
      throw new RuleError('VARIABLE', `failed to apply JMESPath (${jmesPath}) results to context entry ${entry.name}, error: ${(e as Error).message}`);
    }
  }
  ctx.addEntry(entry.name, result);
}

function loadGlobalReference(ctx: JsonContext, entry: ContextEntry, sub: Substitute, external: ExternalData): void {
  const spec = entry.globalReference as NonNullable<ContextEntry['globalReference']>;
  const name = String(sub(spec.name, spec.name));
  const data = external.globalContext?.(name);
  if (data === undefined) throw new RuleError('VARIABLE', `failed to fetch entry key=${name}`);
  const jmesPath = spec.jmesPath ? String(sub(spec.jmesPath, spec.jmesPath)) : '';
  let result: unknown = data;
  if (jmesPath) {
    try {
      result = jpSearch(jmesPath, data);
    } catch (e) {
      throw new RuleError('VARIABLE', `failed to apply JMESPath ${jmesPath} for context entry ${entry.name}: ${(e as Error).message}`);
    }
  }
  ctx.addEntry(entry.name, result);
}

// ---------------------------------------------------------------------------------------------
// Values files (cli.kyverno.io/v1alpha1, kind Values)

export interface RuleValues {
  name: string;
  values: Record<string, unknown>;
  foreachValues: Record<string, unknown[]>;
}

export interface PolicyValues {
  name: string;
  rules: RuleValues[];
  resources: { name: string; values: Record<string, unknown> }[];
}

export interface ValuesFile {
  globalValues: Record<string, unknown>;
  policies: PolicyValues[];
  /** Labels of namespaces, for match.namespaceSelector. */
  namespaceSelector: { name: string; labels: Record<string, string> }[];
  /** Subresource descriptions, passed through. */
  subresources: unknown[];
}

function objectField(doc: JsonObject, key: string, where: string): JsonObject {
  const v = doc[key];
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw new ParseError(`values file: ${where}${key} must be a map`);
  return v;
}

function listField(doc: JsonObject, key: string, where: string): JsonObject[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isRecord)) throw new ParseError(`values file: ${where}${key} must be a list of maps`);
  return v;
}

function nameOf(doc: JsonObject, where: string): string {
  if (typeof doc.name !== 'string' || doc.name === '') throw new ParseError(`values file: ${where} needs a name`);
  return doc.name;
}

/** Validates a parsed values document; a malformed one is a ParseError. */
export function parseValuesFile(doc: unknown): ValuesFile {
  if (!isRecord(doc)) throw new ParseError('values file: expected a map');
  const policies = listField(doc, 'policies', '').map((p, i) => {
    const where = `policies[${i}]`;
    return {
      name: nameOf(p, where),
      rules: listField(p, 'rules', `${where}.`).map((r, j) => {
        const foreach = objectField(r, 'foreachValues', `${where}.rules[${j}].`);
        for (const [k, v] of Object.entries(foreach)) {
          if (!Array.isArray(v)) throw new ParseError(`values file: ${where}.rules[${j}].foreachValues.${k} must be a list`);
        }
        return { name: nameOf(r, `${where}.rules[${j}]`), values: objectField(r, 'values', `${where}.rules[${j}].`), foreachValues: foreach as Record<string, unknown[]> };
      }),
      resources: listField(p, 'resources', `${where}.`).map((r, j) => ({ name: nameOf(r, `${where}.resources[${j}]`), values: objectField(r, 'values', `${where}.resources[${j}].`) })),
    };
  });
  const namespaceSelector = listField(doc, 'namespaceSelector', '').map((n, i) => {
    const labels = objectField(n, 'labels', `namespaceSelector[${i}].`);
    return { name: nameOf(n, `namespaceSelector[${i}]`), labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])) };
  });
  return { globalValues: objectField(doc, 'globalValues', ''), policies, namespaceSelector, subresources: listField(doc, 'subresources', '') };
}

/**
 * The values for one resource under one policy (Kyverno CLI's ComputeVariables): globalValues,
 * overridden by policies[].resources[].values; request.operation defaults to CREATE.
 */
export function resourceValues(values: ValuesFile | undefined, policy: string, resource: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values?.globalValues };
  for (const p of values?.policies ?? []) {
    if (p.name !== policy) continue;
    for (const r of p.resources) if (r.name === resource) Object.assign(out, r.values);
  }
  if (!('request.operation' in out)) out['request.operation'] = 'CREATE';
  return out;
}

/** policies[].rules[] for a rule, also under its autogen names (`autogen-<rule>`, `autogen-cronjob-<rule>`). */
export function ruleValues(values: ValuesFile | undefined, policy: string, rule: string): RuleValues | undefined {
  const p = values?.policies.find((x) => x.name === policy);
  return p?.rules.find((r) => rule === r.name || rule === `autogen-${r.name}` || rule === `autogen-cronjob-${r.name}`);
}

/** Labels of a namespace from namespaceSelector. */
export function namespaceLabels(values: ValuesFile | undefined, namespace: string): Record<string, string> | undefined {
  return values?.namespaceSelector.find((n) => n.name === namespace)?.labels;
}

// ---------------------------------------------------------------------------------------------
// Cluster resources as ExternalData

const BUILTIN_PLURALS: Readonly<Record<string, string>> = {
  Endpoints: 'endpoints',
  NetworkPolicy: 'networkpolicies',
  PodSecurityPolicy: 'podsecuritypolicies',
  Ingress: 'ingresses',
  IngressClass: 'ingressclasses',
  StorageClass: 'storageclasses',
  PriorityClass: 'priorityclasses',
  RuntimeClass: 'runtimeclasses',
};

/** The resource name of a kind in API paths (`Pod` → `pods`, `NetworkPolicy` → `networkpolicies`). */
function pluralOf(kind: string): string {
  const known = BUILTIN_PLURALS[kind];
  if (known) return known;
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

const groupOf = (apiVersion: unknown): string => (typeof apiVersion === 'string' && apiVersion.includes('/') ? (apiVersion.split('/')[0] as string) : '');

/** A label selector of equality terms (`a=b,c!=d`, `a==b`), the forms apiCall URLs use. */
function selectorMatches(selector: string, labels: Record<string, unknown>): boolean {
  return selector
    .split(',')
    .filter((t) => t.trim() !== '')
    .every((term) => {
      const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
      if (!m) return term.trim() in labels;
      const actual = labels[m[1] as string];
      return m[2] === '!=' ? actual !== m[3] : actual === m[3];
    });
}

/**
 * ExternalData over a set of resources (the Kyverno CLI's clusterResources): configMap lookups and
 * GET apiCalls to `/api/v1/...` and `/apis/<group>/<version>/...` paths for single objects and
 * lists (with `labelSelector`). `crds` adds plural names of custom resources.
 */
export function clusterData(
  resources: readonly JsonObject[],
  crds: readonly JsonObject[] = [],
): Required<Pick<ExternalData, 'configMap' | 'apiCall'>> {
  const plurals = new Map<string, string>();
  for (const crd of crds) {
    const spec = isRecord(crd.spec) ? crd.spec : {};
    const names = isRecord(spec.names) ? spec.names : {};
    if (typeof names.kind === 'string' && typeof names.plural === 'string') plurals.set(`${String(spec.group ?? '')}/${names.kind}`, names.plural);
  }
  const meta = (r: JsonObject): JsonObject => (isRecord(r.metadata) ? r.metadata : {});
  const plural = (r: JsonObject): string => {
    const kind = String(r.kind ?? '');
    return plurals.get(`${groupOf(r.apiVersion)}/${kind}`) ?? pluralOf(kind);
  };
  return {
    configMap(namespace, name) {
      const found = resources.find((r) => r.kind === 'ConfigMap' && meta(r).name === name && (meta(r).namespace ?? 'default') === namespace);
      return found ? clone(found) : undefined;
    },
    apiCall(request) {
      if (request.method !== 'GET' || !request.urlPath) return undefined;
      const [pathPart, queryPart = ''] = request.urlPath.split('?') as [string, string | undefined];
      const parts = pathPart.split('/').filter((p) => p !== '');
      let group: string;
      let rest: string[];
      if (parts[0] === 'api' && parts[1]) [group, rest] = ['', parts.slice(2)];
      else if (parts[0] === 'apis' && parts[2]) [group, rest] = [parts[1] as string, parts.slice(3)];
      else return undefined;
      let namespace: string | undefined;
      if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
      const [resourceName, name] = rest;
      if (!resourceName || rest.length > 2) return undefined;
      const selector = new URLSearchParams(queryPart).get('labelSelector') ?? '';
      const matches = resources.filter(
        (r) =>
          plural(r) === resourceName &&
          groupOf(r.apiVersion) === group &&
          (namespace === undefined || (meta(r).namespace ?? 'default') === namespace) &&
          (name === undefined || meta(r).name === name) &&
          selectorMatches(selector, isRecord(meta(r).labels) ? (meta(r).labels as JsonObject) : {}),
      );
      if (name !== undefined) return matches[0] ? clone(matches[0]) : undefined;
      const version = group === '' ? 'v1' : `${group}/${parts[2] ?? ''}`;
      const kind = matches[0]?.kind ?? '';
      return { apiVersion: version, kind: `${String(kind)}List`, metadata: { resourceVersion: '' }, items: clone(matches) };
    },
  };
}

/**
 * Global context entries as the Kyverno CLI test files give them (`globalContextEntries:
 * [{name, data, projections: [{name, path}]}]`): the data, with each projection's JMESPath
 * result added under its name.
 */
export function globalContextData(entries: readonly { name: string; data: unknown; projections?: readonly { name: string; path: string }[] }[]): Pick<ExternalData, 'globalContext'> {
  return {
    globalContext(name) {
      const entry = entries.find((e) => e.name === name);
      if (!entry) return undefined;
      if (!entry.projections?.length) return clone(entry.data);
      const out: JsonObject = isRecord(entry.data) ? clone(entry.data) : {};
      for (const p of entry.projections) out[p.name] = jpSearch(p.path, entry.data);
      return out;
    },
  };
}
