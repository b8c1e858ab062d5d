import { describe, expect, it } from 'vitest';
import { applyJsonPatch, toOperations } from '../../../src/policy/engine/json-patch.ts';
import { RuleError } from '../../../src/policy/types.ts';

const doc = { metadata: { name: 'p', labels: { 'app.kubernetes.io/name': 'web' } }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };

describe('applyJsonPatch', () => {
  it('adds, replaces and removes with JSON pointer escaping', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/team~1owner', value: 'alice' },
      { op: 'replace', path: '/metadata/name', value: 'q' },
      { op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' },
    ]);
    expect(out).toEqual({ metadata: { name: 'q', labels: { 'team/owner': 'alice' } }, spec: doc.spec });
    expect(doc.metadata.name).toBe('p');
  });

  it('appends with "-", inserts by index and accepts negative indices', () => {
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/spec/containers/-', value: { name: 'c' } },
      { op: 'add', path: '/spec/containers/0', value: { name: 'first' } },
      { op: 'remove', path: '/spec/containers/-1' },
    ]) as typeof doc;
    expect(out.spec.containers.map((c) => c.name)).toEqual(['first', 'a', 'b']);
  });

  it('creates missing parents on add and ignores removing a missing path (Kyverno options)', () => {
    const out = applyJsonPatch({ kind: 'Pod' }, [
      { op: 'add', path: '/metadata/annotations/x', value: '1' },
      { op: 'add', path: '/spec/tolerations/0', value: { key: 'k' } },
      { op: 'remove', path: '/status/phase' },
    ]);
    expect(out).toEqual({ kind: 'Pod', metadata: { annotations: { x: '1' } }, spec: { tolerations: [{ key: 'k' }] } });
  });

  it('moves, copies and tests', () => {
    const out = applyJsonPatch({ a: { x: 1 }, b: {} }, [
      { op: 'test', path: '/a/x', value: 1 },
      { op: 'copy', from: '/a/x', path: '/b/y' },
      { op: 'move', from: '/a', path: '/c' },
    ]);
    expect(out).toEqual({ b: { y: 1 }, c: { x: 1 } });
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(RuleError);
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }])).toThrow(/does not exist/);
  });

  it('rejects operations without op or path', () => {
    expect(() => toOperations([{ path: '/a' }])).toThrow(RuleError);
    expect(() => toOperations({ op: 'add' })).toThrow(/list of operations/);
  });
});
