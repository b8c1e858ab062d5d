/** Files a command reads from its flags: a clear error naming the flag's file, never a stack trace. */
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { loadPublicKey } from '../trust/keys.ts';

/** The bytes of `path`; `what` names it in the error (`the key`, `the provenance`). */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the ${what} ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Public keys (PEM: PKIX, certificates, cosign.pub) from `--key` files, in order. */
export async function readPublicKeys(paths: readonly string[]): Promise<KeyObject[]> {
  const keys: KeyObject[] = [];
  for (const path of paths) keys.push(loadPublicKey((await readInputFile(path, 'key')).toString('utf8')));
  return keys;
}
