/**
 * CEL policies in the webhook: one admission phase's policies (policy-set.ts) evaluated by the
 * CEL engine (src/policy/cel/apply.ts) on the request as the API server sent it, and their rule
 * results turned into admission effects the way Kubernetes' admission policy plugin does:
 *
 * - a failed validation acts through the rule's validationActions: `Deny` denies with a message
 *   naming the policy (the validation's message, or `failed expression: <expression>`), `Warn`
 *   becomes a response warning, `Audit` an audit annotation (`validation_failure`, a JSON list
 *   like Kubernetes' `validation.policy.admission.k8s.io/validation_failure`) and a report result;
 * - an evaluation error (or a binding without its params) under `failurePolicy: Fail` acts like a
 *   failed validation; under `Ignore` it is dropped — the webhook fails open only when a policy
 *   says so;
 * - a mutation that errors under `Fail` denies; under `Ignore` the object passes unchanged;
 * - a policy's own `auditAnnotations` become `<policy>.<key>` response audit annotations;
 * - ImageValidatingPolicies verify through the registry first (cel-images.ts); on `/mutate` they
 *   pin image tags to the digests they resolve (`mutateDigest`) and a tag the registry cannot
 *   resolve denies when the policy has `Deny` and `failurePolicy: Fail` (else it is a warning).
 *
 * Policies without validationActions deny (Kyverno requires them; failing closed is the safe
 * reading of a policy that forgot to say).
 */
import { applyCelPoliciesToResource, type CelApplyOptions, type CelPolicyResponse } from '../policy/cel/apply.ts';
import { imageDigestMutation } from '../policy/cel/image-admission.ts';
import { applyJsonPatch } from '../policy/engine/json-patch.ts';
import { policyKey } from '../policy/engine/types.ts';
import { imagePolicies, requestImageVerifier, type CelImageAccess } from './cel-images.ts';
import type { AdmissionMetrics } from './metrics.ts';
import type { NamespaceLabels } from './namespaces.ts';
import type { AdmissionPolicySet } from './policy-set.ts';
import type { AdmissionRequest } from './review.ts';

type Json = Record<string, unknown>;

/** One audit-only failure, as Kubernetes writes it into `validation_failure`. */
export interface AuditFailure {
  policy: string;
  message: string;
  validationActions: readonly string[];
}

export interface CelVerdict {
  denials: string[];
  warnings: string[];
  auditAnnotations: Record<string, string>;
  /** The object after the mutating policies (the input object when none applied). */
  patched: Json;
  /** The validating responses, for PolicyReports. */
  responses: CelPolicyResponse[];
}

/** The request fields CEL policies see as `request` (the objects are `object`/`oldObject`). */
function requestFields(request: AdmissionRequest): Json {
  const { object: _object, oldObject: _oldObject, ...rest } = request.raw;
  return { ...rest, dryRun: request.dryRun, namespace: request.namespace ?? '', name: request.name ?? '', subResource: request.subResource ?? '' };
}

/** A qualified-name segment for an audit annotation key (the API server prefixes the webhook name). */
function annotationKey(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '') || 'policy';
}

export interface CelEvaluationOptions {
  metrics?: AdmissionMetrics;
  namespaceLabels?: NamespaceLabels;
  /** Registry access for ImageValidatingPolicies; without it their verification functions are errors. */
  images?: CelImageAccess;
}

/**
 * Evaluates the CEL policies of the request's phase: on `/mutate` the mutating policies, then the
 * digest pins of the ImageValidatingPolicies; on `/validate` the validating ones. `object` is what
 * policies see as `object`: the new object, or the old one on DELETE (namespace filled in by the
 * caller).
 */
