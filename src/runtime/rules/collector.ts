/**
 * Layering of rules files, in load order, as Falco's rule collector does:
 * - defining a list, macro or rule again replaces it in place (it keeps its original position);
 * - `append: true` (deprecated) appends to an existing item: list items, a macro's condition (as
 *   text: `<old> <new>`), a rule's condition, output, desc, tags and exception values;
 * - `override: {key: append|replace}` appends to or replaces single keys of an existing item;
 * - a rule item with only `enabled` switches an existing rule on or off.
 * Appending or overriding an item nobody defined is an error.
 */
import type { Priority } from '../priority.ts';
import type { ExceptionItem, ListItem, MacroItem, OverrideMode, PluginRequirement, RuleItem, RulesFileItem, TextPos } from './reader.ts';
import { ItemError, type ItemContext } from './result.ts';

export interface ListInfo {
  name: string;
  items: string[];
  ctx: ItemContext;
}

export interface MacroInfo {
  name: string;
  condition: string;
  conditionPos?: TextPos;
  ctx: ItemContext;
  /** The item that last changed the condition (appends included): condition errors point there. */
  conditionCtx: ItemContext;
}

export interface ExceptionInfo {
  name: string;
  fields?: string | string[];
  comps?: string | string[];
  values: unknown[];
  ctx: ItemContext;
}

export interface RuleInfo {
  name: string;
  condition: string;
  conditionPos?: TextPos;
  output: string;
  desc: string;
  priority: Priority;
  source: string;
  tags: string[];
  enabled: boolean;
  exceptions: ExceptionInfo[];
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  ctx: ItemContext;
  /** The item that last changed the condition (appends included): condition errors point there. */
  conditionCtx: ItemContext;
}

export interface EngineRequirement {
  value: string;
  ctx: ItemContext;
}

export interface PluginRequirements {
  plugins: PluginRequirement[];
  ctx: ItemContext;
}

/** Everything the loaded files define, in definition order (Maps keep insertion order). */
export class Collector {
  readonly lists = new Map<string, ListInfo>();
  readonly macros = new Map<string, MacroInfo>();
  readonly rules = new Map<string, RuleInfo>();
  readonly engineRequirements: EngineRequirement[] = [];
  readonly pluginRequirements: PluginRequirements[] = [];

  apply(item: RulesFileItem): void {
    switch (item.kind) {
      case 'required_engine_version':
        this.engineRequirements.push({ value: item.value, ctx: item.ctx });
        return;
      case 'required_plugin_versions':
        this.pluginRequirements.push({ plugins: item.plugins, ctx: item.ctx });
        return;
      case 'list':
        return this.applyList(item);
      case 'macro':
        return this.applyMacro(item);
      case 'rule':
        return this.applyRule(item);
    }
  }

  private applyList(item: ListItem): void {
    const prev = this.lists.get(item.name);
    const mode: OverrideMode | undefined = item.append ? 'append' : item.override?.items;
    if (mode === undefined) {
      this.lists.set(item.name, { name: item.name, items: [...item.items], ctx: item.ctx });
      return;
    }
    if (!prev) throw new ItemError('LOAD_ERR_VALIDATE', `List has '${item.append ? 'append' : 'override'}' key but no list by that name already exists`, item.ctx);
    prev.items = mode === 'append' ? [...prev.items, ...item.items] : [...item.items];
  }

  private applyMacro(item: MacroItem): void {
    const prev = this.macros.get(item.name);
    const mode: OverrideMode | undefined = item.append ? 'append' : item.override?.condition;
    if (mode === undefined) {
      const info: MacroInfo = { name: item.name, condition: item.condition, ctx: item.ctx, conditionCtx: item.ctx };
      if (item.conditionPos) info.conditionPos = item.conditionPos;
      this.macros.set(item.name, info);
      return;
    }
    if (!prev) throw new ItemError('LOAD_ERR_VALIDATE', `Macro has '${item.append ? 'append' : 'override'}' key but no macro by that name already exists`, item.ctx);
    prev.condition = mode === 'append' ? `${prev.condition} ${item.condition}` : item.condition;
    prev.conditionCtx = item.ctx;
    if (mode === 'append') delete prev.conditionPos;
    else if (item.conditionPos) prev.conditionPos = item.conditionPos;
  }

