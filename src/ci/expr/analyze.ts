/**
 * Questions the audits ask of a parsed expression: which contexts it reads, which of them can
 * flow into its value, whether it is a constant, and GitHub's evaluation rules for constants.
 */
import type { AccessKey, Expr, Span } from './parse.ts';

/**
 * A context reference: an access chain such as `github.event.issue.title`, `matrix['os']` or
 * `fromJSON(steps.x.outputs.y).z`. `path` is its normalised pattern (lower-case, string
 * indices as names, numeric indices and `*` as `*`) or undefined when the chain starts with a
 * call or parenthesis, or indexes with a computed value: such chains cannot be matched.
 */
export interface ContextRef {
  expr: Expr;
  path: string[] | undefined;
  span: Span;
}

/** Functions are case-insensitive in GitHub's evaluator; audits compare lower-case names. */
export function fnName(call: Extract<Expr, { kind: 'call' }>): string {
  return call.name.toLowerCase();
}

/** The pattern of an access chain rooted at an identifier, or undefined (see ContextRef). */
export function contextPath(expr: Expr): string[] | undefined {
  if (expr.kind === 'ident') return [expr.name.toLowerCase()];
  if (expr.kind !== 'access') return undefined;
  const base = contextPath(expr.object);
  if (!base) return undefined;
  const part = keyPart(expr.key);
  return part === undefined ? undefined : [...base, part];
}

function keyPart(key: AccessKey): string | undefined {
  switch (key.kind) {
    case 'name':
      return key.name.toLowerCase();
    case 'star':
      return '*';
    case 'index':
      if (key.index.kind !== 'literal') return undefined;
      if (typeof key.index.value === 'string') return key.index.value.toLowerCase();
      if (typeof key.index.value === 'number') return '*';
      return undefined;
  }
}

/** True when `expr` is an access chain or identifier (a "context" in GitHub's terms). */
export function isContext(expr: Expr): boolean {
  return expr.kind === 'ident' || expr.kind === 'access';
}

/** Does the context path start with `prefix` (lower-case, `*` in the prefix matches anything)? */
export function pathStartsWith(path: string[] | undefined, prefix: string[]): boolean {
  if (!path || path.length < prefix.length) return false;
  return prefix.every((p, i) => p === '*' || p === path[i] || path[i] === '*');
}

export function pathEquals(path: string[] | undefined, other: string[]): boolean {
  return !!path && path.length === other.length && pathStartsWith(path, other);
}

/** Sub-expressions of `expr` (one level down), including index expressions of access chains. */
export function children(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'literal':
    case 'ident':
      return [];
    case 'access':
      return expr.key.kind === 'index' ? [expr.object, expr.key.index] : [expr.object];
    case 'call':
      return expr.args;
    case 'binary':
      return [expr.left, expr.right];
    case 'unary':
      return [expr.operand];
  }
}

/** Every maximal context in the expression, including those inside index expressions and call arguments. */
export function allContexts(expr: Expr): ContextRef[] {
  const out: ContextRef[] = [];
  const visit = (e: Expr): void => {
    if (isContext(e)) {
      out.push({ expr: e, path: contextPath(e), span: e.span });
      // Contexts used as computed indices are read too.
      for (const idx of indexExpressions(e)) visit(idx);
      // A chain rooted at a call reads the call's arguments.
      const root = chainRoot(e);
      if (root.kind !== 'ident') visit(root);
      return;
    }
    for (const c of children(e)) visit(c);
  };
  visit(expr);
  return out;
}

/** The expression an access chain starts from (an identifier, call, literal or parenthesised expression). */
export function chainRoot(expr: Expr): Expr {
  let e = expr;
  while (e.kind === 'access') e = e.object;
  return e;
}

function indexExpressions(expr: Expr): Expr[] {
  const out: Expr[] = [];
  let e = expr;
  while (e.kind === 'access') {
    if (e.key.kind === 'index') out.push(e.key.index);
    e = e.object;
  }
  return out;
}

/** Functions whose result carries (part of) their arguments' text. */
const PASS_THROUGH = new Set(['format', 'join', 'tojson', 'fromjson', 'case']);

/**
 * Contexts whose value can end up in the expression's value. `a && b` evaluates to `b` unless
 * `a` is falsy (then to a falsy `a`, which cannot carry a payload), `a || b` to either side;
 * comparisons, `!` and predicate functions (`contains`, `startsWith` …) yield booleans.
 */
export function dataflowContexts(expr: Expr): ContextRef[] {
  switch (expr.kind) {
    case 'literal':
      return [];
    case 'ident':
    case 'access':
      return [{ expr, path: contextPath(expr), span: expr.span }];
    case 'call': {
      const name = fnName(expr);
      if (!PASS_THROUGH.has(name)) return [];
      // case(pred, value, pred, value, …, default): only values flow.
      const args = name === 'case' ? expr.args.filter((_, i) => i % 2 === 1 || i === expr.args.length - 1) : expr.args;
      return args.flatMap(dataflowContexts);
    }
    case 'binary':
      if (expr.op === '&&') return dataflowContexts(expr.right);
      if (expr.op === '||') return [...dataflowContexts(expr.left), ...dataflowContexts(expr.right)];
      return [];
    case 'unary':
      return [];
  }
}

