/**
 * Applies CEL policies to resources, offline, the way the kyverno CLI does; the results are the
 * policy engine's PolicyResponses, so reports, `palisade policy apply|test` and their exit codes
 * treat CEL and classic policies alike.
 *
 * Per resource: mutating policies (MutatingAdmissionPolicy, MutatingPolicy) first, in order, each
 * on the previous one's output; then validating ones (ValidatingAdmissionPolicy, ValidatingPolicy,
 * ImageValidatingPolicy) on the mutated resource. Every policy answers for every resource: a
 * response without rules means it did not match (reported as excluded).
 *
 * For each policy the first rule set whose constraints match is evaluated (JSON-mode policies
 * evaluate any document as `object`, without matching) (the declared one, or
 * an autogen one for Pod controllers). ValidatingAdmissionPolicies go through their bindings
 * (the first binding whose `matchResources` select the request; without bindings the policy runs
 * unbound, as in the kyverno CLI); bindings give `validationActions` and `paramRef`. Kyverno's
 * CEL PolicyExceptions that name the policy and whose match conditions hold skip it.
 */
import type { KubeResource } from '../types.ts';
import { isNamespacedKind } from '../engine/load.ts';
import { selectorMatches } from '../engine/match.ts';
import type { FailureAction, Operation, Policy, PolicyResponse, RequestInfo, RuleResponse, RuleType } from '../engine/types.ts';
import type { ClusterData } from './lib/cluster.ts';
import { clusterVariables } from './lib/cluster.ts';
import { checkMatchConditions, describeFailure, runValidations, withVariables, type Activation, type Outcome } from './evaluate.ts';
import type { DigestPin } from './image-digests.ts';
import { ImageVerificationLedger } from './image-ledger.ts';
import { evaluateImagePolicy, withImageVerifier, type ImageVerifier } from './image-policy.ts';
import { matchFailure, type AdmissionAttributes } from './match.ts';
import { runMutations } from './mutate.ts';
import { resourceOf, splitApiVersion } from './resources.ts';
import { celPolicyKey, type CelBinding, type CelPolicy, type CelPolicyException, type CelPolicySet, type RuleSet } from './types.ts';
import { toCel } from './values.ts';
import { isRecord } from '../../core/json.ts';

type Json = Record<string, unknown>;

export interface CelApplyOptions {
  /** Admission operation; the CLI assumes CREATE. */
  operation?: Operation;
  /** The object before the change (UPDATE). */
  oldObject?: Json;
  requestInfo?: RequestInfo;
  /** Namespace objects (labels, annotations) by name, for `namespaceObject` and namespace selectors. */
  namespace?: (name: string) => Json | undefined;
  /** Objects standing in for the cluster: `resource.Get/List`, and params of `paramRef`. */
  cluster?: ClusterData;
  /** Parameter objects for `paramKind`/`paramRef` (the CLI's paramResources). */
  params?: readonly Json[];
  /**
   * The AdmissionRequest fields of a webhook call (uid, dryRun, subResource…). When it carries
   * `kind` and `resource`, matching uses them, with its `name` and `namespace`, rather than what
   * the object says: a `pods/exec` CONNECT sends a PodExecOptions object for the `pods` resource.
   */
  request?: Json;
  /** Answers for ImageValidatingPolicies' verification functions and digests (prepareImageVerification). */
  imageVerifier?: ImageVerifier;
}

/** A CEL policy's response, with what the admission webhook needs to act on each rule. */
export interface CelPolicyResponse extends PolicyResponse {
  /** Deny / Warn / Audit per rule name (from the binding, or the Kyverno policy). */
  validationActions: Record<string, readonly string[]>;
  failurePolicy: 'Fail' | 'Ignore';
  /** ImageValidatingPolicies with mutateDigest: the tags pinned to digests, and those that could not be resolved. */
  imageDigests?: { pins: DigestPin[]; unresolved: { image: string; message: string }[] };
}

/** Applies every CEL policy of the set to every resource. */
export function applyCelPolicies(set: CelPolicySet, resources: readonly KubeResource[], options: CelApplyOptions = {}): PolicyResponse[] {
  return resources.flatMap((r) => applyCelPoliciesToResource(set, r, options).responses);
}

const MUTATING = new Set(['MutatingAdmissionPolicy', 'MutatingPolicy', 'NamespacedMutatingPolicy']);

export function applyCelPoliciesToResource(set: CelPolicySet, resource: KubeResource, options: CelApplyOptions = {}): { responses: CelPolicyResponse[]; patched: Json } {
  return withImageVerifier(options.imageVerifier, () => applyInOrder(set, resource, options));
}

