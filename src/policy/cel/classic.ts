/**
 * `validate.cel` rules of classic Kyverno ClusterPolicies/Policies: a ValidatingAdmissionPolicy
 * body inside a rule (`expressions` with `message`/`messageExpression`, `variables`,
 * `auditAnnotations`, `paramKind`/`paramRef`), evaluated on the rule's resource once the engine
 * has matched it and checked its preconditions.
 *
 * Outcomes follow Kyverno's handler on the API server's validator: an expression that fails to
 * evaluate denies (`fail`, with the error as message) unless the policy's failurePolicy is
 * Ignore (`error`).
 *
 * Expressions are compiled once per rule (cached on the rule object). Autogen rules
 * (`autogen-<rule>`, `autogen-cronjob-<rule>`) run the same expressions on the Pod template:
 * `object.spec` becomes `object.spec.template.spec` (CronJobs: under `spec.jobTemplate`), as in
 * Kyverno. `checkCelRule` reports compile errors at load time.
 */
import type { JsonContext } from '../variables/context.ts';
import type { Rule } from '../engine/types.ts';
import { autogenVariants } from './autogen.ts';
import { ADMISSION_VARIABLES, celEnvironment } from './env.ts';
import { CelCompileError } from './errors.ts';
import { runValidations, withVariables, type Outcome } from './evaluate.ts';
import { clusterVariables, type ClusterData } from './lib/cluster.ts';
import type { CompiledValidation, Named, RuleSet } from './types.ts';
import { toCel } from './values.ts';
import { isRecord } from '../../core/json.ts';

type Json = Record<string, unknown>;

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

interface CompiledCelRule {
  rules: RuleSet;
  paramKind?: { apiVersion: string; kind: string };
  paramRef?: { name?: string; namespace?: string; parameterNotFoundAction?: string };
}

const cache = new WeakMap<object, CompiledCelRule>();
const POD_MATCH = { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] };

/** The rewrite for an autogen rule name (identity for declared rules). */
function rewriteFor(ruleName: string): (s: string) => string {
  const variants = autogenVariants(POD_MATCH, ['deployments', 'cronjobs']);
  if (ruleName.startsWith('autogen-cronjob-')) return variants.find((v) => v.name === 'autogen-cronjobs')!.rewrite;
  if (ruleName.startsWith('autogen-')) return variants.find((v) => v.name === 'autogen')!.rewrite;
  return (s) => s;
}

function compile(cel: Json, ruleName: string, errors?: { path: (string | number)[]; message: string }[]): CompiledCelRule {
  const env = celEnvironment(ADMISSION_VARIABLES);
  const rewrite = rewriteFor(ruleName);
  const one = (source: unknown, path: (string | number)[]) => {
    if (typeof source !== 'string' || source.trim() === '') {
      errors?.push({ path, message: 'required (a CEL expression)' });
      return undefined;
    }
    try {
      return env.compile(rewrite(source));
    } catch (err) {
      if (!errors) throw err;
      errors.push({ path, message: err instanceof CelCompileError ? err.message : (err as Error).message });
      return undefined;
    }
  };
  const validations: CompiledValidation[] = [];
  list(cel.expressions).forEach((e, i) => {
    if (!isRecord(e)) return;
    const program = one(e.expression, ['expressions', i, 'expression']);
    const messageExpression = e.messageExpression !== undefined ? one(e.messageExpression, ['expressions', i, 'messageExpression']) : undefined;
    if (program) {
      validations.push({
        program,
        ...(typeof e.message === 'string' && { message: e.message }),
        ...(messageExpression && { messageExpression }),
        ...(typeof e.reason === 'string' && { reason: e.reason }),
      });
    }
  });
  const named = (items: unknown, field: string, key: string, valueField: string): Named[] =>
    list(items).flatMap((v, i) => {
      if (!isRecord(v) || typeof v[key] !== 'string') return [];
      const program = one(v[valueField], [field, i, valueField]);
      return program ? [{ name: v[key] as string, program }] : [];
    });
  const paramKind = isRecord(cel.paramKind) && typeof cel.paramKind.kind === 'string' ? { apiVersion: String(cel.paramKind.apiVersion ?? 'v1'), kind: cel.paramKind.kind } : undefined;
  const paramRef = isRecord(cel.paramRef) ? (cel.paramRef as CompiledCelRule['paramRef']) : undefined;
  return {
    rules: {
      name: '',
      matchConditions: [],
      variables: named(cel.variables, 'variables', 'name', 'expression'),
      validations,
      auditAnnotations: named(cel.auditAnnotations, 'auditAnnotations', 'key', 'valueExpression').map((n) => ({ key: n.name, program: n.program })),
      mutations: [],
    },
    ...(paramKind && { paramKind }),
    ...(paramRef && { paramRef }),
  };
}

