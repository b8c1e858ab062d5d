/** `npm run bench`: runs every benchmark in turn (or those named on the command line). */
const BENCHMARKS: Record<string, () => Promise<unknown>> = {
  admission: () => import('./admission.ts'),
  cel: () => import('./cel.ts'),
  ci: () => import('./ci.ts'),
  cluster: () => import('./cluster.ts'),
  image: () => import('./image.ts'),
  misconfig: () => import('./misconfig.ts'),
  policy: () => import('./policy.ts'),
  runtime: () => import('./runtime.ts'),
  sbom: () => import('./sbom.ts'),
  scan: () => import('./scan.ts'),
  secrets: () => import('./secrets.ts'),
  trust: () => import('./trust.ts'),
  'verify-images': () => import('./verify-images.ts'),
  'vuln-db': () => import('./vuln-db.ts'),
};

const wanted = process.argv.slice(2);
for (const [name, load] of Object.entries(BENCHMARKS)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stdout.write(`\n══ benchmark: ${name}\n`);
  await load();
}
