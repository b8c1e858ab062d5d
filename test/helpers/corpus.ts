/**
 * Locates ../shared/corpus for compatibility suites. Suites call `corpusDir()` and skip with a
 * message when it is absent (a checkout without the shared data).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function corpusDir(...parts: string[]): string | undefined {
  const base = process.env.PALISADE_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus');
  const dir = join(base, ...parts);
  if (!existsSync(dir)) {
    console.warn(`[compat] skipped: ${dir} not found (set PALISADE_CORPUS to the shared corpus)`);
    return undefined;
  }
  return dir;
}

export { repoRoot };
