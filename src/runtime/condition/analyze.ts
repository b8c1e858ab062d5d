/**
 * Which values of an index field (`evt.type` for syscalls, stage/resource/verb for audit events)
 * a condition can match, so that a rule only runs on events it can match. For every node the pass
 * computes the values for which the node may be true and those for which it may be false; `not`
 * swaps them, `and` intersects the may-true sets and unites the may-false ones, `or` the reverse.
 * A check on any other field may be either for every value. This is libsinsp's event-type
 * resolution (filter/ppm_codes.cpp), generalised to any string field.
 */
import type { Expr, Operand } from './ast.ts';

/** The "no value" of an index field, which `exists` and every comparison tell apart. */
export const MISSING = '\u0000missing';

/** A set of values, finite or the complement of a finite set. */
export interface KeySet {
  all: boolean;
  /** all=false: the members; all=true: the values excluded. */
  values: ReadonlySet<string>;
}

export const ALL: KeySet = { all: true, values: new Set() };

const only = (values: Iterable<string>): KeySet => ({ all: false, values: new Set(values) });
const allBut = (values: Iterable<string>): KeySet => ({ all: true, values: new Set(values) });

export function keySetHas(set: KeySet, value: string): boolean {
  return set.all ? !set.values.has(value) : set.values.has(value);
}

function intersect(a: KeySet, b: KeySet): KeySet {
  if (a.all && b.all) return allBut([...a.values, ...b.values]);
  if (a.all) return only([...b.values].filter((v) => !a.values.has(v)));
  if (b.all) return only([...a.values].filter((v) => !b.values.has(v)));
  return only([...a.values].filter((v) => b.values.has(v)));
}

function unite(a: KeySet, b: KeySet): KeySet {
  if (a.all && b.all) return allBut([...a.values].filter((v) => b.values.has(v)));
  if (a.all) return allBut([...a.values].filter((v) => !b.values.has(v)));
  if (b.all) return allBut([...b.values].filter((v) => !a.values.has(v)));
  return only([...a.values, ...b.values]);
}

interface Outcome {
  mayTrue: KeySet;
  mayFalse: KeySet;
}

const EITHER: Outcome = { mayTrue: ALL, mayFalse: ALL };

/** Names under which the index field can be written (`ka.verb`; `json.value[/stage]` and `jevt.value[/stage]`). */
export type FieldMatcher = (operand: Operand) => boolean;

/** The values of the field for which `expr` (macros already substituted) can be true. */
export function matchableValues(expr: Expr, isKey: FieldMatcher): KeySet {
  return outcome(expr, isKey).mayTrue;
}

function outcome(e: Expr, isKey: FieldMatcher): Outcome {
  switch (e.kind) {
    case 'and':
      return e.children.map((c) => outcome(c, isKey)).reduce((a, b) => ({ mayTrue: intersect(a.mayTrue, b.mayTrue), mayFalse: unite(a.mayFalse, b.mayFalse) }));
    case 'or':
      return e.children.map((c) => outcome(c, isKey)).reduce((a, b) => ({ mayTrue: unite(a.mayTrue, b.mayTrue), mayFalse: intersect(a.mayFalse, b.mayFalse) }));
    case 'not': {
      const inner = outcome(e.child, isKey);
      return { mayTrue: inner.mayFalse, mayFalse: inner.mayTrue };
    }
    case 'identifier':
      return EITHER;
    case 'unary':
      return isKey(e.left) ? { mayTrue: allBut([MISSING]), mayFalse: only([MISSING]) } : EITHER;
    case 'binary': {
      if (!isKey(e.left) || e.modifier) return EITHER;
      const values = e.right.kind === 'value' ? [e.right.value] : e.right.kind === 'list' ? e.right.values.map((v) => v.value) : undefined;
      if (!values) return EITHER;
      switch (e.op) {
        case '=':
        case '==':
        case 'in':
        case 'intersects':
          return { mayTrue: only(values), mayFalse: allBut(values) };
        case '!=':
          return { mayTrue: allBut([...values, MISSING]), mayFalse: only([...values, MISSING]) };
        default:
          return EITHER;
      }
    }
  }
}
