import { describe, expect, it } from 'vitest';
import { compileGoRegex, RegexSyntaxError } from '../../src/secrets/regex/compile.ts';

const spans = (pattern: string, text: string) => compileGoRegex(pattern).findAll(text).map((m) => text.slice(m.start, m.end));

describe('RE2 syntax', () => {
  it.each([
    ['(?=x)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?<!x)a', 'invalid or unsupported Perl syntax: `(?<!`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['*a', 'missing argument to repetition operator: `*`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['[z-a]', 'invalid character class range: `z-a`'],
    ['[abc', 'missing closing ]: `[abc`'],
    ['(abc', 'missing closing )'],
    ['abc)', 'unexpected )'],
    ['\\i', 'invalid escape sequence: `\\i`'],
    ['(?P<a-b>x)', 'invalid named capture'],
    ['(?x)a', 'invalid or unsupported Perl syntax: `(?x`'],
  ])('rejects %s like Go (%s)', (pattern, message) => {
    expect(() => compileGoRegex(pattern)).toThrow(RegexSyntaxError);
    expect(() => compileGoRegex(pattern)).toThrow(message);
  });

  it('counts capture groups as Go does (named ones included, non-capturing ones not)', () => {
    expect(compileGoRegex('(a)(?:b)(?P<n>c)(?<m>d)').numGroups).toBe(3);
  });

  it('scopes flags to their group, and (?i) reaches later alternatives', () => {
    expect(spans('a(?i)b|c', 'aB C ab')).toEqual(['aB', 'C', 'ab']);
    expect(spans('(?i:a)b', 'Ab AB')).toEqual(['Ab']);
    expect(spans('(?i)x(?-i:y)z', 'XyZ XYZ')).toEqual(['XyZ']);
    expect(spans('\\b(p8e-(?i)[a-z]{3})', 'p8e-ABC P8E-abc')).toEqual(['p8e-ABC']);
  });

  it('folds case like Go: k matches the Kelvin sign, s the long s', () => {
    expect(spans('(?i)ks', '\u212a\u017f KS')).toEqual(['\u212a\u017f', 'KS']);
  });

  it('spells out dot, anchors and classes without JavaScript flags', () => {
    expect(spans('a.c', 'a\nc abc')).toEqual(['abc']);
    expect(spans('(?s)a.c', 'a\nc')).toEqual(['a\nc']);
    expect(spans('^a', 'a\na')).toEqual(['a']);
    expect(spans('(?m)^a$', 'a\na\r\na')).toEqual(['a', 'a']);
    expect(spans('x\\z', 'x\nx')).toEqual(['x']);
    expect(spans('[[:alnum:]]+', 'ab-12')).toEqual(['ab', '12']);
    expect(spans('[^[:^digit:]]+', 'a12b')).toEqual(['12']);
    expect(spans('\\Qa.b\\E', 'a.b axb')).toEqual(['a.b']);
    expect(spans('\\x41\\x{42}\\101', 'ABA')).toEqual(['ABA']);
    expect(spans('\\s+', 'a \u00a0\u000bb')).toEqual([' ']); // RE2's \s is ASCII, without \v
    expect(spans('\\pL+', 'héllo wörld 42')).toEqual(['héllo', 'wörld']);
  });

  it('(?U) swaps greediness', () => {
    expect(spans('(?U)a+', 'aaa')).toEqual(['a', 'a', 'a']);
    expect(spans('(?U)a+?', 'aaa')).toEqual(['aaa']);
  });

  it('finds all matches with Go semantics (no empty match right after a match)', () => {
    expect(compileGoRegex('a*').findAll('baaab').map((m) => [m.start, m.end])).toEqual([
      [0, 0],
      [1, 4],
      [5, 5],
    ]);
  });

  it('submatch returns "" for groups that did not take part', () => {
    expect(compileGoRegex('(a)|(b)').submatch('b')).toEqual(['b', '', 'b']);
  });
});

describe('engines', () => {
  it('runs exponential shapes on re2js, which stays linear', () => {
    for (const p of ['(a+)+b', '(a|a)*b', '(\\w+\\s?)*$']) expect(compileGoRegex(p).engine).toBe('re2js');
    const evil = compileGoRegex('^(a+)+$');
    expect(evil.findAll('a'.repeat(30_000) + '!')).toEqual([]);
  });

  it('keeps unambiguous nesting on V8', () => {
    expect(compileGoRegex('(?:\\.[A-Za-z]\\w+)+').engine).toBe('v8');
    expect(compileGoRegex('[\\w.-]{0,50}?(?:key|token)[ =]+(\\w{8,})').engine).toBe('v8');
  });

  it('gives the same matches on both engines', () => {
    const text = 'my_api_key = "abcdefghij0123456789"\nTOKEN: zyxw9876543210\n x-auth := q1w2e3r4t5y6 ;';
    for (const p of ['(?i)[\\w.-]{0,50}?(?:key|token|auth)[ \\t]*(?:=|:=|:)[ \\t"]*([\\w]{10,})', '\\b[A-Z]+\\b', '(?m)^\\s*(\\w+)', '[^\\n]{5}$']) {
      expect(compileGoRegex(p).findAll(text)).toEqual(compileGoRegex(p, { engine: 're2js' }).findAll(text));
    }
  });

  it('an anchor plan tried only at literal places finds what a full scan finds', () => {
    const re = compileGoRegex('(?i)[\\w.-]{0,50}?(?:key|secret)(?:[ \\t\\w.-]{0,20})[\\s\'"]{0,3}(?:=|:)[\\s\'"]{0,5}([\\w]{10,})');
    expect(re.plan?.literals.sort()).toEqual(['key', 'secret']);
    const text = 'a my.Key = "abcdefghijkl" b\nsecretsecret: 1234567890ab\nkeykey=zz';
    const lower = text.toLowerCase();
    const candidates: number[] = [];
    for (const lit of re.plan!.literals) for (let i = lower.indexOf(lit); i >= 0; i = lower.indexOf(lit, i + 1)) candidates.push(i);
    candidates.sort((a, b) => a - b);
    expect(re.findAll(text, candidates)).toEqual(re.findAll(text));
    expect(re.findAll(text).length).toBe(2);
  });
});
