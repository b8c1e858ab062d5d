/**
 * Mutations of MutatingAdmissionPolicy and Kyverno MutatingPolicy:
 *
 * - `ApplyConfiguration`: the expression builds a partial object (`Object{spec: Object.spec{…}}`)
 *   that is merged into the resource the way server-side apply merges it: maps field by field,
 *   `null` removes a field, lists of objects that are keyed in the Kubernetes schema (containers,
 *   volumes, env… by `name`; ports by `containerPort`; volume mounts by `mountPath`) merge by key,
 *   other lists are replaced;
 * - `JSONPatch`: the expression returns a list of JSON Patch operations, applied in order.
 *
 * Mutations run in order, each on the result of the previous one (and `object` is updated).
 */
import { applyJsonPatch, toOperations } from '../engine/json-patch.ts';
import { describeFailure, type Activation, type Outcome } from './evaluate.ts';
import type { CompiledMutation } from './types.ts';
import { fromCel } from './values.ts';
import { isRecord } from '../../core/json.ts';

type Json = Record<string, unknown>;

const LIST_KEYS: Readonly<Record<string, string>> = {
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

function keyOf(field: string, items: readonly unknown[]): string | undefined {
  const key = LIST_KEYS[field] ?? 'name';
  return items.every((i) => isRecord(i) && i[key] !== undefined) ? key : undefined;
}

function mergeList(field: string, current: unknown[], patch: unknown[]): unknown[] {
  const key = keyOf(field, patch);
  if (!key || !keyOf(field, current)) return patch;
  const out = current.map((item) => {
    const match = patch.find((p) => (p as Json)[key] === (item as Json)[key]);
    return match ? merge(item, match) : item;
  });
  for (const p of patch) if (!current.some((c) => (c as Json)[key] === (p as Json)[key])) out.push(p);
  return out;
}

/** Server-side-apply-style merge of an apply configuration into a value. */
export function merge(current: unknown, patch: unknown, field = ''): unknown {
  if (isRecord(patch)) {
    const base: Json = isRecord(current) ? { ...current } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete base[k];
      else base[k] = merge(base[k], v, k);
    }
    return base;
  }
  if (Array.isArray(patch) && Array.isArray(current)) return mergeList(field, current, patch);
  return patch;
}

/**
 * Applies the mutations to `object`; `activation(object)` builds the evaluation input for the
 * current state of the object. Returns the outcome and the patched object.
 */
export function runMutations(
  mutations: readonly CompiledMutation[],
  object: Json,
  activation: (object: Json) => Activation,
  policy: string,
): { outcome: Outcome; patched: Json } {
  let current = object;
  for (const m of mutations) {
    let result: unknown;
    try {
      result = fromCel(m.program.run(activation(current)));
    } catch (err) {
      return { outcome: { status: 'error', message: describeFailure(err, policy, `${m.patchType} expression`, m.program) }, patched: object };
    }
    try {
      if (m.patchType === 'JSONPatch') current = applyJsonPatch(current, toOperations(result)) as Json;
      else if (isRecord(result)) current = merge(current, result) as Json;
      else throw new Error(`an apply configuration must be an object, got ${JSON.stringify(result)}`);
    } catch (err) {
      return { outcome: { status: 'error', message: `${m.patchType} of ${policy}: ${err instanceof Error ? err.message : String(err)}` }, patched: object };
    }
  }
  return { outcome: { status: 'pass', message: 'mutation applied' }, patched: current };
}
