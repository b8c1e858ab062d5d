/**
 * `npm run deploy:admission`: regenerates deploy/admission/ from `palisade admission manifests`
 * with its defaults, the key material replaced by a placeholder (a private key committed to a
 * repository is public). test/admission/manifests.test.ts checks that the files are up to date.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactKeyMaterial } from '../src/admission/manifests/index.ts';
import { main } from '../src/cli/main.ts';

const DEPLOY_DIR = join(import.meta.dirname, '../deploy/admission');

const generated = mkdtempSync(join(tmpdir(), 'palisade-deploy-'));
try {
  const code = await main(['node', 'palisade', '--quiet', 'admission', 'manifests', '--output', generated]);
  if (code !== 0) throw new Error(`palisade admission manifests exited with ${code}`);
  const names = readdirSync(generated).filter((n) => n.endsWith('.yaml'));
  for (const stale of readdirSync(DEPLOY_DIR).filter((n) => n.endsWith('.yaml') && !names.includes(n))) rmSync(join(DEPLOY_DIR, stale));
  for (const name of names) writeFileSync(join(DEPLOY_DIR, name), redactKeyMaterial(readFileSync(join(generated, name), 'utf8')));
  process.stdout.write(`regenerated ${names.length} files in ${DEPLOY_DIR}\n`);
} finally {
  rmSync(generated, { recursive: true, force: true });
}
