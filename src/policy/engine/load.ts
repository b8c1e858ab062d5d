/**
 * Loading policies and resources from YAML/JSON files.
 *
 * Policies are checked once, here, against the parts of Kyverno's schema the engine relies on;
 * every bad field is reported as `file:line: spec.rules[2].validate.pattern: …` (PalisadeError,
 * exit 2). Features the engine does not implement are *not* load errors: they load and then
 * evaluate to an `error` result naming the feature (see engine.ts), so nothing passes silently.
 */
import { PalisadeError } from '../../core/errors.ts';
import { patternAnchorError } from '../pattern/validate.ts';
import { checkCelRule } from '../cel/classic.ts';
import type { Logger } from '../../core/log.ts';
import { silentLogger } from '../../core/log.ts';
import type { KubeResource } from '../types.ts';
import { computeRules } from './autogen.ts';
import { expandPaths, fieldLocation, parseDocuments, parsePlainDocuments, readText, type PlainDocument, type SourceDocument } from './documents.ts';
import { OPERATIONS, type FailureAction, type Policy, type PolicyException } from './types.ts';
import { checkVerifyImages } from './verify-images-spec.ts';
import { isRecord } from '../../core/json.ts';

/** Policy kinds of other engines (CEL policy types, admission policies): loaded by name only. */
export interface ForeignPolicy {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  source: { path: string; line: number };
  /**
   * The failure action the document declares, when it declares one (see declaredFailureAction):
   * what a server that cannot evaluate the kind must not silently drop.
   */
  failureAction?: FailureAction;
}

export interface PolicySet {
  policies: Policy[];
  exceptions: PolicyException[];
  /** Policies of kinds this engine does not evaluate (ValidatingPolicy, ValidatingAdmissionPolicy…). */
  foreign: ForeignPolicy[];
}

const KYVERNO_POLICY_VERSIONS = new Set(['kyverno.io/v1', 'kyverno.io/v2beta1']);
const EXCEPTION_VERSIONS = new Set(['kyverno.io/v2', 'kyverno.io/v2beta1', 'kyverno.io/v2alpha1']);

/** Reads policy files and directories. Documents that are not policies are skipped (with a warning for explicit files). */
export async function loadPolicies(paths: readonly string[], log: Logger = silentLogger): Promise<PolicySet> {
  const set: PolicySet = { policies: [], exceptions: [], foreign: [] };
  for (const path of await expandPaths(paths)) {
    const parsed = parsePolicies(await readText(path), path, paths.includes(path) ? log : silentLogger);
    set.policies.push(...parsed.policies);
    set.exceptions.push(...parsed.exceptions);
    set.foreign.push(...parsed.foreign);
  }
  return set;
}

/** Parses the policies, exceptions and foreign policy kinds of one file. */
export function parsePolicies(text: string, path: string, log: Logger = silentLogger): PolicySet {
  const set: PolicySet = { policies: [], exceptions: [], foreign: [] };
  for (const doc of parseDocuments(text, path)) {
    const value = doc.value;
    if (!isRecord(value) || typeof value.kind !== 'string' || typeof value.apiVersion !== 'string') {
      log.warn(`${path}:${doc.line}: not a policy (no apiVersion/kind), skipped`);
      continue;
    }
    const { apiVersion, kind } = value;
    if ((kind === 'ClusterPolicy' || kind === 'Policy') && KYVERNO_POLICY_VERSIONS.has(apiVersion)) {
      set.policies.push(toPolicy(value, doc));
    } else if (kind === 'PolicyException' && EXCEPTION_VERSIONS.has(apiVersion)) {
      set.exceptions.push(toException(value, doc));
    } else if (/(^|\.)kyverno\.io\/|^admissionregistration\.k8s\.io\//.test(apiVersion)) {
      const meta = isRecord(value.metadata) ? value.metadata : {};
      const failureAction = declaredFailureAction(value.spec);
      set.foreign.push({
        apiVersion,
        kind,
        name: typeof meta.name === 'string' ? meta.name : '',
        ...(typeof meta.namespace === 'string' && { namespace: meta.namespace }),
        source: { path, line: doc.line },
        ...(failureAction && { failureAction }),
      });
    } else {
      log.warn(`${path}:${doc.line}: ${apiVersion} ${kind} is not a policy, skipped`);
    }
  }
  return set;
}

