/**
 * SBOM benchmark: wall time and peak memory of `palisade sbom` (a whole CLI process) on the large
 * real lockfiles of ../shared/corpus/lockfiles-large, a synthetic 5,000-package package-lock.json
 * and examples/, side by side with @cyclonedx/cdxgen on the same input, measured in the same run.
 * cdxgen is installed on demand into bench/.peers (never a project dependency).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogPath } from '../src/sbom/catalog/run.ts';
import { corpus, fmt, measure, medianOf, npmPeerBinary, palisadeCli, printTable, repoRoot, saveResults, type Measurement } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const node = process.execPath;
const work = mkdtempSync(join(tmpdir(), 'palisade-bench-sbom-'));

interface Input {
  name: string;
  /** Directory holding the lockfile (cdxgen scans directories). */
  dir: string;
  /** cdxgen project type for this input. */
  cdxgenType: string;
}

function corpusInputs(): Input[] {
  const large = join(corpus, 'lockfiles-large');
  if (!existsSync(large)) {
    process.stdout.write(`(corpus not found at ${large}: only examples/ and the synthetic lockfile are measured)\n`);
    return [];
  }
  const typeOf = (name: string) =>
    name.startsWith('npm') || name.startsWith('yarn') || name.startsWith('pnpm')
      ? 'js'
      : name.startsWith('poetry') || name.startsWith('pipfile')
        ? 'python'
        : name.startsWith('cargo')
          ? 'rust'
          : name.startsWith('go')
            ? 'go'
            : 'universal';
  return readdirSync(large, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      // Copy so that cdxgen (which writes caches and scans the whole dir) sees only the lockfile.
      const dir = join(work, d.name);
      cpSync(join(large, d.name), dir, { recursive: true });
      return { name: d.name, dir, cdxgenType: typeOf(d.name) };
    });
}

/** A lockfileVersion 3 package-lock.json with `count` packages, built from real entries renamed. */
function syntheticNpmLock(count: number): Input {
  const source = join(corpus, 'lockfiles-large', 'npm-kyverno-website', 'package-lock.json');
  const real = existsSync(source)
    ? (JSON.parse(readFileSync(source, 'utf8')) as { packages: Record<string, { version?: string }> }).packages
    : { 'node_modules/left-pad': { version: '1.3.0' } };
  const entries = Object.entries(real).filter(([k, v]) => k.startsWith('node_modules/') && v.version);
  const packages: Record<string, unknown> = { '': { name: 'synthetic', version: '1.0.0', dependencies: {} } };
  for (let i = 0; Object.keys(packages).length <= count; i++) {
    const [key, value] = entries[i % entries.length]!;
    const round = Math.floor(i / entries.length);
    packages[round === 0 ? key : `${key}-copy${round}`] = value;
  }
  const dir = join(work, 'npm-synthetic-5000');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'synthetic', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
  return { name: `npm-synthetic-${count}`, dir, cdxgenType: 'js' };
}

function cdxgenBinary(): string | undefined {
  return process.env.PALISADE_BENCH_CDXGEN ?? npmPeerBinary('cdxgen', ['@cyclonedx/cdxgen@12'], 'cdxgen');
}

function palisade(input: Input): Measurement {
  return medianOf(RUNS, () =>
    measure(node, [palisadeCli(), '-q', 'sbom', input.dir, '-f', 'cyclonedx-json', '-o', join(work, `${input.name}.palisade.json`)]),
  );
}

function countComponents(file: string): number {
  try {
    return ((JSON.parse(readFileSync(file, 'utf8')) as { components?: unknown[] }).components ?? []).length;
  } catch {
    return NaN;
  }
}

const inputs: Input[] = [...corpusInputs(), syntheticNpmLock(5000), { name: 'examples', dir: join(repoRoot, 'examples'), cdxgenType: 'universal' }];
const cdxgen = cdxgenBinary();
if (!cdxgen) process.stdout.write('(cdxgen not available: peer column left empty)\n');

const rows: string[][] = [];
const results: Record<string, unknown>[] = [];
for (const input of inputs) {
  const ours = palisade(input);
  const ourCount = countComponents(join(work, `${input.name}.palisade.json`));
  let peer: Measurement | undefined;
  let peerCount = NaN;
  if (cdxgen) {
    const out = join(work, `${input.name}.cdxgen.json`);
    peer = medianOf(RUNS, () =>
      measure(cdxgen, ['-t', input.cdxgenType, '--no-install-deps', '-o', out, input.dir], {
        env: { FETCH_LICENSE: 'false', CDXGEN_NO_BANNER: 'true', NODE_NO_WARNINGS: '1' },
      }),
    );
    peerCount = countComponents(out);
  }
  const speedup = peer?.ok && ours.ok ? peer.wallMs / ours.wallMs : NaN;
  rows.push([
    input.name,
    ours.ok ? fmt(ours.wallMs) : 'FAILED',
    fmt(ours.peakRssMb),
    fmt(ourCount),
    peer ? (peer.ok ? fmt(peer.wallMs) : 'FAILED') : '',
    peer ? fmt(peer.peakRssMb) : '',
    peer ? fmt(peerCount) : '',
    Number.isFinite(speedup) ? `${speedup.toFixed(1)}x` : '',
  ]);
  results.push({ input: input.name, palisade: { ...ours, stderr: undefined, components: ourCount }, cdxgen: peer && { ...peer, stderr: undefined, components: peerCount }, speedup });
  if (!ours.ok) process.stdout.write(`palisade failed on ${input.name}:\n${ours.stderr}\n`);
}

printTable(`palisade sbom vs cdxgen (median of ${RUNS} runs, whole process, wall ms / peak RSS MB)`, ['input', 'palisade ms', 'MB', 'comps', 'cdxgen ms', 'MB', 'comps', 'speedup'], rows);

// In-process figure for the target: a 5,000-package package-lock.json catalogued in < 0.5 s.
const synthetic = inputs.find((i) => i.name.startsWith('npm-synthetic'))!;
const times: number[] = [];
let packages = 0;
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  packages = (await catalogPath(join(synthetic.dir, 'package-lock.json'))).packages.length;
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
const inProcessMs = times[2]!;
process.stdout.write(`\nin-process catalog of ${synthetic.name}: ${packages} packages in ${inProcessMs.toFixed(1)} ms (median of 5; target < 500 ms)\n`);
saveResults('sbom', { runs: RUNS, results, inProcess: { input: synthetic.name, packages, medianMs: inProcessMs } });
