/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/) shaped for GitHub code scanning:
 * one rule per vulnerability id carrying `security-severity` (GitHub ranks alerts by it), one
 * result per vulnerable package and file, and a stable fingerprint so re-uploads update alerts
 * instead of duplicating them. Suppressed findings stay in the log, marked as such, so that an
 * alert closed by VEX or an ignore rule is closed rather than forgotten. Misconfigurations get one
 * rule per check and one result per finding, at the file:line of the offending field.
 */
import { createHash } from 'node:crypto';
import type { Finding, Location, Severity } from '../core/types.ts';
import {
  cmp,
  compareFindings,
  describeObject,
  describeSuppression,
  findingLocations,
  misconfigFindings,
  scannersOf,
  secretFindings,
  vulnFindings,
  type ScanReport,
} from './scan-report.ts';

export interface SarifOptions {
  /** The tool's home page (`tool.driver.informationUri`); omitted when not given. */
  informationUri?: string;
}

type Json = Record<string, unknown>;
type Level = 'error' | 'warning' | 'note';

const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** GitHub's convention for "relative to the repository checkout". */
const URI_BASE = '%SRCROOT%';

const LEVEL: Record<Severity, Level> = { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note', UNKNOWN: 'note' };
/**
 * `security-severity` when the advisory has no CVSS score: a value inside GitHub's band for the
 * severity (critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9). UNKNOWN gets none.
 */
const BAND_SCORE: Record<Severity, string | undefined> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0', UNKNOWN: undefined };

interface Placed {
  finding: Finding;
  location: Location;
}

export function renderSarif(report: ScanReport, options: SarifOptions = {}): string {
  const withMisconfig = scannersOf(report).has('misconfig');
  const withSecret = scannersOf(report).has('secret');
  const placed: Placed[] = report.targets.flatMap((t) => [
    ...vulnFindings(t).flatMap((finding) => findingLocations(finding, t.target).map((location) => ({ finding, location }))),
    ...(withMisconfig ? misconfigFindings(t).map((finding) => ({ finding, location: finding.location ?? { path: t.target.name } })) : []),
    ...(withSecret ? secretFindings(t).map((finding) => ({ finding, location: finding.location ?? { path: t.target.name } })) : []),
  ]);
  placed.sort(
    (a, b) =>
      cmp(a.location.path, b.location.path) ||
      (a.finding.kind !== 'vuln' && b.finding.kind !== 'vuln' ? (a.location.line ?? 0) - (b.location.line ?? 0) : 0) ||
      compareFindings(a.finding, b.finding),
  );
  const byRule = new Map<string, Finding[]>();
  for (const { finding } of placed) {
    const list = byRule.get(finding.id);
    if (list) list.push(finding);
    else byRule.set(finding.id, [finding]);
  }
  const ruleIds = [...byRule.keys()].sort(cmp);
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const driver: Json = { name: report.tool.name, version: report.tool.version };
  if (options.informationUri) driver.informationUri = options.informationUri;
  driver.rules = ruleIds.map((id) => {
    const findings = byRule.get(id)!;
    if (findings[0]!.kind === 'secret') return secretRule(findings[0]!);
    return findings[0]!.kind === 'misconfig' ? misconfigRule(findings) : rule(findings);
  });
  const notifications = report.targets.flatMap((t) => t.incomplete).map((i) => ({
    level: 'warning',
    message: { text: `${i.path}${i.line !== undefined ? `:${i.line}` : ''}: ${i.message} (vulnerabilities in this input may be missing)` },
    locations: [physical({ path: i.path, ...(i.line !== undefined && { line: i.line }) })],
  }));
  const run = {
    tool: { driver },
    invocations: [{ executionSuccessful: true, endTimeUtc: report.createdAt, toolExecutionNotifications: notifications }],
    columnKind: 'utf16CodeUnits',
    results: placed.map((p) => {
      const index = ruleIndex.get(p.finding.id)!;
      if (p.finding.kind === 'secret') return secretResult(p, index);
      return p.finding.kind === 'misconfig' ? misconfigResult(p, index) : result(p, index);
    }),
  };
  return JSON.stringify({ $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] }, null, 2) + '\n';
}

