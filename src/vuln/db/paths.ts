/**
 * Where the vulnerability database lives: `--db PATH` > `PALISADE_DB` >
 * `$XDG_CACHE_HOME/palisade/vuln.db` > `~/.cache/palisade/vuln.db`.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const DB_FILE_NAME = 'vuln.db';

export function resolveDbPath(flag?: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (flag) return resolve(flag);
  if (env.PALISADE_DB) return resolve(env.PALISADE_DB);
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const cache = xdg && isAbsolute(xdg) ? xdg : join(home, '.cache');
  return join(cache, 'palisade', DB_FILE_NAME);
}
