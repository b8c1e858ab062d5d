/**
 * Human-readable scan report: per target, one group per file the vulnerable packages were found
 * in (Trivy-style header with per-severity totals, rows sorted by severity then package), then,
 * when misconfigurations were looked for, one group per configuration file (check id, severity,
 * title, object, line), then a summary of what was scanned, skipped, suppressed and could not be read.
 */
import type { Finding, Severity } from '../core/types.ts';
import { renderColumns, visibleLength } from './columns.ts';
import {
  compareFindings,
  countBySeverity,
  describeObject,
  findingLocations,
  misconfigFindings,
  compareSecrets,
  secretFindings,
  scannersOf,
  SEVERITY_RANK,
  vulnFindings,
  type ScanReport,
  type ScanTargetResult,
  type Scanner,
} from './scan-report.ts';

export interface TableOptions {
  /** ANSI colours for severities; the CLI passes stdout.isTTY unless NO_COLOR is set. */
  color: boolean;
  /** List suppressed findings (VEX/ignore) in their own table instead of only counting them. */
  showSuppressed?: boolean;
  /** Longest TITLE cell before it is cut with `…`. */
  titleWidth?: number;
}

const DEFAULT_TITLE_WIDTH = 60;

const SEVERITY_COLOR: Record<Severity, string> = {
  CRITICAL: '\x1b[1;31m',
  HIGH: '\x1b[31m',
  MEDIUM: '\x1b[33m',
  LOW: '\x1b[34m',
  UNKNOWN: '\x1b[36m',
};
const LOUD = '\x1b[1;31m';
const RESET = '\x1b[0m';

interface FileGroup {
  path: string;
  ecosystems: Set<string>;
  active: Finding[];
  suppressed: Finding[];
}

export function renderTable(report: ScanReport, options: TableOptions): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  const scanners = scannersOf(report);
  const sections = report.targets.map((t) => renderTarget(t, scanners, options, paint));
  return [...sections, renderSummary(report, scanners, options, paint)].join('\n');
}

type Paint = (code: string, text: string) => string;

function renderTarget(result: ScanTargetResult, scanners: Set<Scanner>, options: TableOptions, paint: Paint): string {
  const title = `${clean(result.target.name)} (${result.target.kind})`;
  const heading = result.incomplete.length > 0 ? `${title} ${paint(LOUD, '[INCOMPLETE]')}` : title;
  const lines = [heading, '='.repeat(visibleLength(heading)), ''];
  if (scanners.has('vuln')) lines.push(...renderVulnGroups(result, options, paint));
  if (scanners.has('misconfig')) lines.push(...renderMisconfigGroups(result, options, paint));
  if (scanners.has('secret')) lines.push(...renderSecretGroups(result, paint));
  return lines.join('\n');
}

function renderVulnGroups(result: ScanTargetResult, options: TableOptions, paint: Paint): string[] {
  const lines: string[] = [];
  const groups = groupByFile(result);
  for (const g of groups.withFindings) lines.push(renderGroup(g, options, paint));
  if (groups.clean > 0) {
    const other = groups.withFindings.length > 0 ? ' other' : '';
    lines.push(`No vulnerabilities in ${groups.clean}${other} scanned file${groups.clean === 1 ? '' : 's'}.`, '');
  } else if (groups.withFindings.length === 0) {
    lines.push('No vulnerabilities found.', '');
  }
  return lines;
}

