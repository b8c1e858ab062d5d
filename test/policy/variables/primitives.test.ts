import { describe, expect, it } from 'vitest';
import { durationFromSeconds, formatGoDuration, parseGoDuration } from '../../../src/policy/duration.ts';
import { compareUtf8, goJson, jsonEqual } from '../../../src/policy/variables/gojson.ts';
import { compileGoRegex, GoRegexError, goRegexMatch, goReplaceAll } from '../../../src/core/goregex.ts';
import { civil, formatRFC3339, parseGoTime, RFC3339, TimeParseError, truncateTime } from '../../../src/policy/variables/gotime.ts';
import { extractImages, imageInfo, ImageReferenceError, normalizeImage } from '../../../src/policy/variables/image.ts';
import {
  addQuantities,
  divideQuantityRoundDown,
  formatQuantity,
  multiplyQuantities,
  parseQuantity,
  quantityToNumber,
} from '../../../src/policy/variables/quantity.ts';
import { RandomPatternError, randomFromPattern } from '../../../src/policy/variables/random.ts';
import { compareSemVer, parseSemVer, parseSemVerRange, SemVerError } from '../../../src/policy/variables/semver.ts';

const q = (s: string) => {
  const parsed = parseQuantity(s);
  if (!parsed) throw new Error(`not a quantity: ${s}`);
  return parsed;
};

