import { describe, it } from 'vitest';
import { hackage } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('hackage', () => {
  it('orders versions as lists of integers', () => {
    expectAscending(hackage, ['0.1', '0.1.0', '0.1.0.0', '0.1.0.1', '0.2', '0.10', '1', '1.0', '1.0.0.0.1', '2']);
  });

  it.each<Row>([
    ['1.0', '<', '1.0.0'],
    ['01.2', '=', '1.2'],
    ['2.0', '>', '1.99.99'],
  ])('%s %s %s', (a, op, b) => expectOrder(hackage, a, op, b));

  it.each(['', '1.0-beta', 'v1.0', '1..0', '1.0.', '.1', '1,0'])('rejects %j', (v) => expectInvalid(hackage, v));
});
