/**
 * JMESPath as Kyverno evaluates it. Kyverno runs the JMESPath Community dialect (the Go port of
 * the same specification as @jmespath-community/jmespath) through its own tree interpreter, which
 * differs from the specification in one way that decides many rule outcomes: looking up a key that
 * an object does not have is an error (`Unknown key "labels" in path`), not null. The error travels
 * up plain paths (`request.object.metadata.labels.app`) and is absorbed where Kyverno absorbs it:
 * the left side of `||` and `&&`, comparisons, function arguments, pipes, `!`, multi-selects,
 * projections and filters (per element), flattening, and expression references. A key that exists
 * with a null value, or a lookup on null, is null without error.
 *
 * Kyverno's custom functions (./functions.ts) are registered on a private runtime, replacing the
 * library's functions of the same name (`items`, `split`, `sum`, `replace`, `trim`, …), together
 * with go-jmespath's `to_string`, `to_number` and `contains`.
 */

import {
  compile,
  TreeInterpreter,
  TYPE_ANY,
  TYPE_ARRAY,
  TYPE_ARRAY_STRING,
  TYPE_BOOLEAN,
  TYPE_NUMBER,
  TYPE_OBJECT,
  TYPE_STRING,
  type InputSignature,
  type JSONValue,
} from '@jmespath-community/jmespath';
import { RuleError } from '../types.ts';
import { KYVERNO_FUNCTIONS, STANDARD_OVERRIDES, type JpType } from './functions.ts';
import { jsonEqual } from './gojson.ts';
import { isRecord } from '../../core/json.ts';

/**
 * A JMESPath failure inside a rule. `detail` is the bare cause (`Unknown key "labels" in path`),
 * `unknownKey` is set when a path named a missing key.
 */
export class JmesPathError extends RuleError {
  readonly expression: string;
  readonly detail: string;
  readonly unknownKey: string | undefined;

  constructor(code: 'JMESPATH' | 'VARIABLE', message: string, expression: string, detail: string, unknownKey?: string) {
    super(code, message);
    this.name = 'JmesPathError';
    this.expression = expression;
    this.detail = detail;
    this.unknownKey = unknownKey;
  }
}

/**
 * Kyverno's NotFoundError, thrown while evaluating and absorbed where Kyverno absorbs it. Most
 * are absorbed (`a.b || ''`), so one instance is thrown over and over rather than building an
 * error each time; whoever catches it reads the key at once (nothing runs between throw and catch).
 */
class UnknownKey extends Error {
  key = '';

  static missing(key: string): UnknownKey {
    reusedUnknownKey.key = key;
    reusedUnknownKey.message = `Unknown key "${key}" in path`;
    return reusedUnknownKey;
  }
}

const reusedUnknownKey = new UnknownKey();

type ExpressionNode = ReturnType<typeof compile>;
type Interpreter = typeof TreeInterpreter;
type VisitInput = Parameters<Interpreter['visit']>[1];
type VisitOutput = ReturnType<Interpreter['visit']>;
type Node = ExpressionNode & Record<string, unknown>;

const isFalse = (v: unknown): boolean =>
  v === null || v === undefined || v === false || v === '' || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);

// The library exports one shared interpreter instance; its class gives us private runtimes.
const InterpreterBase = TreeInterpreter.constructor as unknown as new () => Interpreter;

class KyvernoInterpreter extends InterpreterBase {
  override visit(node: ExpressionNode, value: VisitInput): VisitOutput {
    const n = node as Node;
    // The body of an expression reference (sort_by(@, &name)) absorbs missing keys.
    if (n.expref === true) {
      try {
        return this.evaluate(n, value) ?? null;
      } catch (e) {
        if (e instanceof UnknownKey) return null;
        throw e;
      }
    }
    return this.evaluate(n, value);
  }

  private child(node: unknown, value: unknown): unknown {
    return this.visit(node as ExpressionNode, value as VisitInput);
  }

  /** A child whose missing keys are null. (No closures: this runs for nearly every node.) */
  private lenientChild(node: unknown, value: unknown): unknown {
    try {
      return this.child(node, value) ?? null;
    } catch (e) {
      if (e instanceof UnknownKey) return null;
      throw e;
    }
  }

  /** A child whose every error is null. */
  private absorbedChild(node: unknown, value: unknown): unknown {
    try {
      return this.child(node, value) ?? null;
    } catch {
      return null;
    }
  }

