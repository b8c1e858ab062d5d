/**
 * Runtime cost limits, as the API server puts on admission CEL (k8s.io/apiserver's per-expression
 * `PerCallLimit` of 1,000,000 cost units): CEL has no unbounded loops, but nested comprehensions
 * over large lists, or values doubled through `cel.bind`, can still take minutes or gigabytes.
 *
 * Cost here is what cel-go's runtime tracker counts, in spirit: one unit per evaluated expression
 * node (each comprehension step re-evaluates its body, so nested loops multiply), plus the size of
 * strings (a tenth of their length) and lists built by operators and functions. A wall-clock
 * budget backs it up for library functions that do a lot of work per call. When either is spent,
 * evaluation stops with a `CelCostError`.
 *
 * The CEL library has no tracker hook, so compiled expressions are instrumented: every AST node's
 * `evaluate` is wrapped. This relies on the library's node shape (`meta.evaluate`, `meta.macro`,
 * `meta.alternate`), which is why the dependency is pinned to an exact version; the cost unit tests
 * fail if an upgrade changes it.
 */

/** The API server's per-expression runtime cost limit. */
export const DEFAULT_COST_LIMIT = 1_000_000;
/** Wall-clock backstop per expression. */
export const DEFAULT_TIME_LIMIT_MS = 1_000;

export class CelCostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelCostError';
  }
}

export interface CostLimits {
  cost: number;
  timeMs: number;
}

/** The budget of the evaluation in progress (evaluation is synchronous, so one at a time). */
interface Budget {
  remaining: number;
  limit: number;
  deadline: number;
  timeMs: number;
  /** Nodes until the next clock check. */
  untilClock: number;
}

let active: Budget | undefined;
const CLOCK_EVERY = 2048;

/** Runs `fn` under a fresh budget (nested calls share the outer one). Returns the cost spent too. */
export function withBudget<T>(limits: CostLimits, fn: () => T): { value: T; cost: number } {
  if (active) {
    const before = active.remaining;
    const value = fn();
    return { value, cost: before - active.remaining };
  }
  const budget: Budget = { remaining: limits.cost, limit: limits.cost, deadline: performance.now() + limits.timeMs, timeMs: limits.timeMs, untilClock: CLOCK_EVERY };
  active = budget;
  try {
    const value = fn();
    return { value, cost: budget.limit - budget.remaining };
  } finally {
    active = undefined;
  }
}

/** Charges `units` to the active budget; library functions call it for work proportional to their input. */
export function charge(units: number): void {
  const b = active;
  if (!b) return;
  b.remaining -= units;
  if (b.remaining < 0) throw new CelCostError(`operation cancelled: actual cost limit exceeded (limit ${b.limit})`);
  b.untilClock -= units;
  if (b.untilClock <= 0) {
    b.untilClock = CLOCK_EVERY;
    if (performance.now() > b.deadline) throw new CelCostError(`operation cancelled: evaluation took longer than ${b.timeMs} ms`);
  }
}

/** Cost of a value an operator or function produced: strings by a tenth of their length, lists by size. */
function sizeCost(value: unknown): number {
  if (typeof value === 'string') return value.length > 20 ? Math.ceil(value.length / 10) : 0;
  if (Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return Math.ceil(value.length / 10);
  return 0;
}

/** The parts of the CEL library's AST node this module relies on. */
interface AstNode {
  op: string;
  args: unknown;
  meta: { evaluate: EvalFn; macro?: { evaluate: EvalFn } & Record<string, unknown>; alternate?: AstNode };
  evaluate: EvalFn;
}
type EvalFn = (this: unknown, ev: unknown, ast: unknown, ctx: unknown) => unknown;

const SIZED_OPS = new Set(['+', 'call', 'rcall']);

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'meta' in value && typeof (value as AstNode).meta === 'object';
}

/**
 * Wraps every node reachable from `root` (operands, macro expansions, comprehension parts) so that
 * evaluating it charges the active budget. Call once, after type checking (which settles each
 * node's evaluator).
 */
export function instrument(root: unknown, onMacro?: (macro: Record<string, unknown>) => void): void {
  const seen = new Set<object>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 64) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1);
      return;
    }
    if (isNode(value)) {
      wrap(value);
      visit(value.args, depth + 1);
      visit(value.meta.alternate, depth + 1);
      if (value.meta.macro) onMacro?.(value.meta.macro);
      visit(value.meta.macro, depth + 1);
      return;
    }
    // Comprehension arguments and macro records: plain objects holding nodes.
    if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) visit(v, depth + 1);
  };
  visit(root, 0);
}

function wrap(node: AstNode): void {
  const meta = node.meta;
  const alternate = meta.alternate;
  const macro = meta.macro;
  const inner: EvalFn = alternate
    ? (ev, _ast, ctx) => alternate.evaluate(ev, alternate, ctx)
    : macro
      ? (ev, _ast, ctx) => macro.evaluate(ev, macro, ctx)
      : meta.evaluate;
  const sized = SIZED_OPS.has(node.op);
  node.evaluate = function (this: unknown, ev, ast, ctx) {
    charge(1);
    const result = inner.call(this, ev, ast, ctx);
    if (sized) {
      const extra = sizeCost(result);
      if (extra > 0) charge(extra);
    }
    return result;
  };
}