/**
 * The failure action a policy document declares, read the same way for any kind: the classic
 * fields (`validationFailureAction`, a rule's `validate.failureAction` or `verifyImages[].failureAction`)
 * and the CEL ones (`validationActions`). Enforce when any of them denies (Enforce, Deny), Audit
 * when they only warn or audit, undefined when the document names none (generate, cleanup and
 * deleting policies, context entries).
 */
function declaredFailureAction(spec: unknown): FailureAction | undefined {
  if (!isRecord(spec)) return undefined;
  const actions: unknown[] = [spec.validationFailureAction, ...(Array.isArray(spec.validationActions) ? spec.validationActions : [])];
  for (const rule of Array.isArray(spec.rules) ? spec.rules : []) {
    if (!isRecord(rule)) continue;
    if (isRecord(rule.validate)) actions.push(rule.validate.failureAction);
    for (const entry of Array.isArray(rule.verifyImages) ? rule.verifyImages : []) if (isRecord(entry)) actions.push(entry.failureAction);
  }
  const named = actions.filter((a): a is string => typeof a === 'string').map((a) => a.toLowerCase());
  if (named.length === 0) return undefined;
  return named.some((a) => a === 'enforce' || a === 'deny') ? 'Enforce' : 'Audit';
}

type FieldPath = (string | number)[];

interface FieldError {
  path: FieldPath;
  message: string;
}

function loadError(doc: SourceDocument, what: string, errors: FieldError[]): PalisadeError {
  const lines = errors.map((e) => `${fieldLocation(doc, e.path)}: ${e.message}`);
  return new PalisadeError('PARSE_ERROR', `invalid ${what}:\n  ${lines.join('\n  ')}`);
}

function toPolicy(value: Record<string, unknown>, doc: SourceDocument): Policy {
  const errors: FieldError[] = [];
  const meta = isRecord(value.metadata) ? value.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (!name) errors.push({ path: ['metadata', 'name'], message: 'required' });
  const spec = value.spec;
  if (!isRecord(spec)) errors.push({ path: ['spec'], message: 'must be an object' });
  else checkSpec(spec, errors);
  if (errors.length > 0) throw loadError(doc, `policy ${name || '(unnamed)'}`, errors);
  const typedSpec = spec as unknown as Policy['spec'];
  if (!Array.isArray(typedSpec.rules)) typedSpec.rules = [];
  const policy: Policy = {
    apiVersion: value.apiVersion as string,
    kind: value.kind as Policy['kind'],
    name,
    annotations: stringMap(meta.annotations),
    spec: typedSpec,
    rules: [],
    source: { path: doc.path, line: doc.line },
  };
  // A namespaced Policy only applies in its namespace; without one it is named and matched like a cluster policy.
  if (policy.kind === 'Policy' && typeof meta.namespace === 'string' && meta.namespace) policy.namespace = meta.namespace;
  policy.rules = computeRules(policy);
  return policy;
}

