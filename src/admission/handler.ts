/**
 * Decides one AdmissionRequest: when `--key` is set the image signature gate first, then the
 * loaded Kyverno policies through the engine (`applyPoliciesToResource`) and the CEL policies.
 *
 * - The signature gate runs once per admission, on `/mutate` (Kyverno's image verification phase),
 *   before any policy is evaluated: a request it denies costs no evaluation. On `/validate` it runs
 *   only under Enforce, as the backstop for an object whose `/mutate` call never reached this
 *   server (no mutating webhook registered, another replica): images verified on `/mutate` are
 *   hits in the shared verification cache there, an image never verified is verified then and
 *   denied when it fails. Under Audit `/validate` adds nothing: its warnings came from `/mutate`.
 * - A failed or errored rule of an Enforce policy denies, naming policy and rule; of an Audit
 *   policy it becomes a warning. (An error under Enforce denies: the webhook must not fail open.)
 * - `/mutate` runs mutate and verifyImages rules and returns the JSON Patch from the request object
 *   to the mutated object; `/validate` runs the other rules and never patches (phases.ts).
 * - Excluded namespaces are allowed without evaluation.
 * - Loaded policies of kinds no engine here evaluates, that declare a failure action, deny every
 *   request on /validate under Enforce (`unsupported: …`) and warn under Audit (unevaluated.ts).
 * - CEL policies of the request's phase follow their validationActions and failurePolicy (cel.ts).
 * - Validation results of admitted, non-dryRun requests go to the PolicyReport writer (reports.ts).
 */
import { applyPoliciesToResource, type EngineOptions } from '../policy/engine/engine.ts';
import type { ForeignPolicy } from '../policy/engine/load.ts';
import { policyKey, type FailureAction, type Policy, type PolicyException, type PolicyResponse, type RuleResponse } from '../policy/engine/types.ts';
import { evaluateCel } from './cel.ts';
import type { CelImageAccess } from './cel-images.ts';
import { jsonPatchDiff } from './diff.ts';
import { policiesForPhase } from './phases.ts';
import type { AdmissionMetrics } from './metrics.ts';
import { builtinNamespaceLabels, type NamespaceLabels } from './namespaces.ts';
import type { AdmissionPolicySet } from './policy-set.ts';
import type { PolicyReportWriter } from './reports.ts';
import type { AdmissionDecision, AdmissionRequest } from './review.ts';
import type { AdmissionImageVerification } from './image-verification.ts';
import type { SignatureGate } from './signatures.ts';
import { unevaluatedFindings } from './unevaluated.ts';

type Json = Record<string, unknown>;

export type AdmissionMode = 'validate' | 'mutate';

export interface HandlerOptions {
  policies: readonly Policy[];
  /** PolicyExceptions for the classic policies (from the --policies files: an operator's decision). */
  exceptions?: readonly PolicyException[];
  /** CEL policies by phase: the mutating ones run on /mutate, the validating ones on /validate (cel.ts). */
  cel?: Pick<AdmissionPolicySet, 'mutating' | 'validating'>;
  /** Loaded documents of kinds no engine here evaluates that declare a failure action (unevaluated.ts). */
  unevaluated?: readonly ForeignPolicy[];
  /** Namespaces admitted without evaluation (kube-system, the webhook's own). */
  excludedNamespaces?: readonly string[];
  signatures?: SignatureGate;
  /** Registry verifications for verifyImages rules (image-verification.ts); without it those rules error (fail closed). */
  images?: AdmissionImageVerification;
  metrics?: AdmissionMetrics;
  /** Registry access for CEL ImageValidatingPolicies (cel-images.ts). */
  celImages?: CelImageAccess;
  /** Labels of a namespace for namespaceSelector (namespaces.ts); default: the built-in name label only. */
  namespaceLabels?: NamespaceLabels;
  /** Where the validation results of admitted requests go (PolicyReports, reports.ts). */
  reports?: Pick<PolicyReportWriter, 'record' | 'forget'>;
}

function actionOf(response: PolicyResponse, rule: RuleResponse): FailureAction {
  const explicit = response.failureActions[rule.name];
  if (explicit) return explicit;
  return (response.policy.spec.validationFailureAction ?? '').toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
}

