/**
 * Compiles what the collector gathered into runnable rules, as Falco's rule compiler does:
 *  1. check `required_engine_version` and `required_plugin_versions`;
 *  2. flatten lists (an item naming a list defined earlier is replaced by its items);
 *  3. parse every macro (lists substituted) and check the macros it references exist;
 *  4. for each rule of a known source: parse the condition, append the exceptions as
 *     `and not (…)`, substitute lists and macros, compile against the source's fields, compute
 *     the index-field values it can match, compile the output;
 *  5. warn about unused lists and macros.
 * Problems are reported per item with Falco's codes; a rule of an unknown source is skipped with
 * a warning, as Falco skips rules for sources it has no plugin for.
 */
import type { BinaryCheck, Expr, FieldRef, Operand, Position, RightSide, ValueExpr } from '../condition/ast.ts';
import { ALL, matchableValues, type KeySet } from '../condition/analyze.ts';
import { CompileError, compileCondition, SlotTable, type CompileContext, type CompileWarning, type Evaluator } from '../condition/compile.ts';
import { LIST_OPS } from '../condition/operators.ts';
import { ConditionSyntaxError, parseCondition, STR_OPERATORS } from '../condition/parser.ts';
import { itemValue, MacroTable, resolveLists, ResolveError } from '../condition/resolve.ts';
import type { FieldRegistry } from '../fields/registry.ts';
import { compileOutput, type OutputFormat } from '../output/format.ts';
import type { Priority } from '../priority.ts';
import { bindIndexFields, type BoundIndexField } from '../sources.ts';
import type { Collector, ExceptionInfo, RuleInfo } from './collector.ts';
import type { TextPos } from './reader.ts';
import { ItemError, type ItemContext, type LoadErrorCode, type LoadMessage, type LoadWarningCode } from './result.ts';

/**
 * The Falco rules engine version whose language this engine implements: rules files requiring a
 * later version are refused. 0.57.0 is what the current falcosecurity/rules files require.
 */
export const ENGINE_VERSION = '0.57.0';

export interface CompiledRule {
  name: string;
  desc: string;
  priority: Priority;
  source: string;
  tags: string[];
  enabled: boolean;
  /** Position in load order: "first match wins" follows it. */
  order: number;
  condition: Expr;
  evaluate: Evaluator;
  output: OutputFormat;
  /** Per index field of the source: the values the rule can match. */
  keySets: KeySet[];
  /** Field names the condition reads. */
  fields: string[];
  ctx: ItemContext;
}

export interface SourceRuleset {
  source: string;
  rules: CompiledRule[];
  index: BoundIndexField[];
  slots: SlotTable;
}

export interface CompiledRuleset {
  sources: Map<string, SourceRuleset>;
  /** Rules skipped because of their source (unknown) or an unknown field with skip-if-unknown-filter. */
  skipped: { name: string; source: string; reason: string }[];
}

export interface CompileReport {
  ruleset: CompiledRuleset;
  errors: LoadMessage[];
  warnings: LoadMessage[];
}

const EXCEPTION_OPS = new Set<string>([...STR_OPERATORS, ...LIST_OPS, '<', '<=', '>', '>=']);