function toException(value: Record<string, unknown>, doc: SourceDocument): PolicyException {
  const errors: FieldError[] = [];
  const meta = isRecord(value.metadata) ? value.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (!name) errors.push({ path: ['metadata', 'name'], message: 'required' });
  const spec = isRecord(value.spec) ? value.spec : undefined;
  if (!spec) errors.push({ path: ['spec'], message: 'must be an object' });
  else {
    if (!Array.isArray(spec.exceptions)) errors.push({ path: ['spec', 'exceptions'], message: 'must be a list' });
    else
      spec.exceptions.forEach((e, i) => {
        const at = ['spec', 'exceptions', i];
        if (!isRecord(e) || typeof e.policyName !== 'string') errors.push({ path: [...at, 'policyName'], message: 'required' });
        else checkStringList(e.ruleNames, [...at, 'ruleNames'], errors);
      });
    if (!isRecord(spec.match)) errors.push({ path: ['spec', 'match'], message: 'must be an object' });
    else checkMatch(spec.match, ['spec', 'match'], errors);
    if (spec.conditions !== undefined) checkConditions(spec.conditions, ['spec', 'conditions'], errors);
  }
  if (errors.length > 0) throw loadError(doc, `policy exception ${name || '(unnamed)'}`, errors);
  const s = spec as Record<string, unknown>;
  return {
    name,
    ...(typeof meta.namespace === 'string' && { namespace: meta.namespace }),
    exceptions: (s.exceptions as { policyName: string; ruleNames?: string[] }[]).map((e) => ({ policyName: e.policyName, ruleNames: e.ruleNames ?? [] })),
    match: s.match as PolicyException['match'],
    ...(s.conditions !== undefined && { conditions: s.conditions as PolicyException['conditions'] }),
    ...(Array.isArray(s.podSecurity) && { podSecurity: s.podSecurity as PolicyException['podSecurity'] }),
    source: { path: doc.path, line: doc.line },
  };
}

const FAILURE_ACTIONS = new Set(['enforce', 'audit']);
const RULE_KINDS = ['validate', 'mutate', 'generate', 'verifyImages'] as const;
const VALIDATE_KINDS = ['pattern', 'anyPattern', 'deny', 'foreach', 'podSecurity', 'cel', 'manifests', 'assert'] as const;
const CONTEXT_KINDS = ['variable', 'apiCall', 'configMap', 'imageRegistry', 'globalReference'] as const;
const PSS_LEVELS = new Set(['privileged', 'baseline', 'restricted']);
/** Condition operators (Kyverno's enum plus deprecated spellings), compared case-insensitively as Kyverno's factory does. */
const CONDITION_OPERATORS = new Set(
  [
    'Equals', 'NotEquals', 'Equal', 'NotEqual', 'In', 'AnyIn', 'AllIn', 'NotIn', 'AnyNotIn', 'AllNotIn',
    'GreaterThanOrEquals', 'GreaterThan', 'LessThanOrEquals', 'LessThan',
    'DurationGreaterThanOrEquals', 'DurationGreaterThan', 'DurationLessThanOrEquals', 'DurationLessThan',
  ].map((op) => op.toLowerCase()),
);

function checkSpec(spec: Record<string, unknown>, errors: FieldError[]): void {
  checkFailureAction(spec.validationFailureAction, ['spec', 'validationFailureAction'], errors);
  for (const flag of ['background', 'admission'] as const) {
    if (spec[flag] !== undefined && typeof spec[flag] !== 'boolean') errors.push({ path: ['spec', flag], message: 'must be true or false' });
  }
  if (spec.applyRules !== undefined && spec.applyRules !== 'All' && spec.applyRules !== 'One') {
    errors.push({ path: ['spec', 'applyRules'], message: 'must be All or One' });
  }
  if (spec.rules === undefined || spec.rules === null) return;
  if (!Array.isArray(spec.rules)) {
    errors.push({ path: ['spec', 'rules'], message: 'must be a list' });
    return;
  }
  const seen = new Set<string>();
  spec.rules.forEach((rule, i) => {
    const at = ['spec', 'rules', i];
    if (!isRecord(rule)) {
      errors.push({ path: at, message: 'must be an object' });
      return;
    }
    if (typeof rule.name === 'string' && seen.has(rule.name)) errors.push({ path: [...at, 'name'], message: `duplicate rule name ${rule.name}` });
    if (typeof rule.name === 'string') seen.add(rule.name);
    checkRule(rule, at, errors);
  });
}

