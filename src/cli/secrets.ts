/**
 * `palisade secrets [path]`: leaked credentials in a directory, a git history (`--git`), the staged
 * changes (`--staged`, for a pre-commit hook) or stdin (`-`), with gitleaks' rules, configuration
 * files, `.gitleaksignore`, baselines, report formats and exit code (1 when leaks are found).
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { TOOL_NAME, TOOL_VERSION } from '../core/version.ts';
import { renderTable } from '../report/table.ts';
import { renderJson } from '../report/json.ts';
import { renderSarif } from '../report/sarif.ts';
import type { ScanReport, ScanTargetResult } from '../report/scan-report.ts';
import { toCoreFinding } from '../secrets/findings.ts';
import { renderGitleaksReport, type GitleaksFormat } from '../secrets/report.ts';
import { DEFAULT_MAX_DECODE_DEPTH, DEFAULT_MAX_TARGET_BYTES, scanSecrets, type SecretScanMode, type SecretScanResult } from '../secrets/scan.ts';
import { GitError } from '../secrets/sources/git.ts';
import { contextFrom, ExitRequest, type CliContext, type GlobalOptions } from './context.ts';
import { collectList, emit, reportIssues } from './output.ts';

const FORMATS = ['table', 'json', 'sarif'] as const;
const REPORT_FORMATS: readonly GitleaksFormat[] = ['json', 'csv', 'sarif', 'junit'];
const PROJECT_URL = 'https://github.com/palisade-security/palisade';

interface SecretsOptions {
  git?: boolean;
  staged?: boolean;
  uncommitted?: boolean;
  logOpts?: string;
  config?: string;
  ignore: boolean;
  baselinePath?: string;
  gitleaksIgnorePath?: string;
  redact?: boolean | string;
  ignoreGitleaksAllow?: boolean;
  maxDecodeDepth: string;
  maxTargetMegabytes: string;
  enableRule: string[];
  format: (typeof FORMATS)[number];
  output?: string;
  reportFormat?: GitleaksFormat;
  reportPath?: string;
  exitCode: string;
}

export function secretsCommand(globals: () => GlobalOptions): Command {
  return new Command('secrets')
    .description('Find leaked credentials in files, git history, staged changes or stdin (gitleaks-compatible rules and reports)')
    .argument('[path]', 'directory, file or repository to scan; - for stdin', '.')
    .option('--git', 'scan every commit of the git history (git log -p) instead of the files')
    .option('--staged', 'scan the staged changes (for a pre-commit hook)')
    .option('--uncommitted', 'scan the changes not yet staged')
    .option('--log-opts <opts>', 'git log options for --git, e.g. "--all commitA..commitB"')
    .option('-c, --config <file>', 'gitleaks TOML configuration, or builtin:palisade / builtin:gitleaks for a built-in rule set (default: .gitleaks.toml or .palisade/secrets.toml in the scanned directory, else builtin:palisade, Palisade\'s own rules)')
    .option('--no-ignore', 'scan files that .gitignore excludes too')
    .option('-b, --baseline-path <file>', 'gitleaks JSON report of known findings: they are not reported again')
    .option('-i, --gitleaks-ignore-path <path>', '.gitleaksignore file or directory holding one (default: the scanned directory)')
    .option('--redact [percent]', 'mask secrets in the output (default 100%); --redact=20 masks the last 20%')
    .option('--no-redact', 'show secrets in full')
    .option('--ignore-gitleaks-allow', 'also report lines marked gitleaks:allow')
    .option('--max-decode-depth <n>', 'decode percent-, hex- and base64-encoded text and scan it again, up to n nested encodings; 0 turns decoding off', String(DEFAULT_MAX_DECODE_DEPTH))
    .option('--max-target-megabytes <n>', 'skip files (and hunks) larger than this; 0 for no limit', String(DEFAULT_MAX_TARGET_BYTES / 1_000_000))
    .option('--enable-rule <id>', 'only run these rules (repeatable, comma-separated)', collectList, [])
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the --format output to a file instead of stdout')
    .addOption(new Option('--report-format <format>', 'also write a gitleaks-format report (to --report-path, else stdout)').choices(REPORT_FORMATS))
    .option('-r, --report-path <file>', 'where to write the gitleaks-format report')
    .option('--exit-code <code>', 'exit code when leaks are found', '1')
    .action(async (path: string, options: SecretsOptions) => {
      const ctx = contextFrom(globals());
      const exitCode = parseExitCode(options.exitCode);
      const result = await runScan(ctx, path, options);
      await output(ctx, path, options, result);
      const n = result.findings.length;
      ctx.log.info(`${n} leak${n === 1 ? '' : 's'} found (${describeStats(result)})`);
      if (n > 0 && exitCode !== 0) throw new ExitRequest(exitCode, `${n} leaks found`);
    });
}

async function runScan(ctx: CliContext, path: string, options: SecretsOptions): Promise<SecretScanResult> {
  const modes = [options.git && 'git', options.staged && 'staged', options.uncommitted && 'uncommitted'].filter(Boolean);
  if (modes.length > 1) throw new PalisadeError('USAGE', `--${modes[0]} and --${modes[1]} cannot be combined`);
  const mode: SecretScanMode = path === '-' ? 'stdin' : ((modes[0] || 'dir') as SecretScanMode);
  if (mode === 'stdin' && modes.length > 0) throw new PalisadeError('USAGE', `- (stdin) cannot be combined with --${modes[0]}`);
  const megabytes = Number(options.maxTargetMegabytes);
  if (!Number.isFinite(megabytes) || megabytes < 0) throw new PalisadeError('USAGE', `--max-target-megabytes ${options.maxTargetMegabytes}: expected a number ≥ 0`);
  const maxDecodeDepth = Number(options.maxDecodeDepth);
  if (!Number.isInteger(maxDecodeDepth) || maxDecodeDepth < 0) throw new PalisadeError('USAGE', `--max-decode-depth ${options.maxDecodeDepth}: expected a whole number ≥ 0`);
  let stdin: string | undefined;
  if (mode === 'stdin') stdin = readFileSync(0, 'utf8');
  try {
    const result = await scanSecrets({
      target: path,
      mode,
      ...(stdin !== undefined && { stdin }),
      ...(options.config && { configPath: options.config }),
      noIgnore: !options.ignore,
      ...(options.logOpts && { logOpts: options.logOpts }),
      ...(options.baselinePath && { baselinePath: options.baselinePath }),
      ...(options.gitleaksIgnorePath && { ignorePath: options.gitleaksIgnorePath }),
      redact: parseRedact(options.redact),
      ...(options.ignoreGitleaksAllow && { ignoreGitleaksAllow: true }),
      maxDecodeDepth,
      maxTargetBytes: megabytes * 1_000_000,
      enableRules: options.enableRule,
      onWarning: (m) => ctx.log.warn(m),
    });
    reportIssues(ctx, result.issues);
    return result;
  } catch (err) {
    if (err instanceof GitError) throw new PalisadeError('INPUT_UNREADABLE', `${path}: ${err.message}`, { cause: err });
    if (err instanceof PalisadeError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PalisadeError('INPUT_NOT_FOUND', `${path}: no such file or directory`, { cause: err });
    throw new PalisadeError('INPUT_UNREADABLE', `${path}: ${errorMessage(err)}`, { cause: err });
  }
}

async function output(ctx: CliContext, path: string, options: SecretsOptions, result: SecretScanResult): Promise<void> {
  if (options.reportFormat || options.reportPath) {
    const format = options.reportFormat ?? formatFromPath(options.reportPath!);
    const rules = result.config.orderedRules.flatMap((id) => {
      const r = result.config.rules.get(id);
      return r ? [{ id: r.id, description: r.description }] : [];
    });
    const text = renderGitleaksReport(format, result.findings, rules, { name: TOOL_NAME, version: TOOL_VERSION, informationUri: PROJECT_URL });
    await emit(ctx, text, options.reportPath);
    // A gitleaks report on stdout replaces the table; with a path, the --format output still follows.
    if (!options.reportPath) return;
  }
  const report = secretsReport(path, result);
  const text =
    options.format === 'json'
      ? renderJson(report)
      : options.format === 'sarif'
        ? renderSarif(report, { informationUri: PROJECT_URL })
        : renderTable(report, { color: !options.output && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR });
  await emit(ctx, text, options.output);
}

/** The scan as a ScanReport for the common renderers. */
export function secretsReport(path: string, result: SecretScanResult): ScanReport {
  const name = path === '-' ? '(stdin)' : path;
  const target: ScanTargetResult = {
    target: { kind: 'dir', name },
    findings: result.findings.map((f) => toCoreFinding(f, name)),
    packagesScanned: 0,
    notScanned: [],
    incomplete: result.issues,
    secrets: { ...result.stats, config: result.configSource },
  };
  return { tool: { name: TOOL_NAME, version: TOOL_VERSION }, createdAt: new Date().toISOString(), targets: [target], scanners: ['secret'] };
}