/** The rule describes the vulnerability itself; which package and file it hit is in each result. */
function rule(findings: Finding[]): Json {
  const worst = [...findings].sort(compareFindings)[0]!;
  const v = worst.vuln!;
  const score = Math.max(-1, ...findings.map((f) => f.vuln?.cvss?.score ?? -1));
  const securitySeverity = score >= 0 ? score.toFixed(1) : BAND_SCORE[worst.severity];
  const ecosystems = [...new Set(findings.map((f) => f.vuln!.package.ecosystem))].sort(cmp);
  const references = (worst.references ?? []).filter((r) => URL.canParse(r));
  const r: Json = {
    id: worst.id,
    shortDescription: { text: limit(oneLine(worst.title)) },
    fullDescription: { text: limit(v.description ?? worst.title) },
    defaultConfiguration: { level: LEVEL[worst.severity] },
  };
  if (references[0]) r.helpUri = references[0];
  r.help = { text: helpText(worst, references), markdown: helpMarkdown(worst, references) };
  r.properties = {
    ...(securitySeverity !== undefined && { 'security-severity': securitySeverity }),
    precision: 'very-high',
    tags: ['security', 'vulnerability', ...ecosystems],
  };
  return r;
}

function severityLine(f: Finding): string {
  const c = f.vuln?.cvss;
  return c ? `${f.severity} (CVSS ${c.version} ${c.score.toFixed(1)}, ${c.vector})` : f.severity;
}

function helpText(f: Finding, references: string[]): string {
  const v = f.vuln!;
  return [
    `${f.id}: ${oneLine(f.title)}`,
    `Severity: ${severityLine(f)}`,
    ...(v.aliases.length > 0 ? [`Aliases: ${v.aliases.join(', ')}`] : []),
    ...(v.description ? ['', v.description] : []),
    ...(references.length > 0 ? ['', 'References:', ...references.map((r) => `- ${r}`)] : []),
  ].join('\n');
}

function helpMarkdown(f: Finding, references: string[]): string {
  const v = f.vuln!;
  return [
    `**${f.id}**: ${oneLine(f.title)}`,
    '',
    `| Severity | ${cell(severityLine(f))} |`,
    '| --- | --- |',
    ...(v.aliases.length > 0 ? [`| Aliases | ${cell(v.aliases.join(', '))} |`] : []),
    ...(v.description ? ['', v.description] : []),
    ...(references.length > 0 ? ['', '**References**', '', ...references.map((r) => `- <${r}>`)] : []),
  ].join('\n');
}

function result({ finding: f, location }: Placed, ruleIndex: number): Json {
  const v = f.vuln!;
  const fixed = v.fixedVersions.length > 0 ? `Fixed in ${v.fixedVersions.join(', ')}.` : 'No fixed version yet.';
  const r: Json = {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: {
      text: `${f.id} [${f.severity}] in ${v.package.name} ${v.package.version} (${v.package.ecosystem}): ${oneLine(f.title)}. ${fixed}`,
    },
    locations: [physical(location)],
    // GitHub keys alerts on this; a hash of what identifies the finding (not its line, which
    // moves whenever the lockfile changes) keeps one alert per vulnerable package and file.
    partialFingerprints: { primaryLocationLineHash: fingerprint(f.id, v.package.purl, location.path) },
    properties: { purl: v.package.purl, installedVersion: v.package.version, fixedVersions: v.fixedVersions, status: v.status },
  };
  if (f.suppression) r.suppressions = [{ kind: 'external', status: 'accepted', justification: describeSuppression(f.suppression) }];
  return r;
}

