/**
 * Loading CEL policies: ValidatingAdmissionPolicy / MutatingAdmissionPolicy and their bindings
 * (admissionregistration.k8s.io v1, v1beta1, v1alpha1), Kyverno ValidatingPolicy, MutatingPolicy,
 * ImageValidatingPolicy and their Namespaced* variants (policies.kyverno.io v1, v1beta1,
 * v1alpha1), and Kyverno's CEL PolicyExceptions.
 *
 * Every expression is compiled here, once. Compile errors (syntax, type, undeclared references)
 * are load errors listing each one as `file:line: policy <name>: spec.validations[0].expression:
 * <message> at line:column in "<expression>"` (PalisadeError, exit 2). Documents of other kinds
 * are ignored: the classic loader (engine/load.ts) reads the same files.
 */
import { PalisadeError } from '../../core/errors.ts';
import { expandPaths, fieldLocation, parseDocuments, readText, type SourceDocument } from '../engine/documents.ts';
import type { LabelSelector } from '../engine/types.ts';
import { autogenControllers, autogenVariants } from './autogen.ts';
import { ADMISSION_VARIABLES, celEnvironment, type CelEnvironment } from './env.ts';
import { CelCompileError } from './errors.ts';
import { attestorProblems, expressionFields } from './image-attestors.ts';
import {
  CEL_POLICY_KINDS,
  type AttestorExpression,
  type CelBinding,
  type CelPolicy,
  type CelPolicyException,
  type CelPolicyKind,
  type CelPolicySet,
  type CompiledMutation,
  type ImageRules,
  type MatchResources,
  type Named,
  type RuleSet,
} from './types.ts';
import { isRecord, stringItems } from '../../core/json.ts';

type Json = Record<string, unknown>;
type FieldPath = (string | number)[];

const ADMISSION_GROUP = /^admissionregistration\.k8s\.io\/v1(alpha1|beta1)?$/;
const KYVERNO_GROUP = /^policies\.kyverno\.io\/v1(alpha1|beta1)?$/;
const ANNOTATION_AUTOGEN = 'pod-policies.kyverno.io/autogen-controllers';

