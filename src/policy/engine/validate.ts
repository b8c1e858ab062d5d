/**
 * validate rules (Kyverno pkg/engine/handlers/validation): `deny`, `pattern` / `anyPattern`,
 * `foreach` and `podSecurity`, with Kyverno's messages so that reports read the same:
 *
 * - pass: `validation rule '<rule>' passed.` (`anyPattern[i] passed.` for anyPattern)
 * - pattern failure: `validation error: <message>. rule <rule> failed at path <path>`
 * - anyPattern failure: `validation error: <message>. rule <rule>[0] failed at path … rule <rule>[1] …`
 * - deny: the rule's message (variables substituted)
 * - foreach: `validation failure: <the element's message>`
 * - podSecurity: `Validation rule '<rule>' failed. It violates PodSecurity "<level>:<version>": (<checks>)`
 */
import { matchAnyPattern, matchPattern } from '../pattern/validate.ts';
import { checkPodSecurity, type PodSecurityExclusion, type PodSecurityLevel } from '../podsecurity/index.ts';
import type { Conditions } from '../types.ts';
import { addElement, type JsonContext } from '../variables/context.ts';
import { checkConditions, evaluateList, substitute, substituteValue } from './evaluation.ts';
import type { ContextEntry } from '../variables/context.ts';
import type { Deny, ForEachValidation, Rule, RuleResponse } from './types.ts';
import { isRecord } from '../../core/json.ts';

/** What a handler needs besides the rule: the context, the resource, and how to load context entries. */
export interface RuleEnv {
  ctx: JsonContext;
  rule: Rule;
  /** The resource the rule runs on (request.object, or the old object for DELETE). */
  resource: Record<string, unknown>;
  isDelete: boolean;
  /** Loads context entries (and the CLI's rule values) into ctx; `foreachIndex` selects foreachValues. */
  loadContext(entries: readonly ContextEntry[] | undefined, foreachIndex?: number): void;
  /** The values file gives this rule values (reloaded per foreach element). */
  hasRuleValues?: boolean;
  /** Exclusions PolicyExceptions add to a podSecurity rule, and the names of those exceptions. */
  podSecurityExclusions?: PodSecurityExclusion[];
  podSecurityExceptions?: string[];
}

export type Outcome = Pick<RuleResponse, 'status' | 'message'>;

const pass = (message: string): Outcome => ({ status: 'pass', message });
const skip = (message: string): Outcome => ({ status: 'skip', message });
const fail = (message: string): Outcome => ({ status: 'fail', message });
const error = (message: string): Outcome => ({ status: 'error', message });

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Evaluates one validate rule whose match, context and preconditions already passed. */
export function validateRule(env: RuleEnv): Outcome | undefined {
  const v = env.rule.validate!;
  if (v.podSecurity) return validatePodSecurity(env);
  return new Validator(env, { pattern: v.pattern, anyPattern: v.anyPattern, deny: v.deny, foreach: v.foreach }, 0, undefined).validate();
}

interface ValidatorSpec {
  pattern?: unknown;
  anyPattern?: unknown[];
  deny?: Deny;
  foreach?: ForEachValidation[];
  context?: ContextEntry[];
  preconditions?: Conditions;
}

const loopSources = new WeakMap<ForEachValidation, object>();

class Validator {
  private readonly env: RuleEnv;
  private readonly spec: ValidatorSpec;
  private readonly nesting: number;
  /** The current foreach element when the element scope applies (patterns then check the element). */
  private readonly element: Record<string, unknown> | undefined;
  private readonly foreachIndex: number | undefined;

  constructor(env: RuleEnv, spec: ValidatorSpec, nesting: number, element: Record<string, unknown> | undefined, foreachIndex?: number) {
    this.env = env;
    this.spec = spec;
    this.nesting = nesting;
    this.element = element;
    this.foreachIndex = foreachIndex;
  }

