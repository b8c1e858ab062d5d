/**
 * The CEL policy model: Kubernetes `admissionregistration.k8s.io` ValidatingAdmissionPolicy /
 * MutatingAdmissionPolicy (+ bindings) and Kyverno `policies.kyverno.io` ValidatingPolicy,
 * MutatingPolicy, ImageValidatingPolicy (+ Namespaced* variants), as loaded by load.ts with every
 * expression compiled once.
 *
 * A policy holds one or more rule sets: the declared one, then, for Kyverno policies on Pods, the
 * autogen ones for Pod controllers (autogen.ts), each with its own match constraints and rewritten
 * expressions.
 */
import type { LabelSelector } from '../engine/types.ts';
import type { Program } from './env.ts';

export type CelPolicyKind =
  | 'ValidatingAdmissionPolicy'
  | 'MutatingAdmissionPolicy'
  | 'ValidatingPolicy'
  | 'NamespacedValidatingPolicy'
  | 'MutatingPolicy'
  | 'NamespacedMutatingPolicy'
  | 'ImageValidatingPolicy'
  | 'NamespacedImageValidatingPolicy';

export const CEL_POLICY_KINDS: readonly CelPolicyKind[] = [
  'ValidatingAdmissionPolicy',
  'MutatingAdmissionPolicy',
  'ValidatingPolicy',
  'NamespacedValidatingPolicy',
  'MutatingPolicy',
  'NamespacedMutatingPolicy',
  'ImageValidatingPolicy',
  'NamespacedImageValidatingPolicy',
];

/** A resource rule (admissionregistration NamedRuleWithOperations). */
export interface ResourceRule {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  operations?: string[];
  resourceNames?: string[];
  scope?: string;
}

/** admissionregistration MatchResources. */
export interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: ResourceRule[];
  excludeResourceRules?: ResourceRule[];
  matchPolicy?: 'Exact' | 'Equivalent';
}

export interface ParamKind {
  apiVersion: string;
  kind: string;
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelector;
  parameterNotFoundAction?: 'Allow' | 'Deny';
}

export interface Named {
  name: string;
  program: Program;
}

export interface CompiledValidation {
  program: Program;
  message?: string;
  messageExpression?: Program;
  reason?: string;
  fieldPath?: string;
}

export interface CompiledAuditAnnotation {
  key: string;
  program: Program;
}

export interface CompiledMutation {
  patchType: 'ApplyConfiguration' | 'JSONPatch';
  program: Program;
}

/** `cosign.key.expression`, `cosign.certificate.cert.expression` or `…certChain.expression` of `attestors[attestor]`. */
export interface AttestorExpression {
  attestor: number;
  field: 'key' | 'cert' | 'certChain';
  program: Program;
}

/** Image extraction, matching and verification settings of an ImageValidatingPolicy. */
export interface ImageRules {
  /** `matchImageReferences`: globs and CEL expressions (on `imageRef`). */
  globs: string[];
  expressions: Program[];
  /** `images`: named extractors (`object.spec.containers.map(c, c.image)`). */
  extractors: Named[];
  attestors: Record<string, unknown>[];
  /** Attestor values given as CEL expressions (Kyverno's StringOrExpression), by attestor index. */
  attestorExpressions: AttestorExpression[];
  attestations: Record<string, unknown>[];
  mutateDigest: boolean;
  verifyDigest: boolean;
  required: boolean;
  /** `spec.credentials`: allowInsecureRegistry, providers, secrets. */
  credentials?: Record<string, unknown>;
}

/** One evaluable set of rules: the declared one or an autogen variant. */
export interface RuleSet {
  /** `''` for the declared rules, `autogen` / `autogen-cronjobs` for Pod controller variants. */
  name: string;
  match?: MatchResources;
  matchConditions: Named[];
  variables: Named[];
  validations: CompiledValidation[];
  auditAnnotations: CompiledAuditAnnotation[];
  mutations: CompiledMutation[];
  images?: ImageRules;
}

export interface CelPolicy {
  apiVersion: string;
  kind: CelPolicyKind;
  name: string;
  /** Namespaced* Kyverno policies only. */
  namespace?: string;
  annotations: Record<string, string>;
  failurePolicy: 'Fail' | 'Ignore';
  /** Deny/Warn/Audit (Kyverno policies; VAP actions come from bindings). */
  validationActions: string[];
  /** Kyverno `evaluation.mode`: Kubernetes objects (default) or arbitrary JSON payloads. */
  mode: 'Kubernetes' | 'JSON';
  background: boolean;
  admission: boolean;
  paramKind?: ParamKind;
  /** A feature of the policy this engine cannot evaluate: every response is `error: unsupported: …`. */
  unsupported?: string;
  rules: RuleSet[];
  source: { path: string; line: number };
}

export interface CelBinding {
  kind: 'ValidatingAdmissionPolicyBinding' | 'MutatingAdmissionPolicyBinding';
  name: string;
  policyName: string;
  paramRef?: ParamRef;
  matchResources?: MatchResources;
  validationActions: string[];
  source: { path: string; line: number };
}

/** Kyverno `policies.kyverno.io` PolicyException for CEL policies: matchConditions plus policy refs. */
export interface CelPolicyException {
  name: string;
  namespace?: string;
  policyRefs: { name: string; kind?: string }[];
  matchConditions: Named[];
  images: string[];
  reportResult?: string;
}

export interface CelPolicySet {
  policies: CelPolicy[];
  bindings: CelBinding[];
  exceptions: CelPolicyException[];
}

export function celPolicyKey(p: Pick<CelPolicy, 'name' | 'namespace'>): string {
  return p.namespace ? `${p.namespace}/${p.name}` : p.name;
}
