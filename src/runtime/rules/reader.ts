/**
 * Reads one rules file: YAML (one or more documents, each a sequence of maps) → typed items with
 * their positions. Structural problems become LOAD_ERR_YAML_VALIDATE errors worded as Falco's
 * reader words them ("Item has no mapping for key 'items'", "Mapping for key 'rule' is empty"),
 * so validation output can be compared with Falco's; unknown items and keys are warnings.
 * Layering (append/override) is the collector's job, compilation the compiler's.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type YAMLMap } from 'yaml';
import { parsePriority, type Priority } from '../priority.ts';
import { ItemError, type ItemContext, type LoadMessage } from './result.ts';

export type OverrideMode = 'append' | 'replace';

/**
 * Where a scalar's text sits in the file, line by line: YAML folds multi-line scalars (plain,
 * `>`, `|`) into one string, each source line becoming one segment separated by one character.
 */
export interface TextPos {
  segments: { line: number; column: number; length: number }[];
}

export interface ListItem {
  kind: 'list';
  name: string;
  items: string[];
  append: boolean;
  override?: Partial<Record<'items', OverrideMode>>;
  ctx: ItemContext;
}

export interface MacroItem {
  kind: 'macro';
  name: string;
  condition: string;
  conditionPos?: TextPos;
  append: boolean;
  override?: Partial<Record<'condition', OverrideMode>>;
  ctx: ItemContext;
}

export interface ExceptionItem {
  name: string;
  fields?: string | string[];
  comps?: string | string[];
  /** Tuples (lists) or, with a single field, plain values; a tuple element may itself be a list. */
  values?: unknown[];
  ctx: ItemContext;
}

export type RuleKey = 'condition' | 'output' | 'desc' | 'priority' | 'source' | 'tags' | 'enabled' | 'exceptions' | 'warn_evttypes' | 'skip-if-unknown-filter' | 'capture' | 'capture_duration';

export interface RuleItem {
  kind: 'rule';
  name: string;
  condition?: string;
  conditionPos?: TextPos;
  output?: string;
  desc?: string;
  priority?: Priority;
  source?: string;
  tags?: string[];
  enabled?: boolean;
  exceptions?: ExceptionItem[];
  warnEvttypes?: boolean;
  skipIfUnknownFilter?: boolean;
  append: boolean;
  override?: Partial<Record<RuleKey, OverrideMode>>;
  /** Keys written in the item. */
  keys: Set<string>;
  ctx: ItemContext;
}

export interface EngineVersionItem {
  kind: 'required_engine_version';
  /** As written: an integer N (meaning 0.N.0) or a semver string. */
  value: string;
  ctx: ItemContext;
}

export interface PluginRequirement {
  name: string;
  version: string;
  alternatives: { name: string; version: string }[];
}

export interface PluginVersionsItem {
  kind: 'required_plugin_versions';
  plugins: PluginRequirement[];
  ctx: ItemContext;
}

export type RulesFileItem = ListItem | MacroItem | RuleItem | EngineVersionItem | PluginVersionsItem;

export interface ReadResult {
  items: RulesFileItem[];
  errors: LoadMessage[];
  warnings: LoadMessage[];
}

