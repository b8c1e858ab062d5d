import { describe, it } from 'vitest';
import { nuget } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('nuget', () => {
  it('orders four-part versions and their pre-releases', () => {
    expectAscending(nuget, [
      '0.9.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.2',
      '1.0.0-alpha.10',
      '1.0.0-beta',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.0.1-beta',
      '1.0.0.1',
      '1.0.0.10',
      '1.0.1',
    ]);
  });

  it.each<Row>([
    ['1.0', '=', '1.0.0.0'],
    ['1', '=', '1.0.0.0'],
    ['1.0.01', '=', '1.0.1'],
    ['1.0.0-BETA', '=', '1.0.0-beta'], // labels compare case-insensitively
    ['1.0.0-Beta.X', '<', '1.0.0-beta.y'],
    ['1.0.0-beta2', '>', '1.0.0-BETA'],
    ['1.0.0-1', '<', '1.0.0-a'], // numeric labels first
    ['1.0.0+build1', '=', '1.0.0+build2'], // metadata ignored
    ['1.0.0-rc+build', '<', '1.0.0'],
  ])('%s %s %s', (a, op, b) => expectOrder(nuget, a, op, b));

  it.each(['', '1.0.0-', 'one', '1.0.0 beta', '[1.0,2.0)'])('rejects %j', (v) => expectInvalid(nuget, v));
});