/** Variables of image-verification expressions, besides the admission ones. */
export const IMAGE_VARIABLES = ['images', 'attestors', 'attestations', 'imageRef'] as const;

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Whether a document is a CEL policy, binding or CEL exception this module loads. */
export function isCelDocument(value: unknown): boolean {
  if (!isRecord(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') return false;
  if (ADMISSION_GROUP.test(value.apiVersion)) return /^(Validating|Mutating)AdmissionPolicy(Binding)?$/.test(value.kind);
  if (KYVERNO_GROUP.test(value.apiVersion)) return CEL_POLICY_KINDS.includes(value.kind as CelPolicyKind) || value.kind === 'PolicyException';
  return false;
}

/** Reads policy files and directories, keeping the CEL documents. */
export async function loadCelPolicies(paths: readonly string[]): Promise<CelPolicySet> {
  const set: CelPolicySet = { policies: [], bindings: [], exceptions: [] };
  for (const path of await expandPaths(paths)) {
    const parsed = parseCelPolicies(await readText(path), path);
    set.policies.push(...parsed.policies);
    set.bindings.push(...parsed.bindings);
    set.exceptions.push(...parsed.exceptions);
  }
  return set;
}

export function parseCelPolicies(text: string, path: string): CelPolicySet {
  const set: CelPolicySet = { policies: [], bindings: [], exceptions: [] };
  if (!/ValidatingAdmissionPolicy|MutatingAdmissionPolicy|policies\.kyverno\.io/.test(text)) return set;
  for (const doc of parseDocuments(text, path)) {
    const value = doc.value;
    if (!isCelDocument(value)) continue;
    const v = value as Json;
    const kind = v.kind as string;
    if (kind.endsWith('Binding')) set.bindings.push(toBinding(v, doc));
    else if (kind === 'PolicyException') set.exceptions.push(toException(v, doc));
    else set.policies.push(toPolicy(v, doc));
  }
  return set;
}

class Compiler {
  readonly errors: { path: FieldPath; message: string }[] = [];
  private readonly env: CelEnvironment;

  constructor(env: CelEnvironment) {
    this.env = env;
  }

  compile(source: unknown, path: FieldPath): Named['program'] | undefined {
    if (typeof source !== 'string' || source.trim() === '') {
      this.errors.push({ path, message: 'required (a CEL expression)' });
      return undefined;
    }
    try {
      return this.env.compile(source);
    } catch (err) {
      this.errors.push({ path, message: err instanceof CelCompileError ? err.message : (err as Error).message });
      return undefined;
    }
  }

  named(items: unknown, at: FieldPath, key: 'name' | 'key' = 'name', field = 'expression'): Named[] {
    const out: Named[] = [];
    list(items).forEach((item, i) => {
      const here = [...at, i];
      if (!isRecord(item) || typeof item[key] !== 'string') {
        this.errors.push({ path: [...here, key], message: 'required' });
        return;
      }
      const program = this.compile(item[field], [...here, field]);
      if (program) out.push({ name: item[key] as string, program });
    });
    return out;
  }
}

function throwErrors(doc: SourceDocument, what: string, errors: { path: FieldPath; message: string }[]): void {
  if (errors.length === 0) return;
  const lines = errors.map((e) => `${fieldLocation(doc, e.path)}: ${e.message}`);
  throw new PalisadeError('PARSE_ERROR', `invalid ${what}:\n  ${lines.join('\n  ')}`);
}

function metadata(v: Json): { name: string; namespace?: string; annotations: Record<string, string> } {
  const meta = isRecord(v.metadata) ? v.metadata : {};
  const annotations: Record<string, string> = {};
  if (isRecord(meta.annotations)) for (const [k, x] of Object.entries(meta.annotations)) if (typeof x === 'string') annotations[k] = x;
  return { name: typeof meta.name === 'string' ? meta.name : '', ...(typeof meta.namespace === 'string' && meta.namespace && { namespace: meta.namespace }), annotations };
}

function matchResources(v: unknown): MatchResources | undefined {
  return isRecord(v) ? (v as MatchResources) : undefined;
}

function enabled(v: unknown, fallback: boolean): boolean {
  return isRecord(v) && typeof v.enabled === 'boolean' ? v.enabled : fallback;
}

function toPolicy(v: Json, doc: SourceDocument): CelPolicy {
  const kind = v.kind as CelPolicyKind;
  const meta = metadata(v);
  const spec = isRecord(v.spec) ? v.spec : {};
  const isImage = kind.endsWith('ImageValidatingPolicy');
  const env = celEnvironment(isImage ? [...ADMISSION_VARIABLES, ...IMAGE_VARIABLES] : ADMISSION_VARIABLES);
  const compiler = new Compiler(env);
  if (!meta.name) compiler.errors.push({ path: ['metadata', 'name'], message: 'required' });
  const evaluation = isRecord(spec.evaluation) ? spec.evaluation : {};
  const mode = evaluation.mode === 'JSON' ? 'JSON' : 'Kubernetes';
  const match = matchResources(spec.matchConstraints);
  if (!match && mode === 'Kubernetes') compiler.errors.push({ path: ['spec', 'matchConstraints'], message: 'required' });
  const paramKind = isRecord(spec.paramKind) && typeof spec.paramKind.kind === 'string' ? { apiVersion: String(spec.paramKind.apiVersion ?? 'v1'), kind: spec.paramKind.kind } : undefined;

  const declared = compileRuleSet(compiler, spec, '', match, (s) => s, isImage);
  const rules: RuleSet[] = [declared];
  // Autogen: Kyverno policy kinds only, and only in Kubernetes mode.
  if (KYVERNO_GROUP.test(v.apiVersion as string) && mode === 'Kubernetes') {
    const autogen = isRecord(spec.autogen) && isRecord(spec.autogen.podControllers) ? spec.autogen.podControllers : undefined;
    const configured = autogen && Array.isArray(autogen.controllers) ? stringItems(autogen.controllers) : undefined;
    const controllers = autogenControllers(configured, meta.annotations[ANNOTATION_AUTOGEN]);
    for (const variant of autogenVariants(match, controllers)) {
      // Errors in the rewritten copies repeat the declared ones, so they are not reported twice.
      const copy = new Compiler(env);
      rules.push(compileRuleSet(copy, spec, variant.name, variant.match, variant.rewrite, isImage));
    }
  }
  throwErrors(doc, `${kind} ${meta.name || '(unnamed)'}`, compiler.errors);
  const failurePolicy = spec.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail';
  // MutatingPolicies that patch other, existing objects need the cluster's objects and writes.
  const mutateExisting = isRecord(spec.targetMatchConstraints) || enabled(evaluation.mutateExisting, false);
  return {
    apiVersion: v.apiVersion as string,
    kind,
    name: meta.name,
    ...(kind.startsWith('Namespaced') && meta.namespace && { namespace: meta.namespace }),
    annotations: meta.annotations,
    failurePolicy,
    validationActions: stringItems(spec.validationActions),
    mode,
    background: enabled(evaluation.background, true),
    admission: enabled(evaluation.admission, true),
    ...(paramKind && { paramKind }),
    ...(mutateExisting && { unsupported: 'MutatingPolicy mutateExisting (targetMatchConstraints)' }),
    rules,
    source: { path: doc.path, line: doc.line },
  };
}

/** Compiles the expressions of a spec, each rewritten by `rewrite` (autogen) first. */
function compileRuleSet(
  compiler: Compiler,
  spec: Json,
  name: string,
  match: MatchResources | undefined,
  rewrite: (s: string) => string,
  isImage: boolean,
): RuleSet {
  const rw = (items: unknown): unknown => (name === '' ? items : JSON.parse(rewrite(JSON.stringify(items ?? []))));
  const validations = list(rw(spec.validations)).flatMap((item, i) => {
    const at = ['spec', 'validations', i];
    if (!isRecord(item)) return [];
    const program = compiler.compile(item.expression, [...at, 'expression']);
    const messageExpression = item.messageExpression !== undefined ? compiler.compile(item.messageExpression, [...at, 'messageExpression']) : undefined;
    if (!program) return [];
    return [
      {
        program,
        ...(typeof item.message === 'string' && { message: item.message }),
        ...(messageExpression && { messageExpression }),
        ...(typeof item.reason === 'string' && { reason: item.reason }),
        ...(typeof item.fieldPath === 'string' && { fieldPath: item.fieldPath }),
      },
    ];
  });
  const mutations: CompiledMutation[] = list(rw(spec.mutations)).flatMap((item, i) => {
    const at = ['spec', 'mutations', i];
    if (!isRecord(item)) return [];
    const patchType = item.patchType === 'JSONPatch' ? 'JSONPatch' : 'ApplyConfiguration';
    const body = patchType === 'JSONPatch' ? item.jsonPatch : item.applyConfiguration;
    const program = compiler.compile(isRecord(body) ? body.expression : undefined, [...at, patchType === 'JSONPatch' ? 'jsonPatch' : 'applyConfiguration', 'expression']);
    return program ? [{ patchType, program } as CompiledMutation] : [];
  });
  return {
    name,
    ...(match && { match }),
    matchConditions: compiler.named(rw(spec.matchConditions), ['spec', 'matchConditions']),
    variables: compiler.named(rw(spec.variables), ['spec', 'variables']),
    validations,
    auditAnnotations: compiler.named(rw(spec.auditAnnotations), ['spec', 'auditAnnotations'], 'key', 'valueExpression').map((n) => ({ key: n.name, program: n.program })),
    mutations,
    ...(isImage && { images: imageRules(compiler, spec, rw) }),
  };
}

function imageRules(compiler: Compiler, spec: Json, rw: (items: unknown) => unknown): ImageRules {
  const globs: string[] = [];
  const expressions: Named['program'][] = [];
  list(spec.matchImageReferences).forEach((m, i) => {
    if (!isRecord(m)) return;
    if (typeof m.glob === 'string') globs.push(m.glob);
    else if (m.expression !== undefined) {
      const p = compiler.compile(m.expression, ['spec', 'matchImageReferences', i, 'expression']);
      if (p) expressions.push(p);
    }
  });
  const attestorExpressions: AttestorExpression[] = [];
  list(spec.attestors).forEach((a, i) => {
    for (const problem of attestorProblems(a)) compiler.errors.push({ path: ['spec', 'attestors', i, ...problem.path], message: problem.message });
    for (const { field, path, source } of expressionFields(a)) {
      const program = compiler.compile(source, ['spec', 'attestors', i, ...path]);
      if (program) attestorExpressions.push({ attestor: i, field, program });
    }
  });
  const config = isRecord(spec.validationConfigurations) ? spec.validationConfigurations : {};
  for (const field of ['mutateDigest', 'verifyDigest', 'required'] as const) {
    if (config[field] !== undefined && typeof config[field] !== 'boolean') compiler.errors.push({ path: ['spec', 'validationConfigurations', field], message: `must be true or false, not ${JSON.stringify(config[field])}` });
  }
  return {
    globs,
    expressions,
    extractors: compiler.named(rw(spec.images), ['spec', 'images']),
    attestors: list(spec.attestors).filter(isRecord),
    attestorExpressions,
    attestations: list(spec.attestations).filter(isRecord),
    mutateDigest: config.mutateDigest !== false,
    verifyDigest: config.verifyDigest !== false,
    required: config.required !== false,
    ...(isRecord(spec.credentials) && { credentials: spec.credentials }),
  };
}

function toBinding(v: Json, doc: SourceDocument): CelBinding {
  const meta = metadata(v);
  const spec = isRecord(v.spec) ? v.spec : {};
  const errors: { path: FieldPath; message: string }[] = [];
  if (typeof spec.policyName !== 'string' || !spec.policyName) errors.push({ path: ['spec', 'policyName'], message: 'required' });
  throwErrors(doc, `${String(v.kind)} ${meta.name || '(unnamed)'}`, errors);
  const paramRef = isRecord(spec.paramRef) ? spec.paramRef : undefined;
  return {
    kind: v.kind as CelBinding['kind'],
    name: meta.name,
    policyName: spec.policyName as string,
    ...(paramRef && {
      paramRef: {
        ...(typeof paramRef.name === 'string' && { name: paramRef.name }),
        ...(typeof paramRef.namespace === 'string' && { namespace: paramRef.namespace }),
        ...(isRecord(paramRef.selector) && { selector: paramRef.selector as LabelSelector }),
        ...((paramRef.parameterNotFoundAction === 'Allow' || paramRef.parameterNotFoundAction === 'Deny') && { parameterNotFoundAction: paramRef.parameterNotFoundAction }),
      },
    }),
    ...(matchResources(spec.matchResources) && { matchResources: matchResources(spec.matchResources)! }),
    validationActions: stringItems(spec.validationActions),
    source: { path: doc.path, line: doc.line },
  };
}

function toException(v: Json, doc: SourceDocument): CelPolicyException {
  const meta = metadata(v);
  const spec = isRecord(v.spec) ? v.spec : {};
  const compiler = new Compiler(celEnvironment(ADMISSION_VARIABLES));
  const matchConditions = compiler.named(spec.matchConditions, ['spec', 'matchConditions']);
  throwErrors(doc, `PolicyException ${meta.name || '(unnamed)'}`, compiler.errors);
  return {
    name: meta.name,
    ...(meta.namespace && { namespace: meta.namespace }),
    policyRefs: list(spec.policyRefs)
      .filter(isRecord)
      .map((r) => ({ name: String(r.name ?? ''), ...(typeof r.kind === 'string' && { kind: r.kind }) })),
    matchConditions,
    images: stringItems(spec.images),
    ...(typeof spec.reportResult === 'string' && { reportResult: spec.reportResult }),
  };
}
