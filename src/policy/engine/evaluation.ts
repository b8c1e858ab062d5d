/** The engine's glue to the variables and conditions modules: one place for how rules call them. */
import { evaluateConditions, type ConditionsResult } from '../conditions/evaluate.ts';
import type { Conditions } from '../types.ts';
import type { JsonContext } from '../variables/context.ts';
import { substituteAll, substituteAllInPreconditions } from '../variables/substitute.ts';

const templated = new WeakMap<object, boolean>();

/**
 * Whether a document holds `{{ }}` variables or `$( )` references anywhere (strings and keys).
 * Most patterns and condition values hold none, and substitution (a JSON copy and a walk) is the
 * costliest step of a rule, so the engine skips it for them. Results are cached per object.
 */
export function hasTemplates(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{') || value.includes('$(');
  if (typeof value !== 'object' || value === null) return false;
  const cached = templated.get(value);
  if (cached !== undefined) return cached;
  const found = Array.isArray(value) ? value.some(hasTemplates) : Object.entries(value).some(([k, v]) => hasTemplates(k) || hasTemplates(v));
  templated.set(value, found);
  return found;
}

/** Preconditions and deny conditions: each key and value is substituted as it is evaluated. */
export function checkConditions(ctx: JsonContext, conditions: Conditions | null | undefined, rule?: string): ConditionsResult {
  return evaluateConditions(conditions, (value) =>
    value !== undefined && !hasTemplates(value) ? value : substituteAllInPreconditions(ctx, value, { ...(rule !== undefined && { rule }) }),
  );
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
  if (part !== undefined && !hasTemplates(part)) return part;
  return unwrap(substituteAll(ctx, wrap(part), { ...(rule !== undefined && { rule }) }));
}

/** Substitutes a standalone value (a message, a context entry field). */
export function substituteValue(ctx: JsonContext, value: unknown, rule?: string): unknown {
  if (value !== undefined && !hasTemplates(value)) return value;
  return substituteAll(ctx, value, { ...(rule !== undefined && { rule }) });
}
