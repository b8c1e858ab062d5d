/**
 * What the SBOM readers share. Each reader maps its format onto `SbomElement`s (one per
 * component or package, plus the edges between them); `assemble` turns those into Palisade
 * packages: purl → ecosystem, distribution release, duplicates merged, dependency edges as purls,
 * direct dependencies of the target, and what could not be scanned, counted rather than dropped.
 */
import { LineIndex } from '../../core/lines.ts';
import type { InputIssue, Location, Package, Scope, Target } from '../../core/types.ts';
import { isOsEcosystem, osEcosystem, osvDistro, resolvePurl } from './purl-to-package.ts';

/**
 * An SBOM read by `readSbom`.
 *
 * - `packages`: components with a purl of a type Palisade scans, ready for matching. Their
 *   `locations` are those the SBOM records (trivy `aquasecurity:trivy:FilePath`, syft
 *   `syft:location:N:path`, cdxgen `SrcFile`, `palisade:location`, CycloneDX evidence
 *   occurrences, SPDX `sourceInfo`), root-relative; when it records none, the SBOM file itself
 *   (with the line of the purl when it can be found).
 * - `withoutPurl`: software components that carry no purl, so cannot be matched (reported, not
 *   scanned). Grouping nodes (images, operating systems, trivy's lockfile components, files) are
 *   not software components and are not counted.
 * - `unscannable`: components with a purl Palisade has no vulnerability ecosystem for (`generic`,
 *   `github`, `docker`, `oci`, rpm of SUSE …), with the reason.
 * - `issues`: malformed entries skipped, each naming the JSON path (`components[12].purl: …`).
 */
export interface SbomReadResult {
  format: 'cyclonedx' | 'spdx';
  /** How the document was written; JSON for the tools that matter, the others where cheap. */
  encoding: 'json' | 'xml' | 'yaml' | 'tag-value';
  /** `1.5` for CycloneDX, `2.3` for SPDX. */
  specVersion: string;
  /**
   * kind `sbom`; name from CycloneDX `metadata.component` or the SPDX described package (else the
   * document name, else the file path). `metadata` holds `file`, `format`, `specVersion`, and
   * where the document says: `tool` (producing tools, `name version`, comma-separated),
   * `created`, `componentType`, `componentVersion`, `componentPurl`, `serialNumber`,
   * `documentNamespace`, `os` (`debian 10.2`).
   */
  target: Target;
  packages: Package[];
  withoutPurl: SbomComponentWithoutPurl[];
  unscannable: SbomUnscannableComponent[];
  issues: InputIssue[];
}

export interface SbomComponentWithoutPurl {
  /** bom-ref or SPDXID; the JSON path when the component has none. */
  ref: string;
  name: string;
  version?: string;
  /** CPEs the SBOM gives instead (CycloneDX `cpe`, syft `syft:cpe23`, SPDX cpe23Type/cpe22Type). */
  cpes?: string[];
}

export interface SbomUnscannableComponent {
  ref: string;
  name: string;
  version?: string;
  purl: string;
  reason: string;
}

/** One component (CycloneDX) or package (SPDX), format-neutral. */
export interface SbomElement {
  /** bom-ref / SPDXID, what edges point at; the JSON path when the document gives none. */
  ref: string;
  /** Where the element is in the document, for issues: `components[3].components[0]`. */
  at: string;
  name: string;
  version?: string;
  purl?: string;
  /** Where the purl is, for issues: `components[3].purl`, `packages[2].externalRefs[1]`. */
  purlAt?: string;
  cpes: string[];
  scope: Scope;
  licenses: string[];
  locations: Location[];
  source?: { name: string; version?: string };
  /** Raw dependency groups where the producer records them (Palisade's `palisade:group`). */
  groups?: string[];
  /**
   * `content`: a software component of the SBOM. `root`: the target the SBOM describes (not a
   * package). `structural`: a grouping node (image, OS, lockfile, file) — never a package, but a
   * root's dependencies reached through it are still direct.
   */
  role: 'content' | 'root' | 'structural';
  /** Set on elements that are a derived copy of another element (SPDX DESCENDANT_OF). */
  derivedFrom?: string[];
}

