/**
 * `celPreconditions`: Kubernetes MatchConditions on a `validate.cel` rule (Kyverno allows them on
 * no other rule kind). Every condition must hold for the rule to apply; one that is false skips
 * the rule (`cel preconditions not met`), one that fails to evaluate is a rule error. Expressions
 * compile once per rule, with the CEL module's admission environment.
 */
import { celEnvironment } from '../cel/env.ts';
import { checkMatchConditions } from '../cel/evaluate.ts';
import { Authorizer } from '../cel/lib/cluster.ts';
import type { Named } from '../cel/types.ts';
import { toCel } from '../cel/values.ts';
import type { JsonContext } from '../variables/context.ts';
import type { Rule } from './types.ts';

type Json = Record<string, unknown>;

const compiled = new WeakMap<Rule, Named[]>();

function conditionsOf(rule: Rule): Named[] {
  let named = compiled.get(rule);
  if (!named) {
    const env = celEnvironment(['object', 'oldObject', 'request', 'params', 'namespaceObject', 'authorizer']);
    named = (rule.celPreconditions ?? []).map((c, i) => {
      const { name, expression } = (c ?? {}) as { name?: string; expression?: string };
      return { name: name ?? `celPreconditions[${i}]`, program: env.compile(String(expression ?? '')) };
    });
    compiled.set(rule, named);
  }
  return named;
}

function request(ctx: JsonContext): Json {
  try {
    return (ctx.query('request') as Json | null) ?? {};
  } catch {
    return {};
  }
}

/** undefined when the rule applies, else the skip or error outcome. */
export function celPreconditionsOutcome(
  rule: Rule,
  ctx: JsonContext,
  resource: Json,
  namespaceLabels: Record<string, string> | undefined,
): { status: 'skip' | 'error'; message: string } | undefined {
  if (!rule.celPreconditions?.length) return undefined;
  let conditions: Named[];
  try {
    conditions = conditionsOf(rule);
  } catch (err) {
    return { status: 'error', message: `failed to compile celPreconditions: ${err instanceof Error ? err.message : String(err)}` };
  }
  const req = request(ctx);
  const namespace = ((resource.metadata ?? {}) as { namespace?: string }).namespace ?? '';
  const activation = {
    object: toCel(req.operation === 'DELETE' ? null : (req.object ?? resource)),
    oldObject: toCel(req.oldObject ?? null),
    request: toCel(req),
    params: null,
    namespaceObject: namespace ? toCel({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: namespaceLabels ?? {} } }) : null,
    authorizer: new Authorizer(),
  };
  const result = checkMatchConditions(conditions, activation);
  if (result.error) {
    const err = result.error.err;
    return { status: 'error', message: `celPreconditions ${result.error.name}: ${err instanceof Error ? err.message : String(err)}` };
  }
  return result.matched ? undefined : { status: 'skip', message: 'cel preconditions not met' };
}
