/**
 * Human-readable report of `palisade ci audit`: findings grouped by file (severity, rule,
 * line:column, what and why, how to fix), the SLSA build level of each release workflow with
 * its evidence, and a summary line.
 */
import type { CiReport } from '../auditor.ts';
import { CI_SEVERITIES, type CiFinding, type CiSeverity } from '../findings.ts';
import { RULES } from '../rules.ts';
import type { SlsaAssessment } from '../slsa.ts';

export interface TableOptions {
  /** Print the remediation under each finding (default true). */
  remediation?: boolean;
  /** Print the SLSA section for workflows that are not release workflows too. */
  allSlsa?: boolean;
  color?: boolean;
}

const LABEL: Record<CiSeverity, string> = { info: 'INFO', low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
const COLOR: Record<CiSeverity, string> = { info: '\x1b[36m', low: '\x1b[34m', medium: '\x1b[33m', high: '\x1b[31m' };
const RESET = '\x1b[0m';

function severityLabel(s: CiSeverity, color: boolean): string {
  const label = LABEL[s].padEnd(6);
  return color ? `${COLOR[s]}${label}${RESET}` : label;
}

function findingLines(f: CiFinding, options: TableOptions): string[] {
  const rule = RULES[f.rule];
  const where = `${f.start.line}:${f.start.column}`.padEnd(8);
  const tags = [`confidence ${f.confidence}`, ...(f.persona !== 'regular' ? [f.persona] : []), ...(f.suppressed ? [`suppressed (${f.suppressed.source})`] : [])];
  const lines = [`  ${severityLabel(f.severity, !!options.color)} ${where} ${f.rule}: ${f.title}`, `           ${f.message} [${tags.join(', ')}]`];
  if (f.snippet) lines.push(`           | ${f.snippet.length > 110 ? `${f.snippet.slice(0, 107)}...` : f.snippet}`);
  for (const r of f.related) lines.push(`           ${r.start.line}:${r.start.column} ${r.message}`);
  if (options.remediation !== false && rule) lines.push(`           fix: ${rule.remediation}`);
  return lines;
}

export function slsaLines(assessments: SlsaAssessment[], all = false): string[] {
  const shown = assessments.filter((a) => all || a.release);
  if (shown.length === 0) return [];
  const lines = ['', 'SLSA build track'];
  for (const a of shown) {
    lines.push(`  ${a.path}${a.name ? ` (${a.name})` : ''}: Build L${a.level}${a.release ? '' : ' (not a release workflow)'}`);
    for (const c of a.checks) lines.push(`    ${c.met ? '+' : '-'} L${c.level} ${c.text}`);
  }
  return lines;
}

export function scorecardLines(report: CiReport): string[] {
  const checks = report.scorecard.filter((c) => c.score >= 0);
  if (checks.length === 0) return [];
  const lines = ['', 'OpenSSF Scorecard workflow checks'];
  for (const c of checks) {
    lines.push(`  ${c.name.padEnd(20)} ${c.score.toFixed(1).padStart(4)} / 10`);
    for (const d of c.details.slice(0, 5)) lines.push(`    - ${d}`);
    if (c.details.length > 5) lines.push(`    … ${c.details.length - 5} more (see --format json)`);
  }
  return lines;
}

export function summaryLine(report: CiReport): string {
  const counts = CI_SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s && !f.suppressed).length] as const)
    .reverse()
    .map(([s, n]) => `${n} ${LABEL[s].toLowerCase()}`);
  const active = report.findings.filter((f) => !f.suppressed).length;
  const extra = [
    ...(report.hidden.suppressed ? [`${report.hidden.suppressed} suppressed`] : []),
    ...(report.hidden.persona ? [`${report.hidden.persona} hidden by persona`] : []),
  ];
  return `${active} finding${active === 1 ? '' : 's'} in ${report.files.length} file${report.files.length === 1 ? '' : 's'}${extra.length ? ` (${extra.join(', ')})` : ''}: ${counts.join(', ')}`;
}

export function renderTable(report: CiReport, options: TableOptions = {}): string {
  const lines: string[] = [];
  const byFile = new Map<string, CiFinding[]>();
  for (const f of report.findings) byFile.set(f.path, [...(byFile.get(f.path) ?? []), f]);
  for (const [path, findings] of byFile) {
    lines.push(path);
    for (const f of findings) lines.push(...findingLines(f, options));
    lines.push('');
  }
  if (report.findings.length === 0) lines.push('No findings.');
  lines.push(...slsaLines(report.slsa, options.allSlsa));
  lines.push(...scorecardLines(report));
  lines.push('', summaryLine(report));
  return lines.join('\n') + '\n';
}
