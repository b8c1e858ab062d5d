/**
 * `palisade scan`: vulnerabilities of what a directory, lockfile or SBOM ships, and (with
 * `--scanners misconfig`) misconfigurations of the Kubernetes manifests and Dockerfiles in it.
 * Reads the local advisory database (never the network), applies VEX and ignore rules, filters by
 * severity and fix state, renders, and sets the exit code from what is left.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { PalisadeError } from '../core/errors.ts';
import { SEVERITIES, type Finding, type Severity } from '../core/types.ts';
import { TOOL_NAME, TOOL_VERSION } from '../core/version.ts';
import type { ScanReport, ScanTargetResult, Scanner } from '../report/scan-report.ts';
import { renderTable } from '../report/table.ts';
import { renderJson } from '../report/json.ts';
import { renderSarif } from '../report/sarif.ts';
import { renderCycloneDxVex } from '../report/cyclonedx-vex.ts';
import { resolveDbPath } from '../vuln/db/paths.ts';
import { openVulnDb } from '../vuln/db/store.ts';
import { scanInput } from '../vuln/scan.ts';
import { isImageReference } from '../image/scan.ts';
import { scanMisconfig } from '../misconfig/scan.ts';
import { applyIgnores, loadIgnoreFile } from '../vuln/suppress/ignorefile.ts';
import { applyVex, loadVex } from '../vuln/suppress/vex.ts';
import { contextFrom, ExitRequest, type CliContext, type GlobalOptions } from './context.ts';
import { collectList, emit, reportIssues } from './output.ts';
import { scanSecrets } from '../secrets/scan.ts';
import { secretsReport } from './secrets.ts';

const FORMATS = ['table', 'json', 'sarif', 'cyclonedx'] as const;
const SCANNERS: readonly Scanner[] = ['vuln', 'misconfig', 'secret'];
const DEFAULT_SCANNERS: readonly Scanner[] = ['vuln'];
/** Scans warn when the advisories are older than this. */
const STALE_AFTER_DAYS = 7;
const DEFAULT_IGNOREFILE = '.palisadeignore';
const PROJECT_URL = 'https://github.com/palisade-security/palisade';

interface ScanOptions {
  format: (typeof FORMATS)[number];
  output?: string;
  scanners: string[];
  severity: string[];
  ignoreUnfixed?: boolean;
  exitCode: string;
  vex: string[];
  ignorefile?: string;
  db?: string;
  skipDirs: string[];
  showSuppressed?: boolean;
  platform?: string;
  insecure?: boolean;
}

