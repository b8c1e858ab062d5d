import { describe, expect, it } from 'vitest';
import { isScalar } from 'yaml';
import { ParseError } from '../../src/core/errors.ts';
import { entry, ignoreComments, loadYaml, position, scalarText, valueRange } from '../../src/ci/yaml.ts';

function scalarAt(text: string, ...keys: string[]) {
  const file = loadYaml('x.yml', text);
  let node: unknown = file.doc.contents;
  for (const k of keys) node = entry(file, node, k)!.value;
  if (!isScalar(node)) throw new Error('not a scalar');
  return { file, node };
}

describe('scalarText', () => {
  it('maps every character of a literal block back to its line and column', () => {
    const { file, node } = scalarAt('run: |\n  echo a\n    echo ${{ x }}\n', 'run');
    const t = scalarText(file, node);
    expect(t.text).toBe('echo a\n  echo ${{ x }}');
    const at = position(file, t.offsets[t.text.indexOf('${{')]!);
    expect(at).toEqual({ line: 3, column: 10 });
  });

  it('unescapes quoted scalars and keeps offsets of the source characters', () => {
    const { file, node } = scalarAt('a: "x\\ty ${{ z }}"\nb: \'it\'\'s ${{ w }}\'\n', 'a');
    const t = scalarText(file, node);
    expect(t.text).toBe('x\ty ${{ z }}');
    expect(position(file, t.offsets[t.text.indexOf('z')]!)).toEqual({ line: 1, column: 14 });
    const single = scalarAt('b: \'it\'\'s ${{ w }}\'\n', 'b');
    const s = scalarText(single.file, single.node);
    expect(s.text).toBe("it's ${{ w }}");
    expect(position(single.file, s.offsets[s.text.indexOf('w')]!)).toEqual({ line: 1, column: 15 });
  });

  it('folds folded blocks and multi-line plain scalars the way YAML does', () => {
    const folded = scalarAt('if: >\n  a\n  b\n', 'if');
    expect(scalarText(folded.file, folded.node).text).toBe('a b');
    const plain = scalarAt('x: one\n  two\n', 'x');
    expect(scalarText(plain.file, plain.node).text).toBe('one two');
  });

  it('starts a block value at its first content line', () => {
    const { file, node } = scalarAt('uses: |\n  actions/checkout@v4\n', 'uses');
    expect(position(file, valueRange(file, node).start)).toEqual({ line: 2, column: 3 });
  });
});

describe('loadYaml', () => {
  it('rejects invalid YAML and duplicate keys with the line', () => {
    expect(() => loadYaml('x.yml', 'a: [\n')).toThrow(ParseError);
    try {
      loadYaml('x.yml', 'a: 1\nb: 2\na: 3\n');
      expect.unreachable();
    } catch (err) {
      expect((err as ParseError).line).toBe(3);
    }
    expect(() => loadYaml('x.yml', 'a\0b')).toThrow(/binary/);
  });

  it('takes the last document of a stream when asked (GitLab spec headers)', () => {
    const file = loadYaml('x.yml', 'spec:\n  inputs: {}\n---\njob:\n  script: [echo]\n', true);
    expect(entry(file, file.doc.contents, 'job')).toBeDefined();
  });
});

describe('ignoreComments', () => {
  it('reads palisade and zizmor comments, several rules per comment', () => {
    const map = ignoreComments('a: 1 # zizmor: ignore[x, y]\nb: "# not-a-comment ignore[z]"\nc: 2 #palisade:ignore[w]\n');
    expect([...(map.get(1) ?? [])]).toEqual(['x', 'y']);
    expect(map.has(2)).toBe(false);
    expect([...(map.get(3) ?? [])]).toEqual(['w']);
  });
});
