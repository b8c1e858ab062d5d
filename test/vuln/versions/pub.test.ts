import { describe, it } from 'vitest';
import { pub } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('pub', () => {
  it('orders pre-releases, releases and builds as pub_semver does', () => {
    expectAscending(pub, [
      '1.0.0-dev',
      '1.0.0-dev.2',
      '1.0.0-dev.2+build',
      '1.0.0',
      '1.0.0+1',
      '1.0.0+2',
      '1.0.0+10', // numeric build parts by value
      '1.0.0+10.1',
      '1.0.0+a', // numbers before strings
      '1.0.0+b',
      '1.0.1',
    ]);
  });

  it.each<Row>([
    ['1.2.3+a1', '>', '1.2.3+a'],
    ['1.2.3+9d', '>', '1.2.3+1z'], // "9d" is a string part
    ['1.2.3-r100', '<', '1.2.3-r2'],
    ['1.2.3-R2', '<', '1.2.3-r100'],
    ['1.2.3+build', '=', 'v1.2.3+build'],
    ['1.2.3+build', '<', '1.2.3+otherbuild'],
  ])('%s %s %s', (a, op, b) => expectOrder(pub, a, op, b));

  it.each(['', 'any', '^1.0.0', '1.0.0+', '1.0.0+a..b'])('rejects %j', (v) => expectInvalid(pub, v));
});
