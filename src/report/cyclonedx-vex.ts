/**
 * CycloneDX 1.6 JSON with vulnerabilities (https://cyclonedx.org/docs/1.6/json/#vulnerabilities):
 * the scanned components (the SBOM writer's output) plus one `vulnerabilities[]` entry per
 * vulnerability, pointing at the affected components by bom-ref (= purl). Findings suppressed by
 * a VEX statement are kept, with the statement as `analysis` — passing that claim on is what a VEX
 * document is for. Findings hidden by a local ignore rule are a preference, not a claim, so they
 * appear (with the rule in `analysis.detail`) only when suppressed findings are asked for.
 */
import { createHash } from 'node:crypto';
import type { Finding, Package } from '../core/types.ts';
import { toCycloneDx } from '../sbom/formats/cyclonedx.ts';
import type { SbomDocument } from '../sbom/formats/document.ts';
import { severityOfScore, type CvssScore } from '../vuln/severity.ts';
import { cmp, compareFindings, describeSuppression, SEVERITY_RANK, vulnFindings, type ScanReport } from './scan-report.ts';

export interface CycloneDxVexOptions {
  /** Include findings suppressed by ignore rules (VEX-suppressed ones are always included). */
  showSuppressed?: boolean;
  /** Default: a UUID derived from the document's content, so equal input gives equal output. */
  serialNumber?: string;
}

type Json = Record<string, unknown>;

const METHOD: Record<string, string> = { '2.0': 'CVSSv2', '3.0': 'CVSSv3', '3.1': 'CVSSv31', '4.0': 'CVSSv4' };

/** VEX statuses (OpenVEX, CSAF product status, CycloneDX itself) → CycloneDX analysis states. */
const STATE: Record<string, string> = {
  not_affected: 'not_affected',
  known_not_affected: 'not_affected',
  fixed: 'resolved',
  first_fixed: 'resolved',
  resolved: 'resolved',
  resolved_with_pedigree: 'resolved_with_pedigree',
  under_investigation: 'in_triage',
  in_triage: 'in_triage',
  affected: 'exploitable',
  known_affected: 'exploitable',
  exploitable: 'exploitable',
  false_positive: 'false_positive',
};

/** OpenVEX justifications → CycloneDX ones (CISA's mapping); CycloneDX values pass through. */
const JUSTIFICATION: Record<string, string> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
  ...Object.fromEntries(
    [
      'code_not_present',
      'code_not_reachable',
      'requires_configuration',
      'requires_dependency',
      'requires_environment',
      'protected_by_compiler',
      'protected_at_runtime',
      'protected_at_perimeter',
      'protected_by_mitigating_control',
    ].map((j) => [j, j]),
  ),
};

export function renderCycloneDxVex(report: ScanReport, options: CycloneDxVexOptions = {}): string {
  const findings = report.targets
    .flatMap(vulnFindings)
    .filter((f) => !f.suppression || f.suppression.kind === 'vex' || options.showSuppressed);
  const bom = toCycloneDx(mergedDocument(report, findings), {
    serialNumber: 'urn:uuid:00000000-0000-5000-8000-000000000000',
    timestamp: report.createdAt,
  });
  bom.vulnerabilities = vulnerabilities(findings);
  bom.serialNumber = options.serialNumber ?? contentSerial(bom);
  return JSON.stringify(bom, null, 2) + '\n';
}

/**
 * One SBOM for all targets: packages merged by purl. Vulnerable packages missing from the SBOM
 * (or every one, when the target came without one) are added from the findings so that each
 * `affects[].ref` names a component of this document.
 */
function mergedDocument(report: ScanReport, findings: Finding[]): SbomDocument {
  const packages = new Map<string, Package>();
  const add = (p: Package) => {
    const known = packages.get(p.purl);
    if (!known) packages.set(p.purl, { ...p, locations: [...p.locations] });
    else for (const l of p.locations) if (!known.locations.some((k) => k.path === l.path)) known.locations.push(l);
  };
  for (const t of report.targets) for (const p of t.sbom?.packages ?? []) add(p);
  for (const f of findings) {
    const v = f.vuln!.package;
    // A distribution package carries its release in the ecosystem (`Debian:12`): split it back.
    const [base, ...release] = v.ecosystem.split(':');
    if (!packages.has(v.purl)) add({ ...v, ecosystem: base as Package['ecosystem'], ...(release.length > 0 && { distro: v.ecosystem }) });
  }
  const issues = new Map<string, SbomDocument['issues'][number]>();
  for (const t of report.targets) for (const i of [...(t.sbom?.issues ?? []), ...t.incomplete]) issues.set(`${i.path}\0${i.line}\0${i.message}`, i);
  const targets = report.targets.map((t) => t.target);
  const target =
    targets.length === 1
      ? targets[0]!
      : { kind: targets.every((t) => t.kind === targets[0]?.kind) ? (targets[0]?.kind ?? 'dir') : 'dir', name: targets.map((t) => t.name).join(', ') };
  return { target, packages: [...packages.values()], issues: [...issues.values()] };
}

