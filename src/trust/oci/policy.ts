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
 * Evaluation is the policy engine's, as Kyverno does it: `{{ }}` substitution and JMESPath with
 * Kyverno's functions (src/policy/variables; a missing key fails the condition unless absorbed by
 * `||` or a comparison) and the Kyverno condition operators (src/policy/conditions). cosign's CUE
 * and Rego policies are not supported.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { JSONValue } from '@jmespath-community/jmespath';
import { parse as parseYaml } from 'yaml';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import { isRecord } from '../../core/json.ts';
import { evaluateConditions } from '../../policy/conditions/evaluate.ts';
import { CONDITION_OPERATORS, findOperator } from '../../policy/conditions/operators/index.ts';
import { RuleError, type Condition, type Conditions } from '../../policy/types.ts';
import { JsonContext } from '../../policy/variables/context.ts';
import { compileJmesPath, jpSearch } from '../../policy/variables/jmespath.ts';
import { substituteAllInPreconditions } from '../../policy/variables/substitute.ts';
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
    if (findOperator(operator) === undefined) {
      throw invalid(`condition ${i + 1}: unknown operator ${operator} (Kyverno's: ${CONDITION_OPERATORS.map((o) => o.name).join(', ')})`);
    }
    return c as Condition;
  });
}

/** The JMESPath document a policy sees for a statement. */
export function policyContext(statement: Statement): JSONValue {
  const predicate = (isRecord(statement.predicate) ? statement.predicate : {}) as Record<string, JSONValue>;
  return {
    ...predicate,
    predicate: (statement.predicate ?? null) as JSONValue,
    predicateType: statement.predicateType,
    subject: statement.subject as unknown as JSONValue,
  };
}

function expressionPolicy(expressions: string[], source: string): AttestationPolicy {
  // Compile up front so that a typo fails before any registry traffic.
  for (const expression of expressions) {
    try {
      compileJmesPath(expression);
    } catch (err) {
      throw new PalisadeError('PARSE_ERROR', `${source}: ${errorMessage(err)}`);
    }
  }
  return {
    source,
    evaluate(statement) {
      const context = policyContext(statement);
      for (const expression of expressions) {
        let result: unknown;
        try {
          result = jpSearch(expression, context);
        } catch (err) {
          if (err instanceof RuleError) return { passed: false, message: `${source}: ${err.message}` };
          throw err;
        }
        if (result !== true) return { passed: false, message: `${source}: ${expression} is ${JSON.stringify(result)}, not true` };
      }
      return { passed: true, message: `${source}: ${expressions.length} expression(s) hold` };
    },
  };
}

function conditionPolicy(conditions: Conditions, source: string): AttestationPolicy {
  return {
    source,
    evaluate(statement) {
      const context = new JsonContext(policyContext(statement) as Record<string, JSONValue>);
      let outcome;
      try {
        outcome = evaluateConditions(conditions, (value) => substituteAllInPreconditions(context, value));
      } catch (err) {
        if (err instanceof RuleError) return { passed: false, message: `${source}: ${err.message}` };
        throw err;
      }
      if (outcome.passed) return { passed: true, message: `${source}: conditions hold${outcome.passedMessage ? ` (${outcome.passedMessage})` : ''}` };
      return { passed: false, message: `${source}: conditions do not hold${outcome.failedMessage ? `: ${outcome.failedMessage}` : ` (${describe(conditions)})`}` };
    },
  };
}

/** The conditions as text, for a failure without messages of its own. */
function describe(conditions: Conditions): string {
  const text = (c: Condition) => `${JSON.stringify(c.key)} ${c.operator} ${JSON.stringify(c.value ?? null)}`;
  if (Array.isArray(conditions)) return conditions.map(text).join('; ');
  return [
    ...(conditions.any ? [`any: ${conditions.any.map(text).join(' | ')}`] : []),
    ...(conditions.all ? [`all: ${conditions.all.map(text).join(' & ')}`] : []),
  ].join('; ');
}