function checkRule(rule: Record<string, unknown>, at: FieldPath, errors: FieldError[]): void {
  if (typeof rule.name !== 'string' || rule.name === '') errors.push({ path: [...at, 'name'], message: 'required' });
  else if (rule.name.length > 63) errors.push({ path: [...at, 'name'], message: 'must be at most 63 characters' });
  if (!isRecord(rule.match)) errors.push({ path: [...at, 'match'], message: 'required (an object)' });
  else checkMatch(rule.match, [...at, 'match'], errors);
  if (rule.exclude !== undefined && rule.exclude !== null) {
    if (!isRecord(rule.exclude)) errors.push({ path: [...at, 'exclude'], message: 'must be an object' });
    else checkMatch(rule.exclude, [...at, 'exclude'], errors);
  }
  if (rule.context !== undefined) checkContext(rule.context, [...at, 'context'], errors);
  if (rule.preconditions !== undefined) checkConditions(rule.preconditions, [...at, 'preconditions'], errors);
  const kinds = RULE_KINDS.filter((k) => rule[k] !== undefined && rule[k] !== null);
  if (kinds.length !== 1) {
    errors.push({ path: at, message: kinds.length === 0 ? 'needs one of validate, mutate, generate, verifyImages' : `has more than one of ${kinds.join(', ')}` });
    return;
  }
  if (rule.validate !== undefined) checkValidate(rule.validate, [...at, 'validate'], errors);
  if (rule.mutate !== undefined) checkMutate(rule.mutate, [...at, 'mutate'], errors);
  if (rule.verifyImages !== undefined && !Array.isArray(rule.verifyImages)) errors.push({ path: [...at, 'verifyImages'], message: 'must be a list' });
  else if (Array.isArray(rule.verifyImages)) for (const e of checkVerifyImages(rule.verifyImages)) errors.push({ path: [...at, 'verifyImages', ...e.path], message: e.message });
  if (rule.generate !== undefined && !isRecord(rule.generate)) errors.push({ path: [...at, 'generate'], message: 'must be an object' });
}

function checkMatch(block: Record<string, unknown>, at: FieldPath, errors: FieldError[]): void {
  const hasAny = block.any !== undefined && block.any !== null;
  const hasAll = block.all !== undefined && block.all !== null;
  if (hasAny && hasAll) errors.push({ path: at, message: 'any and all cannot be used together' });
  for (const key of ['any', 'all'] as const) {
    const list = block[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      errors.push({ path: [...at, key], message: 'must be a list' });
      continue;
    }
    list.forEach((filter, i) => {
      if (!isRecord(filter)) errors.push({ path: [...at, key, i], message: 'must be an object' });
      else checkFilter(filter, [...at, key, i], errors);
    });
  }
  const legacy = ['resources', 'subjects', 'roles', 'clusterRoles'].some((k) => block[k] !== undefined && block[k] !== null);
  if ((hasAny || hasAll) && legacy) errors.push({ path: at, message: 'any/all cannot be combined with resources/subjects/roles/clusterRoles' });
  if (legacy) checkFilter(block, at, errors);
}

function checkFilter(filter: Record<string, unknown>, at: FieldPath, errors: FieldError[]): void {
  const resources = filter.resources;
  if (resources !== undefined && resources !== null) {
    if (!isRecord(resources)) errors.push({ path: [...at, 'resources'], message: 'must be an object' });
    else checkResourceDescription(resources, [...at, 'resources'], errors);
  }
  checkStringList(filter.roles, [...at, 'roles'], errors);
  checkStringList(filter.clusterRoles, [...at, 'clusterRoles'], errors);
  if (filter.subjects !== undefined && filter.subjects !== null) {
    if (!Array.isArray(filter.subjects)) errors.push({ path: [...at, 'subjects'], message: 'must be a list' });
    else
      filter.subjects.forEach((s, i) => {
        if (!isRecord(s) || typeof s.kind !== 'string' || typeof s.name !== 'string') {
          errors.push({ path: [...at, 'subjects', i], message: 'needs kind and name' });
        }
      });
  }
}

