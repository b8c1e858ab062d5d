import { describe, expect, it } from 'vitest';
import { BUILTIN_RULE_SETS, builtinConfig, gitleaksDefaultConfig } from '../../src/secrets/config.ts';
import { KeywordAutomaton } from '../../src/secrets/prefilter.ts';
import { compileGoRegex, regexFromCompiled, RegexSyntaxError } from '../../src/secrets/regex/compile.ts';
import { parseRegex, type Node } from '../../src/secrets/regex/syntax.ts';

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

/** Random text drawn from a pattern (mostly printable ASCII, so that anchor plans apply). */
function sampler(seed: number) {
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(rnd() * n);
  const chars = (r: number[]) => {
    const ascii: number[] = [];
    for (let i = 0; i < r.length; i += 2) for (let c = Math.max(r[i]!, 0x20); c <= Math.min(r[i + 1]!, 0x7e); c++) ascii.push(c);
    if (ascii.length > 0) return String.fromCharCode(ascii[int(ascii.length)]!);
    return r[0]! === 10 || r[0]! === 13 || r[0]! === 9 ? String.fromCharCode(r[0]!) : ' ';
  };
  const gen = (node: Node): string => {
    switch (node.type) {
      case 'empty':
      case 'assert':
        return '';
      case 'chars':
        return chars(node.ranges);
      case 'group':
        return gen(node.node);
      case 'concat':
        return node.nodes.map(gen).join('');
      case 'alt':
        return gen(node.nodes[int(node.nodes.length)]!);
      case 'repeat': {
        const max = node.max === -1 ? node.min + 8 : Math.min(node.max, node.min + 40);
        let n = rnd() < 0.2 ? max : node.min + int(max - node.min + 1);
        if (rnd() < 0.05 && n > 0) n--; // near misses too
        let s = '';
        for (let k = 0; k < n; k++) s += gen(node.node);
        return s;
      }
    }
  };
  const NOISE = ['key = ', 'token: "', ' ', '\n', '\t', '"', "'", 'x', '_', '=', ';', 'ey', 's.', 'sk ', 'curl ', '\r\n', 'secret', 'API', '-'];
  return { gen, noise: () => NOISE[int(NOISE.length)]!, int };
}

/** A text of noise with a dozen or so generated matches of `pattern` in it. */
function samplesOf(pattern: string, seed: number): string {
  const { gen, noise, int } = sampler(seed);
  const ast = parseRegex(pattern).node;
  let text = '';
  for (let k = 0; k < 12; k++) text += noise() + gen(ast) + noise() + (int(3) === 0 ? gen(ast) : '');
  return text;
}

/** Every place one of `literals` starts in ASCII text (case-insensitively), ascending. */
function literalPlaces(text: string, literals: readonly string[]): number[] {
  const lower = text.toLowerCase();
  const out: number[] = [];
  for (const lit of literals) for (let i = lower.indexOf(lit); i >= 0; i = lower.indexOf(lit, i + 1)) out.push(i);
  return out.sort((a, b) => a - b);
}

describe('anchor plans on the built-in rules (Palisade\'s and gitleaks\')', () => {
  const rules = BUILTIN_RULE_SETS.flatMap((name) => [...builtinConfig(name).rules.values()]).filter((r) => r.regex?.plan);

  it('has a plan for most rules: a literal prefix (lead) or a bounded run before literals (prefix)', () => {
    const kinds = rules.map((r) => r.regex!.plan!.kind);
    expect(kinds.filter((k) => k === 'prefix').length).toBeGreaterThan(80);
    expect(kinds.filter((k) => k === 'lead').length).toBeGreaterThan(80);
    expect(gitleaksDefaultConfig().rules.get('jwt')!.regex!.plan).toEqual({ kind: 'lead', literals: ['ey'], before: 'nonword' });
  });

  it('finds, tried only at literal places, what a full scan finds, and the same groups', () => {
    for (const [i, rule] of rules.entries()) {
      const text = samplesOf(rule.regex!.source, i + 1);
      const re = rule.regex!;
      const places = literalPlaces(text, re.plan!.literals);
      const full = re.findAll(text);
      expect(re.findAll(text, places), rule.id).toEqual(full);
      for (const m of full) {
        const sub = text.slice(m.start, m.end);
        expect(re.submatch(sub, literalPlaces(sub, re.plan!.literals)), rule.id).toEqual(re.submatch(sub));
      }
    }
  });

  it('gates (run over the bytes by WebAssembly) keep every place where a match starts, and findAll over the kept places is unchanged', () => {
    let dropped = 0;
    for (const [i, rule] of rules.entries()) {
      const text = samplesOf(rule.regex!.source, i + 101);
      const re = rule.regex!;
      const gate = re.gate();
      if (!gate) continue;
      const places = Int32Array.from(literalPlaces(text, re.plan!.literals));
      const automaton = KeywordAutomaton.build(re.plan!.literals);
      const scan = automaton.scanBytes(Buffer.from(text, 'latin1'));
      const kept = automaton.gatePlaces(scan, gate, places.slice());
      dropped += places.length - kept.length;
      expect(re.findAll(text, kept), rule.id).toEqual(re.findAll(text));
    }
    expect(dropped).toBeGreaterThan(100);
  });

  it("the generic rule's gate turns away ordinary code near its keywords", () => {
    const re = gitleaksDefaultConfig().rules.get('generic-api-key')!.regex!;
    const text = "const userKey = await fetchToken(tokenId, { secret: x.y });\napi_key = 'abcdefghij0123456789'";
    const places = Int32Array.from(literalPlaces(text, re.plan!.literals));
    const automaton = KeywordAutomaton.build(re.plan!.literals);
    const scan = automaton.scanBytes(Buffer.from(text));
    const kept = [...automaton.gatePlaces(scan, re.gate()!, places.slice())];
    expect(kept).toEqual([text.indexOf('api_key'), text.indexOf('key =')]);
    expect(re.findAll(text, Int32Array.from(kept))).toEqual(re.findAll(text));
  });

  it('a lead plan skips a place inside a word without running the pattern, and still finds a match there when there is one', () => {
    const re = compileGoRegex('\\b(ey[a-zA-Z0-9]{4})');
    expect(re.plan).toMatchObject({ kind: 'lead', before: 'nonword' });
    const text = 'key eyAbcd keyeyXyzw eyQ';
    expect(re.findAll(text, literalPlaces(text, ['ey']))).toEqual(re.findAll(text));
    expect(re.findAll(text).map((m) => text.slice(m.start, m.end))).toEqual(['eyAbcd']);
  });

  it('a lead plan checks a \\b right after its literal too: curl but not curly is worth trying', () => {
    const re = compileGoRegex('\\bcurl\\b.*(?:-u|--user)[ =]([\\w:]{3,})');
    expect(re.plan).toMatchObject({ kind: 'lead', before: 'nonword', after: 'nonword', afterOffset: 4 });
    const text = 'curly braces; xcurl -u a:b\ncurl -u admin:secret\n';
    const places = literalPlaces(text, ['curl']);
    expect([places.length, re.placesToTry(text, places)]).toEqual([3, 1]);
    expect(re.findAll(text, places)).toEqual(re.findAll(text));
    expect(re.findAll(text).map((m) => text.slice(m.start, m.end))).toEqual(['curl -u admin:secret']);
  });

  it('rebuilds a regex from its translation (as a worker thread does) with the same plan and matches', () => {
    for (const id of ['generic-api-key', 'jwt', 'aws-access-token', 'curl-auth-header']) {
      const re = gitleaksDefaultConfig().rules.get(id)!.regex!;
      const copy = regexFromCompiled(structuredClone(re.compiled));
      expect([copy.engine, copy.plan, copy.reach, copy.numGroups, copy.maxLength]).toEqual([re.engine, re.plan, re.reach, re.numGroups, re.maxLength]);
      const text = 'api_key = "abcdefghijklmnop1234" eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3.abc AKIALALEMEL33243OLIA';
      expect(copy.findAll(text)).toEqual(re.findAll(text));
    }
  });
});

