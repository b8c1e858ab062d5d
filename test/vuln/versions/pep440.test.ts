import { describe, expect, it } from 'vitest';
import { pep440 } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('pep440', () => {
  it('orders the PEP 440 summary example', () => {
    expectAscending(pep440, [
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0b2-346',
      '1.0c1.dev456',
      '1.0c1',
      '1.0rc2',
      '1.0c3',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.1.dev1',
      '1!0.1',
    ]);
  });

  it.each<Row>([
    // normalisation of spellings, case and separators
    ['1.0ALPHA1', '=', '1.0a1'],
    ['1.0-beta.2', '=', '1.0b2'],
    ['1.0pre1', '=', '1.0rc1'],
    ['1.0preview1', '=', '1.0rc1'],
    ['1.0C1', '=', '1.0rc1'],
    ['1.0a', '=', '1.0a0'],
    ['1.0-1', '=', '1.0.post1'],
    ['1.0.rev1', '=', '1.0.post1'],
    ['1.0r', '=', '1.0.post0'],
    ['1.0post', '=', '1.0.post0'],
    ['1.0-dev', '=', '1.0.dev0'],
    ['1.0_post_2', '=', '1.0.post2'],
    ['v1.0', '=', '1.0'],
    [' 1.0 ', '=', '1.0'],
    ['0!1.0', '=', '1.0'],
    ['1.0+Ubuntu-1', '=', '1.0+ubuntu.1'],
    // release segments: any length, zero-padded
    ['1.0', '=', '1.0.0.0'],
    ['1.01', '=', '1.1'],
    ['1.0.0.1', '>', '1.0'],
    ['1.10', '>', '1.9'],
    // local versions
    ['1.0.0+local', '>', '1.0.0'],
    ['1.0.0+local.a', '<', '1.0.0+local.1'],
    ['1.0.0+local.0', '<', '1.0.0+local.0.1'],
    ['1.0.0+9', '<', '1.0.0+10'],
    // legacy versions sort before all PEP 440 versions
    ['0.1-bulbasaur', '<', '0.0.1'],
    ['0.1-bulbasaur', '<', '0.1-charmander'],
    ['2013-01-21T20:33:09+0100', '<', '2013-01-23T17:11:52+0100'],
    ['2013-01-21T20:33:09+0100', '<', '0.1'],
    ['1.0-foo', '=', '1.0.0-foo'], // legacy: trailing zeros of a number series dropped
    ['1.0-rc1-foo', '<', '1.0-foo'], // legacy: "rc" is a pre-release tag
    ['1.0-dev-foo', '<', '1.0-rc1-foo'], // legacy: "dev" before pre-release tags
  ])('%s %s %s', (a, op, b) => expectOrder(pep440, a, op, b));

  it('flags legacy versions', () => {
    expect(pep440.parse('1.0.post1').pep440).toBe(true);
    expect(pep440.parse('0.1-bulbasaur').pep440).toBe(false);
    expect(pep440.parse('1!2.0rc1.post3.dev4+Abc')).toMatchObject({
      epoch: '1',
      release: ['2'],
      pre: { phase: 2, number: '1' },
      post: '3',
      dev: '4',
      local: ['abc'],
    });
  });

  it.each(['', '   ', '1.0 beta', '1.0\t1'])('rejects %j', (v) => expectInvalid(pep440, v));
});
