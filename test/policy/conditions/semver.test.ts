import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver } from '../../../src/policy/conditions/semver.ts';

describe('parseSemver', () => {
  it('parses strict versions', () => {
    expect(parseSemver('1.2.3')).toEqual({ major: 1n, minor: 2n, patch: 3n, pre: [] });
    expect(parseSemver('1.0.0-alpha.1+build.5')).toEqual({ major: 1n, minor: 0n, patch: 0n, pre: ['alpha', 1n] });
    expect(parseSemver('0.0.0')).toBeDefined();
    expect(parseSemver('18446744073709551615.0.0')?.major).toBe(18446744073709551615n);
  });

  it.each(['', 'v1.2.3', '1.2', '1.2.3.4', '01.2.3', '1.02.3', '1.2.03', '1.2.3-', '1.2.3-01', '1.2.3+', '1.2.3-a..b', '1.2.3-a_b', 'a.b.c', '1.2.x', '18446744073709551616.0.0'])(
    '%j is not a semantic version',
    (s) => {
      expect(parseSemver(s)).toBeUndefined();
    },
  );
});

describe('compareSemver', () => {
  const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '1.10.0', '2.0.0'];

  it('follows semver precedence', () => {
    for (let i = 0; i + 1 < order.length; i++) {
      const a = parseSemver(order[i]!)!;
      const b = parseSemver(order[i + 1]!)!;
      expect(compareSemver(a, b), `${order[i]} < ${order[i + 1]}`).toBe(-1);
      expect(compareSemver(b, a)).toBe(1);
    }
  });

  it('ignores build metadata', () => {
    expect(compareSemver(parseSemver('1.2.3+a')!, parseSemver('1.2.3+b')!)).toBe(0);
  });
});