/** One group per configuration file with findings (sorted by path), then how many others were clean. */
function renderMisconfigGroups(result: ScanTargetResult, options: TableOptions, paint: Paint): string[] {
  const byPath = new Map<string, Finding[]>();
  for (const f of misconfigFindings(result)) {
    const path = f.location?.path ?? result.target.name;
    const group = byPath.get(path);
    if (group) group.push(f);
    else byPath.set(path, [f]);
  }
  const lines: string[] = [];
  const paths = [...byPath.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const path of paths) {
    const findings = byPath.get(path)!;
    const active = findings.filter((f) => !f.suppression);
    const suppressed = findings.filter((f) => f.suppression);
    const types = [...new Set(findings.map((f) => f.misconfig?.type ?? 'config'))].sort();
    lines.push(`${clean(path)} (${types.join(', ')})`, `Misconfigurations: ${active.length} (${severityCounts(countBySeverity(active))})`, '');
    if (active.length > 0) lines.push(misconfigTable(active, options, paint));
    if (suppressed.length > 0) {
      if (options.showSuppressed) {
        lines.push(`Suppressed: ${suppressed.length} (VEX/ignore)`, '');
        const rows = [...suppressed].sort(byMisconfigRow).map((f) => [
          clean(f.id),
          paint(SEVERITY_COLOR[f.severity], f.severity),
          clean(describeObject(f)),
          String(f.location?.line ?? ''),
          clean(f.suppression!.status),
          clean(`${f.suppression!.kind === 'vex' ? 'VEX' : 'ignore rule'} ${f.suppression!.source}`),
        ]);
        lines.push(renderColumns(['ID', 'SEVERITY', 'OBJECT', 'LINE', 'STATUS', 'SOURCE'], rows));
      } else {
        lines.push(`${suppressed.length} suppressed (VEX/ignore)`, '');
      }
    }
  }
  const cleanFiles = (result.misconfig?.files ?? []).filter((p) => !byPath.has(p)).length;
  if (cleanFiles > 0) {
    lines.push(`No misconfigurations in ${cleanFiles}${paths.length > 0 ? ' other' : ''} configuration file${cleanFiles === 1 ? '' : 's'}.`, '');
  } else if (paths.length === 0) {
    lines.push('No misconfigurations found.', '');
  }
  return lines;
}

