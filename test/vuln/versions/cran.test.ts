import { describe, it } from 'vitest';
import { cran } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('cran', () => {
  it('orders versions as lists of integers, "." and "-" alike', () => {
    expectAscending(cran, ['0.1', '0.1-0', '0.1-1', '0.1.4', '0.1-18', '0.9', '0.75', '1.0', '1.0-0', '1.1-0']);
  });

  it.each<Row>([
    ['1.0-1', '=', '1.0.1'],
    ['0.01', '=', '0.1'],
    ['0.1.0', '<', '0.1.0.0'],
  ])('%s %s %s', (a, op, b) => expectOrder(cran, a, op, b));

  it.each(['', '1.0a', '1.0_1', 'v1.0', '1..0', '1.0-', '-1'])('rejects %j', (v) => expectInvalid(cran, v));
});
