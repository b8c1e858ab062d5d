import { describe, expect, it } from 'vitest';
import { debian } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('debian', () => {
  it('orders "~" before everything, letters before other characters', () => {
    expectAscending(debian, ['1.0~~', '1.0~~a', '1.0~', '1.0~rc1', '1.0', '1.0a', '1.0z', '1.0+', '1.0+b1', '1.0.1', '1.1']);
  });

  it.each<Row>([
    ['0.0.0', '=', '0:0.0.0'],
    ['0.0.0', '=', '0.0.0-0'], // a missing revision equals "0"
    ['0.0.0', '=', '0.0.0-00'],
    ['1:0.1', '>', '9.9'], // epoch first
    ['10:1', '>', '9:2'],
    ['0.9.0', '<', '0.10.0'],
    ['1.2.3-1~deb7u1', '<', '1.2.3-1'],
    ['2.7.4+reloaded2-13', '<', '2.7.4+reloaded2-13+deb9u1'],
    ['1.0-1', '<', '1.0-1.1'],
    ['1.0-1-2', '>', '1.0-1-1'], // the revision follows the last hyphen
    ['1:2.30-1', '=', '1:2.30-1'],
    ['2:1.0:3-1', '>', '2:1.0:2-1'], // colons after the epoch belong to the upstream version
    ['1.0-123456789012345678901234567891', '>', '1.0-123456789012345678901234567890'],
  ])('%s %s %s', (a, op, b) => expectOrder(debian, a, op, b));

  it('splits epoch, upstream and revision', () => {
    expect(debian.parse('1:2.4.47-2+b1')).toMatchObject({ epoch: '1', upstream: '2.4.47', revision: '2+b1' });
    expect(debian.parse('2.4')).toMatchObject({ epoch: '0', upstream: '2.4', revision: '' });
  });

  it.each(['', '1.2.3-not-a-debian:version!@#$', 'a:1.0', ':1.0', '1:', '1.0-', '-1', '1.0 1'])('rejects %j', (v) =>
    expectInvalid(debian, v),
  );
});
