/**
 * Compatibility suite: pod-security admission's own test data (../shared/corpus/pod-security,
 * from kubernetes/pod-security-admission test/testdata). Every fixture under
 * psa-testdata/<level>/<version>/<pass|fail>/ is evaluated at that level and version: a pod in
 * pass/ must be allowed, one in fail/ denied. Prints passed/total per level and version and a
 * total per level, and lists failures. Floor: 100%.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkPodSecurity } from '../../src/policy/podsecurity/index.ts';
import { corpusDir } from '../helpers/corpus.ts';

const LEVELS = ['baseline', 'restricted'] as const;

const root = corpusDir('pod-security', 'psa-testdata');

/** v1.0, v1.1 … v1.37 in numeric order. */
function versionsIn(dir: string): string[] {
  const minor = (v: string) => Number(v.split('.')[1]);
  return readdirSync(dir)
    .filter((v) => /^v1\.\d+$/.test(v))
    .sort((a, b) => minor(a) - minor(b));
}

function outcome(file: string, level: (typeof LEVELS)[number], version: string): boolean | string {
  try {
    return checkPodSecurity(parse(readFileSync(file, 'utf8')) as Record<string, unknown>, level, version).allowed;
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

describe.skipIf(!root)('pod security standards compatibility (../shared/corpus/pod-security)', () => {
  it.each(LEVELS)('%s', (level) => {
    const levelDir = join(root ?? '', level);
    const failures: string[] = [];
    let passed = 0;
    let total = 0;
    for (const version of versionsIn(levelDir)) {
      let versionPassed = 0;
      let versionTotal = 0;
      for (const want of ['pass', 'fail'] as const) {
        const dir = join(levelDir, version, want);
        for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
          versionTotal++;
          const got = outcome(join(dir, name), level, version);
          if (got === (want === 'pass')) versionPassed++;
          else failures.push(`${version}/${want}/${name}: ${typeof got === 'string' ? got : got ? 'allowed' : 'denied'}`);
        }
      }
      console.log(`[compat] pod-security ${level} ${version}: ${versionPassed}/${versionTotal}`);
      passed += versionPassed;
      total += versionTotal;
    }
    console.log(`[compat] pod-security ${level} (all versions): ${passed}/${total}`);
    for (const f of failures) console.log(`[compat]   ✗ ${level} ${f}`);
    expect(total).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
