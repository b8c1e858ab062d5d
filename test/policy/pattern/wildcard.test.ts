import { describe, expect, it } from 'vitest';
import { containsWildcard, wildcardMatch, wildcardRegexp } from '../../../src/policy/pattern/wildcard.ts';

describe('wildcardMatch', () => {
  it.each([
    ['*', 's3:GetObject', true],
    ['*', '', true],
    ['', 's3:GetObject', false],
    ['', '', true],
    ['s3:*', 's3:ListMultipartUploadParts', true],
    ['s3:ListBucketMultipartUploads', 's3:ListBucket', false],
    ['s3:ListBucket', 's3:ListBucket', true],
    ['my-bucket/oo*', 'my-bucket/oo', true],
    ['my-bucket/In*', 'my-bucket/India/Karnataka/', true],
    ['my-bucket/In*', 'my-bucket/Karnataka/India/', false],
    ['my-bucket/In*/Ka*/Ban', 'my-bucket/India/Karnataka/Ban/Ban/Ban/Ban/Ban', true],
    ['my-bucket/In*/Ka*/Ban', 'my-bucket/India/State1/State2/Karnataka/Area1/Area2/Area3/Ban', true],
    ['my-bucket/In*/Ka*/Ban', 'my-bucket/India/Karnataka/Bangalore', false],
    ['my-bucket/In*/Ka*/Ban*', 'my-bucket/India/Karnataka/Bangalore', true],
    ['my-bucket/oo*', 'my-bucket/odo', false],
    // `?` is exactly one character (go-wildcard v1), never zero.
    ['my-bucket?/abc*', 'mybucket/abc', false],
    ['my-bucket?/abc*', 'my-bucket1/abc', true],
    ['my-?-bucket/abc*', 'my--bucket/abc', false],
    ['my-?-bucket/abc*', 'my-k-bucket/abc', true],
    ['my??bucket/abc*', 'mybucket/abc', false],
    ['my??bucket/abc*', 'my4abucket/abc', true],
    ['my-bucket/abc?efg', 'my-bucket/abc/efg', true],
    ['my-bucket/abc????', 'my-bucket/abcde', false],
    ['my-bucket/abc????', 'my-bucket/abcdefg', true],
    ['my-bucket/abc?', 'my-bucket/abc', false],
    ['my-bucket/abc?', 'my-bucket/abcde', false],
    ['my-bucket/mnop*?', 'my-bucket/mnop', false],
    ['my-bucket/mnop*?', 'my-bucket/mnopq', true],
    ['my-bucket/mnop*?and', 'my-bucket/mnopand', false],
    ['my-bucket/mnop*?and?', 'my-bucket/mnopqanda', true],
    ['my-bucket/mnop*?and', 'my-bucket/mnopqanda', false],
    ['my-bucket/mnop*qrst', 'my-bucket/mnopabcdegqrst', true],
    // the "non-empty" idiom and dots as plain characters
    ['?*', '', false],
    ['?*', 'x', true],
    ['*.example.com', 'api.example.com', true],
    ['registry.io/*', 'registryXio/app', false],
    // `?` consumes one code point, not one UTF-16 unit
    ['a?c', 'a😀c', true],
    ['😀*', '😀😀', true],
  ])('%j matches %j: %s', (pattern, name, want) => {
    expect(wildcardMatch(pattern, name)).toBe(want);
  });

  it('stays linear on many stars', () => {
    const start = performance.now();
    expect(wildcardMatch('a*a*a*a*a*a*a*a*a*b', 'a'.repeat(200))).toBe(false);
    // Backtracking would take seconds to years here; linear matching takes microseconds.
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('detects wildcard characters', () => {
    expect(containsWildcard('app.*')).toBe(true);
    expect(containsWildcard('a?')).toBe(true);
    expect(containsWildcard('app.kubernetes.io/name')).toBe(false);
  });
});

describe('wildcardRegexp', () => {
  const patterns = ['', '*', '?', 'a?c', '*.example.com', 'https://github.com/*', 'team-?@example.com', 'a.b+c(d)[e]{f}|g^h$i\\j', '😀*', 'x*y*z', '*\n*'];
  const names = ['', 'a', 'abc', 'a😀c', 'api.example.com', 'apiXexampleYcom', 'https://github.com/login/oauth', 'team-a@example.com', 'team-ab@example.com', 'a.b+c(d)[e]{f}|g^h$i\\j', 'aXb+c(d)[e]{f}|g^h$i\\j', '😀😀', 'x-y-z', 'line\nbreak'];

  it('matches, with the u flag, exactly what wildcardMatch matches', () => {
    for (const pattern of patterns) {
      const re = new RegExp(wildcardRegexp(pattern), 'u');
      for (const name of names) expect([pattern, name, re.test(name)]).toEqual([pattern, name, wildcardMatch(pattern, name)]);
    }
  });

  /** Every string over `alphabet` of length 0 to `max`. */
  const strings = (alphabet: string, max: number): string[] => {
    const out = [''];
    for (let i = 0; out[i] !== undefined && out[i]!.length < max; i++) for (const ch of alphabet) out.push(out[i] + ch);
    return out;
  };

  it('matches exactly what wildcardMatch matches for every short pattern of a, b, * and ? against every short name', () => {
    const names = strings('ab', 7);
    for (const pattern of strings('ab*?', 5)) {
      const re = new RegExp(wildcardRegexp(pattern), 'u');
      const differ = names.filter((name) => re.test(name) !== wildcardMatch(pattern, name));
      expect([pattern, differ]).toEqual([pattern, []]);
    }
  });

  it('answers at once for patterns with many stars, which a backtracking engine would try every split of the name for', () => {
    const pattern = `${'*a'.repeat(12)}*b`;
    const re = new RegExp(wildcardRegexp(pattern), 'u');
    const start = performance.now();
    expect(re.test('a'.repeat(200))).toBe(false);
    expect(re.test(`${'a'.repeat(200)}b`)).toBe(true);
    expect(performance.now() - start).toBeLessThan(100);
  });
});
