import { describe, expect, it } from 'vitest';
import { CONDITION_OPERATORS, findOperator, operatorHandler } from '../../../src/policy/conditions/operators/index.ts';
import { RuleError } from '../../../src/policy/types.ts';

type Row = [key: unknown, value: unknown, want: boolean];

function table(operator: string, rows: Row[]): void {
  const handler = operatorHandler(operator);
  it.each(rows)(`${operator}(%j, %j) → %s`, (key, value, want) => {
    expect(handler(key, value)).toBe(want);
  });
}

describe('operator table', () => {
  it('knows every Kyverno operator, deprecated spellings included', () => {
    expect(CONDITION_OPERATORS.map((o) => o.name).sort()).toEqual(
      [
        'AllIn',
        'AllNotIn',
        'AnyIn',
        'AnyNotIn',
        'DurationGreaterThan',
        'DurationGreaterThanOrEquals',
        'DurationLessThan',
        'DurationLessThanOrEquals',
        'Equal',
        'Equals',
        'GreaterThan',
        'GreaterThanOrEquals',
        'In',
        'LessThan',
        'LessThanOrEquals',
        'NotEqual',
        'NotEquals',
        'NotIn',
      ].sort(),
    );
    expect(findOperator('In')?.deprecatedFor).toEqual(['AllIn', 'AnyIn']);
  });

  it('matches names case-insensitively', () => {
    expect(findOperator('EQUALS')?.name).toBe('Equals');
    expect(findOperator('anynotin')?.name).toBe('AnyNotIn');
    expect(operatorHandler('greaterthan')(2, 1)).toBe(true);
  });

  it('rejects an unknown operator with RuleError INVALID', () => {
    expect(() => operatorHandler('Contains')).toThrow(RuleError);
    try {
      operatorHandler('InvalidOp');
    } catch (e) {
      expect((e as RuleError).code).toBe('INVALID');
    }
    expect(() => operatorHandler(undefined)).toThrow(RuleError);
  });
});

describe('Equals', () => {
  table('Equals', [
    [true, true, true],
    [false, false, true],
    [true, false, false],
    [true, 'true', false],
    [42, 42, true],
    [42, 43, false],
    [42, 42.5, false],
    [42, '42', true],
    [42, 'invalid', false],
    [42, '42.0', false],
    [3.14, 3.14, true],
    [3.14, 2.71, false],
    [3.14, '3.14', true],
    [3.14, 'invalid', false],
    ['hello', 'hello', true],
    ['hello', 'world', false],
    ['hello-world', 'hello-*', true],
    ['goodbye-world', 'hello-*', false],
    ['hello', '*', true],
    // wildcards only in the value
    ['hello-*', 'hello-world', false],
    // a numeric value compares with the string key as a number, both ways
    ['5', 5, true],
    ['5', 5.0, true],
    ['5', 6, false],
    ['abc', 5, false],
    ['hello', 123, false],
    // quantities
    ['100Mi', '100Mi', true],
    ['1Gi', '1024Mi', true],
    ['100Mi', '200Mi', false],
    ['100Mi', 'not-a-quantity', false],
    ['123', '1*', false],
    ['1.20', '1.2', true],
    // durations; a number is seconds, the string "0" is not a duration
    ['1h', '60m', true],
    ['1h', '30m', false],
    ['5m', 300, true],
    ['1h', 3600.9, true],
    ['0s', '0', false],
    [300, '5m', false],
    // maps and lists compare structurally
    [{ foo: 'bar' }, { foo: 'bar' }, true],
    [{ foo: 'bar' }, { foo: 'baz' }, false],
    [{ foo: 'bar' }, 'not a map', false],
    [['a', 'b', 'c'], ['a', 'b', 'c'], true],
    [['a', 'b', 'c'], ['a', 'b', 'd'], false],
    [['a', 'b', 'c'], ['a', 'b'], false],
    [['a'], 'a', false],
    [[{ a: [1, 2] }], [{ a: [1, 2] }], true],
    // an unsupported key type is never equal
    [null, null, false],
    [undefined, 'x', false],
  ]);
});

describe('NotEquals', () => {
  table('NotEquals', [
    [true, false, true],
    [true, true, false],
    [true, 'true', true],
    [42, 43, true],
    [5, 5.5, true],
    [42, 'invalid', true],
    [3.14, 2.71, true],
    ['hello', 'world', true],
    ['hello-world', 'hello-*', false],
    ['5', 5, false],
    ['5', 6, true],
    ['abc', 5, true],
    ['100Mi', 'not-a-quantity', true],
    ['1Gi', '1024Mi', false],
    ['1h', '30m', true],
    [{ foo: 'bar' }, { foo: 'baz' }, true],
    [{ foo: 'bar' }, 'x', true],
    [['a', 'b'], ['a', 'c'], true],
    [['a', 'b'], ['a', 'b'], false],
    [null, 'x', false],
  ]);

  it('accepts the deprecated Equal/NotEqual spellings', () => {
    expect(operatorHandler('Equal')('a', 'a')).toBe(true);
    expect(operatorHandler('NotEqual')('a', 'a')).toBe(false);
  });
});

