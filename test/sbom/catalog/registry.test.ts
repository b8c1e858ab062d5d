import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_CATALOGERS } from '../../../src/sbom/catalog/index.ts';
import { repoRoot } from '../../helpers/corpus.ts';

describe('cataloger registry', () => {
  it('has unique names', () => {
    const names = ALL_CATALOGERS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('lists every cataloger in docs/catalogers.md, and nothing else', () => {
    const doc = readFileSync(join(repoRoot, 'docs/catalogers.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z]+\/[a-z0-9-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(ALL_CATALOGERS.map((c) => c.name).sort());
  });
});
