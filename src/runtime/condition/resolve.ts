/**
 * List and macro substitution on condition trees.
 *
 * Falco expands list names textually in the condition string before parsing (every occurrence
 * delimited by blanks, parentheses, commas or `=`), then substitutes macros in the parsed tree.
 * Here lists are substituted in the tree, where they can only stand: a bare value of a check. The
 * accepted inputs are the same (`in (a, my_list)`, `in my_list`, `= single_item_list`); a quoted
 * value is never a list name. Items keep Falco's quoting rule: an item written with quotes
 * (`'"(systemd)"'`) is the quoted string, any other item is taken verbatim.
 */
import type { BinaryCheck, Expr, ListExpr, Position, RightSide, ValueExpr } from './ast.ts';
import { unescapeQuoted } from './parser.ts';
import { LIST_OPS } from './operators.ts';

export class ResolveError extends Error {
  readonly pos: Position;
  readonly code: 'UNDEFINED_MACRO' | 'MACRO_CYCLE' | 'LIST_AS_VALUE';

  constructor(code: ResolveError['code'], message: string, pos: Position) {
    super(message);
    this.name = 'ResolveError';
    this.code = code;
    this.pos = pos;
  }
}

/** A list item as a condition value. */
export function itemValue(item: string, pos: Position): ValueExpr {
  if (item.length >= 2 && (item[0] === '"' || item[0] === "'") && item.endsWith(item[0]!)) {
    return { kind: 'value', value: unescapeQuoted(item), quoted: true, pos };
  }
  return { kind: 'value', value: item, quoted: false, pos };
}

/**
 * Replaces list names in check values with the lists' items. `lists` maps names to flattened
 * items; names substituted are added to `used`.
 */
export function resolveLists(expr: Expr, lists: ReadonlyMap<string, readonly string[]>, used: Set<string>): Expr {
  const expand = (v: ValueExpr): ValueExpr[] | undefined => {
    if (v.quoted) return undefined;
    const items = lists.get(v.value);
    if (!items) return undefined;
    used.add(v.value);
    return items.map((item) => itemValue(item, v.pos));
  };

  const resolveRight = (check: BinaryCheck): RightSide => {
    const right = check.right;
    if (right.kind === 'list') {
      let changed = false;
      const values = right.values.flatMap((v) => {
        const items = expand(v);
        if (!items) return [v];
        changed = true;
        return items;
      });
      return changed ? ({ kind: 'list', values, pos: right.pos } satisfies ListExpr) : right;
    }
    if (right.kind !== 'value') return right;
    const items = expand(right);
    if (!items) return right;
    if (LIST_OPS.has(check.op) || check.modifier) return { kind: 'list', values: items, pos: right.pos };
    if (items.length === 1) return items[0]!;
    throw new ResolveError('LIST_AS_VALUE', `list '${right.value}' has ${items.length} items where operator '${check.op}' takes a single value`, right.pos);
  };

  const walk = (e: Expr): Expr => {
    switch (e.kind) {
      case 'and':
      case 'or':
        return { ...e, children: e.children.map(walk) };
      case 'not':
        return { ...e, child: walk(e.child) };
      case 'binary':
        return { ...e, right: resolveRight(e) };
      default:
        return e;
    }
  };
  return walk(expr);
}

/** Macro bodies by name, resolved on demand with cycle detection. */
export class MacroTable {
  private readonly bodies: ReadonlyMap<string, Expr>;
  private readonly resolved = new Map<string, Expr>();
  private readonly resolving: string[] = [];
  /** Macros referenced from any condition resolved through this table. */
  readonly used = new Set<string>();

  constructor(bodies: ReadonlyMap<string, Expr>) {
    this.bodies = bodies;
  }

  has(name: string): boolean {
    return this.bodies.has(name);
  }

  /** `expr` with every macro reference replaced by the macro's (resolved) condition. */
  resolve(expr: Expr): Expr {
    switch (expr.kind) {
      case 'and':
      case 'or':
        return { ...expr, children: expr.children.map((c) => this.resolve(c)) };
      case 'not':
        return { ...expr, child: this.resolve(expr.child) };
      case 'identifier':
        this.used.add(expr.name);
        return this.macro(expr.name, expr.pos);
      default:
        return expr;
    }
  }

  /** The fully resolved body of a macro. */
  macro(name: string, pos: Position): Expr {
    const done = this.resolved.get(name);
    if (done) return done;
    const body = this.bodies.get(name);
    if (!body) throw new ResolveError('UNDEFINED_MACRO', `Undefined macro '${name}' used in filter.`, pos);
    if (this.resolving.includes(name)) {
      throw new ResolveError('MACRO_CYCLE', `Macro cycle: ${[...this.resolving.slice(this.resolving.indexOf(name)), name].join(' -> ')}`, pos);
    }
    this.resolving.push(name);
    try {
      const out = this.resolve(body);
      this.resolved.set(name, out);
      return out;
    } finally {
      this.resolving.pop();
    }
  }
}