export function compileCollected(col: Collector, registry: FieldRegistry): CompileReport {
  const errors: LoadMessage[] = [];
  const warnings: LoadMessage[] = [];
  const error = (code: LoadErrorCode, message: string, ctx: ItemContext, pos?: { line?: number; column?: number }) =>
    errors.push({ code, message, ...ctx, ...(pos?.line === undefined ? {} : { line: pos.line, column: pos.column }) });
  const warn = (code: LoadWarningCode, message: string, ctx: ItemContext) => warnings.push({ code, message, ...ctx });

  checkEngineVersion(col, error);
  checkPlugins(col, registry, error);

  // Lists: items naming an earlier list are replaced by its items.
  const lists = new Map<string, string[]>();
  const usedLists = new Set<string>();
  for (const list of col.lists.values()) {
    const items: string[] = [];
    for (const item of list.items) {
      const nested = lists.get(item);
      if (nested && item !== list.name) {
        usedLists.add(item);
        items.push(...nested);
      } else items.push(item);
    }
    lists.set(list.name, items);
  }

  // Macros: parsed with lists substituted, references checked.
  const macroBodies = new Map<string, Expr>();
  for (const m of col.macros.values()) {
    try {
      macroBodies.set(m.name, resolveLists(parseCondition(m.condition), lists, usedLists));
    } catch (err) {
      reportConditionError(err, m.conditionCtx, m.conditionPos, error);
    }
  }
  const macros = new MacroTable(macroBodies);
  for (const m of col.macros.values()) {
    if (!macroBodies.has(m.name)) continue;
    try {
      macros.macro(m.name, { idx: 0, line: 1, col: 1 });
    } catch (err) {
      reportConditionError(err, m.conditionCtx, m.conditionPos, error);
    }
  }

  const legacyFiles = new Set(col.engineRequirements.filter((r) => compareVersions(r.value, '0.15.0') < 0).map((r) => r.ctx.file));
  const sources = new Map<string, SourceRuleset>();
  const skipped: CompiledRuleset['skipped'] = [];
  let order = 0;
  for (const rule of col.rules.values()) {
    const ruleOrder = order++;
    if (!registry.hasSource(rule.source)) {
      warn('LOAD_UNKNOWN_SOURCE', `Unknown source ${rule.source}, skipping`, rule.ctx);
      skipped.push({ name: rule.name, source: rule.source, reason: `unknown source ${rule.source}` });
      continue;
    }
    let set = sources.get(rule.source);
    if (!set) sources.set(rule.source, (set = { source: rule.source, rules: [], index: bindIndexFields(rule.source, registry), slots: new SlotTable() }));
    const compiled = compileRule(rule, ruleOrder, set, { legacyFiles, lists, usedLists, macros, registry }, error, warn);
    if (compiled === 'skipped') skipped.push({ name: rule.name, source: rule.source, reason: 'unknown field (skip-if-unknown-filter)' });
    else if (compiled) set.rules.push(compiled);
  }

  for (const m of col.macros.values()) {
    if (!macros.used.has(m.name)) warn('LOAD_UNUSED_MACRO', 'Macro not referred to by any other rule/macro', m.ctx);
  }
  for (const l of col.lists.values()) {
    if (!usedLists.has(l.name)) warn('LOAD_UNUSED_LIST', 'List not referred to by any other rule/macro', l.ctx);
  }
  return { ruleset: { sources, skipped }, errors, warnings };
}

interface RuleEnv {
  /** Files declaring an engine version before 0.15.0. */
  legacyFiles: Set<string>;
  lists: Map<string, string[]>;
  usedLists: Set<string>;
  macros: MacroTable;
  registry: FieldRegistry;
}

function compileRule(
  rule: RuleInfo,
  order: number,
  set: SourceRuleset,
  env: RuleEnv,
  error: (code: LoadErrorCode, message: string, ctx: ItemContext, pos?: { line?: number; column?: number }) => void,
  warn: (code: LoadWarningCode, message: string, ctx: ItemContext) => void,
): CompiledRule | 'skipped' | undefined {
  let expr: Expr;
  try {
    expr = parseCondition(rule.condition);
  } catch (err) {
    reportConditionError(err, rule.conditionCtx, rule.conditionPos, error);
    return undefined;
  }
  try {
    const exceptions = exceptionsExpr(rule);
    if (exceptions.length > 0) expr = { kind: 'and', children: [expr, ...exceptions], pos: expr.pos };
  } catch (err) {
    if (err instanceof ItemError) {
      error(err.code, err.message, err.context);
      return undefined;
    }
    throw err;
  }
  let resolved: Expr;
  try {
    resolved = env.macros.resolve(resolveLists(expr, env.lists, env.usedLists));
  } catch (err) {
    reportConditionError(err, rule.conditionCtx, rule.conditionPos, error);
    return undefined;
  }
  const compileWarnings: CompileWarning[] = [];
  const fields = new Set<string>();
  const ctx: CompileContext = { source: rule.source, registry: env.registry, slots: set.slots, warnings: compileWarnings, fields };
  if (env.legacyFiles.has(rule.ctx.file)) ctx.legacyListOperators = true;
  let evaluate: Evaluator;
  try {
    evaluate = compileCondition(resolved, ctx);
  } catch (err) {
    if (err instanceof CompileError && err.code === 'UNKNOWN_FIELD' && rule.skipIfUnknownFilter) {
      warn('LOAD_UNKNOWN_FIELD', err.message, rule.ctx);
      return 'skipped';
    }
    reportConditionError(err, rule.conditionCtx, rule.conditionPos, error);
    return undefined;
  }
  for (const w of compileWarnings) warn(w.code, w.message, rule.ctx);
  const keySets = set.index.map((f) => matchableValues(resolved, f.matches));
  if (rule.source === 'syscall' && rule.warnEvttypes && (keySets[0] ?? ALL).all) {
    warn('LOAD_NO_EVTTYPE', 'Rule matches too many evt.type values. This has a significant performance penalty.', rule.ctx);
  }
  let output: OutputFormat;
  try {
    output = compileOutput(rule.output, { source: rule.source, registry: env.registry, slots: set.slots });
  } catch (err) {
    if (err instanceof CompileError) {
      error('LOAD_ERR_COMPILE_OUTPUT', err.message, rule.ctx);
      return undefined;
    }
    throw err;
  }
  return {
    name: rule.name,
    desc: rule.desc,
    priority: rule.priority,
    source: rule.source,
    tags: rule.tags,
    enabled: rule.enabled,
    order,
    condition: resolved,
    evaluate,
    output,
    keySets,
    fields: [...fields],
    ctx: rule.ctx,
  };
}

