import { describe, expect, it } from 'vitest';
import { isRecord, nestValue, stableJson, stringItems } from '../../src/core/json.ts';

describe('isRecord', () => {
  it.each([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [null, false],
    ['{}', false],
    [1, false],
    [undefined, false],
  ])('%j → %s', (value, expected) => {
    expect(isRecord(value)).toBe(expected);
  });
});

describe('stableJson', () => {
  it('gives the same text whatever order the keys came in, at every depth', () => {
    const a = { image: 'x', attestor: { keys: { publicKey: 'k', rekor: { url: 'u' } }, count: 1 } };
    const b = { attestor: { count: 1, keys: { rekor: { url: 'u' }, publicKey: 'k' } }, image: 'x' };
    expect(stableJson(a)).toBe(stableJson(b));
    expect(stableJson(a)).toBe('{"attestor":{"count":1,"keys":{"publicKey":"k","rekor":{"url":"u"}}},"image":"x"}');
  });

  it('keeps array order and tells values apart', () => {
    expect(stableJson([{ b: 1, a: 2 }, 3])).toBe('[{"a":2,"b":1},3]');
    expect(stableJson([1, 2])).not.toBe(stableJson([2, 1]));
    expect(stableJson({ a: 1 })).not.toBe(stableJson({ a: '1' }));
  });

  it('leaves out undefined fields and writes a bigint as its decimal string', () => {
    expect(stableJson({ b: undefined, a: 1 })).toBe('{"a":1}');
    expect(stableJson({ n: 12345678901234567890n })).toBe('{"n":"12345678901234567890"}');
  });
});

describe('stringItems', () => {
  it('keeps the strings of an array and nothing of anything else', () => {
    expect(stringItems(['get', 1, null, 'list', { verb: 'x' }])).toEqual(['get', 'list']);
    expect(stringItems('get')).toEqual([]);
    expect(stringItems(undefined)).toEqual([]);
  });
});

describe('nestValue', () => {
  it('nests a value under each key of the path, outermost first', () => {
    expect(nestValue(['request', 'object', 'name'], 'x')).toEqual({ request: { object: { name: 'x' } } });
    expect(nestValue([], 5)).toBe(5);
  });
});
