import { describe, expect, it } from 'vitest';
import { packagist } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('packagist', () => {
  it('orders stabilities: dev < alpha < beta < RC < stable < patch', () => {
    expectAscending(packagist, [
      '1.0-dev',
      '1.0alpha1',
      '1.0-a2',
      '1.0beta1',
      '1.0-b2',
      '1.0RC1',
      '1.0rc2',
      '1.0',
      '1.0.1',
      '1.0pl1', // version_compare puts patch levels above any number in the same place
      '1.0-p2',
      '1.1',
    ]);
  });

  it.each<Row>([
    ['v1.0.0', '=', '1.0.0'],
    ['V1.0.0', '=', 'v1.0.0'],
    ['1.0.0', '>', '1.0'], // version_compare: more numbers is greater
    ['1.25.0beta2.1', '=', '1.25.0-b2.1'],
    ['dev-foo', '<', '1.26.0'],
    ['dev-master', '=', 'dev-main'], // unknown words weigh the same
    ['1.0-foo', '<', '1.0-dev'], // ...and below "dev"
    ['1.0-Beta1', '<', '1.0-beta1'], // PHP's stability words are case-sensitive
    ['4.3-2RC1', '<', '4.3-2RC2'],
    ['4.3-2', '>', '4.3-2beta1'],
    ['1.0_RC1', '=', '1.0-RC1'],
    ['1.0+1', '=', '1.0.1'],
    ['1.2.3.#', '=', '1.2.3'],
    ['1.2.3.#.beta', '<', '1.2.3'],
    ['999999999999999999999999999991', '<', '999999999999999999999999999999'],
  ])('%s %s %s', (a, op, b) => expectOrder(packagist, a, op, b));

  it('keeps the canonical form', () => {
    expect(packagist.parse('v1.0.0-RC1').canonical).toBe('1.0.0.RC.1');
    expect(packagist.parse('2.x-dev').canonical).toBe('2.x.dev');
  });

  it.each(['', 'v', '.1', 'v.1', '1.0 beta'])('rejects %j', (v) => expectInvalid(packagist, v));
});