function checkResourceDescription(rd: Record<string, unknown>, at: FieldPath, errors: FieldError[]): void {
  for (const key of ['kinds', 'names', 'namespaces'] as const) checkStringList(rd[key], [...at, key], errors);
  if (rd.name !== undefined && typeof rd.name !== 'string') errors.push({ path: [...at, 'name'], message: 'must be a string' });
  if (rd.annotations !== undefined && !isStringMap(rd.annotations)) errors.push({ path: [...at, 'annotations'], message: 'must map strings to strings' });
  for (const key of ['selector', 'namespaceSelector'] as const) {
    const sel = rd[key];
    if (sel === undefined || sel === null) continue;
    if (!isRecord(sel)) {
      errors.push({ path: [...at, key], message: 'must be a label selector' });
      continue;
    }
    if (sel.matchLabels !== undefined && !isStringMap(sel.matchLabels)) errors.push({ path: [...at, key, 'matchLabels'], message: 'must map strings to strings' });
    if (sel.matchExpressions !== undefined) {
      if (!Array.isArray(sel.matchExpressions)) errors.push({ path: [...at, key, 'matchExpressions'], message: 'must be a list' });
      else
        sel.matchExpressions.forEach((e, i) => {
          const ok = isRecord(e) && typeof e.key === 'string' && ['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator as string);
          if (!ok) errors.push({ path: [...at, key, 'matchExpressions', i], message: 'needs key and operator In, NotIn, Exists or DoesNotExist' });
        });
    }
  }
  if (rd.operations !== undefined) {
    checkStringList(rd.operations, [...at, 'operations'], errors);
    if (Array.isArray(rd.operations)) {
      rd.operations.forEach((op, i) => {
        if (!OPERATIONS.includes(op as never)) errors.push({ path: [...at, 'operations', i], message: `unknown operation ${String(op)} (CREATE, UPDATE, DELETE, CONNECT)` });
      });
    }
  }
}

function checkValidate(v: unknown, at: FieldPath, errors: FieldError[]): void {
  if (!isRecord(v)) {
    errors.push({ path: at, message: 'must be an object' });
    return;
  }
  if (v.message !== undefined && typeof v.message !== 'string') errors.push({ path: [...at, 'message'], message: 'must be a string' });
  checkFailureAction(v.failureAction, [...at, 'failureAction'], errors);
  const kinds = VALIDATE_KINDS.filter((k) => v[k] !== undefined && v[k] !== null);
  if (kinds.length !== 1) {
    errors.push({ path: at, message: kinds.length === 0 ? `needs one of ${VALIDATE_KINDS.join(', ')}` : `has more than one of ${kinds.join(', ')}` });
  }
  if (v.anyPattern !== undefined && !Array.isArray(v.anyPattern)) errors.push({ path: [...at, 'anyPattern'], message: 'must be a list of patterns' });
  checkAnchors(v.pattern, [...at, 'pattern'], 'validate', errors);
  if (Array.isArray(v.anyPattern)) v.anyPattern.forEach((p, i) => checkAnchors(p, [...at, 'anyPattern', i], 'validate', errors));
  if (v.deny !== undefined) checkDeny(v.deny, [...at, 'deny'], errors);
  if (v.foreach !== undefined) checkForeach(v.foreach, [...at, 'foreach'], errors, 'validate');
  // validate.cel: CEL compile errors (syntax, types, undeclared references) are load errors.
  if (v.cel !== undefined && v.cel !== null) for (const e of checkCelRule(v.cel)) errors.push({ path: [...at, 'cel', ...e.path], message: e.message });
  if (v.podSecurity !== undefined) {
    const pss = v.podSecurity;
    if (!isRecord(pss) || !PSS_LEVELS.has(pss.level as string)) errors.push({ path: [...at, 'podSecurity', 'level'], message: 'must be privileged, baseline or restricted' });
    else {
      if (pss.version !== undefined && (typeof pss.version !== 'string' || !/^(latest|v1\.\d+)$/.test(pss.version))) {
        errors.push({ path: [...at, 'podSecurity', 'version'], message: 'must be latest or v1.<minor>' });
      }
      if (pss.exclude !== undefined && !Array.isArray(pss.exclude)) errors.push({ path: [...at, 'podSecurity', 'exclude'], message: 'must be a list' });
    }
  }
}

function checkDeny(deny: unknown, at: FieldPath, errors: FieldError[]): void {
  if (!isRecord(deny)) errors.push({ path: at, message: 'must be an object' });
  else if (deny.conditions !== undefined) checkConditions(deny.conditions, [...at, 'conditions'], errors);
}

function checkMutate(m: unknown, at: FieldPath, errors: FieldError[]): void {
  if (!isRecord(m)) {
    errors.push({ path: at, message: 'must be an object' });
    return;
  }
  if (m.patchesJson6902 !== undefined && typeof m.patchesJson6902 !== 'string') errors.push({ path: [...at, 'patchesJson6902'], message: 'must be a string (a YAML or JSON list of operations)' });
  if (m.patchStrategicMerge !== undefined && !isRecord(m.patchStrategicMerge)) errors.push({ path: [...at, 'patchStrategicMerge'], message: 'must be an object' });
  checkAnchors(m.patchStrategicMerge, [...at, 'patchStrategicMerge'], 'mutate', errors);
  if (m.foreach !== undefined) checkForeach(m.foreach, [...at, 'foreach'], errors, 'mutate');
  if (m.targets !== undefined && !Array.isArray(m.targets)) errors.push({ path: [...at, 'targets'], message: 'must be a list' });
}

function checkForeach(list: unknown, at: FieldPath, errors: FieldError[], kind: 'validate' | 'mutate'): void {
  if (!Array.isArray(list)) {
    errors.push({ path: at, message: 'must be a list' });
    return;
  }
  list.forEach((fe, i) => {
    const here = [...at, i];
    if (!isRecord(fe)) {
      errors.push({ path: here, message: 'must be an object' });
      return;
    }
    if (typeof fe.list !== 'string' || fe.list === '') errors.push({ path: [...here, 'list'], message: 'required (a JMESPath expression)' });
    if (fe.context !== undefined) checkContext(fe.context, [...here, 'context'], errors);
    if (fe.preconditions !== undefined) checkConditions(fe.preconditions, [...here, 'preconditions'], errors);
    if (kind === 'validate') {
      checkAnchors(fe.pattern, [...here, 'pattern'], 'validate', errors);
      if (fe.deny !== undefined) checkDeny(fe.deny, [...here, 'deny'], errors);
      if (fe.anyPattern !== undefined && !Array.isArray(fe.anyPattern)) errors.push({ path: [...here, 'anyPattern'], message: 'must be a list of patterns' });
      if (fe.elementScope !== undefined && typeof fe.elementScope !== 'boolean') errors.push({ path: [...here, 'elementScope'], message: 'must be true or false' });
    } else if (fe.patchesJson6902 !== undefined && typeof fe.patchesJson6902 !== 'string') {
      errors.push({ path: [...here, 'patchesJson6902'], message: 'must be a string' });
    }
    if (fe.foreach !== undefined) checkForeach(fe.foreach, [...here, 'foreach'], errors, kind);
  });
}

/** Anchors the rule kind does not allow (`+()` in validate, `X()`/`^()`/`=()` in mutate), as Kyverno's policy validation reports them. */
function checkAnchors(pattern: unknown, at: FieldPath, kind: 'validate' | 'mutate', errors: FieldError[]): void {
  if (pattern === undefined || pattern === null) return;
  const problem = patternAnchorError(pattern, kind);
  if (!problem) return;
  const inner = problem.path.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  errors.push({ path: [...at, ...inner], message: problem.message });
}

function checkContext(entries: unknown, at: FieldPath, errors: FieldError[]): void {
  if (!Array.isArray(entries)) {
    errors.push({ path: at, message: 'must be a list' });
    return;
  }
  entries.forEach((e, i) => {
    if (!isRecord(e) || typeof e.name !== 'string' || e.name === '') {
      errors.push({ path: [...at, i, 'name'], message: 'required' });
      return;
    }
    const kinds = CONTEXT_KINDS.filter((k) => e[k] !== undefined && e[k] !== null);
    if (kinds.length !== 1) errors.push({ path: [...at, i], message: `needs exactly one of ${CONTEXT_KINDS.join(', ')}` });
  });
}

function checkConditions(conditions: unknown, at: FieldPath, errors: FieldError[]): void {
  if (conditions === null) return;
  const lists: [FieldPath, unknown][] = Array.isArray(conditions)
    ? [[at, conditions]]
    : isRecord(conditions)
      ? (['any', 'all'] as const).filter((k) => conditions[k] !== undefined && conditions[k] !== null).map((k) => [[...at, k], conditions[k]])
      : [];
  if (!Array.isArray(conditions) && !isRecord(conditions)) errors.push({ path: at, message: 'must be a list or {any, all}' });
  for (const [path, list] of lists) {
    if (!Array.isArray(list)) {
      errors.push({ path, message: 'must be a list of conditions' });
      continue;
    }
    list.forEach((c, i) => {
      if (!isRecord(c)) errors.push({ path: [...path, i], message: 'must be a condition {key, operator, value}' });
      else if (typeof c.operator !== 'string' || !CONDITION_OPERATORS.has(c.operator.toLowerCase())) errors.push({ path: [...path, i, 'operator'], message: `unknown operator ${JSON.stringify(c.operator)}` });
    });
  }
}

function checkFailureAction(value: unknown, at: FieldPath, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || !FAILURE_ACTIONS.has(value.toLowerCase())) errors.push({ path: at, message: 'must be Enforce or Audit' });
}

