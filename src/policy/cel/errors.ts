/**
 * CEL errors, by when they happen:
 *
 * - `CelCompileError`: the expression does not parse or type-check. Reported at load time with
 *   the policy, the field, the expression and the 1-based line:column.
 * - `CelEvalError`: evaluation failed (missing key, no overload for the runtime types, a bad
 *   argument). The validation that ran it reports `error`; the others still run.
 * - `CelUnsupportedError`: a library function this engine cannot run offline (an API server
 *   lookup without provided values, the authorizer…). Its message is `unsupported: <function>`.
 * - `CelCostError` (cost.ts): the expression went over its cost or time budget.
 */
import type { PalisadeErrorCode } from '../../core/errors.ts';

export class CelCompileError extends Error {
  readonly expression: string;
  readonly line: number;
  readonly column: number;

  constructor(message: string, expression: string, offset: number) {
    const { line, column } = position(expression, offset);
    super(`${message} at ${line}:${column} in ${JSON.stringify(expression)}`);
    this.name = 'CelCompileError';
    this.expression = expression;
    this.line = line;
    this.column = column;
  }
}

export class CelEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelEvalError';
  }
}

export class CelUnsupportedError extends Error {
  readonly feature: string;
  /** What callers act on when they know the cause (REGISTRY_ACCESS_REQUIRED: the CLI's --registry hint). */
  readonly code?: PalisadeErrorCode;

  constructor(feature: string, detail?: string, code?: PalisadeErrorCode) {
    super(`unsupported: ${feature}${detail ? ` (${detail})` : ''}`);
    this.name = 'CelUnsupportedError';
    this.feature = feature;
    if (code !== undefined) this.code = code;
  }
}

/** 1-based line and column of a character offset. */
export function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.max(0, Math.min(offset, text.length));
  for (let i = 0; i < end; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: end - start + 1 };
}
