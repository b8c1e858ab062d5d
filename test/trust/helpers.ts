/** Shared by the trust tests: fixtures and "which reason did it fail with". */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrustError, type TrustFailure } from '../../src/trust/errors.ts';
import { repoRoot } from '../helpers/corpus.ts';

export const fixturePath = (name: string): string => join(repoRoot, 'test/fixtures/trust', name);
export const fixture = (name: string): string => readFileSync(fixturePath(name), 'utf8');

/** The TrustError reason `fn` throws (undefined when it returns); other errors propagate. */
export function reasonOf(fn: () => unknown): TrustFailure | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TrustError) return err.reason;
    throw err;
  }
  return undefined;
}

/** The same for async functions. */
export async function asyncReasonOf(fn: () => Promise<unknown>): Promise<TrustFailure | undefined> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof TrustError) return err.reason;
    throw err;
  }
  return undefined;
}
