/**
 * cel-go's math extension (`math.greatest`, `math.least`, `math.ceil`, `math.floor`,
 * `math.round`, `math.trunc`, `math.abs`, `math.sign`, `math.isInf`, `math.isNaN`,
 * `math.isFinite`, `math.sqrt`) plus Kyverno's `math.round(double, int)`, and the encoders
 * extension (`base64.encode`, `base64.decode`).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { CelEvalError } from '../errors.ts';
import { listOf } from '../values.ts';
import { celCompare } from './equality.ts';

export class MathNamespace {}
export class Base64Namespace {}

function extreme(values: unknown[], sign: 1 | -1, name: string): unknown {
  if (values.length === 0) throw new CelEvalError(`math.${name}() requires at least one argument`);
  let best = values[0];
  for (const v of values.slice(1)) if (celCompare(v, best) * sign > 0) best = v;
  return best;
}

/** Go's math.Round: half away from zero. */
function roundHalfAway(n: number): number {
  return n < 0 ? -Math.round(-n) : Math.round(n);
}

export function registerMath(env: Environment): void {
  env
    .registerType('MathNamespace', MathNamespace)
    .registerConstant('math', 'MathNamespace', new MathNamespace())
    .registerType('Base64Namespace', Base64Namespace)
    .registerConstant('base64', 'Base64Namespace', new Base64Namespace());
  for (const [name, sign] of [['greatest', 1], ['least', -1]] as const) {
    env
      .registerFunction(`MathNamespace.${name}(dyn): dyn`, (_ns: MathNamespace, a: unknown) => (Array.isArray(a) ? extreme(listOf(a), sign, name) : a))
      .registerFunction(`MathNamespace.${name}(dyn, dyn): dyn`, (_ns: MathNamespace, a: unknown, b: unknown) => extreme([a, b], sign, name))
      .registerFunction(`MathNamespace.${name}(dyn, dyn, dyn): dyn`, (_ns: MathNamespace, a: unknown, b: unknown, c: unknown) => extreme([a, b, c], sign, name))
      .registerFunction(`MathNamespace.${name}(dyn, dyn, dyn, dyn): dyn`, (_ns: MathNamespace, a: unknown, b: unknown, c: unknown, d: unknown) => extreme([a, b, c, d], sign, name));
  }
  const unary: [string, (n: number) => number][] = [
    ['ceil', Math.ceil],
    ['floor', Math.floor],
    ['round', roundHalfAway],
    ['trunc', Math.trunc],
    ['sqrt', Math.sqrt],
  ];
  for (const [name, fn] of unary) env.registerFunction(`MathNamespace.${name}(double): double`, (_ns: MathNamespace, n: number) => fn(n));
  env
    .registerFunction('MathNamespace.round(double, int): double', (_ns: MathNamespace, n: number, digits: bigint) => {
      const f = 10 ** Number(digits);
      return roundHalfAway(n * f) / f;
    })
    .registerFunction('MathNamespace.abs(int): int', (_ns: MathNamespace, n: bigint) => (n < 0n ? -n : n))
    .registerFunction('MathNamespace.abs(double): double', (_ns: MathNamespace, n: number) => Math.abs(n))
    .registerFunction('MathNamespace.sign(int): int', (_ns: MathNamespace, n: bigint) => (n > 0n ? 1n : n < 0n ? -1n : 0n))
    .registerFunction('MathNamespace.sign(double): double', (_ns: MathNamespace, n: number) => Math.sign(n))
    .registerFunction('MathNamespace.isInf(double): bool', (_ns: MathNamespace, n: number) => n === Infinity || n === -Infinity)
    .registerFunction('MathNamespace.isNaN(double): bool', (_ns: MathNamespace, n: number) => Number.isNaN(n))
    .registerFunction('MathNamespace.isFinite(double): bool', (_ns: MathNamespace, n: number) => Number.isFinite(n))
    .registerFunction('Base64Namespace.encode(bytes): string', (_ns: Base64Namespace, b: Uint8Array) => Buffer.from(b).toString('base64'))
    .registerFunction('Base64Namespace.decode(string): bytes', (_ns: Base64Namespace, s: string) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new CelEvalError('illegal base64 data');
      return new Uint8Array(Buffer.from(s, 'base64'));
    });
}
