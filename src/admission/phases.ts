/**
 * Which classic rules run in which webhook, as Kyverno splits them. The API server calls the
 * mutating webhook first and the validating webhook afterwards, with the object every mutating
 * webhook has changed, for the same request:
 *
 * - /mutate applies mutate rules and verifyImages rules (their mutateDigest patches, and their
 *   verification verdicts, belong to the call that can still pin the digest);
 * - /validate runs everything else: validate rules (on the final object) and verifyImages rules.
 *
 * Running validate rules on /mutate as well would evaluate every policy twice per admission, judge
 * the object before it is mutated, and show each Audit warning to the user twice.
 */
import type { Policy, Rule } from '../policy/engine/types.ts';
import type { AdmissionMode } from './handler.ts';

const ON_MUTATE = (rule: Rule) => rule.mutate !== undefined || rule.verifyImages !== undefined;
const ON_VALIDATE = (rule: Rule) => rule.mutate === undefined;

const byPhase = new WeakMap<readonly Policy[], Record<AdmissionMode, readonly Policy[]>>();
/** One copy per policy and phase: the engine caches per policy object, so copies must be stable. */
const copies = new WeakMap<Policy, Partial<Record<AdmissionMode, Policy>>>();

/** The policies of `mode`, each with only the rules that run there (computed once per policy set). */
export function policiesForPhase(policies: readonly Policy[], mode: AdmissionMode): readonly Policy[] {
  let split = byPhase.get(policies);
  if (!split) {
    split = { mutate: select(policies, 'mutate', ON_MUTATE), validate: select(policies, 'validate', ON_VALIDATE) };
    byPhase.set(policies, split);
  }
  return split[mode];
}

function select(policies: readonly Policy[], mode: AdmissionMode, runsHere: (rule: Rule) => boolean): Policy[] {
  const out: Policy[] = [];
  for (const policy of policies) {
    const rules = policy.rules.filter(runsHere);
    if (rules.length === 0) continue;
    if (rules.length === policy.rules.length) {
      out.push(policy);
      continue;
    }
    const cached = copies.get(policy) ?? {};
    cached[mode] ??= { ...policy, rules };
    copies.set(policy, cached);
    out.push(cached[mode]);
  }
  return out;
}
