import { describe, it } from 'vitest';
import { maven } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('maven', () => {
  it('orders qualifiers: alpha < beta < milestone < rc < snapshot < release < sp < others', () => {
    expectAscending(maven, [
      '1-alpha',
      '1-alpha-1',
      '1-alpha-2',
      '1-beta',
      '1-beta-1',
      '1-milestone-1',
      '1-rc',
      '1-rc-2',
      '1-snapshot',
      '1',
      '1-sp',
      '1-sp-2',
      '1-abc',
      '1-xyz',
      '1-1',
      '1.1',
    ]);
  });

  it.each<Row>([
    // trailing nulls are dropped
    ['1', '=', '1.0.0'],
    ['1', '=', '1-0'],
    ['1', '=', '1.ga'],
    ['1', '=', '1-final'],
    ['1', '=', '1.RELEASE'],
    ['1.0.0-foo.0.0', '=', '1-foo'],
    ['1.0-1', '=', '1-1'],
    // aliases and short forms
    ['1cr', '=', '1rc'],
    ['1a1', '=', '1-alpha-1'],
    ['1b2', '=', '1-beta-2'],
    ['1m3', '=', '1-milestone-3'],
    ['1-a', '=', '1a'], // "a" not followed by a digit stays "a", an unknown qualifier
    ['1-a', '>', '1'],
    ['1X', '=', '1x'],
    // digit/letter transitions open a sub-list
    ['1a', '=', '1-a'],
    ['1.0.0x', '=', '1-x'],
    ['1-foo2', '<', '1-foo10'],
    // "." vs "-"
    ['1.foo', '<', '1-foo'], // a qualifier sorts below a sub-list (Maven >= 3.8.8 reads them equal)
    ['1.foo', '<', '1.0.foo'], // only trailing zeros are dropped; here "foo" meets the number 0
    ['1-1', '<', '1.1'],
    ['1-sp', '<', '1-1'],
    ['1-sp.1', '>', '1-ga.1'],
    ['1-sp-1', '<', '1-ga-1'],
    ['1-ga-1', '<', '1-1'], // ComparableVersion keeps the emptied sub-list (the POM prose says "=")
    ['1-0-1', '<', '1-1'],
    // numbers of any size
    ['1.01', '=', '1.1'],
    ['1234567890.12345', '<', '123456789012345.1H.5-beta'],
    ['20190126.230843', '<', '123456789012345.1H.5-beta'],
    ['6.1.0rc3', '<', '6.1.0'],
    ['2.0.1', '<', '2.0.1-xyz'],
    ['2.0.1', '<', '2.0.1-123'],
    ['1.0-SNAPSHOT', '<', '1.0'],
    ['1.0-SNAPSHOT', '>', '1.0-rc1'],
    ['1..2', '=', '1.0.2'], // an empty item is 0
  ])('%s %s %s', (a, op, b) => expectOrder(maven, a, op, b));

  it.each(['', ' ', '1.0 beta', '1.0\n'])('rejects %j', (v) => expectInvalid(maven, v));
});
