/**
 * The webhook's policy set: the classic Kyverno policies and the CEL policies of the --policies
 * paths, loaded together and replaced together (reload.ts swaps whole sets, never halves).
 *
 * CEL expressions are compiled here, once per set, and the CEL policies are split by admission
 * phase ahead of time: MutatingAdmissionPolicy / MutatingPolicy run on `/mutate`, the validating
 * kinds (ValidatingAdmissionPolicy, ValidatingPolicy, ImageValidatingPolicy) on `/validate` — the
 * order Kubernetes itself runs its in-process admission policies in.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../core/log.ts';
import { silentLogger } from '../core/log.ts';
import { parseCelPolicies } from '../policy/cel/load.ts';
import type { CelPolicy, CelPolicySet } from '../policy/cel/types.ts';
import { expandPaths, readText } from '../policy/engine/documents.ts';
import { parsePolicies, type ForeignPolicy } from '../policy/engine/load.ts';
import type { Policy, PolicyException } from '../policy/engine/types.ts';

const MUTATING_KINDS = new Set(['MutatingAdmissionPolicy', 'MutatingPolicy', 'NamespacedMutatingPolicy']);

export interface AdmissionPolicySet {
  /** Classic ClusterPolicy / Policy objects. */
  classic: readonly Policy[];
  /** Kyverno PolicyExceptions (kyverno.io) for the classic policies; CEL exceptions are in the CEL sets. */
  exceptions: readonly PolicyException[];
  /** CEL policies evaluated on `/mutate`. */
  mutating: CelPolicySet;
  /** CEL policies evaluated on `/validate`. */
  validating: CelPolicySet;
  /** Number of policies of every kind (bindings and exceptions not counted). */
  count: number;
  /** Hash of the files the set was read from; names it in logs and /readyz, and changes with any edit. */
  version: string;
  /** Policy documents the webhook does not evaluate (other kinds, unbound admission policies), as `file:line: kind name`. */
  skipped: string[];
  /**
   * The skipped documents that declare a failure action (a classic policy of an apiVersion the
   * engine does not know, a CEL kind it does not evaluate): handler.ts answers for them on
   * /validate, denying under Enforce and warning under Audit, rather than admit as if they passed.
   */
  unevaluated: readonly ForeignPolicy[];
}

/**
 * Splits a CEL set by phase; bindings and exceptions go to both halves (they name their policy).
 * A Validating/MutatingAdmissionPolicy without a binding is left out, as the API server leaves it:
 * only a binding puts it in force (the offline CLI runs it unbound instead).
 */
export function celPhases(cel: CelPolicySet): { mutating: CelPolicySet; validating: CelPolicySet; unbound: CelPolicy[] } {
  const bound = new Set(cel.bindings.map((b) => `${b.kind.replace(/Binding$/, '')}/${b.policyName}`));
  const unbound = cel.policies.filter((p) => p.kind.endsWith('AdmissionPolicy') && !bound.has(`${p.kind}/${p.name}`));
  const phase = (mutating: boolean): CelPolicySet => ({
    policies: cel.policies.filter((p) => MUTATING_KINDS.has(p.kind) === mutating && !unbound.includes(p)),
    bindings: cel.bindings,
    exceptions: cel.exceptions,
  });
  return { mutating: phase(true), validating: phase(false), unbound };
}

/** Builds a set from policies already loaded (tests, in-cluster sources). */
export function policySet(
  classic: readonly Policy[],
  cel: CelPolicySet,
  version: string,
  more: { skipped?: readonly string[]; exceptions?: readonly PolicyException[]; unevaluated?: readonly ForeignPolicy[] } = {},
): AdmissionPolicySet {
  const { mutating, validating, unbound } = celPhases(cel);
  // Listed once per policy (kind and name), where it was first read, however often it was loaded.
  const notBound = new Map<string, string>();
  for (const p of unbound) {
    const id = `${p.kind}/${p.name}`;
    if (!notBound.has(id)) notBound.set(id, `${p.source.path}:${p.source.line}: ${p.kind} ${p.name} (no binding)`);
  }
  return {
    classic,
    exceptions: more.exceptions ?? [],
    mutating,
    validating,
    count: classic.length + mutating.policies.length + validating.policies.length,
    version,
    skipped: [...(more.skipped ?? []), ...notBound.values()],
    unevaluated: more.unevaluated ?? [],
  };
}

/** How a skipped document is listed at start-up and in reload logs, with what it does to requests. */
function skippedEntry(f: ForeignPolicy): string {
  const effect = f.failureAction === undefined ? '' : ` (${f.failureAction}: requests it could apply to are ${f.failureAction === 'Enforce' ? 'denied' : 'warned'} as unsupported)`;
  return `${f.source.path}:${f.source.line}: ${f.kind} ${f.name}${effect}`;
}

/**
 * Loads every policy of `paths`, each file once (expandPaths). Throws
 * (PalisadeError naming file and line) when any document cannot be read, parsed or compiled, so a
 * caller never sees half a set.
 */
export async function loadAdmissionPolicies(paths: readonly string[], log: Logger = silentLogger): Promise<AdmissionPolicySet> {
  const classic: Policy[] = [];
  const exceptions: PolicyException[] = [];
  const foreign: ForeignPolicy[] = [];
  const cel: CelPolicySet = { policies: [], bindings: [], exceptions: [] };
  const hash = createHash('sha256');
  for (const path of await expandPaths(paths)) {
    const text = await readText(path);
    hash.update(`${path}\0${text}\0`);
    const parsed = parsePolicies(text, path, paths.includes(path) ? log : silentLogger);
    classic.push(...parsed.policies);
    exceptions.push(...parsed.exceptions);
    foreign.push(...parsed.foreign);
    const compiled = parseCelPolicies(text, path);
    cel.policies.push(...compiled.policies);
    cel.bindings.push(...compiled.bindings);
    cel.exceptions.push(...compiled.exceptions);
  }
  const celNames = new Set([...cel.policies.map((p) => `${p.kind}/${p.name}`), ...cel.bindings.map((b) => `${b.kind}/${b.name}`)]);
  const skipped = foreign.filter((f) => f.kind !== 'PolicyException' && !celNames.has(`${f.kind}/${f.name}`));
  return policySet(classic, cel, hash.digest('hex').slice(0, 12), { skipped: skipped.map(skippedEntry), exceptions, unevaluated: skipped.filter((f) => f.failureAction !== undefined) });
}
