/**
 * `palisade ci audit [PATH]`: audits GitHub Actions workflows, action definitions, Dependabot
 * and GitLab CI configuration for pipeline weaknesses and rates release workflows on the SLSA
 * build track. Exit codes: 0 when nothing is left after the filters, the --exit-code value when
 * findings remain, 2 for a bad path, option or configuration, or a CI file that cannot be read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ExitCode, ParseError, PalisadeError, errorMessage } from '../core/errors.ts';
import { TOOL_NAME, TOOL_VERSION } from '../core/version.ts';
import { atLeast, auditPath } from '../ci/auditor.ts';
import { defaultConfig, parseConfig, patternSpecificity, validatePattern, type CiConfig } from '../ci/config.ts';
import { discover, isDirectory, kindOfContent, kindOfPath, type CiFile } from '../ci/discover.ts';
import { applyPins, fileResolver, githubResolver, planPins, type Resolver } from '../ci/pin.ts';
import { writeFileAtomic } from '../core/fs.ts';
import { CI_SEVERITIES, PERSONAS, type CiSeverity, type Confidence, type Persona } from '../ci/findings.ts';
import { renderJson } from '../ci/report/json.ts';
import { renderSarif } from '../ci/report/sarif.ts';
import { renderTable, summaryLine } from '../ci/report/table.ts';
import { canonicalRuleId } from '../ci/rules.ts';
import { contextFrom, ExitRequest, type GlobalOptions } from './context.ts';
import { collectList, emit, reportIssues } from './output.ts';

const FORMATS = ['table', 'json', 'sarif'] as const;
const PROJECT_URL = 'https://github.com/palisade-security/palisade';
/** Looked up in the audited directory when --config is not given (zizmor's names, so its configs apply). */
const CONFIG_NAMES = ['.github/zizmor.yml', '.github/zizmor.yaml', 'zizmor.yml', 'zizmor.yaml'];

interface CiAuditOptions {
  format: (typeof FORMATS)[number];
  output?: string;
  persona: Persona;
  pedantic?: boolean;
  minSeverity?: string;
  minConfidence?: string;
  exitCode: string;
  config?: string;
  ignoreConfig?: boolean;
  ignores: boolean;
  showSuppressed?: boolean;
  allowUnpinned: string[];
  disable: string[];
}

const CONFIDENCES: Confidence[] = ['low', 'medium', 'high'];

function parseSeverity(value: string): CiSeverity {
  const v = value.toLowerCase() === 'informational' ? 'info' : value.toLowerCase();
  if (!(CI_SEVERITIES as readonly string[]).includes(v)) {
    throw new PalisadeError('USAGE', `--min-severity ${value}: expected one of ${CI_SEVERITIES.join(', ')}`);
  }
  return v as CiSeverity;
}

function parseExitCode(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new PalisadeError('USAGE', `--exit-code ${value}: expected a number from 0 to 255`);
  return n;
}