/** Findings of one id share an entry (affecting several components) unless their analyses differ. */
function vulnerabilities(findings: Finding[]): Json[] {
  const groups = new Map<string, Finding[]>();
  for (const f of [...findings].sort(compareFindings)) {
    const key = `${f.id}\0${JSON.stringify(analysis(f) ?? null)}`;
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.values()]
    .sort((a, b) => SEVERITY_RANK[b[0]!.severity] - SEVERITY_RANK[a[0]!.severity] || cmp(a[0]!.id, b[0]!.id))
    .map(vulnerability);
}

function vulnerability(group: Finding[]): Json {
  const f = group[0]!;
  const v = f.vuln!;
  const entry: Json = { id: f.id, source: sourceOf(f.id) };
  if (v.aliases.length > 0) entry.references = v.aliases.map((id) => ({ id, source: sourceOf(id) }));
  entry.ratings = ratings(f);
  entry.description = f.title;
  if (v.description && v.description !== f.title) entry.detail = v.description;
  entry.recommendation =
    f.remediation ?? (v.fixedVersions[0] ? `Upgrade ${v.package.name} to ${v.fixedVersions[0]}` : 'No fixed version published yet');
  const urls = [...new Set(f.references ?? [])].filter((u) => URL.canParse(u));
  if (urls.length > 0) entry.advisories = urls.map((url) => ({ url }));
  const published = timestamp(v.published);
  if (published) entry.published = published;
  const updated = timestamp(v.modified);
  if (updated) entry.updated = updated;
  const affects = new Map<string, Set<string>>();
  for (const g of group) {
    const p = g.vuln!.package;
    affects.set(p.purl, (affects.get(p.purl) ?? new Set()).add(p.version));
  }
  entry.affects = [...affects.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([ref, versions]) => ({ ref, versions: [...versions].sort(cmp).map((version) => ({ version, status: 'affected' })) }));
  const a = analysis(f);
  if (a) entry.analysis = a;
  return entry;
}

/** Every scored CVSS vector; without one, the severity and where it came from (GHSA, distro…). */
function ratings(f: Finding): Json[] {
  const v = f.vuln!;
  const source = { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(v.advisories[0] ?? f.id)}` };
  if (v.cvssAll.length === 0) {
    return [{ source, severity: f.severity.toLowerCase(), method: 'other', justification: `severity from ${v.severitySource}` }];
  }
  return v.cvssAll.map((c) => ({
    source,
    score: c.score,
    severity: severityOfScore(c as CvssScore).toLowerCase(),
    method: METHOD[c.version] ?? 'other',
    vector: c.vector,
  }));
}

function analysis(f: Finding): Json | undefined {
  const s = f.suppression;
  if (!s) return undefined;
  const a: Json = {};
  if (s.kind === 'vex') {
    const state = STATE[s.status];
    if (state) a.state = state;
    const justification = s.justification ? JUSTIFICATION[s.justification] : undefined;
    if (justification) a.justification = justification;
  }
  a.detail = describeSuppression(s);
  return a;
}

function sourceOf(id: string): Json {
  if (id.startsWith('CVE-')) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${encodeURIComponent(id)}` };
  if (id.startsWith('GHSA-')) return { name: 'GitHub Advisory Database', url: `https://github.com/advisories/${encodeURIComponent(id)}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** OSV timestamps are RFC 3339 already; others are normalised, the unparsable dropped rather than emitted invalid. */
function timestamp(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  return RFC3339.test(value) ? value : new Date(ms).toISOString();
}

/** A name-based (version 5 layout) UUID from the document itself: reproducible, and distinct for distinct BOMs. */
function contentSerial(bom: Json): string {
  const hex = createHash('sha1').update(JSON.stringify(bom)).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
