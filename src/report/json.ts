/**
 * Palisade's own JSON scan report, documented in docs/json-format.md (`## Scan`). Field names are
 * stable; findings are sorted so that two runs over the same input diff cleanly.
 */
import type { Finding } from '../core/types.ts';
import { compareFindings, compareMisconfigs, compareSecrets, countBySeverity, misconfigFindings, scannersOf, secretFindings, vulnFindings, type ScanReport } from './scan-report.ts';

export interface JsonOptions {
  /** Also list suppressed findings (VEX/ignore), in each result's `suppressed` array. */
  showSuppressed?: boolean;
}

/** Bumped on any incompatible change to the shape below. */
export const SCAN_JSON_SCHEMA_VERSION = 1;

export function renderJson(report: ScanReport, options: JsonOptions = {}): string {
  let total = 0;
  let suppressedTotal = 0;
  const active: Finding[] = [];
  const withMisconfig = scannersOf(report).has('misconfig');
  const misconfigActive: Finding[] = [];
  let misconfigSuppressed = 0;
  const withSecret = scannersOf(report).has('secret');
  const secretActive: Finding[] = [];
  const results = report.targets.map((t) => {
    const findings = vulnFindings(t).sort(compareFindings);
    const shown = findings.filter((f) => !f.suppression);
    const suppressed = findings.filter((f) => f.suppression);
    total += shown.length;
    suppressedTotal += suppressed.length;
    active.push(...shown);
    const result: Record<string, unknown> = {
      target: t.target,
      complete: t.incomplete.length === 0,
      packagesScanned: t.packagesScanned,
      notScanned: t.notScanned,
      incomplete: t.incomplete,
      vulnerabilities: shown.map(findingJson),
      ...(options.showSuppressed && { suppressed: suppressed.map(findingJson) }),
    };
    if (withMisconfig) {
      const misconfigs = misconfigFindings(t).sort(compareMisconfigs);
      const shownMisconfigs = misconfigs.filter((f) => !f.suppression);
      misconfigActive.push(...shownMisconfigs);
      misconfigSuppressed += misconfigs.length - shownMisconfigs.length;
      result.configFiles = t.misconfig?.files ?? [];
      result.kubernetesObjects = t.misconfig?.objects ?? 0;
      result.misconfigurations = shownMisconfigs.map(misconfigJson);
      if (options.showSuppressed) result.suppressedMisconfigurations = misconfigs.filter((f) => f.suppression).map(misconfigJson);
    }
    if (withSecret) {
      const secrets = secretFindings(t).filter((f) => !f.suppression).sort(compareSecrets);
      secretActive.push(...secrets);
      result.secretScan = t.secrets ?? null;
      result.secrets = secrets.map(secretJson);
    }
    return result;
  });
  const doc = {
    schemaVersion: SCAN_JSON_SCHEMA_VERSION,
    tool: report.tool,
    createdAt: report.createdAt,
    db: report.db ?? null,
    results,
    summary: {
      bySeverity: countBySeverity(active),
      total,
      suppressed: suppressedTotal,
      ...(withMisconfig && {
        misconfigurations: { bySeverity: countBySeverity(misconfigActive), total: misconfigActive.length, suppressed: misconfigSuppressed },
      }),
      ...(withSecret && { secrets: { bySeverity: countBySeverity(secretActive), total: secretActive.length } }),
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** One finding, flattened: what a script needs without knowing Palisade's internal types. */
function findingJson(f: Finding): Record<string, unknown> {
  const v = f.vuln!;
  return {
    id: f.id,
    aliases: v.aliases,
    severity: f.severity,
    severitySource: v.severitySource,
    cvss: v.cvss,
    cvssAll: v.cvssAll,
    title: f.title,
    description: v.description,
    package: v.package,
    status: v.status,
    fixedVersions: v.fixedVersions,
    remediation: f.remediation,
    advisories: v.advisories,
    references: f.references ?? [],
    published: v.published,
    modified: v.modified,
    suppression: f.suppression,
  };
}

/** One misconfiguration: the check, where it fired, and on what. */
function misconfigJson(f: Finding): Record<string, unknown> {
  const m = f.misconfig;
  return {
    id: f.id,
    aliases: m?.aliases ?? [],
    type: m?.type,
    severity: f.severity,
    title: f.title,
    description: m?.description,
    message: m?.message,
    location: f.location,
    object: m?.object,
    field: m?.field,
    evidence: f.evidence,
    remediation: f.remediation,
    references: f.references ?? [],
    suppression: f.suppression,
  };
}

/** One leaked secret: the rule, where (file, line, commit) and the secret as reported (redacted by default). */
function secretJson(f: Finding): Record<string, unknown> {
  const s = f.secret;
  return {
    id: f.id,
    severity: f.severity,
    title: f.title,
    location: f.location,
    endLine: s?.endLine,
    startColumn: s?.startColumn,
    match: s?.match,
    secret: s?.secret,
    entropy: s?.entropy,
    tags: s?.tags ?? [],
    fingerprint: s?.fingerprint,
    commit: s?.commit ?? null,
    remediation: f.remediation,
  };
}