describe('quantities', () => {
  it.each([
    ['250m', '250m'],
    ['1000m', '1'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1e3', '1e3'],
    ['1000', '1k'],
    ['0.5', '500m'],
    ['1.5Gi', '1536Mi'],
    ['+1', '1'],
    ['0.1m', '100u'],
  ])('%s prints canonically as %s', (input, canonical) => {
    expect(formatQuantity(q(input))).toBe(canonical);
  });

  it.each(['', 'abc', '1h', '1.2.3', '12iK', '--1', '1 Gi'])('%j is not a quantity', (input) => {
    expect(parseQuantity(input)).toBeUndefined();
  });

  it('adds, multiplies and divides exactly in the format of the first operand', () => {
    expect(formatQuantity(addQuantities(q('12Ki'), q('13')))).toBe('12301');
    expect(formatQuantity(addQuantities(q('100m'), q('200m')))).toBe('300m');
    expect(formatQuantity(multiplyQuantities(q('250m'), q('2')))).toBe('500m');
    // The quotient keeps the larger scale of the operands and rounds down.
    expect(formatQuantity(divideQuantityRoundDown(q('1Gi'), q('3')))).toBe('357913941');
    expect(formatQuantity(divideQuantityRoundDown(q('250m'), q('3')))).toBe('83m');
    expect(formatQuantity(divideQuantityRoundDown(q('12Ki'), q('3')))).toBe('4Ki');
    expect(quantityToNumber(q('1Ki'))).toBe(1024);
    expect(quantityToNumber(q('250m'))).toBe(0.25);
  });
});

describe('Go durations', () => {
  it.each([
    ['1h30m', '1h30m0s'],
    ['90s', '1m30s'],
    ['1.5h', '1h30m0s'],
    ['-2m', '-2m0s'],
    ['300ms', '300ms'],
    ['1us', '1µs'],
    ['1µs', '1µs'],
    ['0', '0s'],
    ['1h1ns', '1h0m0.000000001s'],
  ])('%s formats as %s', (input, formatted) => {
    const d = parseGoDuration(input);
    expect(d).toBeDefined();
    expect(formatGoDuration(d!)).toBe(formatted);
  });

  it.each(['', '1', 'h', '1d', '1h-2m', ' 1h'])('%j is not a duration', (input) => {
    expect(parseGoDuration(input)).toBeUndefined();
  });

  it('converts from float seconds as time.Duration(seconds * 1e9) does', () => {
    expect(formatGoDuration(durationFromSeconds(5400))).toBe('1h30m0s');
    expect(formatGoDuration(durationFromSeconds(0.25))).toBe('250ms');
  });
});

describe('Go time layouts', () => {
  it('parses RFC 3339 with offsets and fractions', () => {
    const t = parseGoTime(RFC3339, '2021-01-02T15:04:05.123+05:30');
    expect(t.offset).toBe(19800);
    expect(formatRFC3339(t)).toBe('2021-01-02T15:04:05+05:30');
    expect(civil(t)).toEqual({ year: 2021, month: 1, day: 2, hour: 15, minute: 4, second: 5, weekday: 6 });
  });

  it.each([
    ['Mon, 02 Jan 2006 15:04:05 MST', 'Tue, 10 Oct 2023 08:00:00 UTC', '2023-10-10T08:00:00Z'],
    ['Jan _2 2006 3:04PM', 'Feb  3 2024 1:05PM', '2024-02-03T13:05:00Z'],
    ['2006-01-02 15:04:05.000 -07:00', '2024-02-03 13:05:06.789 -02:00', '2024-02-03T13:05:06-02:00'],
    ['02/01/06', '31/12/99', '1999-12-31T00:00:00Z'],
    ['2006-002', '2024-060', '2024-02-29T00:00:00Z'],
  ])('layout %s reads %s', (layout, value, expected) => {
    expect(formatRFC3339(parseGoTime(layout, value))).toBe(expected);
  });

  it.each([
    [RFC3339, '2021-02-30T00:00:00Z'],
    [RFC3339, '2021-01-02 15:04:05Z'],
    ['2006-01-02', '2021-1-2'],
    [RFC3339, '2021-01-02T15:04:05Z trailing'],
  ])('rejects %s / %s', (layout, value) => {
    expect(() => parseGoTime(layout, value)).toThrow(TimeParseError);
  });

  it('truncates to multiples of the duration since the zero time', () => {
    const t = parseGoTime(RFC3339, '2023-02-02T15:04:05+02:00');
    expect(formatRFC3339(truncateTime(t, 3_600_000_000_000n))).toBe('2023-02-02T15:00:00+02:00');
    expect(formatRFC3339(truncateTime(t, 0n))).toBe('2023-02-02T15:04:05+02:00');
  });
});

describe('Go regular expressions', () => {
  it('translates RE2 syntax', () => {
    expect(goRegexMatch('(?P<year>\\d{4})', '2024')).toBe(true);
    expect(goRegexMatch('(?i)abc', 'xABCx')).toBe(true);
    expect(goRegexMatch('^[[:alpha:]]+$', 'abc')).toBe(true);
    expect(goRegexMatch('^[[:alpha:]]+$', 'ab1')).toBe(false);
    expect(goRegexMatch('\\Aab\\z', 'ab')).toBe(true);
    expect(goRegexMatch('\\Qa.b\\E', 'axb')).toBe(false);
  });

  it('rejects what RE2 rejects', () => {
    expect(() => compileGoRegex('(a)\\1')).toThrow(GoRegexError);
    expect(() => compileGoRegex('a(?=b)')).toThrow(GoRegexError);
  });

  it('replaces without an empty match right after a match', () => {
    expect(goReplaceAll('.*', 'abc', () => 'X')).toBe('X');
    expect(goReplaceAll('x*', 'abc', () => '-')).toBe('-a-b-c-');
  });
});

describe('semantic versions', () => {
  it('orders versions by SemVer 2.0 precedence', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1'];
    for (let i = 1; i < order.length; i++) {
      expect(compareSemVer(parseSemVer(order[i - 1]!), parseSemVer(order[i]!))).toBe(-1);
    }
    expect(compareSemVer(parseSemVer('1.0.0+build'), parseSemVer('1.0.0'))).toBe(0);
  });

  it.each([
    ['>=1.0.0 <2.0.0', '1.5.0', true],
    ['>=1.0.0 <2.0.0', '2.0.0', false],
    ['<1.0.0 || >=3.0.0', '3.1.0', true],
    ['!=1.2.3', '1.2.3', false],
    ['1.2.x', '1.2.9', true],
    ['>1.x', '2.0.0', true],
    ['=1.2.3', '1.2.3', true],
  ])('range %s on %s is %s', (range, version, expected) => {
    expect(parseSemVerRange(range)(parseSemVer(version))).toBe(expected);
  });

  it.each(['1.2', '01.2.3', 'v1.2.3', '1.2.3-', ''])('%j is not a version', (v) => {
    expect(() => parseSemVer(v)).toThrow(SemVerError);
  });
});

