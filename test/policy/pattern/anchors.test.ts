import { describe, expect, it } from 'vitest';
import { formatAnchor, isLeadingAnchor, isTrackedAnchor, parseAnchor } from '../../../src/policy/pattern/anchors.ts';

describe('parseAnchor', () => {
  it.each([
    ['(name)', 'condition', 'name'],
    ['=(securityContext)', 'equality', 'securityContext'],
    ['X(hostPath)', 'negation', 'hostPath'],
    ['^(containers)', 'existence', 'containers'],
    ['<(image)', 'global', 'image'],
    ['+(imagePullPolicy)', 'addIfNotPresent', 'imagePullPolicy'],
    ['=(container.apparmor.security.beta.kubernetes.io/*)', 'equality', 'container.apparmor.security.beta.kubernetes.io/*'],
    ['(lim(its)', 'condition', 'lim(its'],
  ])('%s is a %s anchor on %s', (raw, type, key) => {
    expect(parseAnchor(raw)).toEqual({ type, key });
  });

  it.each(['name', '()', '=()', 'X()', '(', ')', 'x(name)', 'Y(name)', '=name)', '(name', 'name()', '', '=(a'])(
    '%j is a plain key',
    (raw) => {
      expect(parseAnchor(raw)).toBeUndefined();
    },
  );

  it('round-trips through formatAnchor', () => {
    for (const raw of ['(a)', '=(a)', 'X(a)', '^(a)', '<(a)', '+(a)']) {
      const a = parseAnchor(raw)!;
      expect(formatAnchor(a.type, a.key)).toBe(raw);
    }
  });

  it('classifies anchors the way the walk orders and tracks them', () => {
    const kinds = ['(a)', '=(a)', 'X(a)', '^(a)', '<(a)', '+(a)'].map(parseAnchor);
    expect(kinds.map(isLeadingAnchor)).toEqual([true, true, true, true, false, false]);
    expect(kinds.map(isTrackedAnchor)).toEqual([true, false, true, true, false, false]);
    expect(isLeadingAnchor(undefined)).toBe(false);
  });
});
