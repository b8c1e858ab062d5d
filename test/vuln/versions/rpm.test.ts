import { describe, expect, it } from 'vitest';
import { rpm } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('rpm', () => {
  it('orders "~" before the end and "^" after it', () => {
    expectAscending(rpm, ['1.0~rc1', '1.0~rc1^git1', '1.0~rc2', '1.0', '1.0^', '1.0^git1', '1.0^git2', '1.0a', '1.0.1', '1.1', '1:0.1']);
  });

  it.each<Row>([
    ['2.0.1a', '>', '2.0.1'],
    ['5.5p2', '<', '5.5p10'],
    ['xyz.4', '<', '8'], // numbers beat letters
    ['6.0.rc1', '>', '6.0'],
    ['10.0001', '=', '10.1'],
    ['2_0', '=', '2.0'], // any separator is a separator
    ['a+', '=', 'a_'],
    ['1.1.α', '=', '1.1.β'], // non-ASCII characters are separators too
    ['1.0aa', '>', '1.0a'],
    ['01:2', '=', '1:2'],
    [':1', '=', '0:1'],
    ['3', '<', '1:2'],
    ['a:1', '<', 'b:1'], // not an epoch: part of the version
    ['1', '<', '1-0'], // no release sorts before any release
    ['1', '<', '1-'],
    ['1-1.', '=', '1-1'],
    ['0:3.10.0-229.el7', '<', '0:3.10.0-229.1.2.ael7b'],
    ['1-123', '>', '1-1.el7'],
    ['0:2.4.21-9.EL', '<', '0:2.4.21-9.0.1.EL'],
  ])('%s %s %s', (a, op, b) => expectOrder(rpm, a, op, b));

  it('splits epoch, version and release', () => {
    expect(rpm.parse('32:9.11.4-26.P2.el8')).toMatchObject({ epoch: '32', version: '9.11.4', release: '26.P2.el8' });
    expect(rpm.parse('1.0')).toMatchObject({ epoch: '0', version: '1.0', release: undefined });
  });

  it.each(['', '1:', '-1', '1:-1', '1.0 -1'])('rejects %j', (v) => expectInvalid(rpm, v));
});
