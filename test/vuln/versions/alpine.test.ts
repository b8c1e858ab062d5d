import { describe, expect, it } from 'vitest';
import { alpine } from '../../../src/vuln/versions/index.ts';
import { expectAscending, expectInvalid, expectOrder, type Row } from './order.ts';

describe('alpine', () => {
  it('orders suffixes: _alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p', () => {
    expectAscending(alpine, [
      '1.0_alpha',
      '1.0_alpha1',
      '1.0_alpha2',
      '1.0_beta',
      '1.0_pre1',
      '1.0_rc1',
      '1.0',
      '1.0-r1',
      '1.0-r10',
      '1.0_cvs',
      '1.0_svn1',
      '1.0_git',
      '1.0_hg',
      '1.0_p1',
      '1.0_p2',
      '1.0a', // a letter outranks any suffix
      '1.0b',
      '1.0.0', // one more number outranks letter, suffix and revision
      '1.0.1',
    ]);
  });

  it.each<Row>([
    ['1-r', '=', '1-r0'],
    ['1.0', '=', '1.0-r0'],
    ['1.2.0', '<', '1.2.1'],
    ['1.2.3b', '>', '1.2.0d'],
    ['1.01', '<', '1.1'], // a leading zero makes later numbers compare as strings
    ['1.05', '>', '1.010'],
    ['06', '>', '1.0'], // ...but never the first one
    ['1.0_alpha_p1', '>', '1.0_alpha'],
    ['1.0_alpha_p1', '<', '1.0_beta'],
    ['1.0_git20200101-r0', '=', '1.0_git20200101~abc123-r0'], // the commit hash is ignored
    ['2.2.39-r1', '>', '1.0.4-r3'],
    ['1.0.4-r3', '<', '1.0.4-r4'],
    // not apk-shaped: trailing text sorts first; two such versions compare as strings
    ['1', '>', '1-ruff'],
    ['1.2.0A', '<', '1.2.0d'],
    ['0..8', '>', '0...8'],
    ['6.6.2p1', '<', '6.6.2p2'],
    ['6.6.2p1', '>', '6.6.2_p2'],
  ])('%s %s %s', (a, op, b) => expectOrder(alpine, a, op, b));

  it('parses each part', () => {
    expect(alpine.parse('1.2.3b_rc2_p4~deadbeef-r5')).toMatchObject({
      numbers: ['1', '2', '3'],
      letter: 'b',
      suffixes: [
        { rank: 3, number: '2' },
        { rank: 9, number: '4' },
      ],
      revision: '5',
      rest: '',
      malformed: false,
    });
    expect(alpine.parse('1.0_blah').malformed).toBe(true);
  });

  it.each(['', ' 1.0', '1.0 -r1', '1.0\t'])('rejects %j', (v) => expectInvalid(alpine, v));
});
