import { describe, expect, it } from 'vitest';
import { rubygems } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('rubygems', () => {
  it('orders pre-releases (any letter segment) before releases', () => {
    expectAscending(rubygems, ['0.9', '1.0.a', '1.0.a.2', '1.0.b1', '1.0.pre', '1.0.rc1', '1.0', '1.0.1', '1.1', '1.10']);
  });

  it.each<Row>([
    ['3.10', '>', '3.2'],
    ['1', '>', '1beta'],
    ['1.0.a10', '>', '1.0.a9'],
    ['1.0.a2', '=', '1.0.a.2'],
    ['1.0', '=', '1.0.0'],
    ['1.0.b1.0', '=', '1.0.b1'], // trailing zeros dropped from the pre-release part too
    ['1.0-1', '=', '1.0.pre.1'], // "-" introduces a pre-release
    ['1.0-1', '<', '1.0'],
    ['1.0.A', '<', '1.0.a'], // strings compare byte-wise
    [' 1.2 ', '=', '1.2'],
    ['999999999999999999999999999991', '<', '999999999999999999999999999999'],
  ])('%s %s %s', (a, op, b) => expectOrder(rubygems, a, op, b));

  it('keeps the canonical segments', () => {
    expect(rubygems.parse('1.0.0.beta2.0').segments).toEqual(['1', 'beta', '2']);
  });

  it.each(['', 'beta', '.1', '1.0+build', '1.0_1', '1 0', 'v1.0'])('rejects %j', (v) => expectInvalid(rubygems, v));
});
