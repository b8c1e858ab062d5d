import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ParseError } from '../../../../src/core/errors.ts';
import { readPnpmYaml } from '../../../../src/sbom/catalog/javascript/pnpm-yaml.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/pnpm-lock');

/** What the `yaml` package reads (failsafe schema, last non-empty document), as plain JSON. */
function reference(text: string): unknown {
  const docs = parseAllDocuments(text, { schema: 'failsafe' });
  const doc = [...docs].reverse().find((d) => d.contents !== null);
  return JSON.parse(JSON.stringify(doc?.toJS() ?? null));
}
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

describe('readPnpmYaml', () => {
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !['broken-yaml.yaml', 'comments-only.yaml'].includes(f));

  it.each(fixtures)('reads %s exactly as the yaml package does', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const { root } = readPnpmYaml(text);
    expect(plain(root)).toEqual(reference(text));
    // Only the line scanner builds prototype-less maps: every fixture but the folded one stays on it.
    expect(Object.getPrototypeOf(root) === null).toBe(file !== 'v9-block-scalar.yaml');
  });

  it('reads the subset: quoted keys and values, flow collections, sequences, empty values', () => {
    const text = [
      "lockfileVersion: '9.0'",
      'packages:',
      "  '@a/b@1.0.0':",
      "    resolution: {integrity: 'sha512-x==', tarball: https://example.com/b.tgz}",
      '    cpu: [x64, arm64]',
      '    libc:',
      '      - glibc',
      "    deprecated: 'it''s old'",
      '    note: "tab\\there"',
      '    nested: {a: {b: [c]}}',
      '    empty:',
      '  __proto__: {}',
      '',
    ].join('\n');
    const { root, keyLine } = readPnpmYaml(text);
    expect(plain(root)).toEqual(reference(text));
    const packages = (root as Record<string, Record<string, unknown>>).packages!;
    expect(packages['@a/b@1.0.0']).toMatchObject({ cpu: ['x64', 'arm64'], libc: ['glibc'], deprecated: "it's old", empty: '' });
    // A `__proto__` key is data, not a prototype.
    expect(Object.getPrototypeOf(packages)).toBeNull();
    expect(Object.hasOwn(packages, '__proto__')).toBe(true);
    expect(keyLine('packages', '@a/b@1.0.0')).toBe(3);
    expect(keyLine('packages', '__proto__')).toBe(12);
    expect(keyLine('packages', 'missing')).toBeUndefined();
  });

  it.each([
    ['a block scalar', 'packages:\n  a@1.0.0:\n    deprecated: |\n      old\n'],
    ['a multi-line plain scalar', 'packages:\n  a@1.0.0:\n    deprecated: very\n      old\n'],
    ['an anchor and alias', 'x: &v 1\ny: *v\n'],
    ['a YAML-only escape in a double-quoted string', 'note: "\\x41"\n'],
    ['a comment after a value', 'lockfileVersion: 5.3 # pnpm 6\n'],
    ['an indentless sequence', 'cpu:\n- x64\n'],
  ])('falls back to the yaml package for %s, with the same result', (_, text) => {
    expect(plain(readPnpmYaml(text).root)).toEqual(reference(text));
  });

  it('gives lines from the yaml package too', () => {
    const { keyLine } = readPnpmYaml('packages:\n  a@1.0.0:\n    deprecated: |\n      old\n  b@2.0.0: {}\n');
    expect(keyLine('packages', 'b@2.0.0')).toBe(5);
  });

  it('turns invalid YAML and duplicate keys into a ParseError with the line', () => {
    expect(() => readPnpmYaml('packages:\n  a: [1, 2\n')).toThrow(ParseError);
    expect(() => readPnpmYaml('packages:\n\t a@1.0.0: {}\n')).toThrow(/Tabs are not allowed/);
    const duplicate = (() => {
      try {
        readPnpmYaml('packages:\n  a@1.0.0: {}\n  a@1.0.0: {}\n');
      } catch (err) {
        return err;
      }
    })();
    expect(duplicate).toBeInstanceOf(ParseError);
    expect(duplicate).toMatchObject({ line: 3, message: expect.stringMatching(/^invalid YAML: .*unique/) });
  });

  it('reads a file saved with a byte-order mark and CRLF line ends on the fast path', () => {
    const { root, keyLine } = readPnpmYaml("\uFEFFlockfileVersion: '9.0'\r\n\r\npackages:\r\n\r\n  a@1.0.0: {}\r\n");
    expect(Object.getPrototypeOf(root)).toBeNull();
    expect(plain(root)).toEqual({ lockfileVersion: '9.0', packages: { 'a@1.0.0': {} } });
    expect(keyLine('packages', 'a@1.0.0')).toBe(5);
  });

  it('reads an empty or comment-only file as no document', () => {
    expect(plain(readPnpmYaml('').root)).toEqual({});
    expect(plain(readPnpmYaml('# nothing\n').root)).toEqual({});
  });
});
