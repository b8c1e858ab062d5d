/**
 * Renderers of the cluster audit report: a terminal table (scores first, then what is incomplete,
 * the inventory, namespaces, RBAC subjects, audit-log activity and the findings), the JSON document
 * (docs/cluster-audit.md), and SARIF 2.1.0 — one rule per finding id, one result per finding, at
 * the dump's file:line when the input was a dump, else at a logical location (`Kind/ns/name`).
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../core/types.ts';
import { renderColumns } from '../report/columns.ts';
import type { ClusterReport } from './audit.ts';
import { cmp, describeFindingSubject, type ClusterFinding } from './findings.ts';

export interface ClusterTableOptions {
  color?: boolean;
  /** Longest MESSAGE cell before it is cut. */
  messageWidth?: number;
}

const COLOR: Record<Severity, string> = { CRITICAL: '\x1b[1;31m', HIGH: '\x1b[31m', MEDIUM: '\x1b[33m', LOW: '\x1b[34m', UNKNOWN: '\x1b[36m' };
const RESET = '\x1b[0m';
const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

function cut(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

function sourceLine(report: ClusterReport): string {
  const s = report.source;
  return s.kind === 'dump' ? `dump ${s.path} (${s.files} file${s.files === 1 ? '' : 's'})` : `cluster ${s.server}${s.context ? ` (context ${s.context})` : ''}`;
}

export function renderClusterTable(report: ClusterReport, options: ClusterTableOptions = {}): string {
  const paint = (s: Severity, text: string) => (options.color ? `${COLOR[s]}${text}${RESET}` : text);
  const width = options.messageWidth ?? 100;
  const out: string[] = [];
  const title = `Cluster audit: ${sourceLine(report)}`;
  out.push(title, '='.repeat(title.length), '');

  out.push('Posture (score 0–100 per area; see docs/cluster-audit.md for the formula)');
  out.push(
    renderColumns(
      ['AREA', 'SCORE', 'STATUS', 'ITEMS', ...SEVERITIES.slice(0, 4)],
      report.areas.map((a) => [a.area, a.score === null ? '-' : String(a.score), a.status === 'complete' ? a.status : a.status.toUpperCase(), String(a.items), ...SEVERITIES.slice(0, 4).map((s) => String(a.findings[s]))]),
    ),
  );
  const notes = report.areas.filter((a) => a.status !== 'not-assessed' || a.area === 'audit-log').flatMap((a) => a.notes.map((n) => `${a.area}: ${n}`));
  if (report.incomplete.length > 0) {
    out.push('INCOMPLETE — these parts of the cluster could not be seen:');
    for (const n of report.incomplete) out.push(`  - ${n}`);
    out.push('');
  }
  if (notes.length > 0) {
    out.push('Notes:');
    for (const n of notes) out.push(`  - ${n}`);
    out.push('');
  }

  const workloads = report.inventory.namespaces.reduce((n, ns) => n + ns.workloads.length, 0);
  out.push(`Inventory: ${report.inventory.namespaces.length} namespace(s), ${workloads} workload(s), ${report.inventory.images.length} image(s)`);
  if (report.inventory.images.length > 0) {
    const scanned = report.inventory.images.some((i) => i.packages !== undefined || i.signature !== undefined);
    const header = ['IMAGE', 'DIGEST', 'WORKLOADS', ...(scanned ? ['PACKAGES', 'VULNS (C/H/M/L)', 'SIGNATURE'] : [])];
    const rows = report.inventory.images.map((i) => [
      i.image,
      i.digests.length === 0 ? '(unknown)' : i.digests.map((d) => d.slice(0, 19)).join(', '),
      String(i.workloads.length),
      ...(scanned
        ? [
            i.scanError ? 'error' : i.packages === undefined ? '-' : String(i.packages),
            i.vulnerabilities ? `${i.vulnerabilities.CRITICAL}/${i.vulnerabilities.HIGH}/${i.vulnerabilities.MEDIUM}/${i.vulnerabilities.LOW}` : '-',
            i.signature?.status ?? '-',
          ]
        : []),
    ]);
    out.push(renderColumns(header, rows));
  } else out.push('');

  if (report.workloads.namespaces.length > 0) {
    out.push('Namespaces (Pod Security Standards: enforced label vs the level all pods meet)');
    out.push(
      renderColumns(
        ['NAMESPACE', 'WORKLOADS', 'ENFORCE', 'PODS MEET', 'VIOLATING', 'NETWORKPOLICIES'],
        report.workloads.namespaces.map((n) => [
          n.name,
          String(n.workloads),
          n.listed ? (n.enforce ?? '(none)') : '(unknown)',
          n.actualLevel ?? '-',
          String(n.violations.length),
          n.networkPolicies === undefined ? '(unknown)' : String(n.networkPolicies),
        ]),
      ),
    );
  }

  const r = report.rbac;
  out.push(`RBAC: ${r.roles} Role(s), ${r.clusterRoles} ClusterRole(s), ${r.roleBindings} RoleBinding(s), ${r.clusterRoleBindings} ClusterRoleBinding(s), ${r.subjects.length} subject(s) audited`);
  const risky = r.subjects.filter((s) => s.findings.length > 0);
  if (risky.length > 0) {
    out.push(renderColumns(['KIND', 'NAMESPACE', 'NAME', 'BINDINGS', 'FINDINGS'], risky.map((s) => [s.kind, s.namespace ?? '', s.name, String(s.bindings.length), s.findings.join(', ')])));
  } else out.push('');

  if (report.auditLog) {
    const a = report.auditLog;
    out.push(`Audit log ${a.file}: ${a.events} event(s), ${a.requests} request(s)${a.firstEvent ? `, ${a.firstEvent} … ${a.lastEvent}` : ''}${a.read.malformed + a.read.invalid > 0 ? `, ${a.read.malformed + a.read.invalid} unreadable line(s)` : ''}`);
    if (a.subjects.length > 0) {
      out.push(
        renderColumns(
          ['SUBJECT', 'REQUESTS', 'DENIED', 'EXEC', 'SECRET READS', 'RBAC CHANGES', 'ALERTS'],
          a.subjects.map((s) => [
            `${s.user}${s.impersonatedBy.length > 0 ? ` (impersonated by ${s.impersonatedBy.join(', ')})` : ''}${s.anonymous ? ' [anonymous]' : ''}`,
            String(s.requests),
            String(s.denied),
            String(s.exec.reduce((n, x) => n + x.count, 0)),
            String(s.secretReads.reduce((n, x) => n + x.count, 0)),
            String(s.rbacChanges.reduce((n, x) => n + x.count, 0)),
            String(Object.values(s.alerts).reduce((n, x) => n + x, 0)),
          ]),
        ),
      );
    } else out.push('');
  }

  out.push(`Findings: ${report.findings.length}`);
  if (report.findings.length > 0) {
    out.push(
      renderColumns(
        ['SEVERITY', 'ID', 'SUBJECT', 'SCOPE', 'MESSAGE'],
        report.findings.map((f) => [paint(f.severity, f.severity), f.id, describeFindingSubject(f.subject), f.scope ?? '', cut(f.message, width)]),
      ),
    );
  }
  const unknown = Object.entries(report.unknownKinds);
  if (unknown.length > 0) out.push(`Not audited (kinds the audit does not read): ${unknown.map(([k, n]) => `${k} ×${n}`).join(', ')}`, '');
  if (report.issues.length > 0) {
    out.push(`Input issues: ${report.issues.length}`);
    for (const i of report.issues.slice(0, 50)) out.push(`  ${i.path}${i.line !== undefined ? `:${i.line}` : ''}: ${i.message}`);
    if (report.issues.length > 50) out.push(`  … and ${report.issues.length - 50} more (see the JSON report)`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

export function renderClusterJson(report: ClusterReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/* ───────────────────────────── SARIF ───────────────────────────── */

type Json = Record<string, unknown>;

const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note', UNKNOWN: 'note' };
const BAND_SCORE: Record<Severity, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0', UNKNOWN: '1.0' };

function controlsText(f: ClusterFinding): string[] {
  const c = f.controls;
  return [
    ...(c.kubescape?.length ? [`kubescape ${c.kubescape.join(', ')}`] : []),
    ...(c.rbacPolice?.length ? [`rbac-police ${c.rbacPolice.join(', ')}`] : []),
    ...(c.cis?.length ? [`CIS ${c.cis.join(', ')}`] : []),
    ...(c.falco?.length ? [`Falco "${c.falco.join('", "')}"`] : []),
    ...(c.trivy?.length ? [`Trivy ${c.trivy.join(', ')}`] : []),
  ];
}

export function renderClusterSarif(report: ClusterReport): string {
  const byRule = new Map<string, ClusterFinding[]>();
  for (const f of report.findings) byRule.set(f.id, [...(byRule.get(f.id) ?? []), f]);
  const ids = [...byRule.keys()].sort(cmp);
  const index = new Map(ids.map((id, i) => [id, i]));
  const rules = ids.map((id) => {
    const findings = byRule.get(id)!;
    const f = findings[0]!;
    const worst = findings.reduce((a, b) => (SEVERITIES.indexOf(b.severity) < SEVERITIES.indexOf(a.severity) ? b : a)).severity;
    const controls = controlsText(f);
    const text = [`${id}: ${f.title}`, ...(controls.length > 0 ? [`Same as: ${controls.join('; ')}`] : []), ...(f.remediation ? ['', `Remediation: ${f.remediation}`] : [])].join('\n');
    const rule: Json = {
      id,
      shortDescription: { text: f.title },
      fullDescription: { text: f.title },
      defaultConfiguration: { level: LEVEL[worst] },
      help: { text },
      properties: { 'security-severity': BAND_SCORE[worst], tags: ['security', 'kubernetes', f.area], area: f.area, controls: f.controls },
    };
    const uri = f.references?.find((r) => URL.canParse(r));
    if (uri) rule.helpUri = uri;
    return rule;
  });
  const results = report.findings.map((f) => {
    const result: Json = {
      ruleId: f.id,
      ruleIndex: index.get(f.id),
      level: LEVEL[f.severity],
      message: { text: `${f.message}${f.evidence.length > 0 ? ` — ${f.evidence.slice(0, 3).join('; ')}` : ''}` },
      locations: locationsOf(f),
      partialFingerprints: { primaryLocationLineHash: createHash('sha256').update(`${f.id}\0${describeFindingSubject(f.subject)}\0${f.scope ?? ''}`).digest('hex').slice(0, 32) },
      properties: { severity: f.severity, area: f.area, subject: f.subject, ...(f.scope !== undefined && { scope: f.scope }), evidence: f.evidence },
    };
    return result;
  });
  const notifications = report.incomplete.map((text) => ({ level: 'warning', message: { text: `incomplete: ${text}` } }));
  const run = {
    tool: { driver: { name: report.tool.name, version: report.tool.version, rules } },
    invocations: [{ executionSuccessful: true, endTimeUtc: report.createdAt, toolExecutionNotifications: notifications }],
    columnKind: 'utf16CodeUnits',
    results,
    properties: { areas: report.areas.map((a) => ({ area: a.area, score: a.score, status: a.status })) },
  };
  return `${JSON.stringify({ $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] }, null, 2)}\n`;
}

function locationsOf(f: ClusterFinding): Json[] {
  const logical = {
    logicalLocations: [{ fullyQualifiedName: [f.subject.kind, f.subject.namespace, f.subject.name].filter((x) => x !== undefined).join('/'), kind: 'object' }],
  };
  if (f.locations.length === 0) return [logical];
  return f.locations.map((l) => ({
    physicalLocation: { artifactLocation: { uri: l.path.split('/').map(encodeURIComponent).join('/') }, ...(l.line !== undefined && l.line > 0 && { region: { startLine: l.line } }) },
    ...logical,
  }));
}
