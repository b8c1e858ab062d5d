/**
 * Compiler: a condition tree (macros and lists already substituted) → a closure that evaluates
 * it on an event. Fields resolve through the registry for the rule's source; the operator is
 * checked against the field's type (list fields take only `exists`, `in`, `intersects`); right-hand
 * values are converted once. Semantics copied from libsinsp: a check on a field with no value is
 * false whatever the operator (`!=` included; `not` then makes it true); `in` on a list field
 * needs every element in the set, `intersects` one; a field standing for several values
 * (`proc.aname` without index) matches when one value does.
 *
 * Extracted values are memoised per event in numbered slots shared by all rules of an engine, so
 * ten rules reading `ka.verb` extract it once.
 */
import type { RuntimeEvent } from '../event.ts';
import type { FieldRegistry } from '../fields/registry.ts';
import { FieldArgError, type Extractor, type FieldType, type FieldValue, type Scalar } from '../fields/types.ts';
import { printCondition, type BinaryCheck, type Expr, type Operand, type Position, type TransformerExpr } from './ast.ts';
import { LIST_OPS, OperatorError, operatorAccepts, parseRhs, scalarMatcher, type Matcher, type Op } from './operators.ts';
import { RegexSyntaxError } from './regex.ts';

export type Evaluator = (evt: RuntimeEvent) => boolean;

export class CompileError extends Error {
  readonly pos: Position;
  /** UNKNOWN_FIELD lets a rule with `skip-if-unknown-filter` be skipped instead of failing. */
  readonly code: 'UNKNOWN_FIELD' | 'INVALID';

  constructor(code: CompileError['code'], message: string, pos: Position) {
    super(message);
    this.name = 'CompileError';
    this.code = code;
    this.pos = pos;
  }
}

export interface CompileWarning {
  code: 'LOAD_UNSAFE_NA_CHECK' | 'LOAD_DEPRECATED_ITEM';
  message: string;
  pos: Position;
}

let tableIds = 0;

/** Numbered memo slots, one per distinct operand text, shared by the rules of one source. */
export class SlotTable {
  /** Events remember which table their memo belongs to; ids start at 1 (0: no memo yet). */
  readonly id = ++tableIds;
  private readonly slots = new Map<string, number>();

  slot(key: string): number {
    let n = this.slots.get(key);
    if (n === undefined) this.slots.set(key, (n = this.slots.size));
    return n;
  }

  get size(): number {
    return this.slots.size;
  }
}

export interface CompileContext {
  source: string;
  registry: FieldRegistry;
  slots: SlotTable;
  /** Warnings found while compiling are appended here. */
  warnings?: CompileWarning[];
  /** Field names the condition reads are added here (for reports). */
  fields?: Set<string>;
  /**
   * Rules written for engines older than 0.15.0 (before `in`/`intersects` on list fields) used
   * other operators on list fields, matching when one element matched; accept that for them.
   */
  legacyListOperators?: boolean;
}

export interface CompiledOperand {
  get: Extractor;
  type: FieldType;
  /** List-typed: only exists/in/intersects. */
  list: boolean;
  /** Several values, any of which may match (an ancestor field without index). */
  multi: boolean;
  text: string;
}

const NO_VALUE = Symbol('no value');

function memo(table: number, slot: number, extract: Extractor): Extractor {
  return (evt) => {
    if (evt.cacheOwner !== table) {
      evt.cache = [];
      evt.cacheOwner = table;
    }
    const cache = evt.cache;
    const hit = cache[slot];
    if (hit !== undefined) return hit === NO_VALUE ? undefined : (hit as FieldValue);
    const v = extract(evt);
    cache[slot] = v === undefined ? NO_VALUE : v;
    return v;
  };
}