function checkStringList(value: unknown, at: FieldPath, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) errors.push({ path: at, message: 'must be a list of strings' });
}

/* ─────────────────────────── resources ─────────────────────────── */

/** Reads resource files and directories; `List` kinds are flattened, non-Kubernetes documents warned about and skipped. */
export async function loadResources(paths: readonly string[], log: Logger = silentLogger): Promise<KubeResource[]> {
  const out: KubeResource[] = [];
  for (const path of await expandPaths(paths)) out.push(...parseResources(await readText(path), path, log));
  return out;
}

export function parseResources(text: string, path: string, log: Logger = silentLogger): KubeResource[] {
  const out: KubeResource[] = [];
  const isList = (v: unknown): v is { items: unknown[] } => isRecord(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items);
  const plain = parsePlainDocuments(text, path);
  // The fast parser keeps no positions inside documents; Lists (rare) are re-read for their items' lines.
  const docs = plain.some((d) => isList(d.value)) ? parseDocuments(text, path) : plain;
  for (const doc of docs) {
    const value = doc.value;
    if (isList(value)) {
      value.items.forEach((item, i) => pushResource(item, path, hasPositions(doc) ? doc.lineOf(['items', i]) : doc.line, out, log));
    } else {
      pushResource(value, path, doc.line, out, log);
    }
  }
  return out;
}

