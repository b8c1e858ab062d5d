/**
 * Policies over an attestation's predicate (`verify-attestation --policy FILE`), in two forms, as
 * YAML or JSON:
 *
 * - Kyverno-style conditions, as in `verifyImages[].attestations[].conditions`:
 *     all:
 *       - key: "{{ predicate.buildDefinition.buildType }}"
 *         operator: Equals
 *         value: https://actions.github.io/buildtypes/workflow/v1
 *     any: [...]
 *   (also under a `conditions:` key, or as a plain list meaning all). `{{ }}` holds JMESPath.
 * - Plain JMESPath booleans: `expressions: ["predicate.runDetails.builder.id == '…'"]` (or one
 *   expression as the whole document); each must evaluate to true.
 *
 * The JMESPath context is the predicate's own fields at the top (Kyverno's convention, so
 * `{{ builder.id }}` works) plus `predicate`, `predicateType` and `subject` from the statement.
 * Evaluation here is a minimal JMESPath one (@jmespath-community/jmespath, without Kyverno's custom
 * functions) with the common condition operators; cosign's CUE and Rego policies are not supported.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { search, type JSONValue } from '@jmespath-community/jmespath';
import { parse as parseYaml } from 'yaml';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import type { Statement } from '../intoto.ts';

export interface PolicyOutcome {
  passed: boolean;
  /** Why it failed (or which conditions held). */
  message: string;
}

export interface AttestationPolicy {
  /** Where it came from, for messages. */
  readonly source: string;
  evaluate(statement: Statement): PolicyOutcome;
}

interface Condition {
  key: unknown;
  operator: string;
  value?: unknown;
  message?: string;
}

export async function loadAttestationPolicy(path: string): Promise<AttestationPolicy> {
  const extension = extname(path).toLowerCase();
  if (extension === '.cue' || extension === '.rego') {
    throw new PalisadeError('UNSUPPORTED_FORMAT', `${path}: ${extension.slice(1).toUpperCase()} policies are not supported; write JMESPath conditions (see palisade verify-attestation --help)`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the policy ${path}: ${errorMessage(err)}`);
  }
  return parseAttestationPolicy(text, path);
}

export function parseAttestationPolicy(text: string, source: string): AttestationPolicy {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new PalisadeError('PARSE_ERROR', `${source}: not YAML or JSON: ${errorMessage(err)}`);
  }
  const invalid = (why: string) => new PalisadeError('PARSE_ERROR', `${source}: ${why}`);
  if (typeof document === 'string') return expressionPolicy([document], source);
  if (Array.isArray(document)) {
    if (document.every((e) => typeof e === 'string')) return expressionPolicy(document as string[], source);
    return conditionPolicy({ all: conditionList(document, invalid) }, source);
  }
  if (typeof document !== 'object' || document === null) throw invalid('expected conditions (any/all) or expressions');
  const doc = document as Record<string, unknown>;
  if (doc.expressions !== undefined) {
    const list = Array.isArray(doc.expressions) ? doc.expressions : [doc.expressions];
    if (!list.every((e) => typeof e === 'string')) throw invalid('expressions must be JMESPath strings');
    return expressionPolicy(list as string[], source);
  }
  const conditions = doc.conditions ?? doc;
  if (Array.isArray(conditions)) return conditionPolicy({ all: conditionList(conditions, invalid) }, source);
  const block = conditions as Record<string, unknown>;
  if (block.any === undefined && block.all === undefined) throw invalid('expected `any`/`all` conditions, `conditions:` or `expressions:`');
  return conditionPolicy(
    {
      ...(block.any !== undefined && { any: conditionList(block.any, invalid) }),
      ...(block.all !== undefined && { all: conditionList(block.all, invalid) }),
    },
    source,
  );
}

function conditionList(value: unknown, invalid: (why: string) => PalisadeError): Condition[] {
  if (!Array.isArray(value)) throw invalid('`any` and `all` must be lists of conditions');
  return value.map((c, i) => {
    if (typeof c !== 'object' || c === null || typeof (c as Condition).operator !== 'string' || !('key' in c)) {
      throw invalid(`condition ${i + 1} needs a key and an operator`);
    }
    const operator = (c as Condition).operator;
    if (OPERATORS[operator.toLowerCase()] === undefined) throw invalid(`condition ${i + 1}: unsupported operator ${operator} (supported: ${Object.values(OPERATOR_NAMES).join(', ')})`);
    return c as Condition;
  });
}

/** The JMESPath document a policy sees for a statement. */
export function policyContext(statement: Statement): JSONValue {
  const predicate = (typeof statement.predicate === 'object' && statement.predicate !== null && !Array.isArray(statement.predicate) ? statement.predicate : {}) as Record<string, JSONValue>;
  return {
    ...predicate,
    predicate: (statement.predicate ?? null) as JSONValue,
    predicateType: statement.predicateType,
    subject: statement.subject as unknown as JSONValue,
  };
}

function evaluateExpression(expression: string, context: JSONValue, source: string): JSONValue {
  try {
    return search(context, expression);
  } catch (err) {
    throw new PalisadeError('PARSE_ERROR', `${source}: invalid JMESPath "${expression}": ${errorMessage(err)}`);
  }
}

function expressionPolicy(expressions: string[], source: string): AttestationPolicy {
  // Compile up front so that a typo fails before any registry traffic.
  for (const e of expressions) evaluateExpression(e, {}, source);
  return {
    source,
    evaluate(statement) {
      const context = policyContext(statement);
      for (const expression of expressions) {
        const result = evaluateExpression(expression, context, source);
        if (result !== true) return { passed: false, message: `${source}: ${expression} is ${JSON.stringify(result)}, not true` };
      }
      return { passed: true, message: `${source}: ${expressions.length} expression(s) hold` };
    },
  };
}

function conditionPolicy(block: { any?: Condition[]; all?: Condition[] }, source: string): AttestationPolicy {
  return {
    source,
    evaluate(statement) {
      const context = policyContext(statement);
      const holds = (c: Condition) => {
        const key = substitute(c.key, context, source);
        const value = substitute(c.value ?? null, context, source);
        return OPERATORS[c.operator.toLowerCase()]!(key, value);
      };
      const describe = (c: Condition) => c.message ?? `${JSON.stringify(c.key)} ${c.operator} ${JSON.stringify(c.value ?? null)}`;
      if (block.any !== undefined && !block.any.some(holds)) {
        return { passed: false, message: `${source}: none of the \`any\` conditions holds (${block.any.map(describe).join('; ')})` };
      }
      const failed = (block.all ?? []).find((c) => !holds(c));
      if (failed !== undefined) return { passed: false, message: `${source}: condition does not hold: ${describe(failed)}` };
      return { passed: true, message: `${source}: conditions hold` };
    },
  };
}

