import { describe, expect, it } from 'vitest';
import { durationSeconds, parseGoDuration } from '../../../src/policy/duration.ts';
import { formatGoFloat, goSprint, goTypeName, parseGoFloat, parseGoInt } from '../../../src/policy/pattern/gofmt.ts';
import { compareQuantities, parseQuantity } from '../../../src/policy/pattern/quantity.ts';

const NANO = 1_000_000_000n;

describe('parseQuantity', () => {
  it.each([
    ['0', 0n],
    ['1', NANO],
    ['1Gi', 1073741824n * NANO],
    ['1024Mi', 1073741824n * NANO],
    ['100m', 100_000_000n],
    ['0.1', 100_000_000n],
    ['.5', 500_000_000n],
    ['1.', NANO],
    ['1.5Gi', 1610612736n * NANO],
    ['.5Ki', 512n * NANO],
    ['1k', 1000n * NANO],
    ['1M', 1_000_000n * NANO],
    ['1G', 1_000_000_000n * NANO],
    ['1e3', 1000n * NANO],
    ['5e+3', 5000n * NANO],
    ['1e-3', 1_000_000n],
    ['1E', 10n ** 18n * NANO],
    ['1Ei', 2n ** 60n * NANO],
    ['-10Mi', -10n * 2n ** 20n * NANO],
    ['+5', 5n * NANO],
    ['250n', 250n],
    ['1u', 1000n],
    // finer than a nano-unit rounds up, away from zero
    ['0.1n', 1n],
    ['-0.1n', -1n],
    // Go's lenient corners: no digits means zero
    ['.', 0n],
    ['-', 0n],
    ['m', 0n],
    ['Mi', 0n],
    // more than 18 digits leaves the int64 fast path and is capped at 2^63-1 units
    ['100000000000000000000', (2n ** 63n - 1n) * NANO],
  ])('%s is %d nano-units', (s, want) => {
    expect(parseQuantity(s)).toBe(want);
  });

  it.each(['', '10Mb', '1 Gi', ' 1', '1K', '1ki', '1e', 'abc', '1.2.3', '5.10.84-1', 'v1', '1-', 'gii', '1m3', '1.5.5'])(
    '%j is not a quantity',
    (s) => {
      expect(parseQuantity(s)).toBeUndefined();
    },
  );

  it('orders quantities by value', () => {
    const q = (s: string) => parseQuantity(s)!;
    expect(compareQuantities(q('1Gi'), q('1000Mi'))).toBe(1);
    expect(compareQuantities(q('1G'), q('1Gi'))).toBe(-1);
    expect(compareQuantities(q('500m'), q('0.5'))).toBe(0);
  });
});

describe('parseGoDuration', () => {
  const S = 1_000_000_000n;
  it.each([
    ['0', 0n],
    ['+0', 0n],
    ['-0', 0n],
    ['1h30m', 5400n * S],
    ['1.5h', 5400n * S],
    ['-1.5h', -5400n * S],
    ['300ms', 300_000_000n],
    ['.5s', 500_000_000n],
    ['1.s', S],
    ['1µs', 1000n],
    ['1μs', 1000n],
    ['1us', 1000n],
    ['7ns', 7n],
    ['2h45m30.5s', 9930n * S + 500_000_000n],
    ['2562047h', 2562047n * 3600n * S],
  ])('%s is %d ns', (s, want) => {
    expect(parseGoDuration(s)).toBe(want);
  });

  it.each(['', '1', '-', '.s', '1h-2m', '1 h', '1d', '12', '2562048h', 'abc', '1.5'])('%j is not a duration', (s) => {
    expect(parseGoDuration(s)).toBeUndefined();
  });

  it('gives seconds as Go does', () => {
    expect(durationSeconds(parseGoDuration('1m30.25s')!)).toBe(90.25);
  });
});

describe('Go formatting and parsing', () => {
  it.each([
    [1.5, 'g', '1.5'],
    [1e6, 'g', '1e+06'],
    [123456.5, 'g', '123456.5'],
    [1234567.5, 'g', '1.2345675e+06'],
    [0.0001, 'g', '0.0001'],
    [0.00001, 'g', '1e-05'],
    [1.5, 'E', '1.5E+00'],
    [123456.5, 'E', '1.234565E+05'],
    [1e100, 'E', '1E+100'],
    [-2.5, 'E', '-2.5E+00'],
    [1.5, 'f', '1.500000'],
    [1e21, 'f', '1000000000000000000000.000000'],
  ] as const)('formats %d with %s as %s', (x, fmt, want) => {
    expect(formatGoFloat(x, fmt)).toBe(want);
  });

  it('prints values like fmt.Sprint', () => {
    expect(goSprint({ b: 1, a: [1, 'x', null], c: { d: true } })).toBe('map[a:[1 x <nil>] b:1 c:map[d:true]]');
    expect(goSprint(3.14)).toBe('3.14');
    expect(goSprint(64)).toBe('64');
    expect(goSprint(undefined)).toBe('<nil>');
  });

  it('names types like %T', () => {
    expect([null, 'a', true, 1, 1.5, [], {}].map(goTypeName)).toEqual([
      '<nil>',
      'string',
      'bool',
      'int64',
      'float64',
      '[]interface {}',
      'map[string]interface {}',
    ]);
  });

  it('parses like strconv', () => {
    expect(parseGoInt('+42')).toBe(42);
    expect(parseGoInt('-7')).toBe(-7);
    expect(parseGoInt('4.0')).toBeUndefined();
    expect(parseGoInt('99999999999999999999')).toBeUndefined();
    expect(parseGoFloat('8.1')).toBe(8.1);
    expect(parseGoFloat('1e3')).toBe(1000);
    expect(parseGoFloat('.5')).toBe(0.5);
    expect(parseGoFloat('Inf')).toBe(Infinity);
    expect(parseGoFloat('0x1p-2')).toBe(0.25);
    expect(parseGoFloat('1e400')).toBeUndefined();
    expect(parseGoFloat('1_000')).toBeUndefined();
    expect(parseGoFloat('abc')).toBeUndefined();
  });
});