  validate(): Outcome | undefined {
    if (this.foreachIndex !== undefined) {
      try {
        this.env.loadContext(this.spec.context, this.foreachIndex);
      } catch (err) {
        return error(`failed to load context: ${describeError(err)}`);
      }
    }
    if (this.spec.preconditions !== undefined) {
      try {
        if (!checkConditions(this.env.ctx, this.spec.preconditions, this.ruleName()).passed) return skip('preconditions not met');
      } catch (err) {
        return error(`failed to evaluate preconditions: ${describeError(err)}`);
      }
    }
    if (this.spec.deny) return this.validateDeny(this.spec.deny);
    if (this.spec.pattern !== undefined || this.spec.anyPattern !== undefined) return this.validatePatterns();
    if (this.spec.foreach) return this.validateForEach(this.spec.foreach);
    return undefined;
  }

  private ruleName(): string {
    return this.env.rule.name;
  }

  private ruleMessage(): string | undefined {
    return this.env.rule.validate?.message;
  }

  /** The rule message with variables substituted; undefined when substitution fails. */
  private substitutedMessage(): string | undefined {
    const msg = this.ruleMessage();
    if (msg === undefined || msg === '') return msg;
    try {
      const out = substituteValue(this.env.ctx, msg);
      return typeof out === 'string' ? out : JSON.stringify(out);
    } catch {
      return undefined;
    }
  }

  private validateDeny(deny: Deny): Outcome {
    let denied: boolean;
    try {
      denied = checkConditions(this.env.ctx, deny.conditions, this.ruleName()).passed;
    } catch (err) {
      return error(`failed to check deny conditions: ${describeError(err)}`);
    }
    if (!denied) return pass(`validation rule '${this.ruleName()}' passed.`);
    const msg = this.ruleMessage();
    if (!msg) return fail(`validation error: rule ${this.ruleName()} failed`);
    return fail(this.substitutedMessage() ?? msg);
  }

  private validatePatterns(): Outcome | undefined {
    let pattern: unknown;
    let anyPattern: unknown;
    try {
      if (this.spec.pattern !== undefined) {
        pattern = substitute<unknown>(this.env.ctx, this.spec.pattern, (p) => this.wrap({ pattern: p }), (d) => this.unwrap(d).pattern, this.ruleName());
      } else {
        anyPattern = substitute<unknown>(this.env.ctx, this.spec.anyPattern, (p) => this.wrap({ anyPattern: p }), (d) => this.unwrap(d).anyPattern, this.ruleName());
      }
    } catch (err) {
      return error(`variable substitution failed: ${describeError(err)}`);
    }
    let target: unknown = this.element;
    if (target === undefined) {
      if (this.env.isDelete) return undefined;
      target = this.env.resource;
    }
    if (this.spec.pattern !== undefined) {
      const r = matchPattern(target, pattern);
      if (r.status === 'pass') return pass(`validation rule '${this.ruleName()}' passed.`);
      if (r.status === 'skip') return skip(r.reason ?? 'pattern skipped');
      return r.path === '' ? error(this.errorMessage('', r.reason)) : fail(this.errorMessage(r.path, r.reason));
    }
    const patterns = Array.isArray(anyPattern) ? anyPattern : [];
    if (patterns.length === 0) return pass(this.ruleMessage() ?? '');
    const r = matchAnyPattern(target, patterns, this.ruleName());
    if (r.status === 'pass') return pass(r.reason ?? `validation rule '${this.ruleName()}' passed.`);
    if (r.status === 'skip') return skip(r.reason ?? 'anyPattern skipped');
    const msg = this.substitutedMessage() ?? this.ruleMessage();
    if (!msg) return fail(`validation error: ${r.reason ?? ''}`);
    return fail(`validation error: ${msg.endsWith('.') ? msg : `${msg}.`} ${r.reason ?? ''}`);
  }

  /** Places a pattern where it sits in the rule, so `{{@}}` resolves to the matching resource field. */
  private wrap(part: Record<string, unknown>): unknown {
    return this.foreachIndex === undefined ? { validate: part } : { validate: { foreach: [part] } };
  }