function applyInOrder(set: CelPolicySet, resource: KubeResource, options: CelApplyOptions): { responses: CelPolicyResponse[]; patched: Json } {
  const responses: CelPolicyResponse[] = [];
  const images = new ImageVerificationLedger();
  const prepared = new Map<Json, Prepared>();
  let current = resource.object;
  for (const policy of set.policies.filter((p) => MUTATING.has(p.kind))) {
    const response = evaluate(policy, { ...resource, object: current }, set, options, images, prepared);
    responses.push(response);
    current = response.patchedResource;
  }
  // ImageValidatingPolicies pin image digests (mutateDigest) as admission's mutating phase does:
  // each on the previous one's output, and every validation after them sees the pinned images.
  for (const policy of set.policies.filter(isImagePolicy)) {
    const response = evaluate(policy, { ...resource, object: current }, set, options, images, prepared);
    responses.push(response);
    current = response.patchedResource;
  }
  for (const policy of set.policies.filter((p) => !MUTATING.has(p.kind) && !isImagePolicy(p))) {
    responses.push(evaluate(policy, { ...resource, object: current }, set, options, images, prepared));
  }
  // `required` counts the verifications of every ImageValidatingPolicy of the request.
  images.enforceRequired();
  return { responses, patched: current };
}

/** The engine's Policy shape for a CEL policy: reports need its name, namespace and annotations. */
export function policyShim(policy: CelPolicy): Policy {
  return {
    apiVersion: policy.apiVersion,
    kind: policy.namespace ? 'Policy' : 'ClusterPolicy',
    name: policy.name,
    ...(policy.namespace && { namespace: policy.namespace }),
    annotations: policy.annotations,
    spec: { rules: [] },
    rules: [],
    source: policy.source,
  };
}

const shims = new WeakMap<CelPolicy, Policy>();

function shimOf(policy: CelPolicy): Policy {
  let shim = shims.get(policy);
  if (!shim) shims.set(policy, (shim = policyShim(policy)));
  return shim;
}

function isImagePolicy(policy: CelPolicy): boolean {
  return policy.kind.endsWith('ImageValidatingPolicy');
}

function ruleType(policy: CelPolicy): RuleType {
  if (MUTATING.has(policy.kind)) return 'Mutation';
  return isImagePolicy(policy) ? 'ImageVerify' : 'Validation';
}

function ruleName(policy: CelPolicy, rules: RuleSet): string {
  return rules.name === '' ? policy.name : `${rules.name}-${policy.name}`;
}

function metaOf(object: Json | undefined): { name?: string; namespace?: string; labels?: Record<string, string> } {
  return (object && typeof object.metadata === 'object' && object.metadata !== null ? object.metadata : {}) as { name?: string; namespace?: string; labels?: Record<string, string> };
}

interface Request {
  attributes: AdmissionAttributes;
  object: Json | null;
  oldObject: Json | null;
  request: Json;
  namespaceObject: Json | null;
}

function buildRequest(object: Json, options: CelApplyOptions): Request {
  const operation = options.operation ?? 'CREATE';
  const oldObject = operation === 'UPDATE' ? (options.oldObject ?? object) : operation === 'DELETE' ? object : null;
  const newObject = operation === 'DELETE' ? null : object;
  const target = newObject ?? oldObject ?? object;
  const meta = metaOf(target);
  const sent = admissionTarget(options.request);
  const { group, version } = sent ?? splitApiVersion(String(target.apiVersion ?? ''));
  const kind = sent?.kind ?? String(target.kind ?? '');
  const resource = sent?.resource ?? resourceOf(kind);
  const namespaced = sent ? sent.namespace !== '' : isNamespacedKind(kind);
  const namespace = sent ? sent.namespace : namespaced ? (meta.namespace ?? '') : '';
  const name = sent?.name || meta.name || '';
  const nsObject = namespace ? (options.namespace?.(namespace) ?? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }) : null;
  const user = options.requestInfo?.userInfo;
  const request: Json = {
    uid: '',
    kind: { group, version, kind },
    resource: { group, version, resource },
    requestKind: { group, version, kind },
    requestResource: { group, version, resource },
    name,
    namespace,
    operation,
    userInfo: { username: user?.username ?? '', uid: user?.uid ?? '', groups: user?.groups ?? [], ...(user?.extra && { extra: user.extra }) },
    dryRun: false,
    ...(options.request ?? {}),
  };
  return {
    attributes: {
      group,
      version,
      kind,
      resource,
      subresource: typeof request.subResource === 'string' ? request.subResource : '',
      operation,
      name,
      namespace,
      namespaced,
      labels: meta.labels ?? {},
      ...(nsObject && { namespaceLabels: metaOf(nsObject).labels ?? {} }),
    },
    object: newObject,
    oldObject,
    request,
    namespaceObject: nsObject,
  };
}

