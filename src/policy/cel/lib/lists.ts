/**
 * List and set functions of the Kubernetes CEL environment:
 *
 * - Kubernetes' lists library: `isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`.
 * - cel-go's lists extension: `slice`, `flatten`, `distinct`, `reverse`, `sort`, `first`, `last`,
 *   `lists.range`.
 * - cel-go's sets extension: `sets.contains`, `sets.equivalent`, `sets.intersects`.
 * - `optional.ofNonZeroValue`.
 */
import { Optional, type Environment } from '@marcbachmann/cel-js';
import { charge } from '../cost.ts';
import { CelEvalError } from '../errors.ts';
import { celTypeName, listOf } from '../values.ts';
import { celCompare, celEquals } from './equality.ts';

export class ListsNamespace {}
export class SetsNamespace {}

/** The sum of CEL numbers of one type (int, uint or double), as the lists library requires. */
function sum(list: unknown[]): unknown {
  if (list.length === 0) return 0n;
  let total: unknown = list[0];
  for (const v of list.slice(1)) {
    if (typeof total === 'bigint' && typeof v === 'bigint') total += v;
    else if (typeof total === 'number' && typeof v === 'number') total += v;
    else throw new CelEvalError(`no such overload: sum of ${celTypeName(total)} and ${celTypeName(v)}`);
  }
  return total;
}

function extreme(list: unknown[], sign: 1 | -1, name: string): unknown {
  if (list.length === 0) throw new CelEvalError(`${name} called on empty list`);
  let best = list[0];
  for (const v of list.slice(1)) if (celCompare(v, best) * sign > 0) best = v;
  return best;
}

function flatten(list: unknown[], depth: number): unknown[] {
  if (depth < 0) throw new CelEvalError('level must be non-negative');
  const out: unknown[] = [];
  for (const v of list) {
    if ((Array.isArray(v) || v instanceof Set) && depth > 0) out.push(...flatten(listOf(v), depth - 1));
    else out.push(v);
  }
  charge(out.length);
  return out;
}

function distinct(list: unknown[]): unknown[] {
  charge(list.length * list.length > 100 ? Math.ceil((list.length * list.length) / 10) : 0);
  const out: unknown[] = [];
  for (const v of list) if (!out.some((x) => celEquals(x, v))) out.push(v);
  return out;
}

function sorted(list: unknown[]): unknown[] {
  charge(list.length);
  return [...list].sort(celCompare);
}

/** sets.contains: every element of `b` is in `a`. */
function contains(a: unknown[], b: unknown[]): boolean {
  charge(Math.ceil((a.length * b.length) / 10));
  return b.every((x) => a.some((y) => celEquals(x, y)));
}

export function registerLists(env: Environment): void {
  env
    .registerType('ListsNamespace', ListsNamespace)
    .registerConstant('lists', 'ListsNamespace', new ListsNamespace())
    .registerType('SetsNamespace', SetsNamespace)
    .registerConstant('sets', 'SetsNamespace', new SetsNamespace())
    .registerFunction('list.isSorted(): bool', (l: unknown[]) => {
      const list = listOf(l);
      for (let i = 1; i < list.length; i++) if (celCompare(list[i - 1], list[i]) > 0) return false;
      return true;
    })
    .registerFunction('list.sum(): dyn', (l: unknown[]) => sum(listOf(l)))
    .registerFunction('list.min(): dyn', (l: unknown[]) => extreme(listOf(l), -1, 'min'))
    .registerFunction('list.max(): dyn', (l: unknown[]) => extreme(listOf(l), 1, 'max'))
    .registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(listOf(l).findIndex((x) => celEquals(x, v))))
    .registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(listOf(l).findLastIndex((x) => celEquals(x, v))))
    .registerFunction('list.slice(int, int): list', (l: unknown[], start: bigint, end: bigint) => {
      const list = listOf(l);
      const s = Number(start);
      const e = Number(end);
      if (s < 0 || e < 0) throw new CelEvalError(`cannot slice(${s}, ${e}), negative indexes not supported`);
      if (s > e) throw new CelEvalError(`cannot slice(${s}, ${e}), start index must be less than or equal to end index`);
      if (e > list.length) throw new CelEvalError(`cannot slice(${s}, ${e}), list is length ${list.length}`);
      return list.slice(s, e);
    })
    .registerFunction('list.flatten(): list', (l: unknown[]) => flatten(listOf(l), 1))
    .registerFunction('list.flatten(int): list', (l: unknown[], depth: bigint) => flatten(listOf(l), Number(depth)))
    .registerFunction('list.distinct(): list', (l: unknown[]) => distinct(listOf(l)))
    .registerFunction('list.reverse(): list', (l: unknown[]) => [...listOf(l)].reverse())
    .registerFunction('list.sort(): list', (l: unknown[]) => sorted(listOf(l)))
    .registerFunction('list.first(): optional', (l: unknown[]) => Optional.of(listOf(l)[0]))
    .registerFunction('list.last(): optional', (l: unknown[]) => Optional.of(listOf(l).at(-1)))
    .registerFunction('ListsNamespace.range(int): list<int>', (_ns: ListsNamespace, n: bigint) => {
      charge(Number(n));
      return Array.from({ length: Math.max(0, Number(n)) }, (_, i) => BigInt(i));
    })
    .registerFunction('SetsNamespace.contains(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => contains(listOf(a), listOf(b)))
    .registerFunction('SetsNamespace.equivalent(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => contains(listOf(a), listOf(b)) && contains(listOf(b), listOf(a)))
    .registerFunction('SetsNamespace.intersects(list, list): bool', (_ns: SetsNamespace, a: unknown[], b: unknown[]) => {
      charge(Math.ceil((listOf(a).length * listOf(b).length) / 10));
      return listOf(a).some((x) => listOf(b).some((y) => celEquals(x, y)));
    })
    .registerFunction('OptionalNamespace.ofNonZeroValue(dyn): optional', (_ns: unknown, v: unknown) => (isZero(v) ? Optional.none() : Optional.of(v)));
}

function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0 || v === 0n) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Uint8Array) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) return Object.keys(v).length === 0;
  return false;
}