export async function decide(request: AdmissionRequest, mode: AdmissionMode, options: HandlerOptions): Promise<AdmissionDecision> {
  if (request.namespace && options.excludedNamespaces?.includes(request.namespace)) return { allowed: true };
  const object = request.object ?? request.oldObject;
  if (!object) return { allowed: true };
  // Requests that write the object's spec: CREATE/UPDATE of the object itself, or ephemeral containers
  // being added. Only these have images to check (a status update, the kubelet's every few seconds,
  // never waits on a registry) and an object worth a PolicyReport result.
  const objectChanges = (request.operation === 'CREATE' || request.operation === 'UPDATE') && (!request.subResource || request.subResource === 'ephemeralcontainers');
  const gate = options.signatures;
  const signatures = gate && objectChanges && request.object && (mode === 'mutate' || gate.action === 'Enforce') ? await gate.findings(request.object, options.metrics) : undefined;
  if (signatures && signatures.denials.length > 0) return { allowed: false, code: 403, message: signatures.denials.join('; ') };
  // Policies this webhook cannot evaluate are never taken as passed: they deny (Enforce) or warn (Audit) on /validate.
  const unevaluated = mode === 'validate' && options.unevaluated?.length ? unevaluatedFindings(options.unevaluated, request.namespace, options.metrics) : undefined;
  if (unevaluated && unevaluated.denials.length > 0) return { allowed: false, code: 403, message: unevaluated.denials.join('; ') };

  const engineOptions: EngineOptions = {
    operation: request.operation,
    ...(request.oldObject && { oldObject: request.oldObject }),
    ...(request.userInfo && { requestInfo: { userInfo: request.userInfo } }),
    ...(request.subResource && { subresource: request.subResource }),
    request: request.raw,
    namespaceLabels: options.namespaceLabels ?? builtinNamespaceLabels,
    ...(options.exceptions && options.exceptions.length > 0 && { exceptions: options.exceptions }),
  };
  const withNamespace = request.namespace && !(object.metadata as Json | undefined)?.namespace ? withNamespaceField(object, request.namespace) : object;
  // /validate sees what /mutate pinned: it pins nothing itself, so verifyDigest judges the object as received.
  const imageOptions: EngineOptions = mode === 'validate' ? { ...engineOptions, pinImageDigests: false } : engineOptions;
  const evaluate = (imageVerification?: EngineOptions['imageVerification']) =>
    applyPoliciesToResource(policiesForPhase(options.policies, mode), { object: withNamespace }, { ...imageOptions, ...(imageVerification && { imageVerification }) });
  const celOptions = {
    ...(options.metrics && { metrics: options.metrics }),
    ...(options.celImages && { images: options.celImages }),
    namespaceLabels: options.namespaceLabels ?? builtinNamespaceLabels,
  };
  // On /validate the CEL policies judge the object as received, so their registry pass
  // (ImageValidatingPolicies) runs alongside the verifyImages one: the deadlines overlap, not add up.
  const celValidation = options.cel && mode === 'validate' ? evaluateCel(options.cel, mode, request, withNamespace, celOptions) : undefined;
  // Awaited below; if the classic evaluation throws first, its failure must not go unhandled.
  celValidation?.catch(() => undefined);
  // verifyImages rules: the registry verifications they ask for run first, then the engine decides.
  const result = options.images ? await options.images.evaluate(evaluate) : evaluate();

  const denials: string[] = [];
  const warnings: string[] = [...(signatures?.warnings ?? []), ...(unevaluated?.warnings ?? [])];
  for (const response of result.responses) {
    for (const rule of response.rules) {
      if (rule.status !== 'fail' && rule.status !== 'error') continue;
      // Mutation failures never block (Kyverno logs them); validations follow the failure action.
      const action = rule.type === 'Mutation' ? 'Audit' : actionOf(response, rule);
      const text = `policy ${policyKey(response.policy)} rule ${rule.name}${rule.status === 'error' ? ' (error)' : ''}: ${rule.message}`;
      (action === 'Enforce' ? denials : warnings).push(text);
      options.metrics?.decisions.inc({ policy: policyKey(response.policy), rule: rule.name, result: action === 'Enforce' ? 'deny' : 'warn' });
    }
  }

  // On /mutate the CEL mutations apply on top of the classic ones.
  const cel = options.cel && (await (celValidation ?? evaluateCel(options.cel, mode, request, result.patched, celOptions)));
  if (cel) {
    denials.push(...cel.denials);
    warnings.push(...cel.warnings);
  }
  const auditAnnotations = cel && Object.keys(cel.auditAnnotations).length > 0 ? { auditAnnotations: cel.auditAnnotations } : {};

  // Reports hold the objects that were admitted, seen on /validate (the final object); dryRun leaves
  // no trace, and CONNECT or status-like subresources store no object to report on.
  if (options.reports && mode === 'validate' && !request.dryRun) {
    if (request.operation === 'DELETE' && !request.subResource) options.reports.forget(withNamespace);
    else if (objectChanges && denials.length === 0) options.reports.record([...result.responses, ...(cel?.responses ?? [])]);
  }

  if (denials.length > 0) return { allowed: false, code: 403, message: denials.join('; '), ...(warnings.length > 0 && { warnings }), ...auditAnnotations };
  const patched = cel && mode === 'mutate' ? cel.patched : result.patched;
  const patch = mode === 'mutate' && request.object && request.operation !== 'DELETE' ? jsonPatchDiff(withNamespace, patched) : [];
  return { allowed: true, ...(warnings.length > 0 && { warnings }), ...(patch.length > 0 && { patch }), ...auditAnnotations };
}

/**
 * The API server may send a namespaced object without metadata.namespace (it is filled in later);
 * policies match on it, so it is set for evaluation. The patch is computed from this copy, so it
 * never contains that addition.
 */
function withNamespaceField(object: Json, namespace: string): Json {
  const metadata = (object.metadata as Json | undefined) ?? {};
  return { ...object, metadata: { ...metadata, namespace } };
}
