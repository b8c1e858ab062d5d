/**
 * The CEL environment of admission policies, and compilation.
 *
 * CEL itself comes from `@marcbachmann/cel-js` (maintained, zero dependencies, macros, optional
 * types `?.`/`[?]`/`optional.*`, custom functions with overloads and receiver types, type checking
 * with source ranges). `@bufbuild/cel` was the first candidate but its parser rejects optional
 * syntax (`object.?spec`), which most Kyverno and Kubernetes policies use, and it has no type
 * checker. On top of the library this module adds the Kubernetes CEL libraries (lib/*.ts),
 * Kyverno's, runtime cost limits (cost.ts), and source rewrites for message construction and
 * `has()` on computed operands (syntax.ts). `optional.orValue()` on a value that is not an
 * optional returns the value, as Kyverno's policies expect (`list.orValue([])`).
 *
 * Variables are declared per policy type (`object`, `oldObject`, `request`, `params`,
 * `namespaceObject`, `variables`, `authorizer`, Kyverno's `resource`/`http`/`globalContext`/
 * `image`, and the image-verification ones), all `dyn` like Kyverno's environments, so a reference
 * to anything else is a compile error.
 */
import { Environment, EvaluationError, Optional, ParseError, TypeError as CelTypeError } from '@marcbachmann/cel-js';
import { CelCostError, DEFAULT_COST_LIMIT, DEFAULT_TIME_LIMIT_MS, instrument, withBudget, type CostLimits } from './cost.ts';
import { firstLine } from '../../core/errors.ts';
import { CelCompileError, CelEvalError, CelUnsupportedError } from './errors.ts';
import { registerImageVerification } from './image-policy.ts';
import { registerCluster } from './lib/cluster.ts';
import { registerIp } from './lib/ip.ts';
import { registerKyvernoLibs } from './lib/kyverno.ts';
import { registerLists } from './lib/lists.ts';
import { registerMath } from './lib/math.ts';
import { registerQuantity } from './lib/quantity.ts';
import { registerRegex } from './lib/regex.ts';
import { registerSemver } from './lib/semver.ts';
import { registerStrings } from './lib/strings.ts';
import { registerUrl } from './lib/url.ts';
import { rewrite } from './syntax.ts';

/** Variables every admission expression sees (ValidatingAdmissionPolicy and Kyverno policies). */
export const ADMISSION_VARIABLES = ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables'] as const;

/** Typed library variables: Kyverno's data libraries and Kubernetes' authorizer. */
const LIBRARY_VARIABLES: Readonly<Record<string, string>> = {
  authorizer: 'Authorizer',
  resource: 'kyverno.resource',
  http: 'kyverno.http',
  globalContext: 'kyverno.globalContext',
  image: 'kyverno.imagedata',
};

/** Structural limits at parse time (the API server caps expressions by size and nesting too). */
const LIMITS = { maxAstNodes: 20_000, maxDepth: 100, maxListElements: 10_000, maxMapEntries: 10_000, maxCallArguments: 32 };

let base: Environment | undefined;

function baseEnvironment(): Environment {
  if (!base) {
    base = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: LIMITS });
    registerStrings(base);
    registerLists(base);
    registerRegex(base);
    registerMath(base);
    registerUrl(base);
    registerIp(base);
    registerQuantity(base);
    registerSemver(base);
    registerKyvernoLibs(base);
    registerCluster(base);
    registerImageVerification(base);
  }
  return base;
}

const environments = new Map<string, CelEnvironment>();

/** A compiled-expression factory for one set of declared variables. */
export interface CelEnvironment {
  readonly variables: readonly string[];
  compile(source: string): Program;
}

/**
 * The environment declaring `variables` (dyn) plus the library variables. Environments are
 * cached by variable set: building one registers every library function.
 */
export function celEnvironment(variables: readonly string[] = ADMISSION_VARIABLES): CelEnvironment {
  const key = [...variables].sort().join(',');
  let env = environments.get(key);
  if (!env) {
    const lib = baseEnvironment().clone();
    for (const name of variables) if (!(name in LIBRARY_VARIABLES)) lib.registerVariable(name, 'dyn');
    for (const [name, type] of Object.entries(LIBRARY_VARIABLES)) lib.registerVariable(name, type);
    const declared = [...variables];
    env = { variables: declared, compile: (source) => compileWith(lib, source) };
    environments.set(key, env);
  }
  return env;
}

/** A type-checked, instrumented expression; `run` evaluates it under a cost budget. */
export interface Program {
  readonly source: string;
  run(activation: Readonly<Record<string, unknown>>, limits?: Partial<CostLimits>): unknown;
}

type Parsed = ((ctx: Record<string, unknown>) => unknown) & { ast: unknown; check(): { valid: boolean; error?: Error & { range?: { start: number } } } };

function offsetOf(err: unknown): number {
  const range = (err as { range?: { start?: number } }).range;
  return typeof range?.start === 'number' ? range.start : 0;
}

function compileWith(env: Environment, source: string): Program {
  const text = rewrite(source);
  let parsed: Parsed;
  try {
    parsed = env.parse(text) as unknown as Parsed;
  } catch (err) {
    if (err instanceof ParseError) throw new CelCompileError(`syntax error: ${firstLine(err.message)}`, source, offsetOf(err));
    throw new CelCompileError(`syntax error: ${firstLine((err as Error).message)}`, source, 0);
  }
  const checked = parsed.check();
  if (!checked.valid) {
    const err = checked.error;
    const message = err ? firstLine(err.message) : 'type error';
    const unknown = /^Unknown variable: (\S+)/.exec(message);
    throw new CelCompileError(unknown ? `undeclared reference to '${unknown[1]}'` : `type error: ${message}`, source, err ? offsetOf(err) : 0);
  }
  instrument(parsed.ast, relaxOrValue);
  return {
    source,
    run(activation, limits) {
      const budget = { cost: limits?.cost ?? DEFAULT_COST_LIMIT, timeMs: limits?.timeMs ?? DEFAULT_TIME_LIMIT_MS };
      try {
        return withBudget(budget, () => parsed(activation as Record<string, unknown>)).value;
      } catch (err) {
        throw runtimeError(err);
      }
    },
  };
}

interface Evaluator {
  run(ast: unknown, ctx: unknown): unknown;
}

/**
 * `x.orValue(d)` where `x` is not an optional returns `x`: Kyverno's policies rely on it
 * (`container.securityContext.capabilities.add.orValue([])`), and their tests expect it.
 */
function relaxOrValue(macro: Record<string, unknown>): void {
  if (macro.functionDesc !== 'optional.orValue(value)') return;
  macro.evaluate = (ev: Evaluator, m: { receiver: unknown; arg: unknown }, ctx: unknown): unknown => {
    const v = ev.run(m.receiver, ctx);
    if (v instanceof Optional) return v.hasValue() ? v.value() : ev.run(m.arg, ctx);
    return v;
  };
}

/** Library and handler errors as this module's error types (one line, no source excerpt). */
function runtimeError(err: unknown): Error {
  if (err instanceof CelCostError || err instanceof CelUnsupportedError || err instanceof CelEvalError) return err;
  if (err instanceof EvaluationError || err instanceof CelTypeError) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof CelCostError || cause instanceof CelUnsupportedError || cause instanceof CelEvalError) return cause;
    return new CelEvalError(firstLine(err.message));
  }
  if (err instanceof RangeError) return new CelCostError(`operation cancelled: ${err.message}`);
  return new CelEvalError(err instanceof Error ? firstLine(err.message) : String(err));
}
