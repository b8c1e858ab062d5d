/**
 * Components × advisories → findings. Language packages match by (ecosystem, normalised name,
 * version); OS packages by distribution release and source package, compared with the
 * distribution's own version scheme so that backported fixes are honoured. Records that are
 * aliases of each other (GHSA/CVE/PYSEC/GO/RUSTSEC…) merge into one finding per package.
 */
import type { Finding, Package, VulnDetails } from '../core/types.ts';
import type { OsvAffected, OsvRecord } from './osv/record.ts';
import { evaluateAffected } from './osv/affected.ts';
import { rateAdvisory, type SeverityRating } from './severity.ts';
import { normalizePackageName as normalizeName } from './db/names.ts';
import { schemeFor } from './versions/index.ts';

/** Where advisories come from: the SQLite store, or a list in tests. */
export interface AdvisorySource {
  /** Records with an affected entry for this package (base ecosystem, normalised name). */
  advisoriesFor(ecosystem: string, name: string): OsvRecord[];
}

export interface MatchResult {
  findings: Finding[];
  /** Packages scanned, and those that could not be (no version, no version scheme). */
  scanned: number;
  notScanned: { purl: string; reason: string }[];
  /** Data problems met while matching (bad events, unscorable vectors), deduplicated. */
  warnings: string[];
}

/** Distributions whose OSV ecosystem names carry a release that must match the package's. */
const RELEASED_ECOSYSTEMS = new Set(['Debian', 'Ubuntu', 'Alpine', 'Red Hat', 'AlmaLinux', 'Rocky Linux', 'SUSE', 'openSUSE', 'Wolfi', 'Chainguard']);

function baseOf(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i === -1 ? ecosystem : ecosystem.slice(0, i);
}

interface Hit {
  record: OsvRecord;
  entry: OsvAffected;
  fixedVersions: string[];
}

export function matchPackages(packages: Package[], source: AdvisorySource, target: string): MatchResult {
  const warnings = new Set<string>();
  const notScanned: MatchResult['notScanned'] = [];
  const findings: Finding[] = [];
  const scannable: Scannable[] = [];
  for (const pkg of packages) {
    const item = scannableOf(pkg);
    if (typeof item === 'string') notScanned.push({ purl: pkg.purl, reason: item });
    else scannable.push(item);
  }
  const lookup = sharedLookups(scannable, source);
  for (const { pkg, ecosystem, lookupName, version } of scannable) {
    const hits: Hit[] = [];
    for (const record of lookup(ecosystem, lookupName)) {
      for (const entry of record.affected) {
        if (!entry.package || !appliesTo(entry.package.ecosystem, entry.package.name, ecosystem, lookupName)) continue;
        const result = evaluateAffected(entry, ecosystem, version);
        for (const p of result.problems) warnings.add(`${record.id} (${entry.package.name}): ${p}`);
        if (result.affected) hits.push({ record, entry, fixedVersions: result.fixedVersions });
      }
    }
    for (const group of groupByAlias(hits)) findings.push(toFinding(pkg, version, group, target, warnings));
  }
  return { findings: sortFindings(findings), scanned: scannable.length, notScanned, warnings: [...warnings].sort() };
}

interface Scannable {
  pkg: Package;
  /** The package's ecosystem, with the distribution release for OS packages. */
  ecosystem: string;
  /** The name advisories use: the source package for OS packages. */
  lookupName: string;
  version: string;
}

/** What to match a package by, or why it cannot be matched. */
function scannableOf(pkg: Package): Scannable | string {
  const lookupName = pkg.source?.name ?? pkg.name;
  const version = pkg.source?.version ?? pkg.version;
  if (!version) return 'no pinned version';
  if (pkg.groups?.includes('unpinned')) return `version ${version} is a lower bound, not the installed version`;
  const ecosystem = pkg.distro ?? pkg.ecosystem;
  if (!schemeFor(ecosystem)) return `no version ordering for ecosystem ${ecosystem}`;
  if (RELEASED_ECOSYSTEMS.has(baseOf(ecosystem)) && !pkg.distro) return 'OS package without a known distribution release';
  return { pkg, ecosystem, lookupName, version };
}

/**
 * Advisory lookups shared by the packages of one call that look up the same name (several
 * versions of one npm package, the binary packages of one source package): each distinct (base
 * ecosystem, normalised name) is queried once. A name's records are kept only while packages
 * that need them remain, so memory stays bounded by the names still to come.
 */
function sharedLookups(scannable: Scannable[], source: AdvisorySource): (ecosystem: string, name: string) => OsvRecord[] {
  const keyOf = (ecosystem: string, name: string) => `${baseOf(ecosystem)}\0${normalizeName(ecosystem, name)}`;
  const remaining = new Map<string, number>();
  for (const s of scannable) {
    const key = keyOf(s.ecosystem, s.lookupName);
    remaining.set(key, (remaining.get(key) ?? 0) + 1);
  }
  const kept = new Map<string, OsvRecord[]>();
  return (ecosystem, name) => {
    const key = keyOf(ecosystem, name);
    const records = kept.get(key) ?? source.advisoriesFor(baseOf(ecosystem), name);
    const left = (remaining.get(key) ?? 1) - 1;
    if (left > 0) {
      remaining.set(key, left);
      kept.set(key, records);
    } else {
      remaining.delete(key);
      kept.delete(key);
    }
    return records;
  };
}