export function compileCondition(expr: Expr, ctx: CompileContext): Evaluator {
  switch (expr.kind) {
    case 'and': {
      const parts = expr.children.map((c) => compileCondition(c, ctx));
      if (parts.length === 2) {
        const [a, b] = parts as [Evaluator, Evaluator];
        return (e) => a(e) && b(e);
      }
      return (e) => {
        for (const p of parts) if (!p(e)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = expr.children.map((c) => compileCondition(c, ctx));
      if (parts.length === 2) {
        const [a, b] = parts as [Evaluator, Evaluator];
        return (e) => a(e) || b(e);
      }
      return (e) => {
        for (const p of parts) if (p(e)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compileCondition(expr.child, ctx);
      return (e) => !inner(e);
    }
    case 'identifier':
      throw new CompileError('INVALID', `Undefined macro '${expr.name}' used in filter.`, expr.pos);
    case 'unary': {
      const left = compileOperand(expr.left, ctx, false);
      const get = left.get;
      return (e) => get(e) !== undefined;
    }
    case 'binary':
      return compileBinary(expr, ctx);
  }
}

/** A field or transformer, resolved for the context's source (also used by output formats). */
export function compileOperand(operand: Operand, ctx: CompileContext, forOutput: boolean): CompiledOperand {
  const text = printCondition(operand);
  if (operand.kind === 'field') {
    const resolved = ctx.registry.lookup(ctx.source, operand.name, operand.arg);
    if (!resolved) throw new CompileError('UNKNOWN_FIELD', `filter_check called with nonexistent field ${operand.name}`, operand.pos);
    const { def, arg } = resolved;
    if (def.outputOnly && !forOutput) throw new CompileError('INVALID', `field '${operand.name}' can only be used in outputs`, operand.pos);
    if (arg !== undefined && !def.arg) throw new CompileError('INVALID', `field '${def.name}' does not accept an argument`, operand.pos);
    if (arg === undefined && def.arg?.required) throw new CompileError('INVALID', `field '${def.name}' requires an argument`, operand.pos);
    let extract: Extractor;
    try {
      extract = def.bind(arg);
    } catch (err) {
      if (err instanceof FieldArgError) throw new CompileError('INVALID', err.message, operand.pos);
      throw err;
    }
    ctx.fields?.add(def.name);
    return {
      get: memo(ctx.slots.id, ctx.slots.slot(`${ctx.source}\u0000${text}`), extract),
      type: def.type,
      list: def.list === true,
      multi: def.anyValue === true && arg === undefined,
      text,
    };
  }
  return compileTransformer(operand, ctx, forOutput, text);
}

function compileTransformer(t: TransformerExpr, ctx: CompileContext, forOutput: boolean, text: string): CompiledOperand {
  const inner = compileOperand(t.arg, ctx, forOutput);
  if (t.name === 'val') return inner;
  const get = inner.get;
  if (t.name === 'len') {
    return {
      get: (e) => {
        const v = get(e);
        if (v === undefined) return undefined;
        if (Array.isArray(v)) return v.length;
        return typeof v === 'string' ? Buffer.byteLength(v) : String(v).length;
      },
      type: 'uint',
      list: false,
      multi: false,
      text,
    };
  }
  if (inner.type !== 'string' && inner.type !== 'bytes') {
    throw new CompileError('INVALID', `transformer '${t.name}' cannot be applied to field '${inner.text}' of type ${inner.type}`, t.pos);
  }
  const fn = STRING_TRANSFORMERS[t.name];
  if (!fn) throw new CompileError('INVALID', `unknown transformer '${t.name}'`, t.pos);
  return {
    get: (e) => {
      const v = get(e);
      if (v === undefined) return undefined;
      return Array.isArray(v) ? v.map((x) => fn(String(x))) : fn(String(v));
    },
    type: 'string',
    list: inner.list,
    multi: inner.multi,
    text,
  };
}

const STRING_TRANSFORMERS: Record<string, (s: string) => string> = {
  tolower: (s) => s.toLowerCase(),
  toupper: (s) => s.toUpperCase(),
  b64: (s) => Buffer.from(s, 'base64').toString('utf8'),
  // "" for a path ending in '/', as libsinsp's basename transformer.
  basename: (s) => (s.endsWith('/') ? '' : s.slice(s.lastIndexOf('/') + 1)),
};

function compileBinary(check: BinaryCheck, ctx: CompileContext): Evaluator {
  const left = compileOperand(check.left, ctx, false);
  const op = check.op as Op;
  const legacyList = left.list && op !== 'in' && op !== 'intersects' && ctx.legacyListOperators === true;
  if (left.list && op !== 'in' && op !== 'intersects' && !legacyList) {
    throw new CompileError('INVALID', `list filter '${left.text}' only supports operators 'exists', 'in' and 'intersects'`, check.pos);
  }
  if (!operatorAccepts(left.type, op)) {
    throw new CompileError('INVALID', `operator '${op}' is not supported by field '${left.text}' of type ${left.type}`, check.pos);
  }
  const right = check.right;
  let matcherOf: (e: RuntimeEvent) => Matcher | undefined;
  if (right.kind === 'transformer') {
    const rhs = compileOperand(right, ctx, false);
    matcherOf = (e) => dynamicMatcher(op, check.modifier, rhs.get(e), left.type, left.text);
  } else {
    const texts = right.kind === 'list' ? right.values.map((v) => v.value) : [right.value];
    if (texts.includes('<NA>')) {
      ctx.warnings?.push({
        code: 'LOAD_UNSAFE_NA_CHECK',
        message: 'Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule; use \'exists\' instead',
        pos: check.pos,
      });
    }
    let matcher: Matcher;
    try {
      matcher = buildMatcher(op, check.modifier, texts.map((t) => parseRhs(t, left.type, left.text)), left.type);
    } catch (err) {
      if (err instanceof OperatorError || err instanceof RegexSyntaxError) throw new CompileError('INVALID', err.message, right.pos);
      throw err;
    }
    matcherOf = () => matcher;
  }
  const get = left.get;
  if (legacyList) {
    ctx.warnings?.push({
      code: 'LOAD_DEPRECATED_ITEM',
      message: `operator '${op}' on list field '${left.text}' matches when any element matches (engine versions before 0.15.0); use 'intersects' or 'in'`,
      pos: check.pos,
    });
  }
  if (left.list && !legacyList) {
    const every = op === 'in';
    return (e) => {
      const v = get(e);
      if (v === undefined) return false;
      const m = matcherOf(e);
      if (!m) return false;
      const values = Array.isArray(v) ? v : [v];
      return every ? values.length > 0 && values.every(m) : values.some(m);
    };
  }
  if (left.multi || legacyList) {
    return (e) => {
      const v = get(e);
      if (v === undefined) return false;
      const m = matcherOf(e);
      return m !== undefined && (Array.isArray(v) ? v.some(m) : m(v));
    };
  }
  if (right.kind !== 'transformer') {
    const m = matcherOf(undefined as unknown as RuntimeEvent)!;
    return (e) => {
      const v = get(e);
      return v !== undefined && m(v as Scalar);
    };
  }
  return (e) => {
    const v = get(e);
    if (v === undefined) return false;
    const m = matcherOf(e);
    return m !== undefined && (Array.isArray(v) ? v.some(m) : m(v));
  };
}

function buildMatcher(op: Op, modifier: BinaryCheck['modifier'], rhs: Scalar[], type: FieldType): Matcher {
  if (!modifier) return scalarMatcher(op, LIST_OPS.has(op) ? rhs : rhs.slice(0, 1), type);
  const each = rhs.map((r) => scalarMatcher(op, [r], type));
  if (modifier === 'anyof') return (v) => each.some((m) => m(v));
  if (modifier === 'allof') return (v) => each.length > 0 && each.every((m) => m(v));
  return (v) => each.filter((m) => m(v)).length === 1;
}

/** A matcher against a value extracted at run time (`val(field)`, a transformer). */
function dynamicMatcher(op: Op, modifier: BinaryCheck['modifier'], rhs: FieldValue | undefined, type: FieldType, field: string): Matcher | undefined {
  if (rhs === undefined) return undefined;
  try {
    const values = (Array.isArray(rhs) ? rhs : [rhs]).map((r) => parseRhs(String(r), type, field));
    if (values.length === 0) return undefined;
    return buildMatcher(op, modifier, values, type);
  } catch {
    return undefined;
  }
}
