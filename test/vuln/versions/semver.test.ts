import { describe, expect, it } from 'vitest';
import { semver } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('semver', () => {
  it('orders the SemVer 2.0 precedence example (spec item 11)', () => {
    expectAscending(semver, [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
    ]);
  });

  it.each<Row>([
    ['1.9.0', '<', '1.10.0'],
    ['1.2.3-9', '<', '1.2.3-10'], // numeric identifiers by value
    ['1.2.3-10', '<', '1.2.3-9a'], // numeric before alphanumeric
    ['1.2.3-Alpha', '<', '1.2.3-alpha'], // ASCII order: upper case first
    ['1.2.3-a-b', '>', '1.2.3-a'], // hyphens belong to the identifier
    ['1.2.3+build.1', '=', '1.2.3+build.2'], // build metadata ignored
    ['1.2.3-rc.1+b', '=', '1.2.3-rc.1'],
    ['v1.2.3', '=', '1.2.3'],
    ['V1.2.3', '=', '1.2.3'],
    ['1.2', '=', '1.2.0'],
    ['1', '=', '1.0.0'],
    ['01.002.0003', '=', '1.2.3'],
    ['1.0.0beta1', '=', '1.0.0-beta1'], // node-semver loose form
    ['1.0.0.beta1', '=', '1.0.0-beta1'],
    ['1.1.3.4', '>', '1.1.3'],
    ['1.1.3.4', '<', '1.1.3.10'],
    ['123456789012345678901234567890.0.0', '<', '123456789012345678901234567891.0.0'],
  ])('%s %s %s', (a, op, b) => expectOrder(semver, a, op, b));

  it('exposes the parsed parts', () => {
    expect(semver.parse('v1.02-rc.1+exp.sha')).toMatchObject({
      raw: 'v1.02-rc.1+exp.sha',
      release: ['1', '2'],
      prerelease: ['rc', '1'],
      build: ['exp', 'sha'],
    });
  });

  it.each(['', ' 1.0.0', '1.0.0 ', 'abc', 'v', '1.0.0-', '1.0.0+', '1.0.0-a..b', '1.0.0+a..b', '1..0', '1.0.0_1', '-1.0.0'])(
    'rejects %j',
    (v) => expectInvalid(semver, v),
  );
});
