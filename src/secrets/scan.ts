/**
 * One secret scan: pick the configuration, read the source (directory, git history, staged or
 * work-tree changes, stdin), run the detector on each fragment, then fingerprint each finding and
 * drop those listed in `.gitleaksignore` or present in the baseline.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { InputIssue } from '../core/types.ts';
import { builtinConfig, builtinRuleSetNamed, defaultConfig, loadConfigFile, restrictRules, type SecretsConfig } from './config.ts';
import { toPortable } from './portable.ts';
import { Detector, type DetectorOptions } from './detect.ts';
import { fingerprintOf, type Fragment, type SecretFinding } from './finding.ts';
import { inBaseline, isIgnoredFinding, loadBaseline, parseGitleaksIgnore, type BaselineFinding, type IgnoreList } from './ignore.ts';
import { walkFiles, type FileEntry } from './sources/files.ts';
import { Batcher, MAX_THREADS, PARALLEL_MIN_BYTES, scanBatch, ScanPool, workerCount } from './worker.ts';
import { gitDiffFragments, gitLogFragments } from './sources/git.ts';
import { discardPrestartedWorker } from './spawn.ts';

export { DEFAULT_MAX_DECODE_DEPTH } from './detect.ts';

export type SecretScanMode = 'dir' | 'git' | 'staged' | 'uncommitted' | 'stdin';

export interface SecretScanOptions {
  /** A directory, a file, or a repository (git modes). Ignored for stdin. */
  target: string;
  mode: SecretScanMode;
  /** The text to scan in stdin mode. */
  stdin?: string;
  /** A gitleaks TOML file; default: `.gitleaks.toml` or `.palisade/secrets.toml` at the target, else Palisade's rules. */
  configPath?: string;
  /** A configuration already loaded (takes precedence over configPath). */
  config?: SecretsConfig;
  noIgnore?: boolean;
  logOpts?: string;
  baselinePath?: string;
  /** A `.gitleaksignore` file, or a directory holding one (default: the target directory). */
  ignorePath?: string;
  /** 0–100: how much of each secret to mask in the results. */
  redact?: number;
  ignoreGitleaksAllow?: boolean;
  /** Decoding passes over encoded text (gitleaks `--max-decode-depth`; default 5, 0 turns decoding off). */
  maxDecodeDepth?: number;
  /** Files above this many bytes are skipped (0: no limit). */
  maxTargetBytes?: number;
  /** Only these rule ids (gitleaks `--enable-rule`). */
  enableRules?: string[];
  onWarning?: (message: string) => void;
  /** Threads for directory mode (at most MAX_THREADS): 0 or 1 scans in this thread; default: one per core for large trees. */
  threads?: number;
}

export interface SecretScanStats {
  /** Files (directory mode) or hunks (git modes) scanned. */
  fragments: number;
  bytes: number;
  commits: number;
  skippedBinary: number;
  skippedTooLarge: number;
  ignored: number;
  baseline: number;
  durationMs: number;
}

export interface SecretScanResult {
  findings: SecretFinding[];
  config: SecretsConfig;
  /** Where the rules came from: a file path or `default`. */
  configSource: string;
  stats: SecretScanStats;
  issues: InputIssue[];
}

export const DEFAULT_MAX_TARGET_BYTES = 10 * 1_000_000;
const AUTO_CONFIGS = ['.gitleaks.toml', join('.palisade', 'secrets.toml')];

export async function scanSecrets(options: SecretScanOptions): Promise<SecretScanResult> {
  const started = performance.now();
  const root = rootOf(options);
  const issues: InputIssue[] = [];
  const maxBytes = options.maxTargetBytes ?? DEFAULT_MAX_TARGET_BYTES;
  let pool: ScanPool | undefined;
  try {
    // The detector comes before the walk: worker threads can then scan what the walk lists while it goes on.
    const prepared = prepare(options, root);
    // Directory mode: the files, in batches as the walk lists them.
    const batches: FileEntry[][] = [];
    if (options.mode === 'dir') {
      // Worker threads get the compiled configuration, then the batches listed so far and those to come.
      const startPool = (threads: number) => {
        pool = new ScanPool(threads);
        pool.start({ config: toPortable(prepared.effective), detector: prepared.detectorOptions, automaton: prepared.detector.automaton, maxBytes });
        for (const batch of batches) pool.add(batch);
      };
      const batcher = new Batcher((batch) => {
        batches.push(batch);
        pool?.add(batch);
      });
      let total = 0;
      const onFile = (e: FileEntry) => {
        // Past PARALLEL_MIN_BYTES the walk no longer looks at sizes: the tree is large.
        if (e.size === undefined) total = Math.max(total, PARALLEL_MIN_BYTES);
        else if (maxBytes === 0 || e.size <= maxBytes) total += e.size;
        if (!pool && options.threads === undefined && workerCount(total) > 1) startPool(workerCount(total));
        batcher.add(e);
      };
      walkFiles(options.target, { ...(options.noIgnore && { noIgnore: true }), onError: (path, message) => issues.push({ path, message }), onFile, sizesUntil: PARALLEL_MIN_BYTES });
      batcher.end();
      const threads = Math.min(options.threads ?? workerCount(total), MAX_THREADS);
      if (!pool && threads > 1 && batches.length > 1) startPool(Math.min(threads, batches.length));
    }
    return await scan(options, root, issues, maxBytes, prepared, batches, pool, started);
  } finally {
    pool?.close();
    // A worker the CLI started ahead of time (spawn.ts) is not wanted once the scan is done.
    discardPrestartedWorker();
  }
}

