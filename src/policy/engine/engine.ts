/**
 * The policy engine: applies Kyverno ClusterPolicies/Policies to Kubernetes resources.
 *
 * Per resource, as the kyverno CLI and admission webhook do: every policy with mutate rules runs
 * first (each sees the previous one's output), then image-verification and generate rules, then
 * every policy with validate rules on the mutated resource. Within a policy, rules run in order;
 * a rule responds only when its match/exclude select the resource; a PolicyException turns it into
 * a skip; then its context entries are loaded, its preconditions checked (false: skip), and its
 * handler runs. An error in one rule (bad JMESPath, missing variable, unsupported feature) gives that
 * rule an `error` response and the others still run.
 *
 * Entry points: `applyPolicies` (many resources, the CLI) and `applyPoliciesToResource` (one
 * resource, the admission webhook). Both are synchronous and pure: all inputs come in options.
 */
import type { KubeResource } from '../types.ts';
import type { PodSecurityExclusion } from '../podsecurity/index.ts';
import { validateCelRule } from '../cel/classic.ts';
import { loadContext, newPolicyContext, type ContextEntry, type ExternalData, type JsonContext, type RequestInput } from '../variables/context.ts';
import { celPreconditionsOutcome } from './cel-preconditions.ts';
import { checkConditions } from './evaluation.ts';
import { gvkOf, kindsSelectedBy, matchRule, metadataOf, type MatchRequest } from './match.ts';
import { wildcardMatch } from '../pattern/wildcard.ts';
import { mutateRule } from './mutate.ts';
import {
  policyKey,
  type FailureAction,
  type ForEachMutation,
  type ForEachValidation,
  type Operation,
  type Policy,
  type PolicyException,
  type PolicyResponse,
  type RequestInfo,
  type Rule,
  type RuleResponse,
  type RuleType,
} from './types.ts';
import { describeError as describe, validateRule, type RuleEnv } from './validate.ts';
import { verifyImagesRule, type ImageVerificationResults } from './verify-images.ts';
import { verifyImagesFailureAction } from './verify-images-spec.ts';
import { isRecord, nestValue } from '../../core/json.ts';

type Json = Record<string, unknown>;

/** The CLI's offline inputs (values file): see cli-test/values.ts. */
export interface ValuesSource {
  /** Variables for a policy and resource: global values, then the resource's own. */
  resourceValues(policy: string, resourceName: string): Record<string, unknown>;
  /** Values replacing a rule's context entries; `foreachValues` are indexed by foreach element. */
  ruleValues(policy: string, rule: string): { values: Record<string, unknown>; foreachValues: Record<string, unknown[]> } | undefined;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  readonly subresources: readonly {
    subresource: { kind: string; group: string; version: string; name: string };
    parentResource: { kind: string; group: string; version: string };
  }[];
}

export interface EngineOptions {
  /** Admission operation; the CLI assumes CREATE (a `request.operation` value overrides it). */
  operation?: Operation;
  /** The object before the change (UPDATE; for DELETE the resource itself is the old object). */
  oldObject?: Json;
  /** The requester (roles, clusterRoles, username, groups) for subjects/roles matching and `request.userInfo`. */
  requestInfo?: RequestInfo;
  /** Labels of a namespace, for namespaceSelector (falls back to the values file). */
  namespaceLabels?: (namespace: string) => Record<string, string> | undefined;
  /** Subresource of the request (`status`, `scale`, `exec`…), admission only. */
  subresource?: string;
  /** Extra AdmissionRequest fields to expose as `request.*` (uid, name, kind, dryRun…), admission only. */
  request?: Pick<RequestInput, 'name' | 'uid' | 'kind' | 'resource' | 'subResource' | 'dryRun' | 'options'>;
  /** CLI values file. */
  values?: ValuesSource;
  /** Cluster data for configMap/apiCall/imageRegistry/globalReference context entries (the CLI's clusterResources). */
  external?: ExternalData;
  exceptions?: readonly PolicyException[];
  /** Verification outcomes for verifyImages rules (see verify-images.ts); offline when absent. */
  imageVerification?: ImageVerificationResults;
  /**
   * Whether verifyImages rules pin tags to digests (mutateDigest); default true. False for a
   * validating-only phase (the webhook's /validate), where verifyDigest then judges the object as received.
   */
  pinImageDigests?: boolean;
}

/** Applies every policy to every resource; responses in resource order, then phase and policy order. */
export function applyPolicies(policies: readonly Policy[], resources: readonly KubeResource[], options: EngineOptions = {}): PolicyResponse[] {
  return withoutStackTraces(() => resources.flatMap((r) => applyToResource(policies, r, options).responses));
}