describe('In / NotIn (deprecated)', () => {
  table('In', [
    ['apple', ['apple', 'banana', 'cherry'], true],
    ['grape', ['apple', 'banana', 'cherry'], false],
    ['apple', [], false],
    ['hello', 'hello', true],
    ['hello-world', 'hello-*', true],
    ['goodbye-world', 'hello-*', false],
    ['apple', '["apple", "banana", "cherry"]', true],
    ['grape', '["apple", "banana", "cherry"]', false],
    ['a', 'not-valid-json', false],
    [42, ['42', '43', '44'], true],
    [99, ['42', '43', '44'], false],
    [3.14, ['3.14', '2.71'], true],
    [true, ['true', 'false'], true],
    // wildcards in either direction for a scalar key
    ['hello-world', ['hello-*', 'goodbye'], true],
    ['hello-*', ['hello-world', 'goodbye'], true],
    // a list key: every element, exactly
    [['apple', 'banana'], ['apple', 'banana', 'cherry'], true],
    [['apple', 'grape'], ['apple', 'banana', 'cherry'], false],
    [['apple', 'banana'], '["apple", "banana", "cherry"]', true],
    [['test'], 'test', true],
    [['other'], 'test', false],
    [['a'], ['a', 123], false],
    [['app*'], ['apple'], false],
    [[], ['a'], true],
    [{ foo: 'bar' }, ['a', 'b'], false],
    ['apple', 12345, false],
  ]);

  table('NotIn', [
    ['grape', ['apple', 'banana'], true],
    ['apple', ['apple', 'banana'], false],
    ['a', 'not-valid-json', false],
    ['grape', '["apple"]', true],
    [['a', 'd'], ['a', 'b', 'c'], true],
    [['a', 'b'], ['a', 'b', 'c'], false],
    [[], ['a'], false],
    // Kyverno's shortcut: a one-element key equal to the string value counts as "in" for NotIn too
    [['a'], 'a', true],
    ['x', 5, false],
  ]);
});

describe('AnyIn / AllIn / AnyNotIn / AllNotIn', () => {
  table('AnyIn', [
    ['kyverno', 'kyverno', true],
    ['kube-system', ['default', 'kube-*'], true],
    ['kyverno', 'default', false],
    [64, '64', true],
    [1, [1, 2, 3], true],
    [64, 'default', false],
    [3.14, '3.14', true],
    [2.2, [1.1, 2.2, 3.3], true],
    [true, 'true', true],
    [['kube-system', 'kube-public'], 'kube-*', true],
    [['kube-system', 'default'], 'kube-system', true],
    [['default', 'kyverno'], 'kube-*', false],
    [['default', 'kyverno'], ['kube-*', 'ky*'], true],
    [['default', 'kyverno'], ['kube-*', 'kube-system'], false],
    [[], ['default', 'kyverno'], false],
    ['', ['default', 'kyverno'], false],
    [{ foo: 'bar' }, 'test', false],
    [null, ['a'], false],
    // wildcard in the key matches list values too
    ['ky*', ['kyverno'], true],
    // JSON arrays inside strings, exact match
    ['b', '["a", "b"]', true],
    ['c', '["a", "b"]', false],
    [['b', 'x'], '["a", "b"]', true],
    // a string that is JSON but not a string array is an invalid value
    ['6', '5', false],
    // ranges
    ['5', '1-10', true],
    [5, '1-10', true],
    [11, '1-10', false],
    ['256Mi', '128Mi-512Mi', true],
    [[11, 5], '1-10', true],
    [[11, 12], '1-10', false],
    // numbers and bools as values of a list key
    [[1, 2, 3], 2, true],
    [[true, false], true, true],
    // a scalar key against a number value is an invalid type
    ['2', 2, false],
  ]);

  table('AllIn', [
    ['kyverno', 'kyverno', true],
    ['kube-system', ['default', 'kube-*'], true],
    ['kyverno', 'default', false],
    [['kube-system', 'kube-public'], 'kube-*', true],
    [['kube-system', 'default'], 'kube-system', false],
    [['default', 'kyverno'], ['default', 'ky*'], true],
    [['default', 'kyverno'], ['kube-*', 'ky*'], false],
    [[], ['a'], true],
    [[5, 7], '1-10', true],
    [[5, 11], '1-10', false],
    [['a', 'b'], '["a", "b", "c"]', true],
    [['a', 'z'], '["a", "b", "c"]', false],
  ]);

  table('AnyNotIn', [
    ['kyverno', 'kyverno', false],
    ['kube-system', ['default', 'kube-*'], false],
    ['kyverno', 'default', true],
    [64, '64', false],
    [1, [1, 2, 3], false],
    [64, 'default', true],
    [3.14, '3.14', false],
    [2.2, [1.1, 2.2, 3.3], false],
    [3.14, 'default', true],
    [true, true, false],
    [['kube-system', 'kube-public'], 'kube-*', false],
    [['kube-system', 'default'], 'kube-system', true],
    [['default', 'kyverno'], 'kube-*', true],
    [[1, 2, 3], 2, true],
    [[1, 2, 3], 4, true],
    [[1.1, 2.2, 3.3], 1.1, true],
    [[true, false], true, true],
    [[true], false, true],
    [['default', 'kyverno'], ['kube-*', 'kube-system'], true],
    [['default', 'kyverno'], ['kube-*', 'ky*'], true],
    [[], ['default', 'kyverno'], false],
    ['', ['default', 'kyverno'], true],
    [['kyverno'], 'kyverno', false],
    // ranges: AnyNotIn asks whether some key is outside
    ['11', '1-10', true],
    ['5', '1-10', false],
    [[5, 11], '1-10', true],
    [[5, 6], '1-10', false],
  ]);

  table('AllNotIn', [
    ['kyverno', 'kyverno', false],
    ['kube-system', ['default', 'kube-*'], false],
    ['kyverno', 'default', true],
    [64, '64', false],
    [64, 'default', true],
    [['kube-system', 'kube-public'], 'kube-*', false],
    [['kube-system', 'default'], 'kube-system', false],
    [['default', 'kyverno'], 'kube-*', true],
    [['default', 'kyverno'], ['kube-*', 'kube-system'], true],
    [['default', 'kyverno'], ['kube-*', 'ky*'], false],
    [[], ['a'], true],
    [[11, 12], '1-10', true],
    [[5, 12], '1-10', false],
    ['11', '1-10', true],
  ]);
});

