/** The engine's glue to the variables and conditions modules: one place for how rules call them. */
import { evaluateConditions, type ConditionsResult } from '../conditions/evaluate.ts';
import type { Conditions } from '../types.ts';
import type { JsonContext } from '../variables/context.ts';
import { substituteAll, substituteAllInPreconditions } from '../variables/substitute.ts';

/** Preconditions and deny conditions: each key and value is substituted as it is evaluated. */
export function checkConditions(ctx: JsonContext, conditions: Conditions | null | undefined, rule?: string): ConditionsResult {
  return evaluateConditions(conditions, (value) => substituteAllInPreconditions(ctx, value, { ...(rule !== undefined && { rule }) }));
}

/**
 * A foreach `list`: a JMESPath expression (no braces) over the context. A non-list result is a
 * one-element list, as in Kyverno (so a missing list is `[null]`, which iterates nothing).
 */
export function evaluateList(ctx: JsonContext, list: string): unknown[] {
  const value = ctx.query(list);
  return Array.isArray(value) ? value : [value];
}

/**
 * Substitutes `{{ }}` variables in part of a rule. `wrap` places the part where it sits in the rule
 * (`{validate: {pattern}}`) so that `{{@}}` resolves against the matching resource path.
 */
export function substitute<T>(ctx: JsonContext, part: T, wrap: (part: T) => unknown, unwrap: (doc: unknown) => T, rule?: string): T {
  return unwrap(substituteAll(ctx, wrap(part), { ...(rule !== undefined && { rule }) }));
}

/** Substitutes a standalone value (a message, a context entry field). */
export function substituteValue(ctx: JsonContext, value: unknown, rule?: string): unknown {
  return substituteAll(ctx, value, { ...(rule !== undefined && { rule }) });
}