/** Kind, resource, name and namespace of a webhook's AdmissionRequest, when `request` is one. */
function admissionTarget(request: Json | undefined): { group: string; version: string; kind: string; resource: string; name: string; namespace: string } | undefined {
  if (!request || !isRecord(request.kind) || !isRecord(request.resource)) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    group: str(request.kind.group),
    version: str(request.kind.version),
    kind: str(request.kind.kind),
    resource: str(request.resource.resource),
    name: str(request.name),
    namespace: str(request.namespace),
  };
}

/**
 * A request as policies see it, with its CEL values: built once per object and shared by every
 * policy of the call (converting the object once per policy was most of a webhook request's cost).
 */
interface Prepared {
  req: Request;
  activation: Activation;
}

/**
 * Requests and activations built for objects under one set of options, kept while several
 * policies are asked about the same objects (requestScope): each object is converted once.
 */
export type PreparedRequests = Map<Json, Prepared>;

function prepare(object: Json, options: CelApplyOptions, cache: Map<Json, Prepared>): Prepared {
  let entry = cache.get(object);
  if (!entry) {
    const req = buildRequest(object, options);
    const activation: Activation = {
      object: toCel(req.object),
      oldObject: toCel(req.oldObject),
      request: toCel(req.request),
      namespaceObject: toCel(req.namespaceObject),
      ...clusterVariables(options.cluster),
    };
    cache.set(object, (entry = { req, activation }));
  }
  return entry;
}

function baseActivation(prepared: Prepared, params: unknown): Activation {
  return { ...prepared.activation, params: toCel(params ?? null) };
}

function failureAction(actions: readonly string[]): FailureAction {
  return actions.includes('Deny') ? 'Enforce' : 'Audit';
}

/**
 * The rule set of `policy` that evaluates the request (the declared one, or an autogen one for
 * Pod controllers), or undefined when the policy does not apply to it. JSON mode (Kyverno
 * `evaluation.mode: JSON`): any JSON document, no admission matching.
 */
function matchingRuleSet(policy: CelPolicy, req: Request): RuleSet | undefined {
  if (policy.namespace && policy.namespace !== req.attributes.namespace) return undefined;
  return policy.mode === 'JSON' ? policy.rules[0] : policy.rules.find((r) => matchFailure(r.match, req.attributes) === undefined);
}

/**
 * What matching alone decides for `object` (match constraints and the namespace of Namespaced
 * policies; not match conditions, exceptions or bindings): the rule set that would evaluate it,
 * with the activation its expressions would see (`object`, `request`, the data libraries…; no
 * params). Lets work ahead of evaluation (image verification) skip the policies that cannot apply.
 */
export function requestScope(
  policy: CelPolicy,
  object: Json,
  options: CelApplyOptions = {},
  requests: PreparedRequests = new Map(),
): { rules: RuleSet; activation: Activation } | undefined {
  const prepared = prepare(object, options, requests);
  const rules = matchingRuleSet(policy, prepared.req);
  return rules && { rules, activation: withVariables(baseActivation(prepared, null), rules.variables) };
}