function hasPositions(doc: PlainDocument | SourceDocument): doc is SourceDocument {
  return 'lineOf' in doc;
}

function pushResource(value: unknown, path: string, line: number, out: KubeResource[], log: Logger): void {
  if (!isRecord(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !value.kind) {
    log.warn(`${path}:${line}: not a Kubernetes object (no apiVersion/kind), skipped`);
    return;
  }
  out.push({ object: value, source: { path, line } });
}

/** Built-in cluster-scoped kinds; every other kind is taken to be namespaced. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'RuntimeClass', 'PriorityClass',
  'CustomResourceDefinition', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding',
  'PodSecurityPolicy', 'IngressClass', 'CertificateSigningRequest', 'ComponentStatus', 'FlowSchema', 'PriorityLevelConfiguration',
  'TokenReview', 'SubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'ClusterPolicy', 'ClusterIssuer',
]);

/** Whether a kind is namespaced (cluster-scoped built-ins and `Cluster*` kinds are not). */
export function isNamespacedKind(kind: string): boolean {
  return !CLUSTER_SCOPED_KINDS.has(kind) && !kind.startsWith('Cluster');
}

/**
 * Puts namespaced resources without a namespace in `default`, as kubectl and the kyverno CLI do
 * (test results then name them `default/<name>`, and namespace filters see `default`).
 */
export function withDefaultNamespace(resources: readonly KubeResource[]): KubeResource[] {
  return resources.map((r) => {
    const meta = isRecord(r.object.metadata) ? r.object.metadata : undefined;
    if (!isNamespacedKind(String(r.object.kind)) || (meta && typeof meta.namespace === 'string' && meta.namespace)) return r;
    return { ...r, object: { ...r.object, metadata: { ...meta, namespace: 'default' } } };
  });
}

/* ─────────────────────────── helpers ─────────────────────────── */

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