// ── exceptions ────────────────────────────────────────────────────────────

const NOWHERE: Position = { idx: 0, line: 1, col: 1 };

/** One `not (…)` per exception with values: `(f1 c1 v1 and f2 c2 v2) or …` for its tuples. */
function exceptionsExpr(rule: RuleInfo): Expr[] {
  const names = new Set<string>();
  const out: Expr[] = [];
  for (const ex of rule.exceptions) {
    names.add(ex.name);
    const tuples = exceptionTuples(ex);
    if (tuples.length === 0) continue;
    const body: Expr = tuples.length === 1 ? tuples[0]! : { kind: 'or', children: tuples, pos: NOWHERE };
    out.push({ kind: 'not', child: body, pos: NOWHERE });
  }
  return out;
}

function exceptionTuples(ex: ExceptionInfo): Expr[] {
  const fail = (message: string): never => {
    throw new ItemError('LOAD_ERR_VALIDATE', message, ex.ctx);
  };
  if (ex.fields === undefined) fail('Rule exception must have fields property with a list of fields');
  if (!Array.isArray(ex.fields)) {
    const comp = ex.comps ?? 'in';
    if (Array.isArray(comp)) fail('Fields and comps lists must have equal length');
    const op = parseComp(comp as string, fail);
    if (!LIST_OPS.has(op.op) && !op.modifier) fail(`When fields is a single field, comps must be a list operator (in, intersects, pmatch), not '${comp as string}'`);
    if (ex.values.length === 0) return [];
    const values = ex.values.map((v) => {
      if (typeof v === 'object' && v !== null) fail('Expected values array to contain a list of strings');
      return itemValue(String(v), NOWHERE);
    });
    return [check(fieldOperand(ex.fields as string, fail), op, { kind: 'list', values, pos: NOWHERE })];
  }
  const fields = ex.fields.map((f) => fieldOperand(f, fail));
  const comps = ex.comps === undefined ? fields.map(() => '=') : ex.comps;
  if (!Array.isArray(comps) || comps.length !== fields.length) fail('Fields and comps lists must have equal length');
  const ops = (comps as string[]).map((c) => parseComp(c, fail));
  return ex.values.map((tuple) => {
    if (!Array.isArray(tuple) || tuple.length !== fields.length) fail('Fields and values lists must have equal length');
    const checks = (tuple as unknown[]).map((v, i) => check(fields[i]!, ops[i]!, rightSide(v, ops[i]!, fail)));
    return checks.length === 1 ? checks[0]! : ({ kind: 'and', children: checks, pos: NOWHERE } satisfies Expr);
  });
}

function parseComp(comp: string, fail: (m: string) => never): { op: string; modifier?: BinaryCheck['modifier'] } {
  const [op, modifier, ...rest] = comp.trim().split(/\s+/);
  if (!op || !EXCEPTION_OPS.has(op) || rest.length > 0 || (modifier !== undefined && !['oneof', 'anyof', 'allof'].includes(modifier))) {
    fail(`'${comp}' is not a supported comparison operator`);
  }
  return modifier ? { op: op!, modifier: modifier as BinaryCheck['modifier'] } : { op: op! };
}

/** A tuple element: a list → `(a, b)`; a bare string under a list operator → `(s)` (a list name expands later). */
function rightSide(v: unknown, op: { op: string; modifier?: string }, fail: (m: string) => never): RightSide {
  if (Array.isArray(v)) return { kind: 'list', values: v.map((x) => itemValue(String(x), NOWHERE)), pos: NOWHERE };
  if (typeof v === 'object' && v !== null) fail('Expected values array to contain a list of strings');
  if (!LIST_OPS.has(op.op) && !op.modifier) return itemValue(String(v), NOWHERE);
  return { kind: 'list', values: listText(String(v)), pos: NOWHERE };
}

