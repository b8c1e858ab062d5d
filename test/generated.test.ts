import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../scripts/generate.ts';

describe('generated sources', () => {
  it.each(GENERATED.map((g) => [g.path, g] as const))('%s is up to date (npm run generate)', async (path, generated) => {
    expect(readFileSync(path, 'utf8') === (await generated.text()), `${path} is stale: run npm run generate`).toBe(true);
  });
});