function evaluate(policy: CelPolicy, resource: KubeResource, set: CelPolicySet, options: CelApplyOptions, images: ImageVerificationLedger, cache: Map<Json, Prepared>): CelPolicyResponse {
  const response: CelPolicyResponse = { policy: shimOf(policy), resource, patchedResource: resource.object, rules: [], failureActions: {}, validationActions: {}, failurePolicy: policy.failurePolicy };
  const prepared = prepare(resource.object, options, cache);
  const { req } = prepared;
  const rules = matchingRuleSet(policy, req);
  if (!rules) return response;
  const name = ruleName(policy, rules);
  const type = ruleType(policy);
  const add = (outcome: Outcome, actions: readonly string[]) => {
    const rule: RuleResponse = { name, type, status: outcome.status, message: outcome.message, ...(outcome.code && { code: outcome.code }), ...(outcome.properties && { properties: outcome.properties }) };
    response.rules.push(rule);
    response.validationActions[name] = actions;
    if (type !== 'Mutation') response.failureActions[name] = failureAction(actions);
  };
  if (policy.unsupported) {
    add({ status: 'error', message: `unsupported: ${policy.unsupported} in ${celPolicyKey(policy)}` }, policy.validationActions);
    return response;
  }
  // Bindings: the first one selecting the request; none declared means the policy runs unbound.
  let binding: CelBinding | undefined;
  if (policy.kind.endsWith('AdmissionPolicy')) {
    const bindings = set.bindings.filter((b) => b.policyName === policy.name);
    if (bindings.length > 0) {
      binding = bindings.find((b) => !b.matchResources || matchFailure({ resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], resources: ['*', '*/*'], operations: ['*'] }], ...b.matchResources }, req.attributes) === undefined);
      if (!binding) return response;
    }
  }
  const actions = binding ? binding.validationActions : policy.validationActions;
  const params = resolveParams(policy, binding, req, options);
  if ('error' in params) {
    add(params.error, actions);
    return response;
  }
  for (const param of params.values) {
    const base = baseActivation(prepared, param);
    const exception = matchingException(policy, set.exceptions, base);
    if (exception) {
      add(exception, actions);
      return response;
    }
    const activation = withVariables(base, rules.variables);
    const matched = checkMatchConditions(rules.matchConditions, activation);
    if (matched.error) {
      const { name: condition, err, program } = matched.error;
      add(policy.failurePolicy === 'Ignore' ? { status: 'skip', message: `match condition ${condition} failed and failurePolicy is Ignore` } : { status: 'error', message: describeFailure(err, celPolicyKey(policy), `match condition ${condition}`, program) }, actions);
      return response;
    }
    if (!matched.matched) {
      add({ status: 'skip', message: 'match conditions not met' }, actions);
      return response;
    }
    if (type === 'Mutation') {
      if (req.object === null) return response;
      const { outcome, patched } = runMutations(rules.mutations, req.object, (object) => withVariables({ ...base, object: toCel(object) }, rules.variables), celPolicyKey(policy));
      add(outcome, actions);
      if (outcome.status === 'pass') response.patchedResource = patched;
      return response;
    }
    if (type === 'ImageVerify') {
      const result = evaluateImagePolicy(rules, base, { mode: policy.mode, key: celPolicyKey(policy) }, images);
      add(result.outcome, actions);
      if (result.pins.length > 0 && result.object) response.patchedResource = result.object;
      if (result.pins.length > 0 || result.unresolved.length > 0) response.imageDigests = { pins: result.pins, unresolved: result.unresolved };
      if (result.requireVerified) images.requireVerified(response.rules.at(-1)!, result.requireVerified);
      return response;
    }
    const outcome = runValidations(rules, activation, celPolicyKey(policy));
    // Multiple params (a selector): the first that does not pass decides.
    if (outcome.status !== 'pass' || param === params.values.at(-1)) {
      add(outcome, actions);
      return response;
    }
  }
  return response;
}

/** CEL PolicyExceptions (policies.kyverno.io) naming this policy whose match conditions all hold. */
function matchingException(policy: CelPolicy, exceptions: readonly CelPolicyException[], base: Activation): Outcome | undefined {
  const hits = exceptions.filter((e) => e.policyRefs.some((r) => r.name === policy.name && (!r.kind || r.kind === policy.kind)) && checkMatchConditions(e.matchConditions, base).matched);
  if (hits.length === 0) return undefined;
  const names = hits.map((e) => (e.namespace ? `${e.namespace}/${e.name}` : e.name)).join(', ');
  if (hits.some((e) => e.reportResult === 'pass')) return { status: 'pass', message: `rule is passed due to policy exception: ${names}` };
  return { status: 'skip', message: `rule is skipped due to policy exception: ${names}` };
}

/**
 * The params a policy runs with: none (one run with `params` null) without `paramKind`; else the
 * objects the binding's `paramRef` selects among the provided params. None found: `Deny` (the
 * default) is an error, `Allow` skips the policy.
 */
function resolveParams(policy: CelPolicy, binding: CelBinding | undefined, req: Request, options: CelApplyOptions): { values: unknown[] } | { error: Outcome } {
  if (!policy.paramKind) return { values: [null] };
  const ref = binding?.paramRef;
  if (!ref) return { error: { status: 'error', message: `${celPolicyKey(policy)} has paramKind ${policy.paramKind.kind} but no binding with paramRef` } };
  const { apiVersion, kind } = policy.paramKind;
  const pool = [...(options.params ?? []), ...(options.cluster?.resources ?? [])];
  const namespace = ref.namespace ?? (req.attributes.namespaced ? req.attributes.namespace : '');
  const found = pool.filter((p) => {
    const m = metaOf(p);
    if (p.apiVersion !== apiVersion || p.kind !== kind) return false;
    if (namespace && (m.namespace ?? 'default') !== namespace) return false;
    if (ref.name !== undefined) return m.name === ref.name;
    return ref.selector ? selectorMatches(ref.selector, m.labels ?? {}) : true;
  });
  if (found.length > 0) return { values: found };
  if (ref.parameterNotFoundAction === 'Allow') return { error: { status: 'skip', message: `no params found for ${celPolicyKey(policy)} (parameterNotFoundAction Allow)` } };
  return { error: { status: 'error', message: `failed to configure binding: no params found for ${policy.paramKind.kind} ${ref.name ?? ''} of ${celPolicyKey(policy)}` } };
}