export function scanCommand(globals: () => GlobalOptions): Command {
  return new Command('scan')
    .description(
      'Find known vulnerabilities in a directory, a lockfile, an SBOM (CycloneDX/SPDX) or a container image; with --scanners misconfig, misconfigurations of Kubernetes manifests and Dockerfiles',
    )
    .argument(
      '<targets...>',
      'directories, lockfiles, SBOM files, or images: docker-archive:PATH, oci-archive:PATH, oci:DIR[:tag], rootfs:DIR, registry references',
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout (atomically)')
    .option('--scanners <list>', `what to look for: ${SCANNERS.join(', ')} (comma-separated; default ${DEFAULT_SCANNERS.join(',')})`, collectList, [])
    .option('--severity <list>', `severities to report (${SEVERITIES.join(',')})`, collectList, [])
    .option('--ignore-unfixed', 'hide vulnerabilities that have no fixed version yet')
    .option('--exit-code <code>', 'exit with this code when vulnerabilities remain after filtering', '0')
    .option('--vex <file>', 'OpenVEX or CycloneDX VEX document (repeatable)', collectList, [])
    .option('--ignorefile <file>', `ignore rules (default: ${DEFAULT_IGNOREFILE} when present; .trivyignore format accepted)`)
    .option('--show-suppressed', 'also show findings suppressed by VEX or ignore rules')
    .option('--skip-dirs <dirs>', 'directory names or paths to skip (comma-separated, repeatable)', collectList, [])
    .option('--platform <os/arch[/variant]>', 'image platform to scan in a multi-platform index (default linux/amd64)')
    .option('--insecure', 'allow plain-HTTP registries (loopback only)')
    .option('--db <path>', 'vulnerability database (default: $PALISADE_DB, else $XDG_CACHE_HOME/palisade/vuln.db)')
    .action(async (targets: string[], options: ScanOptions) => {
      const ctx = contextFrom(globals());
      const exitCode = parseExitCode(options.exitCode);
      const severities = parseSeverities(options.severity);
      for (const s of options.scanners) {
        if (!(SCANNERS as readonly string[]).includes(s)) {
          throw new PalisadeError('USAGE', `--scanners ${s}: not supported yet (supported: ${SCANNERS.join(', ')})`);
        }
      }
      const scanners = new Set((options.scanners.length > 0 ? options.scanners : DEFAULT_SCANNERS) as Scanner[]);
      // Load every rule file before any work, so a typo fails fast.
      const vexDocs = await Promise.all(options.vex.map((f) => loadVex(f)));
      for (const doc of vexDocs) reportIssues(ctx, doc.warnings);
      const ignorePath = options.ignorefile ?? (existsSync(DEFAULT_IGNOREFILE) ? DEFAULT_IGNOREFILE : undefined);
      const ignoreRules = ignorePath ? await loadIgnoreFile(ignorePath) : [];

      if (!scanners.has('vuln')) {
        const results: ScanTargetResult[] = [];
        for (const target of targets) {
          const result = scanners.has('misconfig') ? await misconfigOf(ctx, target, options) : emptyResult(target);
          if (scanners.has('secret')) await addSecrets(ctx, result, target);
          results.push(result);
        }
        const report: ScanReport = { tool: { name: TOOL_NAME, version: TOOL_VERSION }, createdAt: new Date().toISOString(), targets: results, scanners: [...scanners] };
        return finish(ctx, report, options, severities, exitCode, vexDocs, ignoreRules);
      }
      const db = openVulnDb(resolveDbPath(options.db), { readonly: true });
      let report: ScanReport;
      try {
        const status = db.status();
        const ageDays = status.ageMs !== undefined ? status.ageMs / 86_400_000 : undefined;
        if (ageDays !== undefined && ageDays > STALE_AFTER_DAYS) {
          ctx.log.warn(`the vulnerability database is ${Math.floor(ageDays)} days old: run \`palisade db update\``);
        }
        const results: ScanTargetResult[] = [];
        for (const target of targets) {
          let scanned;
          try {
            scanned = await scanInput(target, {
              source: db,
              skipDirs: options.skipDirs,
              image: {
                log: ctx.log,
                ...(options.platform !== undefined && { platform: options.platform }),
                ...(options.insecure && { registry: { insecure: true } }),
              },
            });
          } catch (err) {
            // A Dockerfile or manifest given with both scanners has no packages: misconfigurations only.
            if (!(scanners.has('misconfig') && err instanceof PalisadeError && err.code === 'UNSUPPORTED_FORMAT')) throw err;
            results.push(await misconfigOf(ctx, target, options));
            continue;
          }
          const { result, warnings } = scanned;
          reportIssues(ctx, result.incomplete);
          for (const w of warnings) ctx.log.debug(`advisory data: ${w}`);
          if (scanners.has('misconfig')) await addMisconfig(ctx, result, target, options);
          if (scanners.has('secret')) await addSecrets(ctx, result, target);
          results.push(result);
        }
        report = {
          tool: { name: TOOL_NAME, version: TOOL_VERSION },
          createdAt: new Date().toISOString(),
          targets: results,
          db: {
            schemaVersion: status.schemaVersion,
            ...(status.lastUpdate && { updatedAt: status.lastUpdate }),
            ...(ageDays !== undefined && { ageDays: Math.floor(ageDays) }),
          },
          ...((scanners.has('misconfig') || scanners.has('secret')) && { scanners: [...scanners] }),
        };
      } finally {
        db.close();
      }
      await finish(ctx, report, options, severities, exitCode, vexDocs, ignoreRules);
    });
}

/* ── misconfiguration scanning (--scanners misconfig) ── */

async function misconfigOf(ctx: CliContext, target: string, options: ScanOptions): Promise<ScanTargetResult> {
  if (isImageReference(target)) throw new PalisadeError('USAGE', `${target}: --scanners misconfig scans directories and files, not images`);
  const result = await scanMisconfig(target, { skipDirs: options.skipDirs, log: ctx.log });
  reportIssues(ctx, result.incomplete);
  return result;
}

/** Adds the misconfigurations of a directory to its vulnerability result (images have none to add). */
async function addMisconfig(ctx: CliContext, result: ScanTargetResult, target: string, options: ScanOptions): Promise<void> {
  if (isImageReference(target)) {
    ctx.log.warn(`${target}: misconfiguration scanning of images is not supported; vulnerabilities only`);
    return;
  }
  const m = await misconfigOf(ctx, target, options);
  result.findings.push(...m.findings);
  result.incomplete.push(...m.incomplete);
  if (m.misconfig) result.misconfig = m.misconfig;
}

/* ── secret scanning (--scanners secret) ── */

/** Leaked credentials in a directory or file, with the rules `palisade secrets` would use there (redacted). */
async function addSecrets(ctx: CliContext, result: ScanTargetResult, target: string): Promise<void> {
  if (isImageReference(target)) {
    ctx.log.warn(`${target}: secret scanning of images is not supported; skipped`);
    return;
  }
  const scanned = await scanSecrets({ target, mode: 'dir', redact: 100, onWarning: (m) => ctx.log.warn(m) });
  reportIssues(ctx, scanned.issues);
  const report = secretsReport(target, scanned);
  result.findings.push(...report.targets[0]!.findings);
  result.incomplete.push(...scanned.issues);
  result.secrets = report.targets[0]!.secrets!;
}

function emptyResult(target: string): ScanTargetResult {
  return { target: { kind: 'dir', name: target }, findings: [], packagesScanned: 0, notScanned: [], incomplete: [] };
}

/* ── suppression, filters, output ── */

async function finish(
  ctx: CliContext,
  report: ScanReport,
  options: ScanOptions,
  severities: Set<Severity> | undefined,
  exitCode: number,
  vexDocs: Awaited<ReturnType<typeof loadVex>>[],
  ignoreRules: Awaited<ReturnType<typeof loadIgnoreFile>>,
): Promise<void> {
  const all = report.targets.flatMap((t) => t.findings);
  if (vexDocs.length > 0) applyVex(all, vexDocs);
  // VEX first, then ignore rules (docs/suppressions.md): a VEX statement is the stronger claim.
  if (ignoreRules.length > 0) reportIssues(ctx, applyIgnores(all, ignoreRules, { today: new Date() }));
  for (const t of report.targets) t.findings = t.findings.filter((f) => passesFilters(f, severities, options.ignoreUnfixed));

  await emit(ctx, render(report, options), options.output);
  summarize(ctx, report);
  const remaining = report.targets.flatMap((t) => t.findings).filter((f) => !f.suppression);
  if (remaining.length > 0 && exitCode !== 0) {
    throw new ExitRequest(exitCode, `${remaining.length} ${report.scanners?.includes('misconfig') ? 'findings' : 'vulnerabilities'} found`);
  }
}

function render(report: ScanReport, options: ScanOptions): string {
  const showSuppressed = Boolean(options.showSuppressed);
  switch (options.format) {
    case 'table':
      return renderTable(report, { color: colorWanted(options.output), showSuppressed });
    case 'json':
      return renderJson(report, { showSuppressed });
    case 'sarif':
      return renderSarif(report, { informationUri: PROJECT_URL });
    case 'cyclonedx':
      return renderCycloneDxVex(report, { showSuppressed });
  }
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
function colorWanted(outputPath: string | undefined): boolean {
  return !outputPath && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

function passesFilters(f: Finding, severities: Set<Severity> | undefined, ignoreUnfixed: boolean | undefined): boolean {
  if (severities && !severities.has(f.severity)) return false;
  if (ignoreUnfixed && f.vuln?.status === 'unfixed') return false;
  return true;
}

function parseSeverities(values: string[]): Set<Severity> | undefined {
  if (values.length === 0) return undefined;
  const out = new Set<Severity>();
  for (const v of values) {
    const s = v.toUpperCase();
    if (!(SEVERITIES as readonly string[]).includes(s)) {
      throw new PalisadeError('USAGE', `--severity ${v}: expected one of ${SEVERITIES.join(', ')}`);
    }
    out.add(s as Severity);
  }
  return out;
}

function parseExitCode(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new PalisadeError('USAGE', `--exit-code ${value}: expected an integer 0-255`);
  return n;
}

function summarize(ctx: CliContext, report: ScanReport): void {
  if (report.scanners?.includes('secret')) {
    const secrets = report.targets.flatMap((t) => t.findings).filter((f) => f.kind === 'secret' && !f.suppression).length;
    ctx.log.info(`${secrets} secrets found`);
    if (!report.scanners.includes('vuln') && !report.scanners.includes('misconfig')) return;
  }
  if (report.scanners?.includes('misconfig')) {
    const misconfigs = report.targets.flatMap((t) => t.findings).filter((f) => f.kind === 'misconfig' && !f.suppression).length;
    const files = report.targets.reduce((n, t) => n + (t.misconfig?.files.length ?? 0), 0);
    ctx.log.info(`${misconfigs} misconfigurations in ${files} configuration files`);
    if (!report.scanners.includes('vuln')) return;
  }
  const findings = report.targets.flatMap((t) => t.findings).filter((f) => f.kind === 'vuln');
  const visible = findings.filter((f) => !f.suppression).length;
  const suppressed = findings.length - visible;
  const scanned = report.targets.reduce((n, t) => n + t.packagesScanned, 0);
  const incomplete = report.targets.reduce((n, t) => n + t.incomplete.length, 0);
  ctx.log.info(
    `${visible} vulnerabilities in ${scanned} packages` +
      (suppressed > 0 ? ` (${suppressed} suppressed)` : '') +
      (incomplete > 0 ? `; INCOMPLETE: ${incomplete} input problem(s)` : ''),
  );
}