/**
 * A string under a list operator: Falco puts it between parentheses and parses it, so `a, b` is two
 * values (and a list name expands later); text that does not parse as a list is one value.
 */
function listText(text: string): ValueExpr[] {
  try {
    const e = parseCondition(`x.y in (${text})`);
    if (e.kind === 'binary' && e.right.kind === 'list' && e.right.values.length > 0) return e.right.values.map((v) => ({ ...v, pos: NOWHERE }));
  } catch {
    // one value, as written
  }
  return [itemValue(text, NOWHERE)];
}

function check(left: Operand, op: { op: string; modifier?: BinaryCheck['modifier'] }, right: RightSide): Expr {
  const c: BinaryCheck = { kind: 'binary', left, op: op.op, right, pos: NOWHERE };
  if (op.modifier) c.modifier = op.modifier;
  return c;
}

function fieldOperand(text: string, fail: (m: string) => never): Operand {
  try {
    const e = parseCondition(`${text} exists`);
    if (e.kind === 'unary') return e.left;
  } catch {
    // reported below
  }
  return fail(`'${text}' is not a valid field for an exception`) as FieldRef;
}

// ── requirements ──────────────────────────────────────────────────────────

function versionParts(v: string): [number, number, number] {
  if (/^\d+$/.test(v)) return [0, Number(v), 0];
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return [a, b, c];
}

function compareVersions(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Falco's "compatible with": same major, and at least the required minor.patch. */
function compatible(have: string, need: string): boolean {
  return versionParts(have)[0] === versionParts(need)[0] && compareVersions(have, need) >= 0;
}

function checkEngineVersion(col: Collector, error: (code: LoadErrorCode, message: string, ctx: ItemContext) => void): void {
  for (const req of col.engineRequirements) {
    if (compareVersions(req.value, ENGINE_VERSION) > 0) {
      error('LOAD_ERR_VALIDATE', `Rules require engine version ${req.value}, but engine version is ${ENGINE_VERSION}`, req.ctx);
    }
  }
}

function checkPlugins(col: Collector, registry: FieldRegistry, error: (code: LoadErrorCode, message: string, ctx: ItemContext) => void): void {
  const available = registry.plugins();
  for (const req of col.pluginRequirements) {
    for (const p of req.plugins) {
      const candidates = [{ name: p.name, version: p.version }, ...p.alternatives];
      if (candidates.some((c) => available.some((a) => a.name === c.name && compatible(a.version, c.version)))) continue;
      const ctx = { ...req.ctx, itemName: p.name };
      const have = available.find((a) => candidates.some((c) => c.name === a.name));
      const wanted = candidates.map((c) => `${c.name} (>= ${c.version})`).join(', ');
      if (have) error('LOAD_ERR_VALIDATE', `Plugin '${have.name}' version '${have.version}' is not compatible with required plugin version; must load one of: ${wanted}`, ctx);
      else {
        const list = available.map((a) => `${a.name} ${a.version}`).join(', ');
        error('LOAD_ERR_VALIDATE', `Plugin requirement not satisfied, must load one of: ${wanted} (this engine provides ${list})`, ctx);
      }
    }
  }
}

// ── error positions ───────────────────────────────────────────────────────

/** A parse/resolve/compile failure of a condition, placed in the file where the condition sits. */
function reportConditionError(
  err: unknown,
  ctx: ItemContext,
  textPos: TextPos | undefined,
  error: (code: LoadErrorCode, message: string, ctx: ItemContext, pos?: { line?: number; column?: number }) => void,
): void {
  if (err instanceof ResolveError) {
    error(err.code === 'UNDEFINED_MACRO' || err.code === 'MACRO_CYCLE' ? 'LOAD_ERR_VALIDATE' : 'LOAD_ERR_COMPILE_CONDITION', err.message, ctx, filePos(textPos, err.pos));
    return;
  }
  if (err instanceof ConditionSyntaxError || err instanceof CompileError) {
    error('LOAD_ERR_COMPILE_CONDITION', err.message, ctx, filePos(textPos, err.pos));
    return;
  }
  throw err;
}

/** File line and column of a position inside a condition scalar, through its source segments. */
function filePos(textPos: TextPos | undefined, pos: Position): { line?: number; column?: number } {
  const segments = textPos?.segments;
  if (!segments || segments.length === 0) return {};
  let offset = pos.idx;
  for (const seg of segments) {
    if (offset <= seg.length) return { line: seg.line, column: seg.column + offset };
    offset -= seg.length + 1;
  }
  const last = segments[segments.length - 1]!;
  return { line: last.line, column: last.column + last.length };
}
