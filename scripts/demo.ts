/**
 * `npm run demo`: runs Palisade's main job on the bundled sample project (examples/storefront)
 * and shows each stage's output. Later stages (scan, policy, secrets…) add themselves here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';

const sample = 'examples/storefront';
const outDir = mkdtempSync(join(tmpdir(), 'palisade-demo-'));

async function step(title: string, args: string[]): Promise<void> {
  process.stdout.write(`\n━━ ${title}\n$ palisade ${args.join(' ')}\n\n`);
  const code = await main(['node', 'palisade', ...args]);
  if (code !== 0) {
    process.stderr.write(`demo step failed with exit code ${code}\n`);
    process.exit(code);
  }
}

const db = join(outDir, 'vuln.db');
const bom = join(outDir, 'storefront.cdx.json');

await step('Components of the sample project (table)', ['sbom', sample]);
await step('CycloneDX 1.6 SBOM', ['sbom', sample, '--format', 'cyclonedx-json', '--output', bom]);
await step('SPDX 2.3 SBOM', ['sbom', sample, '--format', 'spdx-json', '--output', join(outDir, 'storefront.spdx.json')]);
// The sample advisories are real OSV records; `palisade db update` fetches the full feeds.
await step('Vulnerability database from the bundled OSV sample (offline)', ['db', 'import', 'examples/osv', '--db', db]);
await step('Vulnerabilities of the sample project', ['scan', sample, '--db', db]);
await step('The same scan from the CycloneDX SBOM, HIGH and CRITICAL only', ['scan', bom, '--db', db, '--severity', 'HIGH,CRITICAL']);
await step('SARIF for GitHub code scanning', ['scan', sample, '--db', db, '--format', 'sarif', '--output', join(outDir, 'storefront.sarif')]);
process.stdout.write(`\nSBOMs, database and SARIF written to ${outDir}\n`);
