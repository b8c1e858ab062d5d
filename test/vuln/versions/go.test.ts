import { describe, it } from 'vitest';
import { go } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('go', () => {
  it('orders pseudo-versions by commit time, before the release they precede', () => {
    expectAscending(go, [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20200101000000-aaaaaaaaaaaa',
      'v0.0.0',
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.4-pre.0.20200101000000-bbbbbbbbbbbb',
      'v1.2.4',
      'v2.0.0',
      'v2.0.1-0.20210101000000-cccccccccccc',
      'v2.0.1',
    ]);
  });

  it.each<Row>([
    ['v2.0.0+incompatible', '=', 'v2.0.0'],
    ['v2.1.0+incompatible', '>', 'v2.0.0'],
    ['v1.2.3', '=', '1.2.3'], // OSV SEMVER events carry no "v"
    ['v1.2', '=', 'v1.2.0'], // golang.org/x/mod/semver shorthand
  ])('%s %s %s', (a, op, b) => expectOrder(go, a, op, b));

  it.each(['', '(devel)', 'latest', 'v1.2.3-', 'go1.21'])('rejects %j', (v) => expectInvalid(go, v));
});
