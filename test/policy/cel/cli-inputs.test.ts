import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { loadCelCliInputs } from '../../../src/policy/cel/cli-inputs.ts';

describe('loadCelCliInputs', () => {
  it('reports an invalid globalContextEntries projection as an input error naming it', async () => {
    const mocks = { globalContextEntries: [{ name: 'gce', data: { a: 1 }, projections: [{ name: 'p', path: 'a[[' }] }], apiCallResponses: [] };
    const err = await loadCelCliInputs({ dir: '.', test: { path: 'suite/kyverno-test.yaml', mocks } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as Error).message).toMatch(/^suite\/kyverno-test\.yaml: globalContextEntries gce: projection p: /);
  });

  it("answers from the test file's mocks as parsed, without reading the test file again", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-cel-inputs-'));
    await writeFile(join(dir, 'team.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: team}\ndata: {owner: alice}\n');
    const mocks = {
      globalContextEntries: [{ name: 'teams', resourceFiles: ['team.yaml'], projections: [{ name: 'owners', path: '[].data.owner' }] }],
      apiCallResponses: [{ method: 'post', url: 'http://svc/check', response: { allowed: true } }],
    };
    // The path only names the file in messages: nothing exists there.
    const options = await loadCelCliInputs({ dir, test: { path: join(dir, 'missing', 'kyverno-test.yaml'), mocks } });
    expect(options.cluster?.globalContext).toMatchObject({ 'teams.owners': ['alice'] });
    expect(options.cluster?.http).toEqual({ 'POST http://svc/check': { allowed: true } });
  });
});
