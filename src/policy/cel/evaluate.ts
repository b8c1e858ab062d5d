/**
 * Evaluating one rule set of a CEL policy against one admission request, with the semantics of
 * Kubernetes' validating admission policies as Kyverno runs them:
 *
 * 1. match conditions, in order: all true → go on; one false → `skip`; an error → `error`
 *    (`skip` under `failurePolicy: Ignore`);
 * 2. variables are lazy: each is evaluated on first use, once, by whichever expression reads it;
 * 3. validations in order: the first that is false gives `fail` with its message (or its
 *    messageExpression's value, or `failed expression: <expression>`), the first that errors
 *    gives `error` naming the expression; otherwise `pass`;
 * 4. audit annotations are evaluated and returned as properties.
 *
 * Errors of one expression never escape: they become the outcome's message. Unsupported library
 * functions keep their `unsupported: <function>` text, with the policy and expression named.
 */
import type { PalisadeErrorCode } from '../../core/errors.ts';
import { CelCostError } from './cost.ts';
import type { Program } from './env.ts';
import { CelUnsupportedError } from './errors.ts';
import type { Named, RuleSet } from './types.ts';
import { celToString } from './values.ts';

export type Activation = Record<string, unknown>;

export interface Outcome {
  status: 'pass' | 'fail' | 'warn' | 'error' | 'skip';
  message: string;
  /** For an `error`, its kind when callers act on it (RuleResponse.code). */
  code?: PalisadeErrorCode;
  properties?: Record<string, string>;
}

/** The message of an evaluation error, with the expression it came from. */
export function describeFailure(err: unknown, policy: string, what: string, program: Program): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof CelUnsupportedError) return `${message} in ${policy} ${what}: ${JSON.stringify(program.source.trim())}`;
  if (err instanceof CelCostError) return `${what} ${JSON.stringify(program.source.trim())}: ${message}`;
  return `${what} ${JSON.stringify(program.source.trim())}: ${message}`;
}

/**
 * Adds `variables` to an activation: an object whose fields evaluate their expression on first
 * access (CEL's lazy variables) and remember the result or the error.
 */
export function withVariables(base: Activation, variables: readonly Named[]): Activation {
  const vars = Object.create(null) as Record<string, unknown>;
  const activation: Activation = { ...base, variables: vars };
  for (const v of variables) {
    let state: { value: unknown } | { error: unknown } | undefined;
    Object.defineProperty(vars, v.name, {
      enumerable: true,
      get() {
        if (!state) {
          try {
            state = { value: v.program.run(activation) };
          } catch (error) {
            state = { error };
          }
        }
        if ('error' in state) throw state.error;
        return state.value;
      },
    });
  }
  return activation;
}

/** Evaluates match conditions: true (all hold), false (one does not), or the error. */
export function checkMatchConditions(conditions: readonly Named[], activation: Activation): { matched: boolean; error?: { name: string; err: unknown; program: Program } } {
  let firstError: { name: string; err: unknown; program: Program } | undefined;
  for (const c of conditions) {
    try {
      const v = c.program.run(activation);
      if (v === false) return { matched: false };
      if (v !== true) firstError ??= { name: c.name, err: new Error(`expected a bool, got ${celToString(v)}`), program: c.program };
    } catch (err) {
      firstError ??= { name: c.name, err, program: c.program };
    }
  }
  return firstError ? { matched: false, error: firstError } : { matched: true };
}

function message(rule: RuleSet['validations'][number], activation: Activation, index: number): string {
  if (rule.messageExpression) {
    try {
      const v = rule.messageExpression.run(activation);
      if (typeof v === 'string' && v.trim() !== '') return v;
    } catch (err) {
      const fallback = rule.message ?? `failed expression: ${rule.program.source.trim()}`;
      return `${fallback} (messageExpression failed: ${err instanceof Error ? err.message : String(err)})`;
    }
  }
  if (rule.message && rule.message.trim() !== '') return rule.message;
  return index >= 0 ? `failed expression: ${rule.program.source.trim()}` : '';
}

function auditAnnotations(rules: RuleSet, activation: Activation, policy: string): Record<string, string> | Outcome {
  const out: Record<string, string> = {};
  for (const a of rules.auditAnnotations) {
    try {
      const v = a.program.run(activation);
      if (v === null || v === undefined) continue;
      if (typeof v !== 'string') return { status: 'error', message: `auditAnnotation ${a.key}: valueExpression must evaluate to a string` };
      if (v !== '') out[a.key] = v;
    } catch (err) {
      return { status: 'error', message: describeFailure(err, policy, `auditAnnotation ${JSON.stringify(a.key)} valueExpression`, a.program) };
    }
  }
  return out;
}

/**
 * Runs the validations of a rule set (match conditions already passed). `activation` must hold
 * the lazy `variables` (withVariables).
 */
export function runValidations(rules: RuleSet, activation: Activation, policy: string): Outcome {
  let failure: Outcome | undefined;
  for (const [index, v] of rules.validations.entries()) {
    let result: unknown;
    try {
      result = v.program.run(activation);
    } catch (err) {
      return { status: 'error', message: describeFailure(err, policy, 'validation expression', v.program), ...(err instanceof CelUnsupportedError && err.code && { code: err.code }) };
    }
    if (result === true) continue;
    if (result !== false) return { status: 'error', message: `validation expression ${JSON.stringify(v.program.source.trim())} must evaluate to a bool, got ${celToString(result)}` };
    failure = { status: 'fail', message: message(v, activation, index) };
    break;
  }
  const annotations = auditAnnotations(rules, activation, policy);
  if ('status' in annotations && typeof annotations.status === 'string') return annotations as Outcome;
  const properties = annotations as Record<string, string>;
  const extra = Object.keys(properties).length > 0 ? { properties } : {};
  return failure ? { ...failure, ...extra } : { status: 'pass', message: '', ...extra };
}
