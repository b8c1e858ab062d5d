/**
 * The password of a cosign private key, as cosign finds it: `PALISADE_PASSWORD`, else
 * `COSIGN_PASSWORD` (either may be set to the empty string, which cosign allows), else a prompt
 * on the terminal without echo. Without a terminal and without the variables, the empty password
 * is tried, and a key that needs another one fails with WRONG_PASSWORD naming the variables.
 */
import { readFile } from 'node:fs/promises';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { COSIGN_PRIVATE_KEY_LABEL, SIGSTORE_PRIVATE_KEY_LABEL, loadPrivateKey } from '../trust/keys.ts';
import type { KeyObject } from 'node:crypto';

export function passwordFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.PALISADE_PASSWORD ?? env.COSIGN_PASSWORD;
}

/** Reads a line from the terminal without echoing it; undefined when stdin is not a terminal. */
export async function promptPassword(question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stderr.isTTY) return undefined;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            stdin.off('data', onData);
            resolve(typed);
            return;
          }
          if (char === '\u0003') {
            stdin.off('data', onData);
            reject(new PalisadeError('USAGE', 'interrupted'));
            return;
          }
          if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
          else typed += char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** Loads `--key` for signing, asking for the password only when the key is encrypted and no variable gives it. */
export async function readSigningKey(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the key ${path}: ${errorMessage(err)}`);
  }
  const encrypted = pem.includes(`BEGIN ${SIGSTORE_PRIVATE_KEY_LABEL}`) || pem.includes(`BEGIN ${COSIGN_PRIVATE_KEY_LABEL}`);
  const password = passwordFromEnv() ?? (encrypted ? await promptPassword(`Enter password for private key ${path}: `) : undefined);
  return loadPrivateKey(pem, password);
}
