import { describe, expect, it } from 'vitest';
import { parsePositionedDocuments, type NodePosition } from '../../../src/policy/engine/yaml-positions.ts';

/** Line of a key or item path in a position tree (undefined when the path has no entry). */
function lineAt(position: NodePosition, path: (string | number)[]): number | undefined {
  let node: NodePosition | undefined = position;
  let line: number | undefined;
  for (const segment of path) {
    if (typeof segment === 'number') {
      node = node?.items?.[segment];
      line = node?.line;
    } else {
      const entry = node?.entries?.find((e) => e.key === segment);
      node = entry?.value;
      line = entry?.line;
    }
  }
  return line;
}

const TWO_DOCS = `# leading comment
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx
    -
      name: sidecar
---
apiVersion: v1
kind: ConfigMap
data:
  script: |
    line one
    line two
  empty:
`;

describe('parsePositionedDocuments', () => {
  it('gives the line of every key and item, document by document', () => {
    const docs = parsePositionedDocuments(TWO_DOCS)!;
    expect(docs.map((d) => d.line)).toEqual([2, 13]);
    const [pod, cm] = docs as [(typeof docs)[number], (typeof docs)[number]];
    expect(pod.value).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx' }, { name: 'sidecar' }] } });
    expect(lineAt(pod.position, ['metadata', 'name'])).toBe(5);
    expect(lineAt(pod.position, ['spec', 'containers', 0])).toBe(8);
    expect(lineAt(pod.position, ['spec', 'containers', 0, 'image'])).toBe(9);
    // An item whose content starts on the next line is where its content is.
    expect(lineAt(pod.position, ['spec', 'containers', 1])).toBe(11);
    expect(cm.value).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', data: { script: 'line one\nline two\n', empty: null } });
    expect(lineAt(cm.position, ['data', 'empty'])).toBe(19);
  });

  it('reads YAML 1.1 scalars as Kubernetes does', () => {
    const [doc] = parsePositionedDocuments('a: yes\nb: off\nc: 0644\nd: 2024-01-01\ne: "1"\n')!;
    expect(doc!.value).toEqual({ a: true, b: false, c: 420, d: '2024-01-01', e: '1' });
  });

  it('reads anchors and aliases: the aliased subtree has the line of its key', () => {
    const [doc] = parsePositionedDocuments('a: &x\n  - 1\n  - 2\nb: *x\nc:\n  *x\n')!;
    expect(doc!.value).toEqual({ a: [1, 2], b: [1, 2], c: [1, 2] });
    expect(lineAt(doc!.position, ['a', 1])).toBe(3);
    expect(lineAt(doc!.position, ['b'])).toBe(4);
    expect(lineAt(doc!.position, ['b', 0])).toBeUndefined();
  });

  it.each([
    ['a tag', 'a: !custom x\n'],
    ['an explicit key', '? a\n: b\n'],
    ['a directive', '%YAML 1.1\n---\na: b\n'],
    ['a merge key', 'base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['an empty sequence item', 'a:\n  -\n  - 1\n'],
    ['an alias inside an anchored node', 'a: &x 1\nb: &y [*x, *x]\nc: *y\n'],
    ['more aliases than the yaml parser allows', `a: &x 1\nb: [${Array.from({ length: 1001 }, () => '*x').join(', ')}]\n`],
    ['a syntax error', 'a: [1, 2\n'],
  ])('leaves %s to the full parser', (_, text) => {
    expect(parsePositionedDocuments(text)).toBeUndefined();
  });
});