/** Compile errors of a `validate.cel` block, with field paths relative to it (load-time check). */
export function checkCelRule(cel: unknown): { path: (string | number)[]; message: string }[] {
  if (!isRecord(cel)) return [{ path: [], message: 'must be an object' }];
  const errors: { path: (string | number)[]; message: string }[] = [];
  compile(cel, '', errors);
  if (list(cel.expressions).length === 0) errors.push({ path: ['expressions'], message: 'needs at least one expression' });
  return errors;
}

function compiled(rule: Rule): CompiledCelRule {
  const cel = rule.validate!.cel as Json;
  let c = cache.get(cel);
  if (!c) {
    c = compile(cel, rule.name);
    cache.set(cel, c);
  }
  return c;
}

export interface CelRuleInput {
  ctx: JsonContext;
  rule: Rule;
  /** The resource the rule runs on. */
  resource: Json;
  /** Policy name for messages. */
  policy: string;
  namespaceLabels?: Record<string, string>;
  /** The policy's failurePolicy (Fail by default). */
  failurePolicy?: string;
  /** Objects standing in for the cluster (params, resource.Get/List). */
  cluster?: ClusterData;
}

function query(ctx: JsonContext, expression: string): unknown {
  try {
    return ctx.query(expression);
  } catch {
    return null;
  }
}

/** Evaluates a `validate.cel` rule: `pass`, `fail` with the first failed expression's message, or `error`. */
export function validateCelRule(input: CelRuleInput): Outcome {
  let c: CompiledCelRule;
  try {
    c = compiled(input.rule);
  } catch (err) {
    return { status: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  const namespace = ((input.resource.metadata ?? {}) as { namespace?: string }).namespace ?? '';
  let params: unknown = null;
  if (c.paramKind) {
    const ref = c.paramRef ?? {};
    const ns = ref.namespace ?? namespace;
    const found = (input.cluster?.resources ?? []).find((p) => {
      const m = (p.metadata ?? {}) as { name?: string; namespace?: string };
      return p.apiVersion === c.paramKind!.apiVersion && p.kind === c.paramKind!.kind && m.name === ref.name && (!m.namespace || !ns || m.namespace === ns);
    });
    if (!found) {
      if (ref.parameterNotFoundAction === 'Allow') return { status: 'skip', message: 'no params found (parameterNotFoundAction Allow)' };
      return { status: 'error', message: `failed to get params: ${c.paramKind.kind} ${ref.name ?? ''} not found` };
    }
    params = found;
  }
  const outcome = runValidations(c.rules, withVariables(baseActivation(input, params), c.rules.variables), `${input.policy}/${input.rule.name}`);
  if (outcome.status === 'pass') return { ...outcome, message: `Validation rule '${input.rule.name}' passed.` };
  // The API server's validator turns an evaluation error into a denial under failurePolicy Fail
  // (the default), and Kyverno reports denials as failures; features this engine lacks stay errors.
  if (outcome.status === 'error' && input.failurePolicy !== 'Ignore' && !outcome.message.startsWith('unsupported:')) return { ...outcome, status: 'fail' };
  return outcome;
}

/**
 * The CEL `request` (and old object) for a rule. Context queries return copies, so converting them
 * for every rule would convert the whole object again each time: the conversion is kept per
 * context and resource (the engine shares one context across the policies of a resource).
 */
const requests = new WeakMap<JsonContext, { resource: Json; request: unknown; oldObject: unknown; operation: unknown }>();

function requestOf(input: CelRuleInput): { request: unknown; oldObject: unknown; operation: unknown } {
  const hit = requests.get(input.ctx);
  if (hit && hit.resource === input.resource) return hit;
  const raw = (query(input.ctx, 'request') ?? {}) as Json;
  const { object: _object, oldObject, ...rest } = raw;
  const entry = { resource: input.resource, request: toCel({ ...rest, object: raw.operation === 'DELETE' ? null : input.resource, oldObject: oldObject ?? null }), oldObject: toCel(oldObject ?? null), operation: raw.operation };
  requests.set(input.ctx, entry);
  return entry;
}

function baseActivation(input: CelRuleInput, params: unknown): Record<string, unknown> {
  const { request, oldObject, operation } = requestOf(input);
  const namespace = ((input.resource.metadata ?? {}) as { namespace?: string }).namespace ?? '';
  return {
    object: operation === 'DELETE' ? null : toCel(input.resource),
    oldObject,
    request,
    namespaceObject: namespace ? toCel({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: input.namespaceLabels ?? {} } }) : null,
    params: toCel(params),
    ...clusterVariables(input.cluster),
  };
}
