import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateAffected } from '../../../src/vuln/osv/affected.ts';
import { readOsvRecord, type OsvAffected } from '../../../src/vuln/osv/record.ts';
import { repoRoot } from '../../helpers/corpus.ts';

const real = (file: string) =>
  readOsvRecord(JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/osv-match', file), 'utf8'))).record;

/** Synthetic entries (test data written here) for the evaluation rules of the OSV schema. */
const entry = (events: Record<string, string>[], type = 'ECOSYSTEM', versions: string[] = []): OsvAffected =>
  readOsvRecord({ id: 'TEST-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'x' }, versions, ranges: [{ type, events }] }] })
    .record.affected[0]!;

describe('OSV range evaluation', () => {
  it('introduced/fixed: affected from introduced up to but excluding fixed, and names the fix', () => {
    const e = entry([{ introduced: '1.0.0' }, { fixed: '1.2.0' }]);
    expect(evaluateAffected(e, 'npm', '0.9.9').affected).toBe(false);
    expect(evaluateAffected(e, 'npm', '1.0.0')).toMatchObject({ affected: true, fixedVersions: ['1.2.0'] });
    expect(evaluateAffected(e, 'npm', '1.1.9').affected).toBe(true);
    expect(evaluateAffected(e, 'npm', '1.2.0').affected).toBe(false);
  });

  it('last_affected is an inclusive ceiling with no fix', () => {
    const e = entry([{ introduced: '0' }, { last_affected: '2.0.0' }]);
    expect(evaluateAffected(e, 'npm', '2.0.0')).toMatchObject({ affected: true, fixedVersions: [] });
    expect(evaluateAffected(e, 'npm', '2.0.1').affected).toBe(false);
  });

  it('several introduced/fixed pairs in one range, events in any order', () => {
    const e = entry([{ fixed: '2.5.0' }, { introduced: '2.0.0' }, { fixed: '1.0.0' }, { introduced: '0' }]);
    expect(evaluateAffected(e, 'npm', '0.5.0')).toMatchObject({ affected: true, fixedVersions: ['1.0.0'] });
    expect(evaluateAffected(e, 'npm', '1.5.0').affected).toBe(false);
    expect(evaluateAffected(e, 'npm', '2.2.0')).toMatchObject({ affected: true, fixedVersions: ['2.5.0'] });
  });

  it('limit bounds the range from above', () => {
    const e = entry([{ introduced: '1.0.0' }, { limit: '1.5.0' }]);
    expect(evaluateAffected(e, 'npm', '1.4.0').affected).toBe(true);
    expect(evaluateAffected(e, 'npm', '1.5.0').affected).toBe(false);
  });

  it('orders with the ecosystem scheme, not as strings (PyPI pre-releases and epochs)', () => {
    const e = entry([{ introduced: '0' }, { fixed: '2.0.0rc1' }]);
    expect(evaluateAffected(e, 'PyPI', '2.0.0b3').affected).toBe(true);
    expect(evaluateAffected(e, 'PyPI', '2.0.0').affected).toBe(false);
    expect(evaluateAffected(e, 'PyPI', '1!0.1').affected).toBe(false);
  });

  it('SEMVER ranges: Go versions without the v prefix, pseudo-versions', () => {
    const e = entry([{ introduced: '0' }, { fixed: '0.3.8' }], 'SEMVER');
    expect(evaluateAffected(e, 'Go', '0.3.5').affected).toBe(true);
    expect(evaluateAffected(e, 'Go', '0.0.0-20210226172049-e18ecbb05110').affected).toBe(true);
    expect(evaluateAffected(e, 'Go', '0.3.8').affected).toBe(false);
  });

  it('GIT ranges never match a package version', () => {
    const e = entry([{ introduced: '0' }, { fixed: 'abc123' }], 'GIT');
    expect(evaluateAffected(e, 'npm', '1.0.0').affected).toBe(false);
  });

  it('an explicit versions list alone is enough (ua-parser-js malware, real record)', () => {
    const r = real('GHSA-pjwm-rvh2-c87w.json');
    expect(evaluateAffected(r.affected[0]!, 'npm', '0.7.29')).toMatchObject({ affected: true, fixedVersions: ['0.7.30'] });
    expect(evaluateAffected(r.affected[0]!, 'npm', '0.7.28').affected).toBe(false);
  });

  it('a malformed fixed event is reported, not fatal (protobufjs "7.2.4, 6.11.4", real record)', () => {
    const r = real('GHSA-h755-8qp9-cq85.json');
    const result = evaluateAffected(r.affected[0]!, 'npm', '6.11.3');
    expect(result.affected).toBe(true);
    expect(result.problems.join('\n')).toMatch(/7\.2\.4, 6\.11\.4/);
  });

  it('an entry with only introduced: 0 affects every version (babel-traverse, real record)', () => {
    const r = real('GHSA-67hx-6x53-jw92.json');
    const babelTraverse = r.affected.find((a) => a.package?.name === 'babel-traverse')!;
    expect(evaluateAffected(babelTraverse, 'npm', '6.26.0')).toMatchObject({ affected: true, fixedVersions: [] });
  });

  it('Debian versions: backported fix in a deb9u revision (DLA-3008-1, real record)', () => {
    const r = real('DLA-3008-1.json');
    expect(evaluateAffected(r.affected[0]!, 'Debian:9', '1.1.0l-1~deb9u5').affected).toBe(true);
    expect(evaluateAffected(r.affected[0]!, 'Debian:9', '1.1.0l-1~deb9u6').affected).toBe(false);
    expect(evaluateAffected(r.affected[0]!, 'Debian:9', '1.1.0f-3+deb9u1').affected).toBe(true);
  });

  it('an installed version the scheme cannot order is a problem, not a match', () => {
    const e = entry([{ introduced: '0' }, { fixed: '1.0.0' }]);
    const result = evaluateAffected(e, 'npm', 'not a version');
    expect(result.affected).toBe(false);
    expect(result.problems).toHaveLength(1);
  });
});

describe('OSV record validation', () => {
  it('names every bad field of a record that cannot be used', () => {
    expect(() => readOsvRecord({ affected: 'x' })).toThrow(/id: missing; modified: missing; affected: not an array/);
  });

  it('drops a bad event with a warning and keeps the rest', () => {
    const { record, warnings } = readOsvRecord({
      id: 'X',
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'npm', name: 'a' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }, { fixed: '2.0.0' }] }] }],
    });
    expect(record.affected[0]!.ranges[0]!.events).toEqual([{ fixed: '2.0.0' }]);
    expect(warnings[0]).toMatch(/affected\[0\]\.ranges\[0\]\.events\[0\]/);
  });
});