const RULE_KEYS = new Set(['rule', 'condition', 'output', 'desc', 'priority', 'source', 'tags', 'enabled', 'exceptions', 'warn_evttypes', 'skip-if-unknown-filter', 'append', 'override', 'capture', 'capture_duration']);
const OVERRIDE_APPEND: Record<string, ReadonlySet<string>> = {
  list: new Set(['items']),
  macro: new Set(['condition']),
  rule: new Set(['condition', 'output', 'desc', 'tags', 'exceptions']),
};
const OVERRIDE_REPLACE: Record<string, ReadonlySet<string>> = {
  list: new Set(['items']),
  macro: new Set(['condition']),
  rule: new Set(['condition', 'output', 'desc', 'priority', 'tags', 'exceptions', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter', 'capture', 'capture_duration']),
};
const ALLOWED_KEYS: Record<string, ReadonlySet<string>> = {
  list: new Set(['list', 'items', 'append', 'override']),
  macro: new Set(['macro', 'condition', 'append', 'override']),
  rule: RULE_KEYS,
};

export function readRulesFile(file: string, text: string): ReadResult {
  const result: ReadResult = { items: [], errors: [], warnings: [] };
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
  const docList = Array.isArray(docs) ? docs : [docs];
  const at = (node: Node | null | undefined): { line?: number; column?: number } => {
    if (!node?.range) return {};
    const p = lines.linePos(node.range[0]);
    return { line: p.line, column: p.col };
  };
  for (const doc of docList) {
    const yamlError = doc.errors[0];
    if (yamlError) {
      const p = lines.linePos(yamlError.pos[0]);
      result.errors.push({ code: 'LOAD_ERR_YAML_PARSE', message: yamlError.message.split('\n')[0]!, itemType: 'rules content', itemName: '', file, line: p.line, column: p.col });
      return result;
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) continue;
    if (!isSeq(root)) {
      result.errors.push({ code: 'LOAD_ERR_YAML_VALIDATE', message: 'Rules content is not yaml array of objects', itemType: 'rules content', itemName: '', file, ...at(root) });
      return result;
    }
    for (const node of root.items) {
      // An empty element (`-` alone) is tolerated, as Falco's reader does.
      if (node === null || (isScalar(node) && node.value === null)) continue;
      const ctx: ItemContext = { itemType: 'rules content item', itemName: '', file, ...at(node as Node) };
      try {
        if (!isMap(node)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', 'Unexpected element type. Each element should be a yaml associative array.', ctx);
        const item = readItem(node, ctx, lines, result.warnings, text);
        if (item) result.items.push(item);
      } catch (err) {
        if (!(err instanceof ItemError)) throw err;
        result.errors.push({ code: err.code, message: err.message, ...err.context });
        // Falco stops reading a file at its first error: later items could depend on this one.
        return result;
      }
    }
  }
  return result;
}

function readItem(map: YAMLMap, base: ItemContext, lines: LineCounter, warnings: LoadMessage[], source: string): RulesFileItem | undefined {
  const keys = map.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key)));
  const has = (k: string) => keys.includes(k);
  if (has('required_engine_version')) {
    const ctx = { ...base, itemType: 'required_engine_version' };
    const v = map.get('required_engine_version', true);
    const value = isScalar(v) ? v.value : undefined;
    if ((typeof value !== 'number' && typeof value !== 'string') || (typeof value === 'string' && !/^\d+(\.\d+){0,2}$/.test(value)) || (typeof value === 'number' && !Number.isInteger(value))) {
      throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Can't decode YAML scalar value", ctx);
    }
    return { kind: 'required_engine_version', value: String(value), ctx };
  }
  if (has('required_plugin_versions')) return readPluginVersions(map, { ...base, itemType: 'required_plugin_versions' });
  const kind = has('macro') ? 'macro' : has('list') ? 'list' : has('rule') ? 'rule' : undefined;
  if (!kind) {
    warnings.push({ code: 'LOAD_UNKNOWN_ITEM', message: `Unknown top level item (keys: ${keys.join(', ')})`, ...base });
    return undefined;
  }
  const plain = map.toJSON() as Record<string, unknown>;
  const nameValue = plain[kind];
  const ctx: ItemContext = { ...base, itemType: kind, itemName: scalarText(nameValue) ?? '' };
  if (nameValue === null || nameValue === undefined || nameValue === '') throw new ItemError('LOAD_ERR_YAML_VALIDATE', `Mapping for key '${kind}' is empty`, ctx);
  if (scalarText(nameValue) === undefined) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Can't decode YAML scalar value", ctx);
  for (const k of keys) {
    if (!ALLOWED_KEYS[kind]!.has(k)) warnings.push({ code: 'LOAD_UNKNOWN_ITEM', message: `Unexpected key '${k}'`, ...ctx });
  }
  const append = readBool(plain, 'append', ctx) ?? false;
  const override = readOverride(plain, kind, ctx);
  if (append && override) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Keys 'override' and 'append: true' cannot be used together.", ctx);
  const textPos = (key: string): TextPos | undefined => {
    const node = map.get(key, true) as Node | undefined;
    return node?.range ? scalarSegments(node, source, lines) : undefined;
  };

  if (kind === 'list') {
    if (!has('items')) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'items'", ctx);
    const raw = plain.items;
    if (raw !== null && !Array.isArray(raw)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Value for key 'items' must be a sequence", ctx);
    const items = ((raw as unknown[] | null) ?? []).map((v) => {
      const s = scalarText(v);
      if (s === undefined) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Can't decode YAML scalar value", ctx);
      return s;
    });
    const item: ListItem = { kind, name: ctx.itemName, items, append, ctx };
    if (override) item.override = override as ListItem['override'];
    return item;
  }
  if (kind === 'macro') {
    const condition = readString(plain, 'condition', ctx, true)!;
    const item: MacroItem = { kind, name: ctx.itemName, condition, append, ctx };
    const pos = textPos('condition');
    if (pos) item.conditionPos = pos;
    if (override) item.override = override as MacroItem['override'];
    return item;
  }
  return readRule(plain, keys, append, override, ctx, textPos('condition'), map, lines);
}

function readRule(
  plain: Record<string, unknown>,
  keys: string[],
  append: boolean,
  override: Record<string, OverrideMode> | undefined,
  ctx: ItemContext,
  conditionPos: TextPos | undefined,
  map: YAMLMap,
  lines: LineCounter,
): RuleItem {
  const item: RuleItem = { kind: 'rule', name: ctx.itemName, append, keys: new Set(keys), ctx };
  if (override) item.override = override;
  const defining = !append && !override;
  const enableOnly = defining && keys.includes('enabled') && !['condition', 'output', 'desc', 'priority'].some((k) => keys.includes(k));
  const required = defining && !enableOnly;
  const condition = readString(plain, 'condition', ctx, required);
  if (condition !== undefined) item.condition = condition;
  if (conditionPos) item.conditionPos = conditionPos;
  const output = readString(plain, 'output', ctx, required, true);
  if (output !== undefined) item.output = output.trim();
  const desc = readString(plain, 'desc', ctx, required, true);
  if (desc !== undefined) item.desc = desc;
  const priority = readString(plain, 'priority', ctx, required);
  if (priority !== undefined) {
    const p = parsePriority(priority);
    if (p === undefined) throw new ItemError('LOAD_ERR_VALIDATE', `Invalid priority '${priority}'`, ctx);
    item.priority = p;
  }
  const source = readString(plain, 'source', ctx, false);
  if (source !== undefined) item.source = source;
  if (keys.includes('tags')) {
    const tags = plain.tags;
    if (tags !== null && (!Array.isArray(tags) || tags.some((t) => scalarText(t) === undefined))) {
      throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Value for key 'tags' must be a sequence of strings", ctx);
    }
    item.tags = ((tags as unknown[] | null) ?? []).map((t) => scalarText(t)!);
  }
  const enabled = readBool(plain, 'enabled', ctx);
  if (enabled !== undefined) item.enabled = enabled;
  const warn = readBool(plain, 'warn_evttypes', ctx);
  if (warn !== undefined) item.warnEvttypes = warn;
  const skip = readBool(plain, 'skip-if-unknown-filter', ctx);
  if (skip !== undefined) item.skipIfUnknownFilter = skip;
  if (keys.includes('exceptions')) item.exceptions = readExceptions(plain.exceptions, ctx, required, map, lines);
  return item;
}

function readExceptions(raw: unknown, ruleCtx: ItemContext, defining: boolean, map: YAMLMap, lines: LineCounter): ExceptionItem[] {
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Value for key 'exceptions' must be a sequence", ruleCtx);
  const nodes = (map.get('exceptions', true) as { items?: Node[] } | undefined)?.items ?? [];
  return raw.map((ex, i) => {
    const node = nodes[i];
    const p = node?.range ? lines.linePos(node.range[0]) : undefined;
    const ctx: ItemContext = { itemType: 'exception', itemName: '', file: ruleCtx.file, ...(p ? { line: p.line, column: p.col } : {}) };
    if (ex === null || typeof ex !== 'object' || Array.isArray(ex)) {
      throw new ItemError('LOAD_ERR_YAML_VALIDATE', 'Unexpected element type. Each element should be a yaml associative array.', ctx);
    }
    const obj = ex as Record<string, unknown>;
    if (!('name' in obj)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'name'", ctx);
    const name = scalarText(obj.name);
    if (!name) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Mapping for key 'name' is empty", ctx);
    ctx.itemName = name;
    const item: ExceptionItem = { name, ctx };
    if (defining && !('fields' in obj)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'fields'", ctx);
    if ('fields' in obj) item.fields = stringOrList(obj.fields, 'fields', ctx);
    if ('comps' in obj) item.comps = stringOrList(obj.comps, 'comps', ctx);
    if ('values' in obj) {
      if (obj.values !== null && !Array.isArray(obj.values)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Value for key 'values' must be a sequence", ctx);
      item.values = (obj.values as unknown[] | null) ?? [];
    }
    return item;
  });
}

function stringOrList(v: unknown, key: string, ctx: ItemContext): string | string[] {
  const s = scalarText(v);
  if (s !== undefined) return s;
  if (Array.isArray(v) && v.every((x) => scalarText(x) !== undefined)) return v.map((x) => scalarText(x)!);
  throw new ItemError('LOAD_ERR_YAML_VALIDATE', `Value for key '${key}' must be a string or a sequence of strings`, ctx);
}

function readPluginVersions(map: YAMLMap, ctx: ItemContext): PluginVersionsItem {
  const raw = (map.toJSON() as Record<string, unknown>).required_plugin_versions;
  if (!Array.isArray(raw)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Value for key 'required_plugin_versions' must be a sequence", ctx);
  const entry = (e: unknown): { name: string; version: string } => {
    const o = e as Record<string, unknown> | null;
    const name = scalarText(o?.name);
    const version = scalarText(o?.version);
    if (!name) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'name'", ctx);
    if (!version) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'version'", { ...ctx, itemName: name });
    return { name, version };
  };
  const plugins = raw.map((e) => {
    const main = entry(e);
    const alts = (e as Record<string, unknown>).alternatives;
    if (alts !== undefined && alts !== null && !Array.isArray(alts)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Value for key 'alternatives' must be a sequence", ctx);
    return { ...main, alternatives: ((alts as unknown[] | null | undefined) ?? []).map(entry) };
  });
  return { kind: 'required_plugin_versions', plugins, ctx };
}

function readOverride(plain: Record<string, unknown>, kind: string, ctx: ItemContext): Record<string, OverrideMode> | undefined {
  if (!('override' in plain)) return undefined;
  const raw = plain.override;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Value for key 'override' must be a map", ctx);
  const out: Record<string, OverrideMode> = {};
  for (const [key, mode] of Object.entries(raw)) {
    if (mode !== 'append' && mode !== 'replace') throw new ItemError('LOAD_ERR_YAML_VALIDATE', `Invalid override mode '${String(mode)}' for key '${key}': must be 'append' or 'replace'`, ctx);
    const allowed = (mode === 'append' ? OVERRIDE_APPEND : OVERRIDE_REPLACE)[kind]!;
    if (!allowed.has(key)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', `Key '${key}' cannot be overridden with '${mode}'`, ctx);
    if (!(key in plain)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', `An ${mode} override for '${key}' was specified but '${key}' is not defined`, ctx);
    out[key] = mode;
  }
  return out;
}

function scalarSegments(node: Node, source: string, lines: LineCounter): TextPos {
  const [start, end] = node.range!;
  const block = isScalar(node) && (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL');
  const quoted = isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') ? 1 : 0;
  const first = lines.linePos(start);
  const raw = source.slice(start, end).split('\n');
  const segments: TextPos['segments'] = [];
  raw.forEach((text, i) => {
    if (block && i === 0) return;
    const indent = i === 0 ? quoted : text.length - text.trimStart().length;
    const content = text.slice(indent).trimEnd();
    if (content === '' && segments.length > 0 && i === raw.length - 1) return;
    segments.push({ line: first.line + i, column: (i === 0 ? first.col : 1) + indent, length: content.length });
  });
  return { segments };
}

/** A YAML scalar (string, number, boolean) as text; undefined for anything else. */
function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function readString(plain: Record<string, unknown>, key: string, ctx: ItemContext, required: boolean, allowEmpty = false): string | undefined {
  if (!(key in plain)) {
    if (required) throw new ItemError('LOAD_ERR_YAML_VALIDATE', `Item has no mapping for key '${key}'`, ctx);
    return undefined;
  }
  const v = plain[key];
  if (v === null || (v === '' && !allowEmpty)) throw new ItemError('LOAD_ERR_YAML_VALIDATE', `Mapping for key '${key}' is empty`, ctx);
  const s = scalarText(v);
  if (s === undefined) throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Can't decode YAML scalar value", ctx);
  return s;
}

function readBool(plain: Record<string, unknown>, key: string, ctx: ItemContext): boolean | undefined {
  if (!(key in plain)) return undefined;
  const v = plain[key];
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new ItemError('LOAD_ERR_YAML_VALIDATE', "Can't decode YAML scalar value", ctx);
}
