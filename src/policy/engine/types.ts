/**
 * The policy model the engine works on: Kyverno `ClusterPolicy` / `Policy` (kyverno.io/v1, v2beta1)
 * as loaded and checked by load.ts. Rule bodies stay plain JSON (patterns, patches and conditions
 * are data the pure modules interpret), but every field the engine itself reads is typed here.
 */
import type { PalisadeErrorCode } from '../../core/errors.ts';
import type { Conditions, KubeResource, RuleStatus } from '../types.ts';
import type { ContextEntry } from '../variables/context.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

export type FailureAction = 'Enforce' | 'Audit';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** `match.any[].resources` and friends. Within one description: AND across fields, OR within a list. */
export interface ResourceDescription {
  kinds?: string[];
  /** Deprecated single name. */
  name?: string;
  names?: string[];
  namespaces?: string[];
  annotations?: Record<string, string>;
  selector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  operations?: string[];
}

/** An RBAC subject as Kyverno matches it against the requester. */
export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface UserInfoFilter {
  subjects?: Subject[];
  roles?: string[];
  clusterRoles?: string[];
}

export interface ResourceFilter extends UserInfoFilter {
  resources?: ResourceDescription;
}

/** `match` / `exclude`: `any` (OR), `all` (AND), or the legacy flat form (a single filter). */
export interface MatchBlock extends ResourceFilter {
  any?: ResourceFilter[];
  all?: ResourceFilter[];
}

export interface Deny {
  conditions?: Conditions;
}

export interface ForEachValidation {
  list: string;
  context?: ContextEntry[];
  preconditions?: Conditions;
  elementScope?: boolean;
  pattern?: unknown;
  anyPattern?: unknown[];
  deny?: Deny;
  foreach?: ForEachValidation[];
}

export interface PodSecurityExclude {
  controlName: string;
  images?: string[];
  restrictedField?: string;
  values?: string[];
}

export interface PodSecuritySpec {
  level: string;
  version?: string;
  exclude?: PodSecurityExclude[];
}

export interface Validation {
  message?: string;
  failureAction?: string;
  pattern?: unknown;
  anyPattern?: unknown[];
  deny?: Deny;
  foreach?: ForEachValidation[];
  podSecurity?: PodSecuritySpec;
  cel?: unknown;
  manifests?: unknown;
  assert?: unknown;
  allowExistingViolations?: boolean;
}

export interface ForEachMutation {
  list: string;
  order?: string;
  context?: ContextEntry[];
  preconditions?: Conditions;
  patchStrategicMerge?: unknown;
  patchesJson6902?: string;
  foreach?: ForEachMutation[];
}

export interface Mutation {
  patchStrategicMerge?: unknown;
  patchesJson6902?: string;
  foreach?: ForEachMutation[];
  targets?: unknown[];
  mutateExistingOnPolicyUpdate?: boolean;
}

export interface Rule {
  name: string;
  match: MatchBlock;
  exclude?: MatchBlock;
  context?: ContextEntry[];
  preconditions?: Conditions;
  celPreconditions?: unknown[];
  validate?: Validation;
  mutate?: Mutation;
  generate?: unknown;
  verifyImages?: unknown[];
  imageExtractors?: unknown;
}

export interface PolicySpec {
  rules: Rule[];
  validationFailureAction?: string;
  background?: boolean;
  admission?: boolean;
  applyRules?: string;
  emitWarning?: boolean;
}

/** A loaded ClusterPolicy or Policy. `rules` holds the declared rules followed by their autogen rules. */
export interface Policy {
  apiVersion: string;
  kind: 'ClusterPolicy' | 'Policy';
  name: string;
  /** Set for namespaced `Policy` objects only. */
  namespace?: string;
  annotations: Record<string, string>;
  spec: PolicySpec;
  /** Declared rules plus the `autogen-*` rules computed for pod controllers. */
  rules: Rule[];
  source?: { path: string; line?: number };
}

/** Kyverno's `policies.kyverno.io/...` annotations that flow into reports. */
export const ANNOTATION_SEVERITY = 'policies.kyverno.io/severity';
export const ANNOTATION_CATEGORY = 'policies.kyverno.io/category';
export const ANNOTATION_SCORED = 'policies.kyverno.io/scored';
export const ANNOTATION_AUTOGEN = 'pod-policies.kyverno.io/autogen-controllers';

/** kyverno.io/v2 PolicyException. */
export interface PolicyException {
  name: string;
  namespace?: string;
  exceptions: { policyName: string; ruleNames: string[] }[];
  match: MatchBlock;
  conditions?: Conditions;
  podSecurity?: PodSecurityExclude[];
  source?: { path: string; line?: number };
}

/** The admission requester, as the CLI's UserInfo file or an AdmissionReview gives it. */
export interface RequestInfo {
  roles?: string[];
  clusterRoles?: string[];
  userInfo?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

export type RuleType = 'Validation' | 'Mutation' | 'ImageVerify' | 'Generation';

/** The outcome of one rule on one resource. */
export interface RuleResponse {
  name: string;
  type: RuleType;
  status: RuleStatus;
  message: string;
  /** For an `error`, its kind when a caller acts on it (the CLI's hints); the message is for people. */
  code?: PalisadeErrorCode;
  /** Exceptions that turned this rule into a skip. */
  exceptions?: string[];
  /** Report properties (CEL policies' audit annotations). */
  properties?: Record<string, string>;
}

/** One policy applied to one resource in one phase (mutation, then validation), as Kyverno's EngineResponse. */
export interface PolicyResponse {
  policy: Policy;
  /** The resource as the phase saw it (after earlier mutations). */
  resource: KubeResource;
  /** The resource after this policy's mutations (same object as `resource.object` when nothing changed). */
  patchedResource: Record<string, unknown>;
  rules: RuleResponse[];
  /** Effective failure action per rule name (validation rules only). */
  failureActions: Record<string, FailureAction>;
}

/** Policy name as Kyverno prints it: `ns/name` for namespaced Policies. */
export function policyKey(policy: Pick<Policy, 'name' | 'namespace'>): string {
  return policy.namespace ? `${policy.namespace}/${policy.name}` : policy.name;
}
