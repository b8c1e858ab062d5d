/**
 * What `palisade scan` hands to its renderers (table, JSON, SARIF, CycloneDX VEX): the findings
 * of each scanned target plus what was and was not scanned, so that every format can say when
 * its answer is partial.
 */
import type { Finding, InputIssue, Location, Severity, Target } from '../core/types.ts';
import type { SbomDocument } from '../sbom/formats/document.ts';
import type { SecretScanStats } from '../secrets/scan.ts';

export interface ScanReport {
  tool: { name: string; version: string };
  /** ISO 8601 timestamp of the run; tests inject a fixed one so output is reproducible. */
  createdAt: string;
  /** One per scanned lockfile, SBOM, directory or image. */
  targets: ScanTargetResult[];
  db?: { schemaVersion: number; updatedAt?: string; ageDays?: number };
  /** What was looked for; absent means vulnerabilities only. Renderers show a section per scanner. */
  scanners?: Scanner[];
}

export type Scanner = 'vuln' | 'misconfig' | 'secret';

export function scannersOf(report: ScanReport): Set<Scanner> {
  return new Set(report.scanners ?? ['vuln']);
}

export interface ScanTargetResult {
  target: Target;
  /**
   * Vulnerability findings (`kind: 'vuln'` with `vuln` details); `suppression` is set where a VEX
   * statement or ignore rule applies. Renderers group them by the files their package was found in.
   */
  findings: Finding[];
  packagesScanned: number;
  notScanned: { purl: string; reason: string }[];
  /** Inputs that could not be read (in full): the results may miss vulnerabilities. */
  incomplete: InputIssue[];
  /** The catalogued packages: lists clean files in the table and fills the CycloneDX components. */
  sbom?: SbomDocument;
  /** Misconfiguration scanning: the configuration files checked (manifests, Dockerfiles) and the Kubernetes objects in them. */
  misconfig?: { files: string[]; objects: number };
  /** Secret scanning: what was read (files or git hunks) and skipped, and where the rules came from. */
  secrets?: SecretScanSummary;
}

/** The secret scanner's counters as reports show them (no timing), and where the rules came from. */
export interface SecretScanSummary extends Omit<SecretScanStats, 'durationMs'> {
  /** A configuration file, or `default` for Palisade's rules. */
  config: string;
}

export const SEVERITY_RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 };

/** By severity, then package name and version, then id: the order every report shows. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    cmp(a.vuln?.package.name ?? '', b.vuln?.package.name ?? '') ||
    cmp(a.vuln?.package.version ?? '', b.vuln?.package.version ?? '') ||
    cmp(a.id, b.id)
  );
}

/** Code-unit order, not locale order: the same bytes on every machine. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function vulnFindings(result: ScanTargetResult): Finding[] {
  return result.findings.filter((f) => f.kind === 'vuln' && f.vuln);
}

export function misconfigFindings(result: ScanTargetResult): Finding[] {
  return result.findings.filter((f) => f.kind === 'misconfig');
}

export function secretFindings(result: ScanTargetResult): Finding[] {
  return result.findings.filter((f) => f.kind === 'secret');
}

/** Secrets: by file, then line, then rule id. */
export function compareSecrets(a: Finding, b: Finding): number {
  return (
    cmp(a.location?.path ?? '', b.location?.path ?? '') ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    cmp(a.secret?.commit?.sha ?? '', b.secret?.commit?.sha ?? '') ||
    cmp(a.id, b.id)
  );
}

/** Misconfigurations: by file, then line, then severity (worst first), then id. */
export function compareMisconfigs(a: Finding, b: Finding): number {
  return (
    cmp(a.location?.path ?? '', b.location?.path ?? '') ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    cmp(a.id, b.id)
  );
}

/** `Deployment storefront/web`, `Stage build`: the object a misconfiguration was found in. */
export function describeObject(f: Finding): string {
  const o = f.misconfig?.object;
  if (!o) return '';
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`.trim();
}

/** Counts per severity, every severity present (zero included) in scale order. */
export function countBySeverity(findings: Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/**
 * The files a finding belongs to, one location per file: every location of its package (a
 * package found in two lockfiles must be fixed in both), else the finding's own location, else
 * the target itself.
 */
export function findingLocations(finding: Finding, target: Target): Location[] {
  const candidates = finding.vuln?.package.locations.length ? finding.vuln.package.locations : finding.location ? [finding.location] : [];
  const byPath = new Map<string, Location>();
  for (const l of candidates) if (!byPath.has(l.path)) byPath.set(l.path, l);
  if (byPath.size === 0) byPath.set(target.name, { path: target.name });
  return [...byPath.values()];
}

/** One line saying who suppressed a finding and why, e.g. `VEX vex.json: not_affected (vulnerable_code_not_present)`. */
export function describeSuppression(s: NonNullable<Finding['suppression']>): string {
  const who = s.kind === 'vex' ? 'VEX' : 'ignore rule';
  return `${who} ${s.source}: ${s.status}${s.justification ? ` (${s.justification})` : ''}`;
}