describe('slow shapes', () => {
  it('runs polynomial shapes on re2js too, which stays linear on input built to defeat backtracking', () => {
    for (const p of ['.*.*=.*', '(?:.*a){10}', '\\w+_?\\w+x', '[a-z]+[a-z0-9]+X']) expect(compileGoRegex(p).engine, p).toBe('re2js');
    const started = performance.now();
    expect(compileGoRegex('.*.*=.*').findAll('a'.repeat(50_000))).toEqual([]);
    expect(compileGoRegex('(?:.*a){10}x').findAll('a'.repeat(50_000))).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('leaves one unbounded repetition (and short inputs: secrets, paths) on V8', () => {
    expect(compileGoRegex('a.*b').engine).toBe('v8');
    expect(compileGoRegex('\\bcurl\\b(?:.*?|.*?(?:[\\r\\n]{1,2}.*?){1,5})[ \\t\\n\\r](?:-H|--header)').engine).toBe('v8');
    expect(compileGoRegex('^\\{\\{[ \\t]*[\\w ().|]+[ \\t]*}}$', { shortInput: true }).engine).toBe('v8');
    expect(compileGoRegex('(a+)+$', { shortInput: true }).engine).toBe('re2js');
  });

  it('leaves two repetitions on V8 when the second must start where the first cannot go on', () => {
    const camelCase = '^[a-z]{2,}(?:(?:\\d{1,2}[A-Z]?|[A-Z])[a-z]{2,})*\\d{0,2}$';
    expect(compileGoRegex(camelCase).engine).toBe('v8');
    // The second can start with a lowercase letter: the first run can end anywhere.
    expect(compileGoRegex('^[a-z]{2,}(?:[A-Z]?[a-z]{2,})*$').engine).toBe('re2js');
    expect(compileGoRegex('[a-z]+(?:\\d*[a-z])*X').engine).toBe('re2js');
    const started = performance.now();
    expect(compileGoRegex(camelCase).findAll(`${'ab1'.repeat(20_000)}!`)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('says how far one attempt can run: a line (.*), the text ([^"]*), or a word ([a-z0-9]+, \\s*)', () => {
    expect(compileGoRegex('curl.*-H').reach).toBe('line');
    expect(compileGoRegex('"auth":"[^"]*"').reach).toBe('text');
    expect(compileGoRegex('key[ \\t]*=\\s*[a-z0-9]+').reach).toBeUndefined();
    expect(compileGoRegex('x.{0,1000}y').reach).toBeUndefined();
    expect(compileGoRegex('(?s)-----BEGIN[\\s\\S-]{64,}?KEY').reach).toBe('text');
  });
});

describe('longest match', () => {
  it('counts code points along the longest path, and has none for an unbounded repetition', () => {
    const longest = (p: string) => compileGoRegex(p).maxLength;
    expect([longest('abc'), longest('a{2,5}'), longest('a|bcd'), longest('(?:ab){3}c?'), longest('\\bx$'), longest('[a-z]{0,25}?secret')]).toEqual([3, 5, 3, 7, 1, 31]);
    expect([longest('a*'), longest('ab+'), longest('(?:x{2,})?y')]).toEqual([undefined, undefined, undefined]);
  });
});