function describeStats(r: SecretScanResult): string {
  const s = r.stats;
  const parts = [s.commits > 0 ? `${s.commits} commits, ${s.fragments} hunks` : `${s.fragments} ${s.fragments === 1 ? 'input' : 'inputs'}`, `${(s.bytes / 1e6).toFixed(1)} MB in ${(s.durationMs / 1000).toFixed(1)} s`];
  if (s.skippedBinary > 0) parts.push(`${s.skippedBinary} binary skipped`);
  if (s.skippedTooLarge > 0) parts.push(`${s.skippedTooLarge} too large skipped`);
  if (s.ignored > 0) parts.push(`${s.ignored} in .gitleaksignore`);
  if (s.baseline > 0) parts.push(`${s.baseline} in the baseline`);
  return parts.join(', ');
}

/** `--redact` alone or by default: 100 %; `--redact=N`: N %; `--no-redact`: 0. */
function parseRedact(value: boolean | string | undefined): number {
  if (value === false) return 0;
  if (value === undefined || value === true) return 100;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new PalisadeError('USAGE', `--redact ${value}: expected a percentage 0-100`);
  return n;
}

function formatFromPath(path: string): GitleaksFormat {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'csv') return 'csv';
  if (ext === 'sarif') return 'sarif';
  if (ext === 'xml') return 'junit';
  return 'json';
}

function parseExitCode(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new PalisadeError('USAGE', `--exit-code ${value}: expected an integer 0-255`);
  return n;
}