  private unwrap(doc: unknown): Record<string, unknown> {
    const v = (doc as { validate: Record<string, unknown> }).validate;
    return this.foreachIndex === undefined ? v : (v.foreach as Record<string, unknown>[])[0]!;
  }

  private errorMessage(path: string, reason: string | undefined): string {
    const name = this.ruleName();
    if (!this.ruleMessage()) {
      return path ? `validation error: rule ${name} failed at path ${path}` : `validation error: rule ${name} execution error: ${reason ?? ''}`;
    }
    const substituted = this.substitutedMessage();
    if (substituted === undefined) return `validation error: variables substitution error in rule ${name} execution error: ${reason ?? ''}`;
    const msg = substituted.endsWith('.') ? substituted : `${substituted}.`;
    return path ? `validation error: ${msg} rule ${name} failed at path ${path}` : `validation error: ${msg} rule ${name} execution error: ${reason ?? ''}`;
  }

  private validateForEach(list: ForEachValidation[]): Outcome {
    let applied = 0;
    for (const foreach of list) {
      let elements: unknown[];
      try {
        elements = evaluateList(this.env.ctx, foreach.list);
      } catch {
        // Kyverno skips a foreach whose list cannot be evaluated.
        continue;
      }
      const [outcome, count] = this.validateElements(foreach, elements);
      if (outcome.status !== 'pass') return outcome;
      applied += count;
    }
    if (applied === 0) return skip('rule skipped');
    return pass('rule passed');
  }

  /** What a loop evaluates: the foreach and the rule message (substituted for each element). */
  private loopSource(foreach: ForEachValidation): object {
    let source = loopSources.get(foreach);
    if (!source) loopSources.set(foreach, (source = { foreach, message: this.ruleMessage() ?? '' }));
    return source;
  }

  private validateElements(foreach: ForEachValidation, elements: unknown[]): [Outcome, number] {
    const ctx = this.env.ctx;
    const scope = new ElementScope(ctx, this.nesting, foreachChangesContext(this.env, foreach), this.loopSource(foreach));
    try {
      let applied = 0;
      for (const [index, element] of elements.entries()) {
        if (element === null || element === undefined) continue;
        scope.enter(element, index);
        const isMap = typeof element === 'object' && !Array.isArray(element);
        if (foreach.elementScope === true && !isMap) {
          const type = Array.isArray(element) ? '[]interface {}' : typeof element;
          return [error(`failed to process foreach: cannot use elementScope=true foreach rules for elements that are not maps, expected type=map got type=${type}`), applied];
        }
        const scoped = foreach.elementScope ?? isMap;
        const inner = new Validator(
          this.env,
          { pattern: foreach.pattern, anyPattern: foreach.anyPattern, deny: foreach.deny, foreach: foreach.foreach, context: foreach.context, preconditions: foreach.preconditions },
          this.nesting + 1,
          scoped ? (element as Record<string, unknown>) : this.element,
          index,
        );
        const r = inner.validate();
        if (!r || r.status === 'skip') continue;
        if (r.status !== 'pass') {
          if (r.status === 'error' && index < elements.length - 1) continue;
          return [{ status: r.status, message: `validation failure: ${r.message}` }, applied];
        }
        applied++;
      }
      return [pass(''), applied];
    } finally {
      scope.leave();
    }
  }
}

/** Whether a foreach (or a loop nested in it) loads context entries, which only a checkpoint can undo. */
export function foreachChangesContext(env: RuleEnv, foreach: { context?: readonly ContextEntry[]; foreach?: readonly unknown[] }): boolean {
  if (env.hasRuleValues || foreach.context?.length) return true;
  return (foreach.foreach ?? []).some((inner) => foreachChangesContext(env, inner as { context?: readonly ContextEntry[] }));
}

const ELEMENT_KEYS = (nesting: number) => ['element', `element${nesting}`, 'elementIndex', `elementIndex${nesting}`];