/** The document being read: its path (for messages and fallback locations), text and encoding. */
export interface DocumentInput {
  path: string;
  text: string;
  encoding: SbomReadResult['encoding'];
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A non-empty trimmed string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `from` depends on (or contains) `to`. */
export interface SbomEdge {
  from: string;
  to: string;
}

export interface AssembleInput {
  path: string;
  /** The document text, to find a purl's line for the fallback location. */
  text: string;
  elements: SbomElement[];
  edges: SbomEdge[];
  /** Operating systems the document names (CycloneDX OS components, SPDX OS packages). */
  operatingSystems: { name: string; version?: string }[];
  issues: InputIssue[];
}

export type Assembled = Pick<SbomReadResult, 'packages' | 'withoutPurl' | 'unscannable' | 'issues'>;

const SCOPE_RANK: Record<Scope, number> = { required: 0, optional: 1, dev: 2 };

export function assemble(input: AssembleInput): Assembled {
  const issues = [...input.issues];
  const withoutPurl: SbomComponentWithoutPurl[] = [];
  const unscannable: SbomUnscannableComponent[] = [];
  const byPurl = new Map<string, Package>();
  const purlOfRef = new Map<string, string>();
  const hasPurl = new Set(input.elements.filter((e) => e.purl).map((e) => e.ref));
  const locate = fallbackLocator(input.path, input.text);

  for (const element of input.elements) {
    if (element.role !== 'content') continue;
    if (!element.purl) {
      // A derived copy of a package that has a purl is covered by that package.
      if (element.derivedFrom?.some((r) => hasPurl.has(r))) continue;
      withoutPurl.push({
        ref: element.ref,
        name: element.name,
        ...(element.version && { version: element.version }),
        ...(element.cpes.length > 0 && { cpes: element.cpes }),
      });
      continue;
    }
    const resolved = resolvePurl(element.purl, element.version);
    if (resolved.kind === 'invalid') {
      issues.push({ path: input.path, message: `${element.purlAt ?? `${element.at}.purl`}: invalid purl "${element.purl}" (${resolved.reason})` });
      continue;
    }
    if (resolved.kind === 'unsupported') {
      unscannable.push({
        ref: element.ref,
        name: element.name || resolved.name,
        ...(resolved.version && { version: resolved.version }),
        purl: resolved.purl,
        reason: resolved.reason,
      });
      continue;
    }
    const pkg: Package = {
      name: resolved.name,
      ...(resolved.version && { version: resolved.version }),
      ecosystem: resolved.ecosystem,
      purl: resolved.purl,
      locations: element.locations.length > 0 ? element.locations : [locate(element.purl)],
      scope: element.scope,
      ...(element.licenses.length > 0 && { licenses: element.licenses }),
      ...(element.groups && { groups: element.groups }),
    };
    const source = element.source ?? resolved.source;
    if (source && (source.name !== pkg.name || source.version)) pkg.source = source;
    const distro = resolved.distro ?? distroFromOperatingSystem(pkg, input.operatingSystems);
    if (distro) pkg.distro = distro;
    purlOfRef.set(element.ref, pkg.purl);
    merge(byPurl, pkg);
  }

  addEdges(byPurl, purlOfRef, input);
  const packages = [...byPurl.values()].sort((a, b) =>
    a.ecosystem < b.ecosystem ? -1 : a.ecosystem > b.ecosystem ? 1 : a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0,
  );
  return { packages, withoutPurl, unscannable, issues };
}

/** The same purl twice (one package in several lockfiles or layers) is one package. */
function merge(byPurl: Map<string, Package>, pkg: Package): void {
  const seen = byPurl.get(pkg.purl);
  if (!seen) {
    byPurl.set(pkg.purl, pkg);
    return;
  }
  for (const loc of pkg.locations) {
    if (!seen.locations.some((l) => l.path === loc.path && l.line === loc.line)) seen.locations.push(loc);
  }
  if (SCOPE_RANK[pkg.scope] < SCOPE_RANK[seen.scope]) seen.scope = pkg.scope;
  if (pkg.licenses) seen.licenses = [...new Set([...(seen.licenses ?? []), ...pkg.licenses])];
  if (!seen.source && pkg.source) seen.source = pkg.source;
  if (!seen.distro && pkg.distro) seen.distro = pkg.distro;
  if (pkg.direct) seen.direct = true;
  if (pkg.groups) seen.groups = [...new Set([...(seen.groups ?? []), ...pkg.groups])];
}

/** `dependsOn` between packages; `direct` for packages the target reaches through grouping nodes only. */
function addEdges(byPurl: Map<string, Package>, purlOfRef: Map<string, string>, input: AssembleInput): void {
  const out = new Map<string, string[]>();
  for (const edge of input.edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge.to]);
  for (const [from, targets] of out) {
    const pkg = byPurl.get(purlOfRef.get(from) ?? '');
    if (!pkg) continue;
    const deps = targets.map((t) => purlOfRef.get(t)).filter((p): p is string => p !== undefined && p !== pkg.purl);
    if (deps.length > 0) pkg.dependsOn = [...new Set([...(pkg.dependsOn ?? []), ...deps])].sort();
  }
  const role = new Map(input.elements.map((e) => [e.ref, e.role]));
  const seen = new Set<string>();
  const queue = input.elements.filter((e) => e.role === 'root').map((e) => e.ref);
  while (queue.length > 0) {
    const ref = queue.shift()!;
    if (seen.has(ref)) continue;
    seen.add(ref);
    for (const to of out.get(ref) ?? []) {
      const pkg = byPurl.get(purlOfRef.get(to) ?? '');
      if (pkg) pkg.direct = true;
      else if (role.get(to) === 'structural') queue.push(to);
    }
  }
}

/**
 * OS packages whose purl names no release take it from the operating system the document
 * describes, when that OS ships their ecosystem.
 */
function distroFromOperatingSystem(pkg: Package, systems: AssembleInput['operatingSystems']): string | undefined {
  if (!isOsEcosystem(pkg.ecosystem)) return undefined;
  for (const os of systems) {
    if (osEcosystem(os.name) === pkg.ecosystem) {
      const distro = osvDistro(pkg.ecosystem, os.version ?? '');
      if (distro) return distro;
    }
  }
  return undefined;
}

/**
 * Packages whose SBOM records no location are located in the SBOM itself, at the line of their
 * purl. Components are visited in document order, so the search resumes where the last one was
 * found. JSON writers may escape `&` (Go writes `\u0026`) or `/`; XML writes `&amp;`.
 */
function fallbackLocator(path: string, text: string): (purl: string) => Location {
  let lines: LineIndex | undefined;
  let cursor = 0;
  return (purl) => {
    const variants = [
      purl,
      JSON.stringify(purl).slice(1, -1),
      purl.replace(/&/g, '\\u0026'),
      purl.replace(/\//g, '\\/'),
      purl.replace(/&/g, '&amp;'),
    ];
    for (const variant of variants) {
      let at = text.indexOf(variant, cursor);
      if (at === -1) at = text.indexOf(variant);
      if (at !== -1) {
        cursor = at + variant.length;
        lines ??= new LineIndex(text);
        return { path, line: lines.lineAt(at) };
      }
    }
    return { path };
  };
}
