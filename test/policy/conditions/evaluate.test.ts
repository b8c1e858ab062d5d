import { describe, expect, it, vi } from 'vitest';
import { evaluateCondition, evaluateConditions, type Substitute } from '../../../src/policy/conditions/evaluate.ts';
import type { Condition } from '../../../src/policy/types.ts';
import { RuleError } from '../../../src/policy/types.ts';

/** A tiny stand-in for the variables module: `{{ name }}` looks up `vars`, everything else passes through. */
function substituteFrom(vars: Record<string, unknown>): Substitute {
  return (value) => {
    if (typeof value !== 'string') return value;
    const m = /^\{\{\s*([\w.]+)\s*\}\}$/.exec(value);
    if (!m) return value;
    if (!(m[1]! in vars)) throw new RuleError('VARIABLE', `variable ${m[1]} not found`);
    return vars[m[1]!];
  };
}

const vars = { kind: 'Service', type: 'NodePort', replicas: 3, namespace: 'kube-system', labels: ['a', 'b'] };
const sub = substituteFrom(vars);

const yes = (message?: string): Condition => ({ key: '{{ type }}', operator: 'Equals', value: 'NodePort', message });
const no = (message?: string): Condition => ({ key: '{{ type }}', operator: 'Equals', value: 'ClusterIP', message });

describe('evaluateCondition', () => {
  it('substitutes key and value before comparing', () => {
    expect(evaluateCondition({ key: '{{ replicas }}', operator: 'GreaterThanOrEquals', value: 2 }, sub)).toBe(true);
    expect(evaluateCondition({ key: '{{ namespace }}', operator: 'AnyIn', value: ['kube-*', 'kyverno'] }, sub)).toBe(true);
    expect(evaluateCondition({ key: 'NodePort', operator: 'Equals', value: '{{ type }}' }, sub)).toBe(true);
    expect(evaluateCondition({ key: '{{ labels }}', operator: 'AllIn', value: ['a', 'b', 'c'] }, sub)).toBe(true);
  });

  it('substitutes the key first, then the value', () => {
    const seen: unknown[] = [];
    evaluateCondition({ key: 'k', operator: 'Equals', value: 'v' }, (x) => (seen.push(x), x));
    expect(seen).toEqual(['k', 'v']);
  });

  it('passes null for a missing value', () => {
    const seen: unknown[] = [];
    evaluateCondition({ key: 'k', operator: 'Equals' }, (x) => (seen.push(x), x));
    expect(seen).toEqual(['k', null]);
  });

  it('lets substitution errors propagate', () => {
    expect(() => evaluateCondition({ key: '{{ missing }}', operator: 'Equals', value: 'x' }, sub)).toThrow(/missing not found/);
  });

  it('reports an unknown operator as RuleError INVALID, after substitution', () => {
    expect(() => evaluateCondition({ key: 'a', operator: 'Matches', value: 'a' }, sub)).toThrow(RuleError);
    expect(() => evaluateCondition({ key: '{{ missing }}', operator: 'Matches', value: 'a' }, sub)).toThrow(/missing not found/);
  });
});

describe('evaluateConditions', () => {
  it('treats absent conditions as passed', () => {
    expect(evaluateConditions(undefined, sub)).toEqual({ passed: true });
    expect(evaluateConditions(null, sub)).toEqual({ passed: true });
    expect(evaluateConditions({}, sub)).toEqual({ passed: true });
  });

  it.each<[string, Parameters<typeof evaluateConditions>[0], boolean]>([
    ['all true', { all: [yes(), yes()] }, true],
    ['all with one false', { all: [yes(), no()] }, false],
    ['any with one true', { any: [no(), yes()] }, true],
    ['any all false', { any: [no(), no()] }, false],
    ['both blocks hold', { any: [no(), yes()], all: [yes()] }, true],
    ['any holds, all fails', { any: [yes()], all: [no()] }, false],
    ['all holds, any fails', { any: [no()], all: [yes()] }, false],
    ['empty all holds', { all: [] }, true],
    ['empty any never holds', { any: [] }, false],
    ['null any is absent', { any: null as unknown as Condition[], all: [yes()] }, true],
    ['legacy list all true', [yes(), yes()], true],
    ['legacy list one false', [yes(), no()], false],
    ['empty legacy list', [], true],
  ])('%s', (_name, conditions, passed) => {
    expect(evaluateConditions(conditions, sub).passed).toBe(passed);
  });

  it('stops `any` at the first true condition and `all` at the first false one', () => {
    const spy = vi.fn(sub);
    evaluateConditions({ any: [yes(), { key: '{{ missing }}', operator: 'Equals', value: 'x' }] }, spy);
    expect(spy).toHaveBeenCalledTimes(2); // key and value of the first condition only
    spy.mockClear();
    evaluateConditions({ all: [no(), { key: '{{ missing }}', operator: 'Equals', value: 'x' }] }, spy);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('still evaluates `all` when `any` failed, so its errors surface', () => {
    expect(() => evaluateConditions({ any: [no()], all: [{ key: '{{ missing }}', operator: 'Equals', value: 'x' }] }, sub)).toThrow(RuleError);
  });

  it('reports the messages of the conditions that decided', () => {
    expect(evaluateConditions({ any: [no('not clusterip'), no('still not')] }, sub)).toEqual({
      passed: false,
      failedMessage: 'not clusterip; still not',
    });
    expect(evaluateConditions({ any: [no('a'), yes('is nodeport')], all: [yes('b'), yes()] }, sub)).toEqual({
      passed: true,
      passedMessage: 'is nodeport; b',
    });
    expect(evaluateConditions({ all: [yes('ok'), no('bad'), no('never reached')] }, sub)).toEqual({ passed: false, failedMessage: 'bad' });
    expect(evaluateConditions({ all: [yes(), yes()] }, sub)).toEqual({ passed: true });
  });

  it('joins legacy-list messages with ";"', () => {
    expect(evaluateConditions([yes('one'), yes('two')], sub)).toEqual({ passed: true, passedMessage: 'one;two' });
    expect(evaluateConditions([yes('one'), no('two')], sub)).toEqual({ passed: false, failedMessage: 'two' });
  });
});
