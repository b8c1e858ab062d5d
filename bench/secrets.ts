/**
 * Secret scanning throughput with the default rules (Palisade's own), through the compiled CLI as
 * users run it:
 * - directory mode over a generated source tree of PALISADE_BENCH_SECRETS_MB megabytes (default
 *   300, the "several hundred MB" the issue asks for; a scan's fixed start-up, ~0.2 s before the
 *   first file on two cores, weighs a fifth of a 100 MB scan): code, configuration, YAML
 *   manifests and docs with the words rules key on (key, token, secret, password, auth…)
 *   everywhere and a few hundred fake secrets planted;
 * - the same with gitleaks' 222 rules (`--config builtin:gitleaks`), what gitleaks users' own
 *   configurations extend;
 * - directory mode over this repository's installed node_modules (real packages: minified
 *   bundles, source maps, type declarations), the kind of tree a CI job scans;
 * - git history mode over a generated repository of PALISADE_BENCH_SECRETS_COMMITS commits
 *   (default 5,000), built with `git fast-import`;
 * - `grep -rE` with one combined pattern over the same tree, as a rough floor (no entropy, no
 *   allowlists, 3 patterns instead of two hundred);
 * - secretlint (npm, with its recommended preset), the peer that runs here, over the same tree
 *   (installed into bench/.peers on first use; skipped without registry access).
 * gitleaks itself is not installable here (no Debian package; the npm package of that name is
 * unrelated); the research notes quote published figures.
 *
 * Besides wall time, each run records its CPU time (user + system, worker threads and the `git`
 * child included) and the load average around the runs: on a shared machine the wall figure says
 * as much about the neighbours as about the scanner, MB per CPU-second much less so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { effectiveCores, fmt, measure, medianOf, npmPeerBinary, palisadeCli, printTable, random, saveResults, type Measurement } from './lib.ts';

const TREE_MB = Number(process.env.PALISADE_BENCH_SECRETS_MB ?? 300);
const COMMITS = Number(process.env.PALISADE_BENCH_SECRETS_COMMITS ?? 5000);
const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const root = join(tmpdir(), 'palisade-bench-secrets');

/* ── generated inputs ── */

const WORDS = ['user', 'config', 'request', 'response', 'handler', 'value', 'item', 'index', 'result', 'buffer', 'client', 'server', 'session', 'cache', 'layout', 'render', 'module', 'options', 'params', 'state'];
const SENSITIVE = ['key', 'token', 'secret', 'password', 'auth', 'api', 'access', 'credential'];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function generator(seed: number) {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const token = (n: number, chars = ALNUM) => Array.from({ length: n }, () => chars[Math.floor(rnd() * chars.length)]).join('');
  const ident = () => pick(WORDS) + (rnd() < 0.3 ? pick(SENSITIVE)[0]!.toUpperCase() + pick(SENSITIVE).slice(1) : pick(WORDS)[0]!.toUpperCase() + pick(WORDS).slice(1));
  const jsLine = () => {
    const r = rnd();
    if (r < 0.2) return `  const ${ident()} = await ${ident()}(${ident()}, { ${pick(SENSITIVE)}: ${ident()}.${pick(WORDS)} });`;
    if (r < 0.35) return `  // ${pick(WORDS)} the ${pick(SENSITIVE)} before we ${pick(WORDS)} the ${pick(WORDS)} (see ${pick(WORDS)}.md)`;
    if (r < 0.5) return `  if (!${ident()}.${pick(SENSITIVE)}) throw new Error('missing ${pick(SENSITIVE)} for ${pick(WORDS)}');`;
    if (r < 0.6) return `  headers['Authorization'] = \`Bearer \${${pick(SENSITIVE)}}\`;`;
    if (r < 0.7) return `  return ${ident()}.map((${pick(WORDS)}) => ${pick(WORDS)}.${pick(SENSITIVE)}Id);`;
    if (r < 0.8) return `  const hash = '${token(40, '0123456789abcdef')}';`;
    return `  ${ident()}.${pick(WORDS)} = ${ident()}[${Math.floor(rnd() * 100)}] ?? null;`;
  };
  const yamlLine = () => `${'  '.repeat(Math.floor(rnd() * 3))}${pick(WORDS)}${rnd() < 0.3 ? `_${pick(SENSITIVE)}` : ''}: ${rnd() < 0.2 ? `\${${pick(SENSITIVE).toUpperCase()}}` : pick(WORDS)}`;
  const secret = () =>
    pick([
      () => `const awsKey = "AKIA${token(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}";`,
      () => `GITHUB_TOKEN=ghp_${token(36)}`,
      () => `  api_key: "${token(32)}"`,
      () => `stripe.setKey('sk_live_${token(24)}')`,
      () => `  "slack_token": "xoxb-${token(11, '0123456789')}-${token(12, '0123456789')}-${token(24)}",`,
    ])();
  const file = (bytes: number, kind: 'js' | 'yaml' | 'md'): string => {
    const lines: string[] = [];
    let size = 0;
    while (size < bytes) {
      const line = rnd() < 0.0005 ? secret() : kind === 'yaml' ? yamlLine() : kind === 'md' ? `The ${pick(WORDS)} ${pick(SENSITIVE)} is used to ${pick(WORDS)} each ${pick(WORDS)}.` : jsLine();
      lines.push(line);
      size += line.length + 1;
    }
    return lines.join('\n') + '\n';
  };
  return { rnd, pick, file };
}