/** The configuration of a scan and its detector. */
interface Prepared {
  config: SecretsConfig;
  source: string;
  /** The configuration restricted to --enable-rule. */
  effective: SecretsConfig;
  detectorOptions: DetectorOptions;
  detector: Detector;
}

function prepare(options: SecretScanOptions, root: string): Prepared {
  const warn = options.onWarning ?? (() => undefined);
  const { config, source } = resolveConfig(options, root);
  for (const w of config.warnings) warn(w);
  const effective = restrictRules(config, options.enableRules);
  const skipPaths = [config.path, options.baselinePath].filter((p): p is string => p !== undefined).map((p) => toRootRelative(p, root));
  const detectorOptions: DetectorOptions = {
    redact: options.redact ?? 0,
    ...(options.ignoreGitleaksAllow && { ignoreGitleaksAllow: true }),
    skipPaths,
    ...(options.maxDecodeDepth !== undefined && { maxDecodeDepth: options.maxDecodeDepth }),
  };
  return { config, source, effective, detectorOptions, detector: new Detector(effective, detectorOptions) };
}

async function scan(options: SecretScanOptions, root: string, issues: InputIssue[], maxBytes: number, prepared: Prepared, batches: FileEntry[][], pool: ScanPool | undefined, started: number): Promise<SecretScanResult> {
  const warn = options.onWarning ?? (() => undefined);
  const { config, source, detector } = prepared;
  const ignoreList = loadIgnoreList(options, root, warn);
  const baseline: BaselineFinding[] | undefined = options.baselinePath ? loadBaseline(options.baselinePath) : undefined;
  const redact = options.redact ?? 0;

  const stats: SecretScanStats = { fragments: 0, bytes: 0, commits: 0, skippedBinary: 0, skippedTooLarge: 0, ignored: 0, baseline: 0, durationMs: 0 };
  const findings: SecretFinding[] = [];
  const commits = new Set<string>();

  const add = (fragment: Fragment) => {
    stats.fragments++;
    stats.bytes += fragment.bytes?.length ?? Buffer.byteLength(fragment.raw);
    if (fragment.commit) commits.add(fragment.commit.sha);
    keep(detector.detect(fragment));
  };
  const keep = (found: SecretFinding[]) => {
    found.sort((a, b) => a.startLine - b.startLine || a.startColumn - b.startColumn || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    for (const f of found) {
      f.fingerprint = fingerprintOf(f);
      if (ignoreList && isIgnoredFinding(f, ignoreList)) {
        stats.ignored++;
        continue;
      }
      if (baseline && inBaseline(f, baseline, redact)) {
        stats.baseline++;
        continue;
      }
      findings.push(f);
    }
  };

  switch (options.mode) {
    case 'stdin':
      add({ raw: options.stdin ?? '', filePath: '', startLine: 1 });
      break;
    case 'dir': {
      const results = pool ? await pool.scan(detector, maxBytes) : batches.map((b) => scanBatch(detector, b, maxBytes));
      for (const batch of results) {
        stats.fragments += batch.scanned;
        stats.bytes += batch.bytes;
        stats.skippedBinary += batch.skippedBinary;
        stats.skippedTooLarge += batch.skippedTooLarge;
        issues.push(...batch.issues);
        for (const found of batch.findings) keep(found);
      }
      break;
    }
    case 'git':
    case 'staged':
    case 'uncommitted': {
      const gitOptions = { ...(options.logOpts && { logOpts: options.logOpts }), onWarning: warn };
      const fragments = options.mode === 'git' ? gitLogFragments(root, gitOptions) : gitDiffFragments(root, options.mode === 'staged', gitOptions);
      for await (const fragment of fragments) {
        if (maxBytes > 0 && fragment.raw.length > maxBytes) {
          stats.skippedTooLarge++;
          issues.push({ path: fragment.filePath, message: `skipped a ${fragment.raw.length}-byte hunk of commit ${fragment.commit?.sha ?? '(uncommitted)'}: over the limit` });
          continue;
        }
        add(fragment);
      }
      break;
    }
  }
  stats.commits = commits.size;
  stats.durationMs = performance.now() - started;
  return { findings, config, configSource: source, stats, issues };
}

function rootOf(options: SecretScanOptions): string {
  if (options.mode === 'stdin') return process.cwd();
  const info = statSync(options.target, { throwIfNoEntry: false });
  if (!info) return options.target;
  return info.isDirectory() ? options.target : dirname(options.target);
}

function resolveConfig(options: SecretScanOptions, root: string): { config: SecretsConfig; source: string } {
  if (options.config) return { config: options.config, source: options.config.path ?? 'provided' };
  if (options.configPath) {
    const builtin = builtinRuleSetNamed(options.configPath);
    return { config: builtin ? builtinConfig(builtin) : loadConfigFile(options.configPath), source: options.configPath };
  }
  for (const name of AUTO_CONFIGS) {
    const path = join(root, name);
    if (existsSync(path)) return { config: loadConfigFile(path, { cwd: root }), source: path };
  }
  return { config: defaultConfig(), source: 'default' };
}

function loadIgnoreList(options: SecretScanOptions, root: string, warn: (m: string) => void): IgnoreList | undefined {
  let path = options.ignorePath ?? root;
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, '.gitleaksignore');
  if (!existsSync(path)) {
    if (options.ignorePath) warn(`${options.ignorePath}: no .gitleaksignore there`);
    return undefined;
  }
  const list = parseGitleaksIgnore(readFileSync(path, 'utf8'));
  for (const line of list.invalid) warn(`${path}: invalid .gitleaksignore entry: ${line}`);
  return list;
}

/** A path as findings name files: relative to the scan root, `/`-separated. */
function toRootRelative(path: string, root: string): string {
  const rel = relative(resolve(root), resolve(path));
  return rel.split(sep).join('/');
}