const VARIABLE = /\{\{\s*(.*?)\s*\}\}/g;

/** `{{ expr }}` alone keeps the result's type; inside text it is interpolated; structures are walked. */
function substitute(value: unknown, context: JSONValue, source: string): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*(.*?)\s*\}\}$/.exec(value);
    if (whole !== null) return evaluateExpression(whole[1]!, context, source);
    return value.replace(VARIABLE, (_, expression: string) => {
      const result = evaluateExpression(expression, context, source);
      return typeof result === 'string' ? result : JSON.stringify(result);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, context, source));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, context, source)]));
  }
  return value;
}

type Operator = (key: unknown, value: unknown) => boolean;

/** Kyverno's wildcard match on strings (`*`, `?`), deep equality otherwise. */
function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'string' && typeof value === 'string' && /[*?]/.test(value)) {
    const pattern = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`^${pattern}$`, 's').test(key);
  }
  return JSON.stringify(key) === JSON.stringify(value);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
const contains = (list: unknown, item: unknown) => asList(list).some((v) => equals(item, v));
const compare = (test: (a: number, b: number) => boolean): Operator => (key, value) => {
  const a = Number(key);
  const b = Number(value);
  return Number.isFinite(a) && Number.isFinite(b) && test(a, b);
};

const OPERATOR_NAMES = ['Equals', 'NotEquals', 'In', 'NotIn', 'AnyIn', 'AllIn', 'AnyNotIn', 'AllNotIn', 'GreaterThan', 'GreaterThanOrEquals', 'LessThan', 'LessThanOrEquals'] as const;

const OPERATORS: Record<string, Operator> = {
  equals: equals,
  notequals: (k, v) => !equals(k, v),
  in: (k, v) => asList(k).every((item) => contains(v, item)),
  notin: (k, v) => !asList(k).every((item) => contains(v, item)),
  anyin: (k, v) => asList(k).some((item) => contains(v, item)),
  allin: (k, v) => asList(k).every((item) => contains(v, item)),
  anynotin: (k, v) => asList(k).some((item) => !contains(v, item)),
  allnotin: (k, v) => asList(k).every((item) => !contains(v, item)),
  greaterthan: compare((a, b) => a > b),
  greaterthanorequals: compare((a, b) => a >= b),
  lessthan: compare((a, b) => a < b),
  lessthanorequals: compare((a, b) => a <= b),
};
