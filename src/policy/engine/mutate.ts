/**
 * mutate rules (Kyverno pkg/engine/handlers/mutation, pkg/engine/mutate): `patchStrategicMerge`
 * (with anchors), `patchesJson6902`, and `foreach` over list elements (strategic-merge foreach runs
 * in reverse order by default so JSON-patch indices stay valid; nested foreach supported).
 *
 * Outcomes: `pass` with `mutated <Kind>/<name>[ in namespace <ns>]` when the resource changed,
 * `skip` with `no patches applied` when it did not (a foreach rule passes once it has elements),
 * `error` when a variable, a patch or a list cannot be resolved.
 */
import { parse as parseYaml } from 'yaml';
import { matchPattern } from '../pattern/validate.ts';
import { checkConditions, evaluateList, substitute } from './evaluation.ts';
import { applyJsonPatch, deepEqual, toOperations } from './json-patch.ts';
import { applyStrategicMerge } from './strategic-merge.ts';
import { describeError as describe, ElementScope, foreachChangesContext, type RuleEnv } from './validate.ts';
import type { ForEachMutation, RuleResponse } from './types.ts';
import { isRecord } from '../../core/json.ts';

type Json = Record<string, unknown>;

export interface MutateOutcome extends Pick<RuleResponse, 'status' | 'message'> {
  patched: Json;
}

/** Conditional anchors in a strategic merge patch hold when the resource matches them as a validate pattern. */
const matchesPattern = (resource: unknown, pattern: unknown) => matchPattern(resource, pattern).status === 'pass';

/** Evaluates one mutate rule whose match, context and preconditions already passed. */
export function mutateRule(env: RuleEnv): MutateOutcome {
  const m = env.rule.mutate!;
  const resource = env.resource;
  let result: MutateOutcome;
  if (m.foreach) {
    result = new ForEachMutator(env, m.foreach, 0).mutate(resource);
    if (result.status === 'pass' && deepEqual(result.patched, resource)) result = { status: 'skip', message: 'no patches applied', patched: resource };
  } else result = patchOnce(env, { patchStrategicMerge: m.patchStrategicMerge, patchesJson6902: m.patchesJson6902 }, resource, false);
  if (result.status === 'pass') result.message = successMessage(result.patched);
  return result;
}

function successMessage(r: Json): string {
  const meta = (r.metadata ?? {}) as { name?: string; namespace?: string };
  const what = `${String(r.kind ?? '')}/${meta.name ?? ''}`;
  return meta.namespace ? `mutated ${what} in namespace ${meta.namespace}` : `mutated ${what}`;
}

interface Patches {
  patchStrategicMerge?: unknown;
  patchesJson6902?: string;
}

/** Substitutes variables in the patch, applies it, and compares (Kyverno's Mutate / ForEach). */
function patchOnce(env: RuleEnv, patches: Patches, resource: Json, inForeach: boolean): MutateOutcome {
  let substituted: Patches;
  try {
    // Placed where they sit in the rule so that `{{@}}` reads the matching resource field.
    substituted = inForeach
      ? substitute(env.ctx, patches, (p) => ({ mutate: { foreach: [p] } }), (d) => (d as { mutate: { foreach: Patches[] } }).mutate.foreach[0]!, env.rule.name)
      : substitute(env.ctx, patches, (p) => ({ mutate: p }), (d) => (d as { mutate: Patches }).mutate, env.rule.name);
  } catch (err) {
    return { status: 'error', message: `variable substitution failed: ${describe(err)}`, patched: resource };
  }
  let patched: unknown;
  try {
    if (substituted.patchStrategicMerge !== undefined && substituted.patchStrategicMerge !== null) {
      patched = applyStrategicMerge(resource, substituted.patchStrategicMerge, matchesPattern);
    } else if (typeof substituted.patchesJson6902 === 'string' && substituted.patchesJson6902.trim() !== '') {
      patched = applyJsonPatch(resource, toOperations(parseYaml(substituted.patchesJson6902)));
    } else {
      return { status: 'error', message: 'empty mutate rule', patched: resource };
    }
  } catch (err) {
    return { status: 'error', message: `failed to patch resource: ${describe(err)}`, patched: resource };
  }
  if (!isRecord(patched)) {
    return { status: 'error', message: 'failed to patch resource: the result is not an object', patched: resource };
  }
  if (deepEqual(patched, resource)) return { status: 'skip', message: 'no patches applied', patched: resource };
  return { status: 'pass', message: 'resource patched', patched };
}

class ForEachMutator {
  private readonly env: RuleEnv;
  private readonly foreach: ForEachMutation[];
  private readonly nesting: number;

  constructor(env: RuleEnv, foreach: ForEachMutation[], nesting: number) {
    this.env = env;
    this.foreach = foreach;
    this.nesting = nesting;
  }

  mutate(resource: Json): MutateOutcome {
    let current = resource;
    let applied = 0;
    for (const foreach of this.foreach) {
      let elements: unknown[];
      try {
        elements = evaluateList(this.env.ctx, foreach.list);
      } catch (err) {
        return { status: 'error', message: `failed to evaluate list ${foreach.list}: ${describe(err)}`, patched: resource };
      }
      const r = this.mutateElements(foreach, elements, current);
      if (r.status === 'error' || r.status === 'fail') return r;
      if (r.status !== 'skip') {
        applied++;
        current = r.patched;
      }
    }
    const message = `${applied} elements processed`;
    return applied === 0 ? { status: 'skip', message, patched: resource } : { status: 'pass', message, patched: current };
  }

  private mutateElements(foreach: ForEachMutation, elements: unknown[], resource: Json): MutateOutcome {
    const ctx = this.env.ctx;
    let reverse = foreach.patchStrategicMerge !== undefined;
    if (foreach.order !== undefined) reverse = foreach.order === 'Descending';
    const order = elements.map((_, i) => i);
    if (reverse) order.reverse();
    let patched = resource;
    const scope = new ElementScope(ctx, this.nesting, foreachChangesContext(this.env, foreach), foreach);
    try {
      for (const index of order) {
        const element = elements[index];
        if (element === null || element === undefined) continue;
        scope.enter(element, index);
        try {
          this.env.loadContext(foreach.context, index);
        } catch (err) {
          return { status: 'error', message: `failed to load mutate.foreach[${index}].context: ${describe(err)}`, patched: resource };
        }
        if (foreach.preconditions !== undefined) {
          try {
            if (!checkConditions(ctx, foreach.preconditions, this.env.rule.name).passed) continue;
          } catch (err) {
            return { status: 'error', message: `failed to evaluate mutate.foreach[${index}].preconditions: ${describe(err)}`, patched: resource };
          }
        }
        const r = foreach.foreach
          ? new ForEachMutator(this.env, foreach.foreach, this.nesting + 1).mutate(patched)
          : patchOnce(this.env, { patchStrategicMerge: foreach.patchStrategicMerge, patchesJson6902: foreach.patchesJson6902 }, patched, true);
        if (r.status === 'error' || r.status === 'fail') return r;
        if (r.status === 'pass') patched = r.patched;
      }
      return { status: 'pass', message: '', patched };
    } finally {
      scope.leave();
    }
  }
}