function buildTree(dir: string, megabytes: number): void {
  const marker = join(dir, '.bench-size');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === String(megabytes)) return;
  rmSync(dir, { recursive: true, force: true });
  const g = generator(7);
  let total = 0;
  let n = 0;
  while (total < megabytes * 1_000_000) {
    const sub = join(dir, `pkg${Math.floor(n / 50)}`, g.pick(['src', 'lib', 'config', 'docs']));
    mkdirSync(sub, { recursive: true });
    const kind = g.pick(['js', 'js', 'js', 'yaml', 'md'] as const);
    const text = g.file(2_000 + Math.floor(g.rnd() * 40_000), kind);
    writeFileSync(join(sub, `f${n}.${kind === 'js' ? 'ts' : kind}`), text);
    total += text.length;
    n++;
  }
  writeFileSync(marker, String(megabytes));
}

/** A repository of `commits` commits, each changing one file of a few kilobytes (git fast-import). */
function buildRepo(dir: string, commits: number): number {
  const marker = join(dir, '.bench-commits');
  if (existsSync(marker) && readFileSync(marker, 'utf8').startsWith(`${commits} `)) return Number(readFileSync(marker, 'utf8').split(' ')[1]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  spawnSync('git', ['init', '-q', dir]);
  const g = generator(11);
  const chunks: string[] = [];
  let patchBytes = 0;
  for (let i = 0; i < commits; i++) {
    const text = g.file(1_000 + Math.floor(g.rnd() * 4_000), g.pick(['js', 'js', 'yaml'] as const));
    patchBytes += text.length;
    const message = `change ${i}`;
    chunks.push(
      `commit refs/heads/main\nmark :${i + 1}\ncommitter Bench <bench@example.com> ${1_600_000_000 + i * 60} +0000\ndata ${message.length}\n${message}\n` +
        (i > 0 ? `from :${i}\n` : '') +
        `M 644 inline src/file${i % 500}.ts\ndata ${Buffer.byteLength(text)}\n${text}\n`,
    );
  }
  const result = spawnSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: chunks.join(''), maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`git fast-import failed: ${result.stderr}`);
  writeFileSync(join(dir, '.git', 'bench-marker'), '');
  writeFileSync(marker, `${commits} ${patchBytes}`);
  return patchBytes;
}

/* ── runs ── */

const treeDir = join(root, `tree-${TREE_MB}mb`);
const repoDir = join(root, `repo-${COMMITS}`);
process.stdout.write(`generating ${TREE_MB} MB tree and ${COMMITS}-commit repository under ${root} (cached between runs)…\n`);
buildTree(treeDir, TREE_MB);
const patchBytes = buildRepo(repoDir, COMMITS);
const treeBytes = Number(spawnSync('du', ['-sb', '--exclude=.bench-size', treeDir], { encoding: 'utf8' }).stdout.split('\t')[0]);

const cli = palisadeCli();
const node = process.execPath;
const out = join(root, 'report.json');
const table = join(root, 'table.txt');

function palisade(args: string[]) {
  return medianOf(RUNS, () => measure(node, [cli, 'secrets', ...args, '--exit-code', '0', '-q', '--report-format', 'json', '--report-path', out, '-o', table]));
}