  private applyRule(item: RuleItem): void {
    const prev = this.rules.get(item.name);
    if (item.append || item.override) {
      const key = item.append ? 'append' : 'override';
      if (!prev) throw new ItemError('LOAD_ERR_VALIDATE', `Rule has '${key}' key but no rule by that name already exists`, item.ctx);
      if (item.append) this.appendRule(prev, item);
      else this.overrideRule(prev, item, item.override!);
      return;
    }
    const isDefinition = ['condition', 'output', 'desc', 'priority'].some((k) => item.keys.has(k));
    if (!isDefinition) {
      if (!prev) throw new ItemError('LOAD_ERR_VALIDATE', "Rule has 'enabled' key but no rule by that name already exists", item.ctx);
      if (item.enabled !== undefined) prev.enabled = item.enabled;
      return;
    }
    const info: RuleInfo = {
      name: item.name,
      condition: item.condition!,
      output: item.output!,
      desc: item.desc!,
      priority: item.priority!,
      source: item.source ?? 'syscall',
      tags: [...(item.tags ?? [])],
      enabled: item.enabled ?? true,
      exceptions: (item.exceptions ?? []).map(toExceptionInfo),
      warnEvttypes: item.warnEvttypes ?? true,
      skipIfUnknownFilter: item.skipIfUnknownFilter ?? false,
      ctx: item.ctx,
      conditionCtx: item.ctx,
    };
    if (item.conditionPos) info.conditionPos = item.conditionPos;
    this.rules.set(item.name, info);
  }

  /** Legacy `append: true`: every key given is appended. */
  private appendRule(prev: RuleInfo, item: RuleItem): void {
    if (item.condition !== undefined) appendCondition(prev, item);
    if (item.output !== undefined) prev.output = `${prev.output} ${item.output}`;
    if (item.desc !== undefined) prev.desc = `${prev.desc} ${item.desc}`;
    if (item.tags) prev.tags = [...prev.tags, ...item.tags];
    if (item.exceptions) appendExceptions(prev, item.exceptions);
  }

  private overrideRule(prev: RuleInfo, item: RuleItem, override: NonNullable<RuleItem['override']>): void {
    for (const [key, mode] of Object.entries(override)) {
      const append = mode === 'append';
      switch (key) {
        case 'condition':
          if (append) appendCondition(prev, item);
          else {
            prev.condition = item.condition!;
            prev.conditionCtx = item.ctx;
            if (item.conditionPos) prev.conditionPos = item.conditionPos;
          }
          break;
        case 'output':
          prev.output = append ? `${prev.output} ${item.output}` : item.output!;
          break;
        case 'desc':
          prev.desc = append ? `${prev.desc} ${item.desc}` : item.desc!;
          break;
        case 'tags':
          prev.tags = append ? [...prev.tags, ...(item.tags ?? [])] : [...(item.tags ?? [])];
          break;
        case 'exceptions':
          if (append) appendExceptions(prev, item.exceptions ?? []);
          else replaceExceptions(prev, item.exceptions ?? []);
          break;
        case 'priority':
          prev.priority = item.priority!;
          break;
        case 'enabled':
          prev.enabled = item.enabled!;
          break;
        case 'warn_evttypes':
          prev.warnEvttypes = item.warnEvttypes!;
          break;
        case 'skip-if-unknown-filter':
          prev.skipIfUnknownFilter = item.skipIfUnknownFilter!;
          break;
        default:
          // capture / capture_duration: accepted, they only trigger captures in Falco.
          break;
      }
    }
  }
}

/** `<old> <new>`, as Falco appends conditions: plain text, so `and …`/`or …` continue it. */
function appendCondition(rule: RuleInfo, item: RuleItem): void {
  rule.condition = `${rule.condition} ${item.condition}`;
  rule.conditionCtx = item.ctx;
  delete rule.conditionPos;
}

function toExceptionInfo(ex: ExceptionItem): ExceptionInfo {
  const info: ExceptionInfo = { name: ex.name, values: [...(ex.values ?? [])], ctx: ex.ctx };
  if (ex.fields !== undefined) info.fields = ex.fields;
  if (ex.comps !== undefined) info.comps = ex.comps;
  return info;
}

/** Values of a named exception are appended; a new exception must bring its fields. */
function appendExceptions(rule: RuleInfo, added: ExceptionItem[]): void {
  for (const ex of added) {
    const existing = rule.exceptions.find((e) => e.name === ex.name);
    if (existing) {
      if (ex.fields !== undefined || ex.comps !== undefined) {
        throw new ItemError('LOAD_ERR_VALIDATE', 'Can not append exception fields or comps to an existing exception, only values', ex.ctx);
      }
      existing.values.push(...(ex.values ?? []));
      continue;
    }
    if (ex.fields === undefined) throw new ItemError('LOAD_ERR_VALIDATE', 'Rule exception must have fields property with a list of fields', ex.ctx);
    rule.exceptions.push(toExceptionInfo(ex));
  }
}

function replaceExceptions(rule: RuleInfo, replacement: ExceptionItem[]): void {
  for (const ex of replacement) {
    const existing = rule.exceptions.find((e) => e.name === ex.name);
    if (existing) {
      existing.values = [...(ex.values ?? [])];
      if (ex.fields !== undefined) existing.fields = ex.fields;
      if (ex.comps !== undefined) existing.comps = ex.comps;
      continue;
    }
    if (ex.fields === undefined) throw new ItemError('LOAD_ERR_VALIDATE', 'Rule exception must have fields property with a list of fields', ex.ctx);
    rule.exceptions.push(toExceptionInfo(ex));
  }
}
