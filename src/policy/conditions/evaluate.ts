/**
 * Preconditions and deny conditions (Kyverno `pkg/engine/variables/evaluate.go`).
 *
 * Each condition substitutes `{{ }}` variables in its key, then its value (through the caller's `substitute`, whose
 * RuleError propagates), then applies its operator; an unknown operator is RuleError('INVALID').
 *
 * - `{any, all}`: both blocks must hold. `any` holds when one of its conditions does (evaluation stops there); a
 *   present but empty `any` list never holds, while a missing (or null) `any` does. `all` holds when every
 *   condition does (evaluation stops at the first false one); a missing or empty `all` holds. The `all` block is
 *   evaluated even when `any` already failed, so its substitution errors still surface.
 * - The legacy plain list means all of them.
 *
 * Messages: the `message` of the conditions that decided, non-empty ones joined with "; " (";" for the legacy
 * list): the false ones when the conditions do not hold (preconditions report them), the true ones when they hold
 * (a deny rule appends them to its message).
 */

import type { Condition, Conditions } from '../types.ts';
import { operatorHandler } from './operators/index.ts';

/** Resolves `{{ }}` variables in a condition key or value; may throw RuleError. */
export type Substitute = (value: unknown) => unknown;

export interface ConditionsResult {
  passed: boolean;
  /** Messages of the conditions that were false, when `passed` is false (undefined when they have none). */
  failedMessage?: string;
  /** Messages of the conditions that were true, when `passed` is true (undefined when they have none). */
  passedMessage?: string;
}

/** Evaluate one condition: substitute key then value, apply the operator. */
export function evaluateCondition(condition: Condition, substitute: Substitute): boolean {
  const key = substitute(condition.key ?? null);
  const value = substitute(condition.value ?? null);
  return operatorHandler(condition.operator)(key, value);
}

/** Evaluate `preconditions` or `deny.conditions`; absent conditions hold. */
export function evaluateConditions(conditions: Conditions | null | undefined, substitute: Substitute): ConditionsResult {
  if (conditions === null || conditions === undefined) return { passed: true };
  if (Array.isArray(conditions)) return evaluateList(conditions, substitute);
  return evaluateAnyAll(conditions.any, conditions.all, substitute);
}

function evaluateList(conditions: Condition[], substitute: Substitute): ConditionsResult {
  const held: string[] = [];
  for (const c of conditions) {
    if (!evaluateCondition(c, substitute)) return result(false, [c.message], '; ');
    held.push(c.message ?? '');
  }
  return result(true, held, ';');
}

function evaluateAnyAll(
  any: Condition[] | null | undefined,
  all: Condition[] | null | undefined,
  substitute: Substitute,
): ConditionsResult {
  const held: string[] = [];
  const failed: string[] = [];
  let anyHolds = true;
  if (any !== null && any !== undefined) {
    anyHolds = false;
    for (const c of any) {
      if (evaluateCondition(c, substitute)) {
        anyHolds = true;
        held.push(c.message ?? '');
        break;
      }
      failed.push(c.message ?? '');
    }
  }
  let allHold = true;
  for (const c of all ?? []) {
    if (!evaluateCondition(c, substitute)) {
      allHold = false;
      failed.push(c.message ?? '');
      break;
    }
    held.push(c.message ?? '');
  }
  const passed = anyHolds && allHold;
  return result(passed, passed ? held : failed, '; ');
}

function result(passed: boolean, messages: (string | undefined)[], separator: string): ConditionsResult {
  const text = messages.filter((m): m is string => typeof m === 'string' && m !== '').join(separator);
  if (text === '') return { passed };
  return passed ? { passed, passedMessage: text } : { passed, failedMessage: text };
}