/** Same base ecosystem and normalised name; for distributions, the same release too. */
function appliesTo(entryEcosystem: string, entryName: string, ecosystem: string, name: string): boolean {
  const base = baseOf(ecosystem);
  if (baseOf(entryEcosystem) !== base) return false;
  if (RELEASED_ECOSYSTEMS.has(base) && !sameRelease(entryEcosystem, ecosystem)) return false;
  return normalizeName(base, entryName) === normalizeName(base, name);
}

/**
 * `Ubuntu:22.04:LTS` and `Ubuntu:Pro:22.04:LTS` are different streams: compare the whole suffix.
 * Red Hat streams name a repository after the release (`Red Hat:enterprise_linux:9::appstream`)
 * that an rpm database does not record, so a package of `Red Hat:enterprise_linux:9` matches
 * every repository stream of that release.
 */
function sameRelease(advisoryEcosystem: string, packageDistro: string): boolean {
  const a = advisoryEcosystem.toLowerCase();
  const p = packageDistro.toLowerCase();
  if (a === p) return true;
  return baseOf(packageDistro) === 'Red Hat' && a.startsWith(`${p}::`);
}

/** Records connected through ids and aliases form one vulnerability (union-find over ids). */
function groupByAlias(hits: Hit[]): Hit[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const h of hits) {
    parent.set(h.record.id, parent.get(h.record.id) ?? h.record.id);
    for (const alias of h.record.aliases) {
      if (!parent.has(alias)) parent.set(alias, alias);
      union(h.record.id, alias);
    }
  }
  const groups = new Map<string, Hit[]>();
  for (const h of hits) {
    const root = find(h.record.id);
    groups.set(root, [...(groups.get(root) ?? []), h]);
  }
  return [...groups.values()];
}

/** The id users know best: a CVE, else a GHSA, else the record id. */
function primaryId(ids: string[]): string {
  const sorted = [...ids].sort();
  return sorted.find((i) => i.startsWith('CVE-')) ?? sorted.find((i) => i.startsWith('GHSA-')) ?? sorted[0]!;
}

const SEVERITY_RANK = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 } as const;

function toFinding(pkg: Package, version: string, group: Hit[], target: string, warnings: Set<string>): Finding {
  const ids = new Set<string>();
  for (const h of group) {
    ids.add(h.record.id);
    for (const a of h.record.aliases) ids.add(a);
  }
  const id = primaryId([...ids]);
  const scheme = schemeFor(pkg.distro ?? pkg.ecosystem);
  const fixed = [...new Set(group.flatMap((h) => h.fixedVersions))];
  if (scheme) fixed.sort((a, b) => (scheme.isValid(a) && scheme.isValid(b) ? scheme.compare(a, b) : a < b ? -1 : 1));
  // The rating with a CVSS score wins; among equals, the highest severity (the cautious choice).
  const ratings: SeverityRating[] = group.map((h) => {
    const w: string[] = [];
    const r = rateAdvisory(h.record, h.entry.severity, w);
    for (const x of w) warnings.add(x);
    return r;
  });
  const rating = ratings.sort((a, b) => Number(Boolean(b.cvss)) - Number(Boolean(a.cvss)) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0]!;
  const records = group.map((h) => h.record);
  const withText = records.find((r) => r.summary) ?? records.find((r) => r.details) ?? records[0]!;
  const details: VulnDetails = {
    aliases: [...ids].filter((i) => i !== id).sort(),
    package: { name: pkg.name, version, ecosystem: pkg.distro ?? pkg.ecosystem, purl: pkg.purl, scope: pkg.scope, locations: pkg.locations },
    fixedVersions: fixed,
    status: fixed.length > 0 ? 'fixed' : 'unfixed',
    cvssAll: rating.all,
    severitySource: rating.source,
    advisories: [...new Set(records.map((r) => r.id))].sort(),
  };
  if (rating.cvss) details.cvss = rating.cvss;
  const published = records.map((r) => r.published).filter((p): p is string => Boolean(p)).sort()[0];
  if (published) details.published = published;
  const modified = records.map((r) => r.modified).sort().at(-1);
  if (modified) details.modified = modified;
  if (withText.details) details.description = withText.details;
  const references = [...new Set(records.flatMap((r) => r.references.map((ref) => ref.url)))];
  const finding: Finding = {
    kind: 'vuln',
    id,
    severity: rating.severity,
    title: withText.summary ?? firstLine(withText.details) ?? id,
    target,
    references,
    vuln: details,
    remediation: fixed.length > 0 ? `upgrade ${pkg.name} to ${fixed[0]}` : 'no fixed version published yet',
  };
  if (pkg.locations[0]) finding.location = pkg.locations[0];
  return finding;
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n').find((l) => l.trim() !== '');
  return line ? line.slice(0, 200) : undefined;
}

/** By severity, then package, then id: the order every report shows. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      (a.vuln?.package.name ?? '').localeCompare(b.vuln?.package.name ?? '') ||
      (a.vuln?.package.version ?? '').localeCompare(b.vuln?.package.version ?? '') ||
      a.id.localeCompare(b.id),
  );
}
