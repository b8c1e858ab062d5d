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

/** Runs one CLI command in-process; `expected` lists the exit codes that mean "worked as designed". */
async function step(title: string, args: string[], expected: number[] = [0]): Promise<void> {
  process.stdout.write(`\n━━ ${title}\n$ palisade ${args.join(' ')}\n\n`);
  const code = await main(['node', 'palisade', ...args]);
  if (!expected.includes(code)) {
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
await step('Misconfigurations of the Kubernetes manifests and Dockerfiles', ['scan', '--scanners', 'misconfig', sample]);
// Like `kyverno apply`, exit 1 means some resources violate a policy: the sample's do, on purpose.
await step('Kyverno policies applied to the manifests', ['policy', 'apply', 'examples/policies', '--resource', `${sample}/deploy`], [0, 1]);
await step('Leaked credentials', ['secrets', sample, '--exit-code', '0']);
await step('CI pipeline audit (GitHub Actions)', ['ci', 'audit', sample]);
await step('Falco-compatible rules over Kubernetes audit events', ['runtime', 'check', '-r', 'examples/runtime/k8s-audit-rules.yaml', '-e', 'examples/runtime/audit.jsonl']);
process.stdout.write(`\nSBOMs, database and SARIF written to ${outDir}\n`);
