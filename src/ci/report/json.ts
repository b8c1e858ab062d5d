/**
 * `palisade ci audit --format json`, documented in docs/ci-audit.md. Field names are stable;
 * findings are sorted so that two runs over the same input diff cleanly.
 */
import type { CiReport } from '../auditor.ts';
import { CI_SEVERITIES, type CiFinding } from '../findings.ts';
import { RULES } from '../rules.ts';

/** Bumped on any incompatible change to the shape below. */
export const CI_JSON_SCHEMA_VERSION = 1;

export interface CiJsonMeta {
  tool: { name: string; version: string };
  createdAt: string;
}

function findingJson(f: CiFinding): Record<string, unknown> {
  const rule = RULES[f.rule]!;
  return {
    rule: f.rule,
    title: f.title,
    message: f.message,
    severity: f.severity,
    confidence: f.confidence,
    persona: f.persona,
    location: { path: f.path, line: f.start.line, column: f.start.column, endLine: f.end.line, endColumn: f.end.column },
    related: f.related.map((r) => ({ line: r.start.line, column: r.start.column, endLine: r.end.line, endColumn: r.end.column, message: r.message })),
    snippet: f.snippet,
    description: rule.description,
    remediation: rule.remediation,
    helpUri: rule.helpUri,
    ...(f.suppressed && { suppressed: f.suppressed }),
  };
}

export function renderJson(report: CiReport, meta: CiJsonMeta): string {
  const active = report.findings.filter((f) => !f.suppressed);
  const doc = {
    schemaVersion: CI_JSON_SCHEMA_VERSION,
    tool: meta.tool,
    createdAt: meta.createdAt,
    files: report.files,
    findings: report.findings.map(findingJson),
    slsa: report.slsa,
    scorecard: report.scorecard,
    issues: report.issues,
    warnings: report.warnings,
    summary: {
      total: active.length,
      bySeverity: Object.fromEntries(CI_SEVERITIES.map((s) => [s, active.filter((f) => f.severity === s).length])),
      suppressed: report.hidden.suppressed,
      hiddenByPersona: report.hidden.persona,
      slsa: Object.fromEntries(report.slsa.map((a) => [a.path, a.level])),
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