  private evaluate(n: Node, value: VisitInput): VisitOutput {
    switch (n.type) {
      case 'Field': {
        const name = n.name as string;
        if (!isRecord(value)) return null;
        if (!Object.prototype.hasOwnProperty.call(value, name)) throw UnknownKey.missing(name);
        return (value[name] ?? null) as VisitOutput;
      }
      case 'Subexpression':
      case 'IndexExpression': {
        const left = this.child(n.left, value);
        return left === null ? null : ((this.child(n.right, left) ?? null) as VisitOutput);
      }
      case 'Projection': {
        const left = n.left as Node;
        const base = this.lenientChild(left, value);
        const allowString = left.type === 'IndexExpression' && (left.right as Node).type === 'Slice';
        if (allowString && typeof base === 'string') return base;
        if (!Array.isArray(base)) return null;
        return this.collect(base, n.right);
      }
      case 'ValueProjection': {
        const base = this.absorbedChild(n.left, value);
        return isRecord(base) ? this.collect(Object.values(base), n.right) : null;
      }
      case 'FilterProjection': {
        const base = this.absorbedChild(n.left, value);
        if (!Array.isArray(base)) return null;
        return this.collect(
          base.filter((el) => !isFalse(this.lenientChild(n.condition, el))),
          n.right,
        );
      }
      case 'Flatten': {
        const base = this.absorbedChild(n.child, value);
        return Array.isArray(base) ? (base.flatMap((el) => (Array.isArray(el) ? el : [el])) as VisitOutput) : null;
      }
      case 'Comparator': {
        const left = this.lenientChild(n.left, value);
        const right = this.lenientChild(n.right, value);
        if (n.name === 'EQ') return jsonEqual(left, right);
        if (n.name === 'NE') return !jsonEqual(left, right);
        if (typeof left !== 'number' || typeof right !== 'number') return null;
        const order = { GT: left > right, GTE: left >= right, LT: left < right, LTE: left <= right } as Record<string, boolean>;
        return order[n.name as string] ?? null;
      }
      case 'Arithmetic': {
        const left = this.lenientChild(n.left, value);
        const right = this.lenientChild(n.right, value);
        if (typeof left !== 'number' || typeof right !== 'number') return null;
        switch (n.operator) {
          case 'Plus':
            return left + right;
          case 'Minus':
            return left - right;
          case 'Multiply':
          case 'Star':
            return left * right;
          case 'Divide':
            return left / right;
          case 'Modulo':
            return left % right;
          case 'Div':
            return Math.floor(left / right);
        }
        return null;
      }
      case 'Unary': {
        const operand = this.lenientChild(n.operand, value);
        if (typeof operand !== 'number') return null;
        return n.operator === 'Minus' ? -operand : operand;
      }
      case 'MultiSelectList':
        return (n.children as unknown[]).map((c) => this.lenientChild(c, value)) as VisitOutput;
      case 'MultiSelectHash': {
        const out: Record<string, unknown> = {};
        for (const c of n.children as { name: string; value: unknown }[]) out[c.name] = this.lenientChild(c.value, value);
        return out as VisitOutput;
      }
      case 'OrExpression': {
        const left = this.lenientChild(n.left, value);
        return (isFalse(left) ? this.lenientChild(n.right, value) : left) as VisitOutput;
      }
      case 'AndExpression': {
        const left = this.lenientChild(n.left, value);
        return (isFalse(left) ? left : this.child(n.right, value)) as VisitOutput;
      }
      case 'NotExpression':
        return isFalse(this.lenientChild(n.child, value));
      case 'Pipe':
        return this.lenientChild(n.right, this.lenientChild(n.left, value)) as VisitOutput;
      case 'Function': {
        const args = (n.children as unknown[]).map((c) => this.lenientChild(c, value));
        return this.runtime.callFunction(n.name as string, args as JSONValue[]);
      }
      default:
        return super.visit(n, value);
    }
  }

  private collect(elements: unknown[], right: unknown): VisitOutput {
    const out: unknown[] = [];
    for (const el of elements) {
      const v = this.lenientChild(right, el);
      if (v !== null) out.push(v);
    }
    return out as VisitOutput;
  }
}

const SIGNATURE_TYPES: Readonly<Record<JpType, InputSignature['types'][number]>> = {
  string: TYPE_STRING,
  number: TYPE_NUMBER,
  object: TYPE_OBJECT,
  array: TYPE_ARRAY,
  'array[string]': TYPE_ARRAY_STRING,
  any: TYPE_ANY,
  bool: TYPE_BOOLEAN,
};

const interpreter = new KyvernoInterpreter();
for (const f of [...STANDARD_OVERRIDES, ...KYVERNO_FUNCTIONS]) {
  const signature: InputSignature[] = f.arguments.map((a) => ({ types: a.types.map((t) => SIGNATURE_TYPES[t]) }));
  const name: string = f.name;
  const result = interpreter.runtime.register(name, (args) => (f.handler(args) ?? null) as JSONValue, signature, { override: true });
  if (!result.success) throw new Error(`cannot register JMESPath function ${f.name}: ${result.message}`);
}

let depth = 0;

/** A second interpreter sharing the function table, for a search started inside a search. */
function nestedInterpreter(): KyvernoInterpreter {
  const nested = new KyvernoInterpreter();
  nested.runtime._functionTable = interpreter.runtime._functionTable;
  return nested;
}

const compiled = new Map<string, ExpressionNode>();

/** Parses an expression (cached); a syntax error is a RuleError('JMESPATH') naming it. */
export function compileJmesPath(expression: string): ExpressionNode {
  const hit = compiled.get(expression);
  if (hit) return hit;
  let node: ExpressionNode;
  try {
    node = compile(expression);
  } catch (e) {
    const detail = (e as Error).message;
    throw new JmesPathError('JMESPATH', `invalid JMESPath expression "${expression}": ${detail}`, expression, detail);
  }
  if (compiled.size > 2000) compiled.clear();
  compiled.set(expression, node);
  return node;
}

/**
 * Evaluates `expression` against `data` with Kyverno's functions and missing-key rule. Errors are
 * JmesPathErrors: code VARIABLE for a missing key, JMESPATH for syntax and runtime errors.
 */
export function jpSearch(expression: string, data: unknown): unknown {
  const node = compileJmesPath(expression);
  const runner = depth === 0 ? interpreter : nestedInterpreter();
  depth++;
  try {
    return runner.search(node, (data ?? null) as JSONValue) ?? null;
  } catch (e) {
    if (e instanceof UnknownKey) {
      throw new JmesPathError('VARIABLE', `JMESPath query "${expression}" failed: ${e.message}`, expression, e.message, e.key);
    }
    if (e instanceof RuleError) throw e;
    const detail = (e as Error).message;
    throw new JmesPathError('JMESPATH', `JMESPath query "${expression}" failed: ${detail}`, expression, detail);
  } finally {
    depth--;
  }
}
