/**
 * Policy documents the webhook loads but cannot evaluate — a Kyverno kind or apiVersion neither
 * engine implements (a ClusterPolicy under an unknown `kyverno.io` version, a `policies.kyverno.io`
 * kind such as GeneratingPolicy) — are listed at start-up (policy-set.ts). One that declares a
 * failure action is also answered for on every request it could apply to: since its match cannot
 * be evaluated either, that is every request reaching /validate (within its namespace for a
 * namespaced kind). Under Enforce the request is denied as `unsupported`, under Audit it is
 * admitted with a warning: a policy meant to deny is never taken as passed. A document declaring
 * no failure action (generate, cleanup and deleting policies, context entries) decides nothing at
 * admission in Kyverno either, and only the start-up listing mentions it.
 */
import type { ForeignPolicy } from '../policy/engine/load.ts';
import type { AdmissionMetrics } from './metrics.ts';

/** Namespaced kinds apply in their own namespace only (Kyverno's Policy, the Namespaced* CEL kinds). */
function appliesIn(policy: ForeignPolicy, namespace: string | undefined): boolean {
  const namespaced = policy.kind === 'Policy' || policy.kind.startsWith('Namespaced');
  return !namespaced || policy.namespace === undefined || policy.namespace === namespace;
}

/** What the unevaluated policies say about a request in `namespace`: denials (Enforce) and warnings (Audit). */
export function unevaluatedFindings(policies: readonly ForeignPolicy[], namespace: string | undefined, metrics?: AdmissionMetrics): { denials: string[]; warnings: string[] } {
  const found = { denials: [] as string[], warnings: [] as string[] };
  for (const policy of policies) {
    if (policy.failureAction === undefined || !appliesIn(policy, namespace)) continue;
    // The source last: a warning is cut at 120 characters, and what and why must survive.
    const text = `policy ${policy.name}: unsupported: ${policy.apiVersion} ${policy.kind}, not evaluated by the webhook (${policy.source.path}:${policy.source.line})`;
    (policy.failureAction === 'Enforce' ? found.denials : found.warnings).push(text);
    metrics?.decisions.inc({ policy: policy.name, rule: policy.kind, result: policy.failureAction === 'Enforce' ? 'deny' : 'warn' });
  }
  return found;
}