/**
 * Runs `fn` with stack capture off. Rule evaluation throws and absorbs many errors (JMESPath's
 * missing keys are errors that `||`, projections and filters absorb); capturing a stack for each
 * costs more than the rest of the evaluation. Every error raised here becomes a rule message, so
 * stacks are never shown. The engine is synchronous, so nothing else runs meanwhile.
 */
function withoutStackTraces<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  if (limit === 0) return fn();
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export interface ResourceResult {
  responses: PolicyResponse[];
  /** The resource after all mutations. */
  patched: Json;
}

/** Applies the policies to one resource: mutations first, then image verification and generation, then validations. */
export function applyPoliciesToResource(policies: readonly Policy[], resource: KubeResource, options: EngineOptions = {}): ResourceResult {
  return withoutStackTraces(() => applyToResource(policies, resource, options));
}

function applyToResource(policies: readonly Policy[], resource: KubeResource, options: EngineOptions): ResourceResult {
  const responses: PolicyResponse[] = [];
  let current = resource.object;
  for (const policy of policies) {
    if (!policy.rules.some((r) => r.mutate)) continue;
    const response = evaluatePolicy(policy, { ...resource, object: current }, 'Mutation', options);
    responses.push(response);
    current = response.patchedResource;
  }
  for (const type of ['ImageVerify', 'Generation'] as const) {
    for (const policy of policies) {
      if (!policy.rules.some((r) => ruleType(r) === type)) continue;
      const response = evaluatePolicy(policy, { ...resource, object: current }, type, options);
      if (response.rules.length > 0) responses.push(response);
      // Digests pinned by verifyImages (mutateDigest) are what the validations see.
      current = response.patchedResource;
    }
  }
  // Validation leaves the context as it found it, so policies without values of their own share one.
  let shared: PolicySetup | Error | undefined;
  const validated = { ...resource, object: current };
  for (const policy of policies) {
    if (!policy.rules.some((r) => r.validate)) continue;
    let setup: PolicySetup | Error | undefined;
    if (!hasOwnValues(policy, current, options)) setup = shared ??= tryPrepare(policy, current, options);
    responses.push(runPolicy(policy, validated, 'Validation', options, setup ?? tryPrepare(policy, current, options)));
  }
  return { responses, patched: current };
}

function hasOwnValues(policy: Policy, object: Json, options: EngineOptions): boolean {
  return options.values !== undefined && Object.keys(options.values.resourceValues(policy.name, metadataOf(object).name ?? '')).length > 0;
}

function ruleType(rule: Rule): RuleType {
  if (rule.mutate) return 'Mutation';
  if (rule.verifyImages) return 'ImageVerify';
  if (rule.generate !== undefined) return 'Generation';
  return 'Validation';
}

/** Features that load but are not evaluated: the rule responds `error` with `unsupported: <feature>`. */
function unsupportedFeature(rule: Rule): string | undefined {
  if (rule.generate !== undefined) return 'generate';
  const v = rule.validate;
  if (v?.manifests !== undefined) return 'validate.manifests';
  if (v?.assert !== undefined) return 'validate.assert';
  if (rule.mutate?.targets?.length) return 'mutate.targets (mutate existing resources)';
  return undefined;
}

function failureActionOf(policy: Policy, rule: Rule): FailureAction {
  const action = rule.validate?.failureAction ?? verifyImagesFailureAction(rule.verifyImages) ?? policy.spec.validationFailureAction ?? 'Audit';
  return action.toLowerCase() === 'enforce' ? 'Enforce' : 'Audit';
}

const failureActionCache = new WeakMap<Policy, Record<string, FailureAction>>();

/** Failure action per validation rule (computed once per policy; responses share the read-only map). */
function failureActionsOf(policy: Policy): Record<string, FailureAction> {
  let actions = failureActionCache.get(policy);
  if (!actions) {
    actions = {};
    for (const rule of [...rulesOfType(policy, 'Validation'), ...rulesOfType(policy, 'ImageVerify')]) actions[rule.name] = failureActionOf(policy, rule);
    failureActionCache.set(policy, actions);
  }
  return actions;
}

const rulesCache = new WeakMap<Policy, Map<RuleType, Rule[]>>();

function rulesOfType(policy: Policy, type: RuleType): Rule[] {
  let byType = rulesCache.get(policy);
  if (!byType) {
    byType = new Map();
    for (const rule of policy.rules) {
      const t = ruleType(rule);
      byType.set(t, [...(byType.get(t) ?? []), rule]);
    }
    rulesCache.set(policy, byType);
  }
  return byType.get(type) ?? [];
}

