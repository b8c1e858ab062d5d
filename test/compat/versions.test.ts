/**
 * Compatibility suite: the version-ordering vectors of ../shared/corpus/versions (from
 * osv-scalibr's semantic/testdata). ECOSYSTEMS.json says which ecosystems each file applies
 * to; every line `A <op> B` is checked in both directions (compare(A, B) and compare(B, A))
 * under each of them. Prints passed/total per file and ecosystem. Floor: 100% everywhere,
 * except for the vectors listed in DISPUTED, which contradict the ecosystem's reference
 * implementation: they are reported here (and printed when they fail), never special-cased
 * in the comparators.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemeFor } from '../../src/vuln/versions/index.ts';
import { corpusDir } from '../helpers/corpus.ts';

interface Vector {
  line: number;
  a: string;
  op: '<' | '=' | '>';
  b: string;
}

const EXPECTED: Record<Vector['op'], number> = { '<': -1, '=': 0, '>': 1 };

/** file → vector text → why the reference implementation disagrees with it. */
const DISPUTED: Record<string, Record<string, string>> = {
  'maven-versions.txt': {
    '1-1 = 1-ga-1':
      "Maven's ComparableVersion (3.8.6, which generated maven-versions-generated.txt, and 3.9 alike) " +
      'orders 1-ga-1 before 1-1: normalising drops the null "ga" but keeps its sub-list, so the items are ' +
      '[1, [[1]]] against [1, [1]], and a list sorts before an integer. The equality comes from the POM ' +
      "reference's prose (\"trailing null values at each hyphen\"), which ComparableVersion does not implement.",
  },
};

function readVectors(path: string): Vector[] {
  const vectors: Vector[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (text === '' || text.startsWith('# ') || text.startsWith('// ')) return;
      const fields = text.split(' ');
      const [a, op, b] = fields;
      if (fields.length !== 3 || a === undefined || b === undefined || !(op === '<' || op === '=' || op === '>')) {
        throw new Error(`${path}:${index + 1}: malformed vector ${JSON.stringify(text)}`);
      }
      vectors.push({ line: index + 1, a, op, b });
    });
  return vectors;
}

function outcome(compare: (a: string, b: string) => number, a: string, b: string): number | string {
  try {
    return compare(a, b);
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

const root = corpusDir('versions');

describe.skipIf(!root)('version ordering compatibility (../shared/corpus/versions)', () => {
  const manifest = root
    ? (JSON.parse(readFileSync(join(root, 'ECOSYSTEMS.json'), 'utf8')) as { ecosystems_per_file: Record<string, string[]> })
    : { ecosystems_per_file: {} };
  const cases = Object.entries(manifest.ecosystems_per_file).flatMap(([file, ecosystems]) =>
    ecosystems.map((ecosystem) => ({ file, ecosystem })),
  );

  it.each(cases)('$file ($ecosystem)', ({ file, ecosystem }) => {
    const scheme = schemeFor(ecosystem);
    expect(scheme, `no version scheme for ${ecosystem}`).toBeDefined();
    if (!scheme) return;
    const vectors = readVectors(join(root ?? '', file));
    const disputed = DISPUTED[file] ?? {};
    const failures: string[] = [];
    const disputedFailures: string[] = [];
    for (const v of vectors) {
      const want = EXPECTED[v.op];
      const forward = outcome(scheme.compare, v.a, v.b);
      const backward = outcome(scheme.compare, v.b, v.a);
      if (forward === want && backward === -want) continue;
      const text = `${v.a} ${v.op} ${v.b}`;
      const failure = `line ${v.line}: ${text} → compare(a,b)=${forward}, compare(b,a)=${backward}`;
      const reason = disputed[text];
      if (reason === undefined) failures.push(failure);
      else disputedFailures.push(`${failure} [disputed: ${reason}]`);
    }
    const passed = vectors.length - failures.length - disputedFailures.length;
    const note = disputedFailures.length > 0 ? ` (${disputedFailures.length} disputed)` : '';
    console.log(`[compat] versions/${file} (${ecosystem}): ${passed}/${vectors.length}${note}`);
    for (const d of disputedFailures) console.log(`[compat]   ${d}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(vectors.length).toBeGreaterThan(0);
  });
});
