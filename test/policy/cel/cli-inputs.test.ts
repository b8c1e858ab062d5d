import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { loadCelCliInputs } from '../../../src/policy/cel/cli-inputs.ts';

describe('loadCelCliInputs', () => {
  it('reports an invalid globalContextEntries projection as an input error naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-cel-inputs-'));
    const testPath = join(dir, 'kyverno-test.yaml');
    await writeFile(testPath, 'globalContextEntries:\n  - name: gce\n    data: {a: 1}\n    projections:\n      - name: p\n        path: "a[["\n');
    const err = await loadCelCliInputs({ dir, testPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as Error).message).toContain('projection p');
  });
});