describe('Go JSON', () => {
  it('sorts keys and escapes HTML characters like json.Marshal', () => {
    expect(goJson({ b: [1, 'x'], a: { d: null, c: true } })).toBe('{"a":{"c":true,"d":null},"b":[1,"x"]}');
    expect(goJson('<a&b>')).toBe('"\\u003ca\\u0026b\\u003e"');
    expect(goJson('\u2028')).toBe('"\\u2028"');
    expect(goJson(1e21)).toBe('1e+21');
    expect(goJson(0.000001)).toBe('0.000001');
    expect(goJson(1e-7)).toBe('1e-7');
  });

  it('compares strings by UTF-8 bytes and values deeply', () => {
    expect(compareUtf8('\uffff', '\u{10000}')).toBe(-1);
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
  });
});

describe('image references', () => {
  it.each([
    ['nginx', { registry: 'docker.io', path: 'nginx', name: 'nginx', tag: 'latest', digest: '', reference: 'docker.io/nginx:latest' }],
    ['library/nginx:1.25', { registry: 'docker.io', path: 'library/nginx', name: 'nginx', tag: '1.25', reference: 'docker.io/library/nginx:1.25' }],
    ['ghcr.io/org/team/app:v1', { registry: 'ghcr.io', path: 'org/team/app', name: 'app', tag: 'v1', reference: 'ghcr.io/org/team/app:v1' }],
    ['localhost:5000/app', { registry: 'localhost:5000', path: 'app', name: 'app', tag: 'latest' }],
    ['localhost/app', { registry: 'localhost', path: 'app' }],
    [
      `quay.io/app@sha256:${'b'.repeat(64)}`,
      { registry: 'quay.io', path: 'app', tag: '', digest: `sha256:${'b'.repeat(64)}`, reference: `quay.io/app@sha256:${'b'.repeat(64)}`, referenceWithTag: 'quay.io/app:' },
    ],
    [`app:1@sha256:${'c'.repeat(64)}`, { tag: '1', reference: `docker.io/app@sha256:${'c'.repeat(64)}`, referenceWithTag: 'docker.io/app:1' }],
  ])('%s', (image, expected) => {
    expect(imageInfo(image)).toMatchObject(expected);
  });

  it.each(['UPPER', 'nginx:', 'a//b', `app@sha256:${'a'.repeat(10)}`, `app@md5:${'a'.repeat(32)}`, ''])('%j is invalid', (image) => {
    expect(() => imageInfo(image)).toThrow(ImageReferenceError);
  });

  it('normalizes', () => {
    expect(normalizeImage('busybox:1.36')).toBe('docker.io/busybox:1.36');
  });

  it('extracts images with custom extractors', () => {
    const resource = { kind: 'Task', spec: { steps: [{ name: 'build', image: 'golang:1.22' }, { name: 'push', image: 'ghcr.io/x/y' }] } };
    const images = extractImages(resource, { Task: [{ path: '/spec/steps/*/image', key: 'name', name: 'steps' }] });
    expect(images).toEqual({
      steps: {
        build: { registry: 'docker.io', path: 'golang', name: 'golang', tag: '1.22', reference: 'docker.io/golang:1.22', referenceWithTag: 'docker.io/golang:1.22', jsonPointer: '/spec/steps/0/image' },
        push: { registry: 'ghcr.io', path: 'x/y', name: 'y', tag: 'latest', reference: 'ghcr.io/x/y:latest', referenceWithTag: 'ghcr.io/x/y:latest', jsonPointer: '/spec/steps/1/image' },
      },
    });
    expect(extractImages({ kind: 'ConfigMap', data: { image: 'x' } })).toEqual({});
  });
});

describe('random', () => {
  it('generates from character classes, groups and repetitions', () => {
    for (let i = 0; i < 20; i++) {
      expect(randomFromPattern('[a-f]{3,5}-\\d+')).toMatch(/^[a-f]{3,5}-\d+$/);
      expect(randomFromPattern('(x|yz)?[^a-zA-Z0-9]')).toMatch(/^(x|yz)?[^a-zA-Z0-9]$/);
    }
  });

  it('rejects invalid patterns', () => {
    expect(() => randomFromPattern('[a-')).toThrow(RandomPatternError);
  });
});
