import { describe, expect, it } from 'vitest';
import { functionSignature, KYVERNO_FUNCTIONS } from '../../../src/policy/variables/functions.ts';
import { JmesPathError, jpSearch } from '../../../src/policy/variables/jmespath.ts';
import { RuleError } from '../../../src/policy/types.ts';

/** The error a search throws (fails the test when it does not throw). */
function searchError(expression: string, data: unknown = {}): JmesPathError {
  try {
    jpSearch(expression, data);
  } catch (e) {
    expect(e).toBeInstanceOf(JmesPathError);
    return e as JmesPathError;
  }
  throw new Error(`${expression} did not fail`);
}

// Expected values follow Kyverno's behaviour (its function tests and documentation examples).
const CASES: Record<string, [expression: string, expected: unknown][]> = {
  compare: [
    ["compare('a', 'b')", -1],
    ["compare('b', 'a')", 1],
    ["compare('a', 'a')", 0],
    ["compare('B', 'a')", -1],
  ],
  equal_fold: [
    ["equal_fold('Go', 'GO')", true],
    ["equal_fold('Straße', 'STRASSE')", false],
    ["equal_fold('a', 'b')", false],
  ],
  replace: [
    ["replace('Lorem ipsum dolor ipsum', 'ipsum', 'muspi', `-1`)", 'Lorem muspi dolor muspi'],
    ["replace('Lorem ipsum ipsum ipsum dolor', 'ipsum', 'muspi', `1`)", 'Lorem muspi ipsum ipsum dolor'],
    ["replace('abc', '', '-', `2`)", '-a-bc'],
  ],
  replace_all: [
    ["replace_all('Lorem ipsum dolor ipsum', 'ipsum', 'muspi')", 'Lorem muspi dolor muspi'],
    ["replace_all('ab', '', '.')", '.a.b.'],
  ],
  to_upper: [["to_upper('abc-Ü')", 'ABC-Ü']],
  to_lower: [["to_lower('AbC-Ü')", 'abc-ü']],
  trim: [
    ["trim('¡¡¡Hello, Gophers!!!', '!¡')", 'Hello, Gophers'],
    ["trim('  x  ', ' ')", 'x'],
    ["trim('abc', '')", 'abc'],
  ],
  trim_prefix: [
    ["trim_prefix('¡¡¡Hello, Gophers!!!', '¡¡¡Hello, ')", 'Gophers!!!'],
    ["trim_prefix('abc', 'x')", 'abc'],
  ],
  split: [
    ["split('Hello, Gophers', ', ')", ['Hello', 'Gophers']],
    ["split('abc', '')", ['a', 'b', 'c']],
    ["split('', ',')", ['']],
  ],
  regex_replace_all: [
    ["regex_replace_all('([a-z]+)-(\\d+)', 'ab-12 cd-3', '${2}_$1')", '12_ab 3_cd'],
    // Go's Expand reads `$1x` as the (missing) group named "1x".
    ["regex_replace_all('(a)', 'a', '$1x')", ''],
    ["regex_replace_all('a*', 'baaac', '-')", '-b-c-'],
    ["regex_replace_all('^1\\.5$', `1.5`, 'x')", 'x'],
  ],
  regex_replace_all_literal: [
    ["regex_replace_all_literal('[^a-z]', 'a1b2', '$1')", 'a$1b$1'],
    ["regex_replace_all_literal('[0-9]', 'v1', `2`)", 'v2'],
  ],
  regex_match: [
    ["regex_match('^[0-9]+$', '123')", true],
    ["regex_match('^[0-9]+$', '12a')", false],
    ["regex_match('^1\\.5$', `1.5`)", true],
    ["regex_match('(?i)^abc$', 'ABC')", true],
  ],
  pattern_match: [
    ["pattern_match('prefix-*', 'prefix-foo')", true],
    ["pattern_match('a?c', 'abc')", true],
    ["pattern_match('a?c', 'ac')", false],
    ["pattern_match('12*', `123`)", true],
  ],
  label_match: [
    ['label_match(`{"app":"x"}`, `{"app":"x","tier":"web"}`)', true],
    ['label_match(`{"app":"x"}`, `{"app":"y"}`)', false],
    ['label_match(`{}`, `{"app":"y"}`)', true],
  ],
  to_boolean: [
    ["to_boolean('TruE')", true],
    ["to_boolean('false')", false],
  ],
  add: [
    ['add(`1`, `2.5`)', 3.5],
    ["add('12Ki', '13')", '12301'],
    ["add('1Gi', '512Mi')", '1536Mi'],
    ["add('250m', '1')", '1250m'],
    ["add('1h', '30s')", '1h0m30s'],
    // ParseQuantity caps a quantity too long for int64 at its largest value.
    ["add('99999999999999999999', '0')", '9223372036854775807'],
    ["add('-99999999999999999999', '0')", '-9223372036854775807'],
    // Exponents are bounded as the pattern matcher bounds them, so a huge one answers at once.
    ["add('1e99999999', '0')", '10e999'],
  ],
  sum: [
    ['sum([`1`, `2`, `3`])', 6],
    ["sum(['2Ki', '5Gi', '8Mi'])", '5251074Ki'],
    ["sum(['1h', '1s', '500ms'])", '1h0m1.5s'],
  ],
  subtract: [
    ['subtract(`5`, `3.5`)', 1.5],
    ["subtract('2Gi', '512Mi')", '1536Mi'],
    ["subtract('1h', '90s')", '58m30s'],
    ["subtract('1s', '1h')", '-59m59s'],
  ],
  multiply: [
    ['multiply(`3`, `1.5`)', 4.5],
    ["multiply('250m', `2`)", '500m'],
    ["multiply(`2`, '250m')", '500m'],
    ["multiply('1Gi', `3`)", '3Gi'],
    ["multiply('1h', `1.5`)", '1h30m0s'],
  ],
  divide: [
    ['divide(`10`, `4`)', 2.5],
    ["divide('1Gi', '1Mi')", 1024],
    ["divide('1Gi', `2`)", '512Mi'],
    ["divide('1h', '30s')", 120],
    ["divide('1h', `4`)", '15m0s'],
  ],
  modulo: [
    ['modulo(`7`, `3`)', 1],
    ['modulo(`-7`, `3`)', -1],
    ["modulo('7Ki', '3Ki')", '1Ki'],
    ["modulo('1h', '7s')", '2s'],
  ],
  round: [
    ['round(`3.14159`, `2`)', 3.14],
    ['round(`2.5`, `0`)', 3],
    ['round(`-2.5`, `0`)', -3],
  ],
  base64_decode: [
    ["base64_decode('SGVsbG8sIFdvcmxkIQ==')", 'Hello, World!'],
    ["base64_decode('')", ''],
  ],
  base64_encode: [["base64_encode('Hello, World!')", 'SGVsbG8sIFdvcmxkIQ==']],
  time_since: [
    ["time_since('', '2021-01-02T15:04:05Z', '2021-01-02T16:05:06Z')", '1h1m1s'],
    ["time_since('2006-01-02', '2021-01-01', '2021-01-03')", '48h0m0s'],
  ],
  time_add: [
    ["time_add('2021-01-02T15:04:05Z', '3h')", '2021-01-02T18:04:05Z'],
    ["time_add('2021-01-02T15:04:05+01:00', '-90m')", '2021-01-02T13:34:05+01:00'],
  ],
  time_parse: [
    ["time_parse('Mon Jan 02 2006 15:04:05 -0700', 'Fri Jun 22 2022 17:19:16 +0200')", '2022-06-22T17:19:16+02:00'],
    ["time_parse('2006-01-02', '2023-03-06')", '2023-03-06T00:00:00Z'],
    ["time_parse('1136214245', '1678082159')", '2023-03-06T05:55:59Z'],
  ],
  time_to_cron: [["time_to_cron('2023-02-02T15:04:05Z')", '4 15 2 2 4']],
  time_utc: [["time_utc('2021-01-02T18:04:05+05:30')", '2021-01-02T12:34:05Z']],
  time_diff: [
    ["time_diff('2021-01-02T15:04:05Z', '2021-01-02T16:04:05Z')", '1h0m0s'],
    ["time_diff('2021-01-02T16:04:05Z', '2021-01-02T15:04:04Z')", '-1h0m1s'],
  ],
  time_before: [
    ["time_before('2021-01-02T15:04:05Z', '2021-01-02T16:04:05+01:00')", false],
    ["time_before('2021-01-02T15:04:05Z', '2021-01-02T15:04:06Z')", true],
  ],
  time_after: [["time_after('2021-01-02T15:04:06Z', '2021-01-02T15:04:05Z')", true]],
  time_between: [
    ["time_between('2021-01-02T15:00:00Z', '2021-01-02T14:00:00Z', '2021-01-02T16:00:00Z')", true],
    ["time_between('2021-01-02T14:00:00Z', '2021-01-02T14:00:00Z', '2021-01-02T16:00:00Z')", false],
  ],
  time_truncate: [
    ["time_truncate('2023-02-02T15:04:05Z', '1h')", '2023-02-02T15:00:00Z'],
    ["time_truncate('2023-02-02T15:04:05Z', '24h')", '2023-02-02T00:00:00Z'],
  ],
  path_canonicalize: [
    ["path_canonicalize('/a//b/../c/')", '/a/c'],
    ["path_canonicalize('//etc/./kubernetes')", '/etc/kubernetes'],
    ["path_canonicalize('a/../..')", '..'],
    ["path_canonicalize('')", ''],
  ],
  truncate: [
    ["truncate('Lorem ipsum', `5`)", 'Lorem'],
    ["truncate('abc', `10`)", 'abc'],
    ["truncate('abc', `-1`)", ''],
  ],
  semver_compare: [
    ["semver_compare('1.2.3', '>1.0.0')", true],
    ["semver_compare('1.2.3', '>1.0.0 <1.2.0')", false],
    ["semver_compare('1.2.3', '<1.0.0 || 1.2.3')", true],
    ["semver_compare('1.2.3-beta', '<1.2.3')", true],
  ],
  parse_json: [
    ['parse_json(\'{"a":[1,"b",null]}\')', { a: [1, 'b', null] }],
    ["parse_json('12')", 12],
  ],
  parse_yaml: [
    ["parse_yaml('a: 1\nb: [x, z]')", { a: 1, b: ['x', 'z'] }],
    // YAML 1.1 booleans (yes, y, on…), as sigs.k8s.io/yaml reads them.
    ["parse_yaml('enabled: yes')", { enabled: true }],
    ["parse_yaml('[y, n]')", [true, false]],
  ],
  lookup: [
    ["lookup(`{\"a\":1}`, 'a')", 1],
    ["lookup(`{\"a\":1}`, 'b')", null],
    ['lookup(`[1,2]`, `1`)', 2],
    ['lookup(`[1]`, `5`)', null],
  ],
  items: [
    ["items(`{\"b\":2,\"a\":1}`, 'key', 'value')", [{ key: 'a', value: 1 }, { key: 'b', value: 2 }]],
    ["items(`[\"x\",\"y\"]`, 'i', 'v')", [{ i: 0, v: 'x' }, { i: 1, v: 'y' }]],
  ],
  object_from_lists: [
    ["object_from_lists(['a', 'b'], [`1`])", { a: 1, b: null }],
    ["object_from_lists(['a'], [`1`, `2`])", { a: 1 }],
  ],
  image_normalize: [
    ["image_normalize('nginx')", 'docker.io/nginx:latest'],
    ["image_normalize('ghcr.io/org/app:v1')", 'ghcr.io/org/app:v1'],
    ["image_normalize('busybox@sha256:" + 'a'.repeat(64) + "')", 'docker.io/busybox@sha256:' + 'a'.repeat(64)],
  ],
  is_external_url: [
    ["is_external_url('https://example.com/x')", true],
    ["is_external_url('http://10.0.0.1:8080')", false],
    ["is_external_url('http://127.0.0.1')", false],
    ["is_external_url('http://[::1]/')", false],
    ["is_external_url('http://8.8.8.8')", true],
    ["is_external_url('http://localhost:8080')", false],
    ["is_external_url('http://my-svc.my-ns.svc.cluster.local')", false],
  ],
  sha256: [["sha256('abc')", 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']],
  sha1: [["sha1('abc')", 'a9993e364706816aba3e25717850c26c9cd0d89d']],
  md5: [["md5('abc')", '900150983cd24fb0d6963f7d28e17f72']],
};

describe('Kyverno custom functions', () => {
  for (const [name, cases] of Object.entries(CASES)) {
    it.each(cases)(`${name}: %s`, (expression, expected) => {
      expect(jpSearch(expression, {})).toEqual(expected);
    });
  }

  it('time_now and time_now_utc return RFC 3339 timestamps of now', () => {
    const local = jpSearch('time_now()', {}) as string;
    const utc = jpSearch('time_now_utc()', {}) as string;
    expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(utc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(utc) - Date.now())).toBeLessThan(5000);
    expect(jpSearch("time_since('', '2000-01-01T00:00:00Z', '')", {})).toMatch(/^\d+h\d+m[\d.]+s$/);
  });

  it('random generates strings matching the pattern', () => {
    for (let i = 0; i < 20; i++) expect(jpSearch("random('[0-9a-z]{5}-x')", {})).toMatch(/^[0-9a-z]{5}-x$/);
    expect(jpSearch("random('(ab|cd)\\d')", {})).toMatch(/^(ab|cd)\d$/);
  });

  it('functions take their arguments from the data', () => {
    const data = { metadata: { name: 'web', labels: { app: 'web' } }, limit: '512Mi' };
    expect(jpSearch("to_upper(metadata.name)", data)).toBe('WEB');
    expect(jpSearch("multiply(limit, `2`)", data)).toBe('1Gi');
    expect(jpSearch('label_match(`{"app":"web"}`, metadata.labels)', data)).toBe(true);
    expect(jpSearch("metadata.name | truncate(@, `2`)", data)).toBe('we');
  });

  it.each([
    ['add(`1`, \'1h\')', "JMESPath function 'add': Types mismatch"],
    ["add('1Ki', '1h')", "JMESPath function 'add': Types mismatch"],
    ["multiply('1Ki', '2Ki')", "JMESPath function 'multiply': Types mismatch"],
    ['divide(`1`, `0`)', "JMESPath function 'divide': Zero divisor passed"],
    ["divide('1Gi', '0')", "JMESPath function 'divide': Zero divisor passed"],
    ['modulo(`7.5`, `2`)', "JMESPath function 'modulo': Non-integer argument(s) passed for modulo"],
    ['modulo(`7`, `0`)', "JMESPath function 'modulo': Zero divisor passed"],
    ["add('abc', `1`)", "JMESPath function 'add': invalid operands"],
    ['sum(`[]`)', "JMESPath function 'sum': at least one element in the array is required"],
    ['round(`1.5`, `1.5`)', 'Non-integer argument(s) passed for round off'],
    ["to_boolean('yes')", "lowercase argument must be 'true' or 'false' (provided: 'yes')"],
    ["base64_decode('!!')", 'illegal base64 data at input byte 0'],
    ["time_add('yesterday', '1h')", 'cannot parse'],
    ["time_add('2021-01-02T15:04:05Z', 'soon')", 'time: invalid duration "soon"'],
    ["regex_match('(', 'x')", 'error parsing regexp'],
    // '30m' is a quantity (30 milli) before it is a duration, so this mixes kinds as in Kyverno.
    ["add('1h', '30m')", "JMESPath function 'add': Types mismatch"],
    ["semver_compare('1.0.0', 'not a range')", ''],
    ["parse_json('{')", ''],
    ["image_normalize('UPPER:case')", "JMESPath function 'image_normalize'"],
    ["lookup(`{}`, `1`)", "JMESPath function 'lookup': argument #2 is not of type String"],
    ["x509_decode('not a pem')", ''],
  ])('%s fails: %s', (expression, message) => {
    const e = searchError(expression);
    expect(e.code).toBe('JMESPATH');
    expect(e.message).toContain(expression);
    expect(e.message).toContain(message);
  });

  it('checks argument types before calling a function', () => {
    expect(searchError('to_upper(`1`)').code).toBe('JMESPATH');
    expect(searchError("compare('a')").code).toBe('JMESPATH');
    expect(searchError("trim_suffix('ab', 'b')").message).toMatch(/trim_suffix/);
  });
});

describe('standard functions with Go behaviour', () => {
  it.each([
    ['to_string(`{"b":1,"a":"<x>"}`)', '{"a":"\\u003cx\\u003e","b":1}'],
    ["to_string('plain')", 'plain'],
    ['to_string(`1.5`)', '1.5'],
    ["to_number('12.5')", 12.5],
    ["to_number(' 1')", null],
    ["to_number('')", null],
    ["to_number('1e3')", 1000],
    ['contains(`[{"a":1}]`, `{"a":1}`)', true],
    ["contains('abc', 'bc')", true],
    ['length(`[1,2]`)', 2],
    ["join(',', ['a', 'b'])", 'a,b'],
  ])('%s → %j', (expression, expected) => {
    expect(jpSearch(expression, {})).toEqual(expected);
  });
});

describe('missing keys, as Kyverno evaluates them', () => {
  const data = {
    request: { object: { metadata: { name: 'web', labels: null, annotations: { a: '1' } } }, oldObject: null },
    items: [{ x: 1, y: 'a' }, { x: 2 }, { y: 'c' }],
  };

  it('a key missing from an object is an error naming the key', () => {
    const e = searchError('request.object.spec.containers', data);
    expect(e).toBeInstanceOf(RuleError);
    expect(e.code).toBe('VARIABLE');
    expect(e.unknownKey).toBe('spec');
    expect(e.detail).toBe('Unknown key "spec" in path');
    expect(e.message).toBe('JMESPath query "request.object.spec.containers" failed: Unknown key "spec" in path');
  });

  it.each([
    ['request.object.metadata.labels', null],
    ['request.object.metadata.labels.app', null],
    ['request.oldObject.metadata.name', null],
    ["request.object.metadata.labels.app || 'none'", 'none'],
    ["request.object.spec || 'none'", 'none'],
    ['request.object.spec == null', true],
    ["request.object.metadata.annotations.b != 'x'", true],
    ['!(request.object.spec)', true],
    // `!` binds tighter than `.`: this is (!request).object.spec.
    ['!request.object.spec', null],
    ["to_string(request.object.spec)", 'null'],
    ['request.object.spec | @', null],
    ['[request.object.spec, request.object.metadata.name]', [null, 'web']],
    ['{s: request.object.spec}', { s: null }],
    ['items[*].y', ['a', 'c']],
    ['items[?x > `1`].x', [2]],
    ['items[?y].x', [1]],
    ['request.object.metadata.annotations.*', ['1']],
    ['request.object.spec[]', null],
    ['request.object.spec[*].image', null],
    ["request.object.metadata.name && 'yes'", 'yes'],
  ])('%s → %j', (expression, expected) => {
    expect(jpSearch(expression, data)).toEqual(expected);
  });

  it('the right side of && still fails on a missing key', () => {
    expect(searchError("request.object.metadata.name && request.object.spec.x", data).code).toBe('VARIABLE');
  });
});

describe('errors', () => {
  it('a syntax error is a JMESPATH RuleError naming the expression', () => {
    const e = searchError('request.object.[');
    expect(e.code).toBe('JMESPATH');
    expect(e.expression).toBe('request.object.[');
    expect(e.message).toMatch(/^invalid JMESPath expression "request\.object\.\[": /);
  });

  it('an unknown function is a JMESPATH RuleError', () => {
    const e = searchError('no_such_fn(@)');
    expect(e.code).toBe('JMESPATH');
    expect(e.message).toContain('no_such_fn');
  });

  it('legacy backtick literals are not JSON', () => {
    // go-jmespath requires JSON inside backticks; `foo` is not a string there.
    expect(searchError('`foo`').code).toBe('JMESPATH');
  });
});

describe('function table', () => {
  const names = KYVERNO_FUNCTIONS.map((f) => f.name);

  it('has every Kyverno function once', () => {
    expect(new Set(names).size).toBe(names.length);
    for (const name of [
      'compare', 'equal_fold', 'replace', 'replace_all', 'to_upper', 'to_lower', 'trim', 'trim_prefix', 'split',
      'regex_replace_all', 'regex_replace_all_literal', 'regex_match', 'pattern_match', 'label_match', 'to_boolean',
      'add', 'sum', 'subtract', 'multiply', 'divide', 'modulo', 'round', 'base64_decode', 'base64_encode',
      'time_since', 'time_now', 'time_now_utc', 'path_canonicalize', 'truncate', 'semver_compare', 'parse_json',
      'parse_yaml', 'lookup', 'items', 'object_from_lists', 'random', 'x509_decode', 'time_to_cron', 'time_add',
      'time_parse', 'time_utc', 'time_diff', 'time_before', 'time_after', 'time_between', 'time_truncate',
      'image_normalize', 'is_external_url', 'sha256', 'sha1', 'md5',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('every function except time_now/random/x509_decode has a table-driven test', () => {
    const untested = names.filter((n) => !(n in CASES));
    expect(untested.sort()).toEqual(['random', 'time_now', 'time_now_utc', 'x509_decode']);
  });

  it('describes each function the way `kyverno jp function` prints it', () => {
    const byName = new Map(KYVERNO_FUNCTIONS.map((f) => [f.name, f]));
    expect(functionSignature(byName.get('compare')!)).toBe('compare(string, string) number (compares two strings lexicographically)');
    expect(functionSignature(byName.get('lookup')!)).toBe(
      'lookup(object|array, string|number) any (returns the value corresponding to the given key/index in the given object/array)',
    );
    expect(functionSignature(byName.get('time_now')!)).toMatch(/^time_now\(\) string /);
    for (const f of KYVERNO_FUNCTIONS) expect(f.note.length).toBeGreaterThan(0);
  });
});