const coresBefore = effectiveCores(availableParallelism());
const loadBefore = loadavg();
const dirRun = palisade([treeDir]);
const dirFindings = dirRun.ok ? (JSON.parse(readFileSync(out, 'utf8')) as unknown[]).length : NaN;
const gitleaksRulesRun = palisade([treeDir, '--config', 'builtin:gitleaks']);
const gitleaksRulesFindings = gitleaksRulesRun.ok ? (JSON.parse(readFileSync(out, 'utf8')) as unknown[]).length : NaN;
// Real packages; the bytes scanned (text files under the size limit) come from the CLI's summary line.
const modulesDir = join(import.meta.dirname, '..', 'node_modules');
const modulesRun = medianOf(RUNS, () => measure(node, [cli, 'secrets', modulesDir, '--exit-code', '0', '--format', 'json', '-o', table]));
const modulesBytes = Number(/, ([\d.]+) MB in /.exec(modulesRun.stderr)?.[1] ?? NaN) * 1e6;
const gitRun = palisade([repoDir, '--git']);
const gitFindings = gitRun.ok ? (JSON.parse(readFileSync(out, 'utf8')) as unknown[]).length : NaN;
const grepPattern = 'AKIA[A-Z2-7]{16}|ghp_[0-9A-Za-z]{36}|(key|token|secret|passw(or)?d|auth)[A-Za-z_]*["\']?[ \t]*[:=][ \t]*["\'][^"\']{16,}';
const grepRun = medianOf(RUNS, () => {
  const m = measure('grep', ['-rEc', grepPattern, treeDir]);
  // grep exits 1 when nothing matches anywhere; either way it read everything.
  return { ...m, ok: !Number.isNaN(m.wallMs) };
});

const secretlint = npmPeerBinary('secretlint', ['secretlint@13', '@secretlint/secretlint-rule-preset-recommend@13'], 'secretlint');
let secretlintRun: Measurement | undefined;
let secretlintFindings = NaN;
if (secretlint) {
  const rc = join(root, 'secretlintrc.json');
  const report = join(root, 'secretlint.json');
  writeFileSync(rc, JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }));
  // One run: it is several times slower. It exits 1 when it finds something.
  const m = measure(node, [secretlint, '--secretlintrc', rc, '--format', 'json', '--output', report, `${treeDir}/**/*`], { timeoutMs: 900_000 });
  secretlintRun = { ...m, ok: !Number.isNaN(m.wallMs) };
  if (secretlintRun.ok) secretlintFindings = (JSON.parse(readFileSync(report, 'utf8')) as { messages: unknown[] }[]).reduce((n, file) => n + file.messages.length, 0);
}

const loadAfter = loadavg();
const coresAfter = effectiveCores(availableParallelism());

