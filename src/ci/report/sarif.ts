/**
 * SARIF 2.1.0 for `palisade ci audit --format sarif`, shaped for GitHub code scanning: one
 * rule per CI rule with `security-severity`, results with line and column ranges and related
 * locations, a fingerprint that survives line moves, and suppressed findings kept as such.
 */
import { createHash } from 'node:crypto';
import type { CiReport } from '../auditor.ts';
import type { CiFinding, CiSeverity, Confidence } from '../findings.ts';
import { RULES } from '../rules.ts';

const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const URI_BASE = '%SRCROOT%';

type Json = Record<string, unknown>;

const LEVEL: Record<CiSeverity, 'error' | 'warning' | 'note'> = { high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** Inside GitHub's bands: high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9. */
const SECURITY_SEVERITY: Record<CiSeverity, string> = { high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };
const PRECISION: Record<Confidence, string> = { high: 'high', medium: 'medium', low: 'low' };

export interface SarifMeta {
  tool: { name: string; version: string };
  informationUri?: string;
}

function region(start: { line: number; column: number }, end: { line: number; column: number }): Json {
  return { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: Math.max(end.column, 1) };
}

function location(f: CiFinding, at: { start: { line: number; column: number }; end: { line: number; column: number } }, message?: string): Json {
  const loc: Json = {
    physicalLocation: { artifactLocation: { uri: encodeURI(f.path), uriBaseId: URI_BASE }, region: region(at.start, at.end) },
  };
  if (message) loc.message = { text: message };
  return loc;
}

function fingerprint(f: CiFinding): string {
  return createHash('sha256').update(`${f.rule}\0${f.path}\0${f.snippet}\0${f.message}`).digest('hex').slice(0, 32);
}

export function renderSarif(report: CiReport, meta: SarifMeta): string {
  const ruleIds = [...new Set(report.findings.map((f) => f.rule))].sort();
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  const rules = ruleIds.map((id) => {
    const r = RULES[id]!;
    const worst = report.findings.filter((f) => f.rule === id).map((f) => f.severity);
    const severity = (['high', 'medium', 'low', 'info'] as const).find((s) => worst.includes(s)) ?? 'low';
    return {
      id,
      name: id.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase()),
      shortDescription: { text: r.title },
      fullDescription: { text: r.description },
      help: { text: `${r.description}\n\nFix: ${r.remediation}`, markdown: `${r.description}\n\n**Fix:** ${r.remediation}` },
      helpUri: r.helpUri,
      defaultConfiguration: { level: LEVEL[severity] },
      properties: { 'security-severity': SECURITY_SEVERITY[severity], tags: ['security', 'ci', r.platform] },
    };
  });
  const results = report.findings.map((f) => {
    const result: Json = {
      ruleId: f.rule,
      ruleIndex: index.get(f.rule),
      level: LEVEL[f.severity],
      message: { text: `${f.title}: ${f.message}` },
      locations: [location(f, f)],
      partialFingerprints: { primaryLocationLineHash: fingerprint(f) },
      properties: { confidence: f.confidence, precision: PRECISION[f.confidence], persona: f.persona, severity: f.severity },
    };
    if (f.related.length > 0) result.relatedLocations = f.related.map((r, i) => ({ id: i + 1, ...location(f, r, r.message) }));
    if (f.suppressed) result.suppressions = [{ kind: f.suppressed.kind === 'inline' ? 'inSource' : 'external', status: 'accepted', justification: f.suppressed.source }];
    return result;
  });
  const driver: Json = { name: meta.tool.name, version: meta.tool.version, rules };
  if (meta.informationUri) driver.informationUri = meta.informationUri;
  const notifications = [...report.issues, ...report.warnings].map((i) => ({
    level: report.issues.includes(i) ? 'error' : 'warning',
    message: { text: `${i.path}${i.line !== undefined ? `:${i.line}` : ''}: ${i.message}` },
    locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(i.path), uriBaseId: URI_BASE }, region: { startLine: i.line ?? 1 } } }],
  }));
  const run = {
    tool: { driver },
    invocations: [{ executionSuccessful: report.issues.length === 0, toolExecutionNotifications: notifications }],
    columnKind: 'utf16CodeUnits',
    results,
  };
  return JSON.stringify({ $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] }, null, 2) + '\n';
}