/** Evaluates the rules of one type of one policy on one resource (Kyverno's Mutate / Validate for a policy context). */
export function evaluatePolicy(policy: Policy, resource: KubeResource, type: RuleType, options: EngineOptions = {}): PolicyResponse {
  return withoutStackTraces(() => runPolicy(policy, resource, type, options, tryPrepare(policy, resource.object, options)));
}

function tryPrepare(policy: Policy, object: Json, options: EngineOptions): PolicySetup | Error {
  try {
    return prepare(policy, object, options);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function runPolicy(policy: Policy, resource: KubeResource, type: RuleType, options: EngineOptions, setup: PolicySetup | Error): PolicyResponse {
  const response: PolicyResponse = { policy, resource, patchedResource: resource.object, rules: [], failureActions: {} };
  if (setup instanceof Error) {
    // Kyverno cannot build the policy context (an invalid image reference): every rule of the phase errors.
    for (const rule of policy.rules) {
      if (ruleType(rule) === type) response.rules.push({ name: rule.name, type, status: 'error', message: `failed to create policy context: ${describe(setup)}` });
    }
    return response;
  }
  let current = setup.newObject ?? resource.object;
  if (type === 'Validation' || type === 'ImageVerify') response.failureActions = failureActionsOf(policy);
  for (const rule of rulesOfType(policy, type)) {
    const out = evaluateRule(policy, rule, type, current, setup, options);
    if (!out) continue;
    response.rules.push({ name: rule.name, type, status: out.status, message: out.message, ...(out.code && { code: out.code }), ...(out.exceptions && { exceptions: out.exceptions }) });
    if ((type === 'Mutation' || type === 'ImageVerify') && out.patched && out.status === 'pass') {
      current = out.patched;
      // Later rules see the patched resource.
      const ctx = setup.context();
      ctx.replace('request', { ...(ctx.query('request') as Json), object: current });
    }
    if (policy.spec.applyRules === 'One' && (out.status === 'pass' || out.status === 'fail')) break;
  }
  if (type === 'Mutation' || type === 'ImageVerify') response.patchedResource = current;
  return response;
}

interface PolicySetup {
  /** The JSON context, built on first use: most policies match nothing in most resources. */
  context(): JsonContext;
  operation: Operation;
  /** request.object after values were injected (undefined for DELETE). */
  newObject?: Json;
  oldObject?: Json;
  match: MatchRequest;
  /** Top-level variable names the values file provides for this policy and resource. */
  provided: Set<string>;
}

function queryObject(ctx: JsonContext, expression: string): Json | undefined {
  try {
    const v = ctx.query(expression);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the policy context: request data, then values (which may rewrite request.object), then the match request. */
function prepare(policy: Policy, object: Json, options: EngineOptions): PolicySetup {
  const name = metadataOf(object).name ?? '';
  const values = options.values?.resourceValues(policy.name, name) ?? {};
  const valueOp = values['request.operation'];
  const operation: Operation = valueOp === 'DELETE' || valueOp === 'UPDATE' || valueOp === 'CREATE' || valueOp === 'CONNECT' ? valueOp : (options.operation ?? 'CREATE');
  const oldObject = operation === 'UPDATE' ? (options.oldObject ?? object) : operation === 'DELETE' ? object : undefined;
  const info = options.requestInfo;
  const extra = options.request ?? {};
  const build = () => newPolicyContext({
    operation,
    ...(operation !== 'DELETE' && { object }),
    ...(oldObject && { oldObject }),
    ...(info?.userInfo && { userInfo: info.userInfo }),
    ...(info?.roles && { roles: info.roles }),
    ...(info?.clusterRoles && { clusterRoles: info.clusterRoles }),
    ...extra,
  });
  const provided = new Set<string>();
  let ctx: JsonContext | undefined;
  let newObject: Json | undefined = operation === 'DELETE' ? undefined : object;
  let old = oldObject;
  if (Object.keys(values).length > 0) {
    // Values may rewrite request.object, so the context is built now and the objects read back from it.
    ctx = build();
    for (const [key, value] of Object.entries(values)) {
      const [head, ...rest] = splitVariableKey(key);
      ctx.addEntry(head!, nestValue(rest, value));
      provided.add(head!);
    }
    newObject = operation === 'DELETE' ? undefined : (queryObject(ctx, 'request.object') ?? {});
    old = oldObject ? queryObject(ctx, 'request.oldObject') : undefined;
  }
  const target = newObject ?? old ?? object;
  const gvk = gvkOf(target);
  let subresource = options.subresource ?? '';
  for (const s of options.values?.subresources ?? []) {
    if (s.subresource.kind === gvk.kind && s.subresource.group === gvk.group && s.subresource.version === gvk.version) {
      Object.assign(gvk, { group: s.parentResource.group, version: s.parentResource.version, kind: s.parentResource.kind });
      subresource = s.subresource.name.split('/')[1] ?? '';
    }
  }
  const namespace = metadataOf(target).namespace ?? '';
  const namespaceLabels = options.namespaceLabels?.(namespace) ?? options.values?.namespaceLabels(namespace);
  return {
    context: () => (ctx ??= build()),
    operation,
    ...(newObject && { newObject }),
    ...(old && { oldObject: old }),
    match: {
      ...gvk,
      subresource,
      operation,
      ...(info && { requestInfo: info }),
      ...(namespaceLabels && { namespaceLabels }),
    },
    provided,
  };
}

/** A values key is a dotted path whose segments may be double-quoted (`metadata.annotations."a.b/c"`). */
function splitVariableKey(key: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of key) {
    if (ch === '"') quoted = !quoted;
    else if (ch === '.' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

interface RuleOutcome {
  status: RuleResponse['status'];
  message: string;
  code?: RuleResponse['code'];
  patched?: Json;
  exceptions?: string[];
}

function evaluateRule(policy: Policy, rule: Rule, type: RuleType, current: Json, setup: PolicySetup, options: EngineOptions): RuleOutcome | undefined {
  const kinds = kindsSelectedBy(rule.match);
  if (kinds !== null && !kinds.has(setup.match.kind)) return undefined;
  const policyNamespace = policy.namespace;
  const newMatches = setup.operation !== 'DELETE' && matchRule(rule, current, setup.match, policyNamespace) === undefined;
  const oldMatches = !newMatches && setup.oldObject !== undefined && matchRule(rule, setup.oldObject, setup.match, policyNamespace) === undefined;
  if (!newMatches && !oldMatches) return undefined;
  const resource = newMatches ? current : setup.oldObject!;
  let ctx: JsonContext;
  try {
    ctx = setup.context();
  } catch (err) {
    // Kyverno cannot build the policy context (an invalid image reference).
    return { status: 'error', message: `failed to create policy context: ${describe(err)}` };
  }
  const ruleValues = options.values?.ruleValues(policy.name, rule.name);
  // Only context entries and rule values change the context (foreach loops restore it themselves).
  const touchesContext = Boolean(rule.context?.length) || ruleValues !== undefined;
  if (touchesContext) ctx.checkpoint();
  try {
    const exceptions = matchingExceptions(policy, rule, resource, setup, options);
    const podSecurityExclusions: PodSecurityExclusion[] = [];
    if (exceptions.length > 0) {
      const onlyPodSecurity = rule.validate?.podSecurity !== undefined && exceptions.every((e) => e.podSecurity?.length);
      if (!onlyPodSecurity) {
        const names = exceptions.map((e) => (e.namespace ? `${e.namespace}/${e.name}` : e.name));
        return { status: 'skip', message: `rule is skipped due to policy exception ${names.join(', ')}`, exceptions: names };
      }
      for (const e of exceptions) podSecurityExclusions.push(...(e.podSecurity ?? []));
    }
    const unsupported = unsupportedFeature(rule) ?? offlineContext(rule, setup.provided, ruleValues, options.external);
    if (unsupported) return { status: 'error', message: `unsupported: ${unsupported} in ${policyKey(policy)}/${rule.name}` };
    const env: RuleEnv = {
      ctx,
      rule,
      resource,
      isDelete: setup.operation === 'DELETE',
      hasRuleValues: ruleValues !== undefined,
      loadContext: (entries, foreachIndex) =>
        loadContext(ctx, entries ?? [], {
          rule: rule.name,
          ...(options.external && { external: options.external }),
          ...(ruleValues && { ruleValues: ruleValues.values, foreachValues: ruleValues.foreachValues }),
          foreachIndex: foreachIndex ?? 0,
        }),
      ...(podSecurityExclusions.length > 0 && {
        podSecurityExclusions,
        podSecurityExceptions: exceptions.map((e) => (e.namespace ? `${e.namespace}/${e.name}` : e.name)),
      }),
    };
    if (touchesContext) {
      try {
        env.loadContext(rule.context);
      } catch (err) {
        return { status: 'error', message: `failed to load context: ${describe(err)}` };
      }
    }
    if (rule.preconditions !== undefined) {
      try {
        const r = checkConditions(ctx, rule.preconditions, rule.name);
        if (!r.passed) return { status: 'skip', message: r.failedMessage ? `preconditions not met; ${r.failedMessage}` : 'preconditions not met' };
      } catch (err) {
        return { status: 'error', message: `failed to evaluate preconditions: ${describe(err)}` };
      }
    }
    const cel = celPreconditionsOutcome(rule, ctx, resource, setup.match.namespaceLabels);
    if (cel) return cel;
    if (type === 'Mutation') {
      if (setup.operation === 'DELETE') return undefined;
      return mutateRule(env);
    }
    if (type === 'ImageVerify') {
      if (setup.operation === 'DELETE') return undefined;
      return verifyImagesRule({
        ctx,
        rule,
        policy: policyKey(policy),
        resource,
        ...(setup.operation === 'UPDATE' && setup.oldObject && { oldObject: setup.oldObject }),
        ...(options.imageVerification && { results: options.imageVerification }),
        pinDigests: options.pinImageDigests !== false,
      });
    }
    // validate.cel: CEL expressions (src/policy/cel/classic.ts).
    if (rule.validate?.cel !== undefined) {
      const spec = policy.spec as { failurePolicy?: string; webhookConfiguration?: { failurePolicy?: string } };
      const failurePolicy = spec.failurePolicy ?? spec.webhookConfiguration?.failurePolicy;
      return validateCelRule({ ctx, rule, resource, policy: policyKey(policy), ...(failurePolicy && { failurePolicy }), ...(setup.match.namespaceLabels && { namespaceLabels: setup.match.namespaceLabels }) });
    }
    return validateRule(env);
  } catch (err) {
    // Handlers turn expected failures into outcomes; anything else still only fails this rule.
    return { status: 'error', message: describe(err) };
  } finally {
    if (touchesContext) ctx.restore();
  }
}

/** PolicyExceptions naming this policy and rule whose match (and conditions) select the resource. */
function matchingExceptions(policy: Policy, rule: Rule, resource: Json, setup: PolicySetup, options: EngineOptions): PolicyException[] {
  const key = policyKey(policy);
  const out: PolicyException[] = [];
  for (const ex of options.exceptions ?? []) {
    if (!ex.exceptions.some((e) => e.policyName === key && e.ruleNames.some((n) => wildcardMatch(n, rule.name)))) continue;
    if (matchRule({ name: ex.name, match: ex.match }, resource, setup.match) !== undefined) continue;
    if (ex.conditions !== undefined) {
      try {
        if (!checkConditions(setup.context(), ex.conditions).passed) continue;
      } catch {
        continue;
      }
    }
    out.push(ex);
  }
  return out;
}

const API_CONTEXT_KINDS = ['apiCall', 'configMap', 'imageRegistry', 'globalReference'] as const;
const EXTERNAL_SOURCE = { apiCall: 'apiCall', configMap: 'configMap', imageRegistry: 'imageData', globalReference: 'globalContext' } as const;

/**
 * A context entry that needs a cluster or a registry (API call, ConfigMap, image data, global
 * context) and that neither the values file nor cluster data provides: offline, the rule cannot be
 * evaluated faithfully, so it reports `unsupported` rather than guess.
 */
function offlineContext(
  rule: Rule,
  provided: ReadonlySet<string>,
  ruleValues: ReturnType<ValuesSource['ruleValues']>,
  external: ExternalData | undefined,
): string | undefined {
  const entries = contextEntries(rule);
  if (entries.length === 0) return undefined;
  const names = new Set(provided);
  for (const key of [...Object.keys(ruleValues?.values ?? {}), ...Object.keys(ruleValues?.foreachValues ?? {})]) names.add(key.split('.')[0]!);
  for (const entry of entries) {
    const kind = API_CONTEXT_KINDS.find((k) => entry[k] !== undefined && entry[k] !== null);
    if (!kind || names.has(entry.name) || external?.[EXTERNAL_SOURCE[kind]]) continue;
    return `context ${kind} "${entry.name}" without values`;
  }
  return undefined;
}

const entriesOfRule = new WeakMap<Rule, ContextEntry[]>();

/** Every context entry of a rule, its foreach loops included (cached: rules do not change once loaded). */
function contextEntries(rule: Rule): ContextEntry[] {
  const cached = entriesOfRule.get(rule);
  if (cached) return cached;
  const out: ContextEntry[] = [...(rule.context ?? [])];
  const walk = (list: readonly (ForEachValidation | ForEachMutation)[] | undefined) => {
    for (const fe of list ?? []) {
      out.push(...(fe.context ?? []));
      walk(fe.foreach);
    }
  };
  walk(rule.validate?.foreach);
  walk(rule.mutate?.foreach);
  entriesOfRule.set(rule, out);
  return out;
}