/** A check: what it looks for and how to fix it; each result says where and on what object. */
function misconfigRule(findings: Finding[]): Json {
  const f = findings[0]!;
  const m = f.misconfig;
  const references = (f.references ?? []).filter((r) => URL.canParse(r));
  const description = m?.description ?? f.title;
  const text = [
    `${f.id}: ${oneLine(f.title)}`,
    `Severity: ${f.severity}`,
    ...(m && m.aliases.length > 0 ? [`Aliases: ${m.aliases.join(', ')}`] : []),
    '',
    description,
    ...(f.remediation ? ['', `Remediation: ${f.remediation}`] : []),
    ...(references.length > 0 ? ['', 'References:', ...references.map((r) => `- ${r}`)] : []),
  ].join('\n');
  const markdown = [
    `**${f.id}**: ${oneLine(f.title)}`,
    '',
    `| Severity | ${f.severity} |`,
    '| --- | --- |',
    ...(m && m.aliases.length > 0 ? [`| Aliases | ${cell(m.aliases.join(', '))} |`] : []),
    '',
    description,
    ...(f.remediation ? ['', `**Remediation**: ${f.remediation}`] : []),
    ...(references.length > 0 ? ['', '**References**', '', ...references.map((r) => `- <${r}>`)] : []),
  ].join('\n');
  const r: Json = {
    id: f.id,
    shortDescription: { text: limit(oneLine(f.title)) },
    fullDescription: { text: limit(description) },
    defaultConfiguration: { level: LEVEL[f.severity] },
  };
  if (references[0]) r.helpUri = references[0];
  r.help = { text, markdown };
  const score = BAND_SCORE[f.severity];
  r.properties = {
    ...(score !== undefined && { 'security-severity': score }),
    precision: 'very-high',
    tags: ['security', 'misconfiguration', ...(m ? [m.type] : [])],
  };
  return r;
}

function misconfigResult({ finding: f, location }: Placed, ruleIndex: number): Json {
  const object = describeObject(f);
  const what = f.misconfig?.message ?? f.title;
  const r: Json = {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.id} [${f.severity}]${object ? ` in ${object}` : ''}: ${oneLine(what)}` },
    locations: [physical(location)],
    // Keyed on the check, file, object and field rather than the line, which moves with every edit.
    partialFingerprints: { primaryLocationLineHash: fingerprint(f.id, `${object}\0${f.misconfig?.field ?? ''}`, location.path) },
    properties: {
      ...(f.misconfig && { object: f.misconfig.object }),
      ...(f.misconfig?.field !== undefined && { field: f.misconfig.field }),
    },
  };
  if (f.suppression) r.suppressions = [{ kind: 'external', status: 'accepted', justification: describeSuppression(f.suppression) }];
  return r;
}

/** GitHub shows rule descriptions as plain text and caps them at 1024 characters; `help` has the rest. */
function limit(text: string): string {
  return text.length <= 1024 ? text : `${text.slice(0, 1023)}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function physical(l: Location): Json {
  return {
    physicalLocation: {
      artifactLocation: { uri: encodeURI(l.path), uriBaseId: URI_BASE },
      region: { startLine: l.line !== undefined && l.line >= 1 ? l.line : 1 },
    },
  };
}

function fingerprint(id: string, purl: string, path: string): string {
  return createHash('sha256').update(`${id}\0${purl}\0${path}`).digest('hex').slice(0, 32);
}

/* ── secrets ── */

function secretRule(f: Finding): Json {
  const score = BAND_SCORE[f.severity];
  return {
    id: f.id,
    shortDescription: { text: limit(oneLine(f.title)) },
    fullDescription: { text: limit(f.title) },
    defaultConfiguration: { level: LEVEL[f.severity] },
    help: { text: `${f.id}: ${oneLine(f.title)}\n\nRemediation: ${f.remediation ?? ''}`, markdown: `**${f.id}**: ${oneLine(f.title)}\n\n**Remediation**: ${f.remediation ?? ''}` },
    properties: { ...(score !== undefined && { 'security-severity': score }), precision: 'high', tags: ['security', 'secret', ...(f.secret?.tags ?? [])] },
  };
}

function secretResult({ finding: f, location }: Placed, ruleIndex: number): Json {
  const s = f.secret;
  const commit = s?.commit;
  const place = physical(location) as { physicalLocation: { region: Json } };
  if (s && s.startColumn > 0) Object.assign(place.physicalLocation.region, { startColumn: s.startColumn, endLine: s.endLine });
  return {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.id}: ${oneLine(f.title)} in ${location.path}${commit ? ` (commit ${commit.sha})` : ''}` },
    locations: [place],
    // The gitleaks fingerprint (commit:file:rule:line) is what .gitleaksignore lists.
    partialFingerprints: { primaryLocationLineHash: fingerprint(f.id, s?.fingerprint ?? '', location.path), ...(s && { gitleaksFingerprint: s.fingerprint }) },
    properties: { ...(s && { secret: s.secret, entropy: s.entropy, tags: s.tags }), ...(commit && { commit }) },
  };
}