const mbps = (bytes: number, ms: number | undefined) => (ms === undefined ? NaN : bytes / 1e6 / (ms / 1000));
const cpu = (m: { cpuMs?: number }) => fmt((m.cpuMs ?? NaN) / 1000, 2);
const rows = [
  ['palisade secrets (directory)', `${fmt(treeBytes / 1e6, 1)} MB`, fmt(dirRun.wallMs / 1000, 2), fmt(mbps(treeBytes, dirRun.wallMs), 1), cpu(dirRun), fmt(mbps(treeBytes, dirRun.cpuMs), 1), fmt(dirRun.peakRssMb), String(dirFindings)],
  ['palisade secrets --config builtin:gitleaks (directory)', `${fmt(treeBytes / 1e6, 1)} MB`, fmt(gitleaksRulesRun.wallMs / 1000, 2), fmt(mbps(treeBytes, gitleaksRulesRun.wallMs), 1), cpu(gitleaksRulesRun), fmt(mbps(treeBytes, gitleaksRulesRun.cpuMs), 1), fmt(gitleaksRulesRun.peakRssMb), String(gitleaksRulesFindings)],
  ['palisade secrets node_modules (real packages)', `${fmt(modulesBytes / 1e6, 1)} MB of text`, fmt(modulesRun.wallMs / 1000, 2), fmt(mbps(modulesBytes, modulesRun.wallMs), 1), cpu(modulesRun), fmt(mbps(modulesBytes, modulesRun.cpuMs), 1), fmt(modulesRun.peakRssMb), '-'],
  ['palisade secrets --git', `${COMMITS} commits, ${fmt(patchBytes / 1e6, 1)} MB added`, fmt(gitRun.wallMs / 1000, 2), fmt(mbps(patchBytes, gitRun.wallMs), 1), cpu(gitRun), fmt(mbps(patchBytes, gitRun.cpuMs), 1), fmt(gitRun.peakRssMb), String(gitFindings)],
  ['grep -rE (one combined pattern, floor)', `${fmt(treeBytes / 1e6, 1)} MB`, fmt(grepRun.wallMs / 1000, 2), fmt(mbps(treeBytes, grepRun.wallMs), 1), cpu(grepRun), fmt(mbps(treeBytes, grepRun.cpuMs), 1), fmt(grepRun.peakRssMb), '-'],
  secretlintRun
    ? ['secretlint 13 (recommended preset, 1 run)', `${fmt(treeBytes / 1e6, 1)} MB`, fmt(secretlintRun.wallMs / 1000, 2), fmt(mbps(treeBytes, secretlintRun.wallMs), 1), cpu(secretlintRun), fmt(mbps(treeBytes, secretlintRun.cpuMs), 1), fmt(secretlintRun.peakRssMb), String(secretlintFindings)]
    : ['secretlint', 'not installed (no registry access, or PALISADE_BENCH_NO_PEERS=1)', '-', '-', '-', '-', '-', '-'],
  ['gitleaks', 'not installable here (no Debian package; npm "gitleaks" is unrelated)', '-', '-', '-', '-', '-', '-'],
];
printTable(`secret scanning, default rules (median of ${RUNS}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after; effective cores ${fmt(coresBefore, 2)} before, ${fmt(coresAfter, 2)} after, of ${availableParallelism()})`, ['RUN', 'INPUT', 'WALL s', 'MB/s', 'CPU s', 'MB/CPU-s', 'PEAK RSS MB', 'FINDINGS'], rows);
for (const [name, m] of [['directory', dirRun], ['directory, gitleaks rules', gitleaksRulesRun], ['node_modules', modulesRun], ['git', gitRun]] as const) if (!m.ok) process.stdout.write(`${name} run failed:\n${m.stderr}\n`);

saveResults('secrets', {
  treeMegabytes: treeBytes / 1e6,
  commits: COMMITS,
  patchMegabytes: patchBytes / 1e6,
  cores: availableParallelism(),
  effectiveCores: { before: coresBefore, after: coresAfter },
  loadAverage: { before: loadBefore, after: loadAfter },
  directory: { wallMs: dirRun.wallMs, mbPerSecond: mbps(treeBytes, dirRun.wallMs), cpuMs: dirRun.cpuMs, mbPerCpuSecond: mbps(treeBytes, dirRun.cpuMs), peakRssMb: dirRun.peakRssMb, findings: dirFindings },
  directoryGitleaksRules: { wallMs: gitleaksRulesRun.wallMs, mbPerSecond: mbps(treeBytes, gitleaksRulesRun.wallMs), cpuMs: gitleaksRulesRun.cpuMs, mbPerCpuSecond: mbps(treeBytes, gitleaksRulesRun.cpuMs), peakRssMb: gitleaksRulesRun.peakRssMb, findings: gitleaksRulesFindings },
  nodeModules: { textMegabytes: modulesBytes / 1e6, wallMs: modulesRun.wallMs, mbPerSecond: mbps(modulesBytes, modulesRun.wallMs), cpuMs: modulesRun.cpuMs, mbPerCpuSecond: mbps(modulesBytes, modulesRun.cpuMs), peakRssMb: modulesRun.peakRssMb },
  git: { wallMs: gitRun.wallMs, mbPerSecond: mbps(patchBytes, gitRun.wallMs), cpuMs: gitRun.cpuMs, mbPerCpuSecond: mbps(patchBytes, gitRun.cpuMs), commitsPerSecond: COMMITS / (gitRun.wallMs / 1000), peakRssMb: gitRun.peakRssMb, findings: gitFindings },
  grepFloor: { wallMs: grepRun.wallMs, mbPerSecond: mbps(treeBytes, grepRun.wallMs), cpuMs: grepRun.cpuMs },
  secretlint: secretlintRun ? { wallMs: secretlintRun.wallMs, mbPerSecond: mbps(treeBytes, secretlintRun.wallMs), cpuMs: secretlintRun.cpuMs, peakRssMb: secretlintRun.peakRssMb, findings: secretlintFindings } : 'not installed',
  gitleaks: 'not installable on this machine (no Debian package; the npm package named gitleaks is unrelated)',
});