function loadConfig(target: string, options: CiAuditOptions): { config: CiConfig; source?: string } {
  let source = options.config;
  if (!source && !options.ignoreConfig && isDirectory(target)) source = CONFIG_NAMES.map((n) => join(target, n)).find((p) => existsSync(p));
  let config = defaultConfig();
  if (source) {
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new PalisadeError('INPUT_UNREADABLE', `cannot read ${source}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      config = parseConfig(text, source);
    } catch (err) {
      if (err instanceof ParseError) throw new PalisadeError('PARSE_ERROR', err.message);
      throw err;
    }
  }
  for (const pattern of options.allowUnpinned) {
    try {
      validatePattern(pattern, false, '--allow-unpinned');
    } catch (err) {
      throw new PalisadeError('USAGE', errorMessage(err));
    }
    config.pinPolicies.push({ pattern, policy: 'ref-pin' });
  }
  config.pinPolicies.sort((a, b) => patternSpecificity(b.pattern) - patternSpecificity(a.pattern));
  for (const name of options.disable) {
    const id = canonicalRuleId(name);
    if (!id) throw new PalisadeError('USAGE', `--disable ${name}: no such rule (see docs/ci-audit.md)`);
    config.disabled.add(id);
  }
  return { config, ...(source && { source }) };
}

export function ciCommand(globals: () => GlobalOptions): Command {
  const ci = new Command('ci').description('Audit CI/CD pipelines (GitHub Actions, GitLab CI) for supply-chain weaknesses');
  ci.addCommand(
    new Command('audit')
      .description(
        'Audit GitHub Actions workflows, composite actions, Dependabot and GitLab CI files: injection, triggers, permissions, pinning, credentials, caches; SLSA build level of release workflows',
      )
      .argument('[path]', 'repository directory or CI file', '.')
      .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
      .option('-o, --output <file>', 'write the report to a file instead of stdout (atomically)')
      .addOption(new Option('--persona <persona>', 'regular: high-signal findings; pedantic: also code smells; auditor: everything').choices(PERSONAS).default('regular'))
      .option('--pedantic', 'same as --persona pedantic')
      .option('--min-severity <severity>', `report findings at or above this severity (${CI_SEVERITIES.join(', ')})`)
      .option('--min-confidence <confidence>', 'report findings at or above this confidence (low, medium, high)')
      .option('--exit-code <code>', 'exit with this code when findings remain after filtering', '0')
      .option('--config <file>', `zizmor-compatible configuration (default: ${CONFIG_NAMES.join(', ')} in PATH)`)
      .option('--ignore-config', 'do not look for a configuration file')
      .option('--no-ignores', 'ignore inline # palisade: ignore[...] / # zizmor: ignore[...] comments')
      .option('--show-suppressed', 'also list findings suppressed by comments or configuration')
      .option('--allow-unpinned <pattern>', 'allow tag/branch pins for owner/repo or owner/* (repeatable)', collectList, [])
      .option('--disable <rules>', 'rules to skip (comma-separated, repeatable)', collectList, [])
      .action(async (target: string, options: CiAuditOptions) => {
        const ctx = contextFrom(globals());
        const exitCode = parseExitCode(options.exitCode);
        const persona: Persona = options.pedantic && options.persona === 'regular' ? 'pedantic' : options.persona;
        const minSeverity = options.minSeverity ? parseSeverity(options.minSeverity) : undefined;
        const minConfidence = options.minConfidence?.toLowerCase() as Confidence | undefined;
        if (minConfidence && !CONFIDENCES.includes(minConfidence)) {
          throw new PalisadeError('USAGE', `--min-confidence ${options.minConfidence}: expected one of ${CONFIDENCES.join(', ')}`);
        }
        if (!existsSync(target)) throw new PalisadeError('INPUT_NOT_FOUND', `${target}: no such file or directory`);
        const { config, source } = loadConfig(target, options);
        if (source) ctx.log.debug(`configuration: ${source}`);
        let report;
        try {
          report = auditPath(target, { persona, config, showSuppressed: !!options.showSuppressed, noInlineIgnores: !options.ignores });
        } catch (err) {
          if (err instanceof ParseError) throw new PalisadeError('PARSE_ERROR', err.message);
          throw err;
        }
        if (minSeverity) report.findings = atLeast(report.findings, minSeverity);
        if (minConfidence) report.findings = report.findings.filter((f) => CONFIDENCES.indexOf(f.confidence) >= CONFIDENCES.indexOf(minConfidence));
        reportIssues(ctx, report.issues);
        for (const w of report.warnings) ctx.log.debug(`${w.path}${w.line !== undefined ? `:${w.line}` : ''}: ${w.message}`);
        if (report.warnings.length > 0) ctx.log.info(`${report.warnings.length} warning(s) about the inputs (unknown keys, unparsable expressions); --debug lists them`);
        const meta = { tool: { name: TOOL_NAME, version: TOOL_VERSION }, createdAt: new Date().toISOString() };
        const text =
          options.format === 'json'
            ? renderJson(report, meta)
            : options.format === 'sarif'
              ? renderSarif(report, { tool: meta.tool, informationUri: PROJECT_URL })
              : renderTable(report, { color: !options.output && Boolean((process.stdout as { isTTY?: boolean }).isTTY) });
        await emit(ctx, text, options.output);
        if (options.format !== 'table') ctx.log.info(summaryLine(report));
        if (report.files.length === 0 && report.issues.length === 0) ctx.log.warn(`${target}: no GitHub Actions, Dependabot or GitLab CI files found`);
        if (report.issues.length > 0) {
          throw new PalisadeError('PARSE_ERROR', `${report.issues.length} CI file(s) could not be audited; the other files were`, { exitCode: ExitCode.usage });
        }
        const remaining = report.findings.filter((f) => !f.suppressed);
        if (remaining.length > 0 && exitCode !== 0) throw new ExitRequest(exitCode, `${remaining.length} findings`);
      }),
  );
  ci.addCommand(pinCommand(globals));
  return ci;
}

interface CiPinOptions {
  resolve?: string;
  online?: boolean;
  dryRun?: boolean;
  apiUrl?: string;
}

/** Files `ci pin` may rewrite: workflows and actions. */
function pinnableFiles(target: string): CiFile[] {
  if (isDirectory(target)) return discover(target).filter((f) => f.kind === 'workflow' || f.kind === 'action');
  const kind = kindOfPath(target) ?? kindOfContent(readFileSync(target, 'utf8'));
  if (kind !== 'workflow' && kind !== 'action') throw new PalisadeError('USAGE', `${target}: not a GitHub Actions workflow or action definition`);
  return [{ abs: target, path: target, kind }];
}

function pinCommand(globals: () => GlobalOptions): Command {
  return new Command('pin')
    .description('Pin uses: references to full commit SHAs (the tag kept as a comment), from a resolution file or the GitHub API')
    .argument('[path]', 'repository directory, workflow or action file', '.')
    .option('--resolve <file>', 'JSON or YAML mapping "owner/repo@ref" to a 40-character commit SHA')
    .option('--online', 'ask the GitHub API for the commits (uses $GITHUB_TOKEN or $GH_TOKEN when set)')
    .option('--api-url <url>', 'GitHub API base URL (GitHub Enterprise)', 'https://api.github.com')
    .option('--dry-run', 'print the changes without writing them')
    .action(async (target: string, options: CiPinOptions) => {
      const ctx = contextFrom(globals());
      if (!existsSync(target)) throw new PalisadeError('INPUT_NOT_FOUND', `${target}: no such file or directory`);
      if (!options.resolve && !options.online) {
        throw new PalisadeError('USAGE', 'ci pin needs commit SHAs: pass --resolve FILE ({"owner/repo@ref": "<sha>"}) or --online to ask the GitHub API');
      }
      let resolver: Resolver;
      try {
        resolver = options.resolve
          ? fileResolver(options.resolve)
          : githubResolver({ token: process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN, apiUrl: options.apiUrl! });
      } catch (err) {
        throw new PalisadeError('PARSE_ERROR', errorMessage(err));
      }
      let plan;
      try {
        plan = await planPins(pinnableFiles(target), resolver);
      } catch (err) {
        if (err instanceof ParseError) throw new PalisadeError('PARSE_ERROR', err.message);
        throw new PalisadeError('NETWORK', `resolving refs: ${errorMessage(err)}`, { cause: err });
      }
      const lines: string[] = [];
      for (const { file, text, pinned } of plan.files) {
        for (const { target: t, sha } of pinned) lines.push(`${t.path}:${t.line}:${t.column}: ${t.target}@${t.ref} -> ${sha}`);
        if (!options.dryRun) await writeFileAtomic(file.abs, applyPins(text, pinned));
      }
      ctx.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'Nothing to pin.\n');
      const count = lines.length;
      ctx.log.info(`${options.dryRun ? 'would pin' : 'pinned'} ${count} reference${count === 1 ? '' : 's'} in ${plan.files.length} file(s)`);
      if (plan.unresolved.length > 0) {
        for (const u of plan.unresolved) ctx.log.warn(`${u.path}:${u.line}:${u.column}: ${u.owner}/${u.repo}@${u.ref}: commit not found`);
        throw new PalisadeError('PARSE_ERROR', `${plan.unresolved.length} reference(s) could not be resolved`, { exitCode: ExitCode.usage });
      }
    });
}