describe('numeric operators', () => {
  table('GreaterThan', [
    [10, 5, true],
    [5, 10, false],
    [5, 5, false],
    [10.5, 10.4, true],
    ['100', 50, true],
    [100, '50', true],
    [100, '5e1', true],
    ['1.2.3', '1.2.2', true],
    ['1.10.0', '1.9.2', true],
    ['1.2.3', '1.2.3-rc.1', true],
    ['200Mi', '100Mi', true],
    ['1Gi', '1000Mi', true],
    ['1Gi', '1', true],
    ['1', '1Gi', false],
    ['2h', '90m', true],
    ['2h', 3600, true],
    [7200, '1h', true],
    [true, 5, false],
    ['not-a-number', 5, false],
    [null, 5, false],
    [5, null, false],
    ['1Gi', 1, false],
    ['v1.2.3', 'v1.2.2', false],
  ]);
  table('GreaterThanOrEquals', [
    [10, 10, true],
    ['500m', '0.5', true],
    ['1.2.0', '1.2.0', true],
    ['1h', '60m', true],
    [9, 10, false],
  ]);
  table('LessThan', [
    [5, 10, true],
    [10.4, 10.5, true],
    ['50', '100', true],
    ['1.1.0', '1.2.0', true],
    ['1Gi', '2Gi', true],
    ['1.0.0-alpha', '1.0.0-alpha.1', true],
    ['1.0.0-alpha.beta', '1.0.0-beta', true],
    ['1.0.0-2', '1.0.0-11', true],
    ['1.0.0-11', '1.0.0-rc', true],
    ['30m', '1h', true],
    [10, 5, false],
  ]);
  table('LessThanOrEquals', [
    [5, 5, true],
    ['1.2.3+build', '1.2.3', true],
    [6, 5, false],
  ]);
});

describe('duration operators', () => {
  table('DurationGreaterThan', [
    ['2h', '1h', true],
    ['1h', '2h', false],
    ['1h', '1h', false],
    ['60m', '1h', false],
    ['61m', '1h', true],
    [120, 60, true],
    [120, '1m', true],
    [120.5, 60.5, true],
    ['2m', 60, true],
    ['invalid', 60, false],
    ['1h', 'invalid', false],
    ['1h', true, false],
    [true, false, false],
  ]);
  table('DurationGreaterThanOrEquals', [
    ['1h', '60m', true],
    ['30m', '1h', false],
    [60, 60, true],
    // fractions of a second are dropped before comparing
    [60.9, 60, true],
    [60, 60.9, true],
  ]);
  table('DurationLessThan', [
    ['30m', '1h', true],
    ['1h', '60m', false],
    [30, 60, true],
  ]);
  table('DurationLessThanOrEquals', [
    ['1h', '60m', true],
    ['2h', '1h', false],
  ]);
});