function mergeJson(base: unknown, patch: unknown): unknown {
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = mergeJson(out[k], v);
  return out;
}

/**
 * The foreach element variables of one loop. Kyverno checkpoints the whole context and resets it
 * before each element, then merges the element in (so an object element keeps the keys of an outer
 * loop's `element`). Copying the whole context per element is the costliest part of a foreach, so
 * when the loop loads no context entries only the four element variables are saved, set to that
 * merge, and put back afterwards.
 */
export class ElementScope {
  private readonly ctx: JsonContext;
  private readonly nesting: number;
  private readonly checkpointed: boolean;
  /** The element variables the loop's expressions can read (the others are not set). */
  private readonly keys: string[];
  private readonly saved = new Map<string, unknown>();

  /** `source` is what the loop evaluates (the foreach, plus the rule message): only variables it names are set. */
  constructor(ctx: JsonContext, nesting: number, checkpoint: boolean, source: object) {
    this.ctx = ctx;
    this.nesting = nesting;
    this.checkpointed = checkpoint;
    this.keys = checkpoint ? [] : referencedElementKeys(source, nesting);
    if (checkpoint) ctx.checkpoint();
    else for (const key of this.keys) this.saved.set(key, this.current(key));
  }

  private current(key: string): unknown {
    try {
      return this.ctx.query(`"${key}"`);
    } catch {
      return undefined;
    }
  }

  enter(element: unknown, index: number): void {
    if (this.checkpointed) {
      this.ctx.reset();
      addElement(this.ctx, element, index, this.nesting);
      return;
    }
    // The element and the saved values are the context's own data, stored without a copy.
    for (const key of this.keys) this.ctx.replaceWithOwn(key, key.startsWith('elementIndex') ? index : mergeJson(this.saved.get(key), element));
  }

  leave(): void {
    if (this.checkpointed) this.ctx.restore();
    else for (const [key, value] of this.saved) this.ctx.replaceWithOwn(key, value);
  }
}

const referenced = new WeakMap<object, Map<number, string[]>>();

/**
 * Which of `element`, `element<n>`, `elementIndex`, `elementIndex<n>` appear in the loop's text.
 * Setting a variable copies its value into the context, and most loops only read `element`.
 */
function referencedElementKeys(source: object, nesting: number): string[] {
  let byNesting = referenced.get(source);
  if (!byNesting) referenced.set(source, (byNesting = new Map()));
  let keys = byNesting.get(nesting);
  if (!keys) {
    const text = JSON.stringify(source);
    keys = ELEMENT_KEYS(nesting).filter((key) => new RegExp(`\\b${key}\\b`).test(text));
    byNesting.set(nesting, keys);
  }
  return keys;
}

/**
 * podSecurity: the rule's own exclusions first; when the pod still violates the level but the
 * exclusions of matching PolicyExceptions let it through, the rule is skipped for the exception.
 */
function validatePodSecurity(env: RuleEnv): Outcome {
  const pss = env.rule.validate!.podSecurity!;
  const version = pss.version ?? 'latest';
  const check = (extra: readonly PodSecurityExclusion[]) =>
    checkPodSecurity(env.resource, pss.level as PodSecurityLevel, version, { exclude: [...(pss.exclude ?? []), ...extra] });
  let result;
  try {
    result = check([]);
    if (!result.allowed && env.podSecurityExclusions?.length && check(env.podSecurityExclusions).allowed) {
      return skip(`rule is skipped due to policy exception ${(env.podSecurityExceptions ?? []).join(', ')}`);
    }
  } catch (err) {
    return error(`failed to evaluate pod security: ${describeError(err)}`);
  }
  if (result.allowed) return pass(`Validation rule '${env.rule.name}' passed.`);
  const checks = result.violations.map((v) => v.message).join('; ');
  return fail(`Validation rule '${env.rule.name}' failed. It violates PodSecurity "${pss.level}:${version}": (${checks})`);
}