/** Worst first, then in file order: what to fix first is on top. */
function byMisconfigRow(a: Finding, b: Finding): number {
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function misconfigTable(findings: Finding[], options: TableOptions, paint: Paint): string {
  const width = options.titleWidth ?? DEFAULT_TITLE_WIDTH;
  const rows = [...findings].sort(byMisconfigRow).map((f) => [
    clean(f.id),
    paint(SEVERITY_COLOR[f.severity], f.severity),
    truncate(clean(f.title), width),
    clean(describeObject(f)),
    String(f.location?.line ?? ''),
  ]);
  return renderColumns(['ID', 'SEVERITY', 'TITLE', 'OBJECT', 'LINE'], rows);
}

/**
 * Files with findings (sorted by path) and how many other files were scanned clean; the SBOM,
 * when present, is what tells which files were scanned at all.
 */
function groupByFile(result: ScanTargetResult): { withFindings: FileGroup[]; clean: number } {
  const groups = new Map<string, FileGroup>();
  const group = (path: string) => {
    let g = groups.get(path);
    if (!g) groups.set(path, (g = { path, ecosystems: new Set(), active: [], suppressed: [] }));
    return g;
  };
  for (const f of vulnFindings(result)) {
    for (const loc of findingLocations(f, result.target)) {
      const g = group(loc.path);
      g.ecosystems.add(f.vuln!.package.ecosystem);
      (f.suppression ? g.suppressed : g.active).push(f);
    }
  }
  const scanned = new Set(result.sbom?.packages.flatMap((p) => p.locations.map((l) => l.path)) ?? []);
  const clean = [...scanned].filter((p) => !groups.has(p)).length;
  const withFindings = [...groups.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { withFindings, clean };
}

function renderGroup(g: FileGroup, options: TableOptions, paint: Paint): string {
  const counts = countBySeverity(g.active);
  const lines = [
    `${clean(g.path)} (${[...g.ecosystems].sort().map(clean).join(', ')})`,
    `Total: ${g.active.length} (${severityCounts(counts)})`,
    '',
  ];
  if (g.active.length > 0) {
    const width = options.titleWidth ?? DEFAULT_TITLE_WIDTH;
    const rows = [...g.active].sort(compareFindings).map((f) => {
      const v = f.vuln!;
      return [
        clean(v.package.name),
        clean(f.id),
        paint(SEVERITY_COLOR[f.severity], f.severity),
        v.status,
        clean(v.package.version),
        clean(v.fixedVersions[0] ?? ''),
        truncate(clean(f.title), width),
      ];
    });
    lines.push(renderColumns(['LIBRARY', 'VULNERABILITY', 'SEVERITY', 'STATUS', 'INSTALLED', 'FIXED VERSION', 'TITLE'], rows));
  }
  if (g.suppressed.length > 0) {
    if (options.showSuppressed) {
      lines.push(`Suppressed: ${g.suppressed.length} (VEX/ignore)`, '');
      const rows = [...g.suppressed].sort(compareFindings).map((f) => [
        clean(f.vuln!.package.name),
        clean(f.id),
        paint(SEVERITY_COLOR[f.severity], f.severity),
        clean(f.vuln!.package.version),
        clean(f.suppression!.status),
        clean(f.suppression!.justification ?? ''),
        clean(`${f.suppression!.kind === 'vex' ? 'VEX' : 'ignore rule'} ${f.suppression!.source}`),
      ]);
      lines.push(renderColumns(['LIBRARY', 'VULNERABILITY', 'SEVERITY', 'INSTALLED', 'STATUS', 'STATEMENT', 'SOURCE'], rows));
    } else {
      lines.push(`${g.suppressed.length} suppressed (VEX/ignore)`, '');
    }
  }
  return lines.join('\n');
}

function renderSummary(report: ScanReport, scanners: Set<Scanner>, options: TableOptions, paint: Paint): string {
  const lines = ['Summary', '-------'];
  const how = options.showSuppressed ? 'listed above' : 'hidden; --show-suppressed lists them';
  if (scanners.has('vuln')) {
    const all = report.targets.flatMap(vulnFindings);
    const active = all.filter((f) => !f.suppression);
    const suppressed = all.length - active.length;
    const scanned = report.targets.reduce((n, t) => n + t.packagesScanned, 0);
    const notScanned = report.targets.flatMap((t) => t.notScanned);
    lines.push(`Vulnerabilities: ${active.length} (${severityCounts(countBySeverity(active))})`);
    if (suppressed > 0) lines.push(`Suppressed: ${suppressed} (VEX/ignore), ${how}`);
    lines.push(`Packages scanned: ${scanned}`);
    if (notScanned.length > 0) lines.push(`Not scanned: ${notScanned.length} (${reasonCounts(notScanned.map((n) => n.reason))})`);
    if (report.db) lines.push(`Vulnerability DB: ${describeDb(report.db)}`);
  }
  if (scanners.has('misconfig')) {
    const all = report.targets.flatMap(misconfigFindings);
    const active = all.filter((f) => !f.suppression);
    const suppressed = all.length - active.length;
    const files = report.targets.reduce((n, t) => n + (t.misconfig?.files.length ?? 0), 0);
    const objects = report.targets.reduce((n, t) => n + (t.misconfig?.objects ?? 0), 0);
    lines.push(`Misconfigurations: ${active.length} (${severityCounts(countBySeverity(active))})`);
    if (suppressed > 0) lines.push(`Suppressed misconfigurations: ${suppressed} (ignore rules), ${how}`);
    lines.push(`Configuration files scanned: ${files} (${objects} Kubernetes object${objects === 1 ? '' : 's'})`);
  }
  if (scanners.has('secret')) lines.push(...secretSummary(report));
  const what = scanners.has('misconfig') || scanners.has('secret') ? 'findings' : 'vulnerabilities';
  const incomplete = report.targets.flatMap((t) =>
    t.incomplete.map((i) => ({ ...i, prefix: report.targets.length > 1 ? `${t.target.name}: ` : '' })),
  );
  if (incomplete.length > 0) {
    const n = incomplete.length;
    lines.push(
      `${paint(LOUD, 'INCOMPLETE')}: ${n} input${n === 1 ? '' : 's'} could not be read; ${what} in ${n === 1 ? 'it' : 'them'} may be missing:`,
      ...incomplete.map((i) => `  ${clean(i.prefix + i.path)}${i.line !== undefined ? `:${i.line}` : ''}: ${clean(i.message)}`),
    );
  }
  return lines.join('\n') + '\n';
}

function severityCounts(counts: Record<Severity, number>): string {
  return Object.entries(counts)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
}

/** `no pinned version: 2; no version ordering for ecosystem CRAN: 1`, most frequent first. */
function reasonCounts(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([r, n]) => `${clean(r)}: ${n}`)
    .join('; ');
}

function describeDb(db: NonNullable<ScanReport['db']>): string {
  const parts = [`schema ${db.schemaVersion}`];
  if (db.updatedAt) parts.push(`updated ${db.updatedAt}`);
  if (db.ageDays !== undefined) parts.push(`${db.ageDays} day${db.ageDays === 1 ? '' : 's'} old`);
  return parts.join(', ');
}

/**
 * Advisory titles and lockfile contents are untrusted: control characters (an ESC could repaint
 * the terminal) and line breaks become spaces before anything reaches the screen.
 */
function clean(text: string): string {
  // Most cells have nothing to clean: one test instead of two replacements and a trim each.
  if (!NEEDS_CLEANING.test(text)) return text;
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  return text.replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** What clean() changes: control characters, whitespace other than a single inner space. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_CLEANING = /[\x00-\x1f\x7f-\x9f]|[^\S ]| {2}|^ | $/;

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(1, width - 1)).trimEnd()}…`;
}

/* ── secrets (--scanners secret, palisade secrets) ── */

/** One group per file with leaks: rule, severity, line, commit (git history) and the (redacted) secret. */
function renderSecretGroups(result: ScanTargetResult, paint: Paint): string[] {
  const findings = secretFindings(result).filter((f) => !f.suppression).sort(compareSecrets);
  if (findings.length === 0) return ['No secrets found.', ''];
  const byPath = new Map<string, Finding[]>();
  for (const f of findings) {
    const path = f.location?.path ?? result.target.name;
    const group = byPath.get(path);
    if (group) group.push(f);
    else byPath.set(path, [f]);
  }
  const lines: string[] = [];
  const withCommits = findings.some((f) => f.secret?.commit);
  for (const [path, group] of byPath) {
    lines.push(`${clean(path)} (secrets)`, `Secrets: ${group.length} (${severityCounts(countBySeverity(group))})`, '');
    const rows = group.map((f) => [
      clean(f.id),
      paint(SEVERITY_COLOR[f.severity], f.severity),
      String(f.location?.line ?? ''),
      ...(withCommits ? [clean(f.secret?.commit?.sha.slice(0, 12) ?? '')] : []),
      truncate(clean(f.secret?.secret ?? ''), 40),
      truncate(clean(f.title), 50),
    ]);
    lines.push(renderColumns(['RULE', 'SEVERITY', 'LINE', ...(withCommits ? ['COMMIT'] : []), 'SECRET', 'TITLE'], rows));
  }
  return lines;
}

function secretSummary(report: ScanReport): string[] {
  const active = report.targets.flatMap(secretFindings).filter((f) => !f.suppression);
  const lines = [`Secrets: ${active.length} (${severityCounts(countBySeverity(active))})`];
  for (const t of report.targets) {
    const s = t.secrets;
    if (!s) continue;
    const read = s.commits > 0 ? `${s.commits} commits (${s.fragments} hunks)` : `${s.fragments} file${s.fragments === 1 ? '' : 's'}`;
    const skipped = [s.skippedBinary > 0 && `${s.skippedBinary} binary`, s.skippedTooLarge > 0 && `${s.skippedTooLarge} too large`].filter(Boolean).join(', ');
    lines.push(`Secret scan: ${read}, ${(s.bytes / 1e6).toFixed(1)} MB${skipped ? `; skipped: ${skipped}` : ''}; rules: ${s.config}`);
    if (s.ignored > 0 || s.baseline > 0) lines.push(`Not reported: ${s.ignored} in .gitleaksignore, ${s.baseline} in the baseline`);
  }
  return lines;
}
