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

await step('Components of the sample project (table)', ['sbom', sample]);
await step('CycloneDX 1.6 SBOM', ['sbom', sample, '--format', 'cyclonedx-json', '--output', join(outDir, 'storefront.cdx.json')]);
await step('SPDX 2.3 SBOM', ['sbom', sample, '--format', 'spdx-json', '--output', join(outDir, 'storefront.spdx.json')]);
process.stdout.write(`\nSBOMs written to ${outDir}\n`);
