import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDbPath } from '../../../src/vuln/db/paths.ts';

describe('resolveDbPath', () => {
  const env = { PALISADE_DB: '/env/vuln.db', XDG_CACHE_HOME: '/xdg' };

  it('prefers --db, then PALISADE_DB, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(resolveDbPath('/flag/my.db', env, '/home/u')).toBe('/flag/my.db');
    expect(resolveDbPath(undefined, env, '/home/u')).toBe('/env/vuln.db');
    expect(resolveDbPath(undefined, { XDG_CACHE_HOME: '/xdg' }, '/home/u')).toBe(join('/xdg', 'palisade', 'vuln.db'));
    expect(resolveDbPath(undefined, {}, '/home/u')).toBe(join('/home/u', '.cache', 'palisade', 'vuln.db'));
  });

  it('resolves relative paths and ignores a relative XDG_CACHE_HOME (invalid per the spec)', () => {
    expect(resolveDbPath('rel.db', {}, '/home/u')).toBe(resolve('rel.db'));
    expect(resolveDbPath(undefined, { XDG_CACHE_HOME: 'cache' }, '/home/u')).toBe(join('/home/u', '.cache', 'palisade', 'vuln.db'));
  });
});