/** Walks every node, outermost first; return false from `visit` to skip a node's children. */
export function walk(expr: Expr, visit: (e: Expr) => boolean | void): void {
  if (visit(expr) === false) return;
  for (const c of children(expr)) walk(c, visit);
}

// ---------------------------------------------------------------------------------------------
// Constant evaluation, with GitHub's coercions (docs: "Operators" and "Functions").

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** Functions that are pure and can be evaluated when all their arguments are constants. */
const PURE_FUNCTIONS = new Set(['format', 'contains', 'startswith', 'endswith', 'join', 'tojson']);

/** True when the expression has the same value in every run (literals, operators and pure calls over literals). */
export function isConstant(expr: Expr): boolean {
  switch (expr.kind) {
    case 'literal':
      return true;
    case 'ident':
    case 'access':
      return false;
    case 'call':
      return PURE_FUNCTIONS.has(fnName(expr)) && expr.args.every(isConstant) && evaluate(expr) !== undefined;
    case 'binary':
      return isConstant(expr.left) && isConstant(expr.right);
    case 'unary':
      return isConstant(expr.operand);
  }
}

export function truthy(v: Value): boolean {
  if (v === null || v === false || v === '' || v === 0) return false;
  if (typeof v === 'number' && Number.isNaN(v)) return false;
  return true;
}

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return 0;
    if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
    const n = Number(t);
    return Number.isNaN(n) ? NaN : n;
  }
  return NaN;
}

export function toStringValue(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return Array.isArray(v) ? 'Array' : 'Object';
}

/** Loose equality: strings compare case-insensitively, mixed types are compared as numbers. */
function looseEquals(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (typeof a !== 'object' || a === null)) return a === b;
  if (typeof a === 'object' && a !== null) return a === b;
  if (typeof b === 'object' && b !== null) return false;
  return toNumber(a) === toNumber(b);
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `format('{0} {1}', a, b)`, with `{{`/`}}` escapes; undefined when the format string is malformed. */
function format(fmt: string, args: Value[]): string | undefined {
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === '{' && fmt[i + 1] === '{') {
      out += '{';
      i++;
    } else if (c === '}' && fmt[i + 1] === '}') {
      out += '}';
      i++;
    } else if (c === '{') {
      const m = /^\{(\d+)\}/.exec(fmt.slice(i));
      if (!m) return undefined;
      const arg = args[Number(m[1])];
      if (arg === undefined) return undefined;
      out += toStringValue(arg);
      i += m[0].length - 1;
    } else if (c === '}') {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/** Evaluates a constant expression; undefined when it reads a context or calls an unknown function. */
export function evaluate(expr: Expr): Value | undefined {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'ident':
    case 'access':
      return undefined;
    case 'unary': {
      const v = evaluate(expr.operand);
      return v === undefined ? undefined : !truthy(v);
    }
    case 'binary': {
      const l = evaluate(expr.left);
      if (l === undefined) return undefined;
      if (expr.op === '&&') return truthy(l) ? evaluate(expr.right) : l;
      if (expr.op === '||') return truthy(l) ? l : evaluate(expr.right);
      const r = evaluate(expr.right);
      if (r === undefined) return undefined;
      switch (expr.op) {
        case '==':
          return looseEquals(l, r);
        case '!=':
          return !looseEquals(l, r);
        case '<':
          return compare(l, r) < 0;
        case '<=':
          return compare(l, r) <= 0;
        case '>':
          return compare(l, r) > 0;
        case '>=':
          return compare(l, r) >= 0;
      }
      return undefined;
    }
    case 'call':
      return evaluateCall(expr);
  }
}

function evaluateCall(expr: Extract<Expr, { kind: 'call' }>): Value | undefined {
  const args: Value[] = [];
  for (const a of expr.args) {
    const v = evaluate(a);
    if (v === undefined) return undefined;
    args.push(v);
  }
  const [a, b] = args;
  switch (fnName(expr)) {
    case 'format':
      return typeof a === 'string' ? format(a, args.slice(1)) : undefined;
    case 'contains':
      if (a === undefined || b === undefined) return undefined;
      if (Array.isArray(a)) return a.some((x) => looseEquals(x, b));
      return toStringValue(a).toLowerCase().includes(toStringValue(b).toLowerCase());
    case 'startswith':
      if (a === undefined || b === undefined) return undefined;
      return toStringValue(a).toLowerCase().startsWith(toStringValue(b).toLowerCase());
    case 'endswith':
      if (a === undefined || b === undefined) return undefined;
      return toStringValue(a).toLowerCase().endsWith(toStringValue(b).toLowerCase());
    case 'join':
      if (a === undefined) return undefined;
      return Array.isArray(a) ? a.map(toStringValue).join(b === undefined ? ',' : toStringValue(b)) : toStringValue(a);
    case 'tojson':
      return a === undefined ? undefined : JSON.stringify(a, null, 2);
    case 'fromjson':
      if (typeof a !== 'string') return undefined;
      try {
        return JSON.parse(a) as Value;
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}