export async function evaluateCel(
  phases: Pick<AdmissionPolicySet, 'mutating' | 'validating'>,
  mode: 'mutate' | 'validate',
  request: AdmissionRequest,
  object: Json,
  options: CelEvaluationOptions = {},
): Promise<CelVerdict> {
  const { metrics, namespaceLabels } = options;
  const verdict: CelVerdict = { denials: [], warnings: [], auditAnnotations: {}, patched: object, responses: [] };
  const set = mode === 'mutate' ? phases.mutating : phases.validating;
  const pinning = mode === 'mutate' && options.images ? imagePolicies(phases.validating) : undefined;
  if (set.policies.length === 0 && !pinning?.policies.length) return verdict;
  const evaluation: CelApplyOptions = {
    operation: request.operation,
    ...(request.oldObject && request.operation === 'UPDATE' && { oldObject: request.oldObject }),
    ...(request.userInfo && { requestInfo: { userInfo: request.userInfo } }),
    request: requestFields(request),
    ...(namespaceLabels && { namespace: (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: namespaceLabels(name) } }) }),
  };
  const imageVerifier = mode === 'validate' && options.images ? await requestImageVerifier(set, object, evaluation, options.images) : undefined;
  const { responses, patched } = applyCelPoliciesToResource(set, { object }, { ...evaluation, ...(imageVerifier && { imageVerifier }) });
  verdict.patched = patched;
  if (pinning && options.images && request.object) await pinDigests(pinning, verdict, evaluation, options.images, metrics);
  const auditFailures: AuditFailure[] = [];
  for (const response of responses) {
    const key = policyKey(response.policy);
    for (const rule of response.rules) {
      for (const [k, v] of Object.entries(rule.properties ?? {})) verdict.auditAnnotations[annotationKey(`${response.policy.name}.${k}`)] = v;
      if (rule.status !== 'fail' && rule.status !== 'error') continue;
      if (rule.status === 'error' && response.failurePolicy === 'Ignore') continue;
      const text = `policy ${key}${rule.name !== response.policy.name ? ` rule ${rule.name}` : ''}${rule.status === 'error' ? ' (error)' : ''}: ${rule.message}`;
      if (rule.type === 'Mutation') {
        verdict.denials.push(text);
        metrics?.decisions.inc({ policy: key, rule: rule.name, result: 'deny' });
        continue;
      }
      const declared = response.validationActions[rule.name] ?? [];
      const actions = declared.length > 0 ? declared : ['Deny'];
      if (actions.includes('Deny')) verdict.denials.push(text);
      if (actions.includes('Warn')) verdict.warnings.push(text);
      if (actions.includes('Audit')) auditFailures.push({ policy: key, message: rule.message, validationActions: actions });
      for (const action of actions) metrics?.decisions.inc({ policy: key, rule: rule.name, result: action === 'Deny' ? 'deny' : action === 'Warn' ? 'warn' : 'audit' });
    }
    if (response.rules.some((r) => r.type !== 'Mutation')) verdict.responses.push(response);
  }
  if (auditFailures.length > 0) verdict.auditAnnotations.validation_failure = JSON.stringify(auditFailures);
  return verdict;
}

/** `/mutate`: pins the image tags the ImageValidatingPolicies select to their digests (mutateDigest). */
async function pinDigests(images: AdmissionPolicySet['validating'], verdict: CelVerdict, evaluation: CelApplyOptions, access: CelImageAccess, metrics: AdmissionMetrics | undefined): Promise<void> {
  const imageVerifier = await requestImageVerifier(images, verdict.patched, evaluation, access);
  if (!imageVerifier) return;
  const mutation = imageDigestMutation(images, { object: verdict.patched }, { ...evaluation, imageVerifier });
  if (mutation.patch.length > 0) verdict.patched = applyJsonPatch(verdict.patched, mutation.patch) as Json;
  for (const u of mutation.unresolved) {
    const text = `policy ${u.policy}: image ${u.image}: digest unknown: ${u.message}`;
    const deny = u.failurePolicy === 'Fail' && (u.validationActions.length === 0 || u.validationActions.includes('Deny'));
    (deny ? verdict.denials : verdict.warnings).push(text);
    metrics?.decisions.inc({ policy: u.policy, rule: u.policy, result: deny ? 'deny' : 'warn' });
  }
}
