/**
 * SPDX 2.x (https://spdx.github.io/spdx-spec/v2.3/) as syft, trivy and the SPDX tools write it:
 * JSON, plus YAML (same model) and tag-value (converted by `spdxTagValueToJson`).
 *
 * Which packages are the target: the packages the document DESCRIBES are the thing the SBOM is
 * about (an image, a project, a directory), not its dependencies — unless they are all the
 * document holds, as in SBOMs that simply list components and describe each of them. Packages
 * without a purl that only group others (trivy's image, OS and lockfile packages) are
 * structural; an OS package gives the distribution release. Dependency relationships become
 * `dependsOn`; test, dev and build dependencies (and what only they pull in) are `dev`.
 */
import { PalisadeError } from '../../core/errors.ts';
import type { InputIssue, Location, Scope } from '../../core/types.ts';
import { asObject, assemble, str, type DocumentInput, type SbomEdge, type SbomElement, type SbomReadResult } from './read-model.ts';

type Json = Record<string, unknown>;

/** `A <type> B` where A depends on (or contains) B. */
const FORWARD: Record<string, Scope> = {
  DEPENDS_ON: 'required',
  CONTAINS: 'required',
  DYNAMIC_LINK: 'required',
  STATIC_LINK: 'required',
  HAS_PREREQUISITE: 'required',
};

/** `A <type> B` where B depends on (or contains) A. */
const REVERSE: Record<string, Scope> = {
  DEPENDENCY_OF: 'required',
  CONTAINED_BY: 'required',
  RUNTIME_DEPENDENCY_OF: 'required',
  PROVIDED_DEPENDENCY_OF: 'required',
  PREREQUISITE_FOR: 'required',
  OPTIONAL_DEPENDENCY_OF: 'optional',
  DEV_DEPENDENCY_OF: 'dev',
  TEST_DEPENDENCY_OF: 'dev',
  BUILD_DEPENDENCY_OF: 'dev',
};

const SCOPE_RANK: Record<Scope, number> = { required: 0, optional: 1, dev: 2 };
const SCOPE_BY_RANK: Scope[] = ['required', 'optional', 'dev'];

interface Relationship {
  from: string;
  type: string;
  to: string;
}

interface DependencyEdge extends SbomEdge {
  scope: Scope;
  /** CONTAINS / CONTAINED_BY: what grouping nodes (image, OS, lockfile) use. */
  contains: boolean;
}

export function readSpdx(doc: Json, input: DocumentInput): SbomReadResult {
  const version = typeof doc.spdxVersion === 'string' ? doc.spdxVersion.trim() : '';
  const m = /^SPDX-(2\.[1-3])$/.exec(version);
  if (!m) {
    throw new PalisadeError('UNSUPPORTED_FORMAT', `${input.path}: SPDX version "${version || '(none)'}" is not supported (SPDX-2.1 to SPDX-2.3 are)`);
  }
  const issues: InputIssue[] = [];
  const issue = (message: string) => issues.push({ path: input.path, message });
  const { elements, operatingSystemIds } = readPackages(doc.packages, issue);
  const relationships = readRelationships(doc.relationships, issue);
  const byRef = new Map(elements.map((e) => [e.ref, e]));

  const edges: DependencyEdge[] = [];
  for (const r of relationships) {
    const forward = FORWARD[r.type];
    const reverse = REVERSE[r.type];
    const contains = r.type === 'CONTAINS' || r.type === 'CONTAINED_BY';
    if (forward) edges.push({ from: r.from, to: r.to, scope: forward, contains });
    else if (reverse) edges.push({ from: r.to, to: r.from, scope: reverse, contains });
    else if (r.type === 'DESCENDANT_OF') derive(byRef.get(r.from), r.to);
    else if (r.type === 'ANCESTOR_OF') derive(byRef.get(r.to), r.from);
  }

  const operatingSystems: { name: string; version?: string }[] = [];
  const packageIds = new Set(elements.map((e) => e.ref));
  const described = describedPackages(doc, relationships, packageIds);
  const hasOtherContent = elements.some((e) => !described.has(e.ref));
  const groups = new Set(edges.filter((e) => e.contains && packageIds.has(e.to)).map((e) => e.from));
  for (const element of elements) {
    if (described.has(element.ref) && hasOtherContent) element.role = 'root';
    else if (operatingSystemIds.has(element.ref)) {
      element.role = 'structural';
      operatingSystems.push({ name: element.name, ...(element.version && { version: element.version }) });
    } else if (!element.purl && groups.has(element.ref) && !described.has(element.ref)) element.role = 'structural';
  }
  propagateScopes(elements, edges);

  const assembled = assemble({ path: input.path, text: input.text, elements, edges, operatingSystems, issues });
  const roots = elements.filter((e) => e.role === 'root');
  const root = roots.length === 1 ? roots[0] : undefined;
  return {
    format: 'spdx',
    encoding: input.encoding,
    specVersion: m[1]!,
    target: {
      kind: 'sbom',
      name: root?.name || str(doc.name) || input.path,
      metadata: targetMetadata(doc, input, m[1]!, root, operatingSystems[0]),
    },
    ...assembled,
  };
}

function readPackages(list: unknown, issue: (message: string) => void): { elements: SbomElement[]; operatingSystemIds: Set<string> } {
  const elements: SbomElement[] = [];
  const operatingSystemIds = new Set<string>();
  if (list === undefined) return { elements, operatingSystemIds };
  if (!Array.isArray(list)) {
    issue('packages: not an array');
    return { elements, operatingSystemIds };
  }
  list.forEach((item, i) => {
    const at = `packages[${i}]`;
    const p = asObject(item);
    if (!p) {
      issue(`${at}: not an object`);
      return;
    }
    const refs = externalRefs(p.externalRefs);
    const purlIndex = refs.findIndex((r) => r.type === 'purl');
    const purl = refs[purlIndex]?.locator;
    const name = str(p.name) ?? '';
    if (!name && !purl) {
      issue(`${at}: package without a name or purl`);
      return;
    }
    const version = str(p.versionInfo);
    const license = meaningful(p.licenseDeclared) ?? meaningful(p.licenseConcluded);
    const info = sourceInfo(str(p.sourceInfo));
    const element: SbomElement = {
      ref: str(p.SPDXID) ?? at,
      at,
      name,
      ...(version && { version }),
      ...(purl && { purl, purlAt: `${at}.externalRefs[${refs[purlIndex]!.index}]` }),
      cpes: refs.filter((r) => r.type === 'cpe23type' || r.type === 'cpe22type').map((r) => r.locator),
      scope: 'required',
      licenses: license ? [license] : [],
      locations: info.locations,
      role: 'content',
    };
    if (info.source) element.source = info.source;
    // trivy marks its OS package by purpose (2.3) or SPDXID prefix (2.2).
    if (!purl && (str(p.primaryPackagePurpose) === 'OPERATING-SYSTEM' || element.ref.startsWith('SPDXRef-OperatingSystem-'))) {
      operatingSystemIds.add(element.ref);
    }
    elements.push(element);
  });
  return { elements, operatingSystemIds };
}

/** Any category: the purl reference type is unambiguous, and some producers file it under SECURITY. */
function externalRefs(value: unknown): { type: string; locator: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  return value
    .map(asObject)
    .map((r, index) => ({ type: str(r?.referenceType)?.toLowerCase() ?? '', locator: str(r?.referenceLocator) ?? '', index }))
    .filter((r) => r.type && r.locator);
}

function meaningful(value: unknown): string | undefined {
  const text = str(value);
  return text && text !== 'NOASSERTION' && text !== 'NONE' ? text : undefined;
}

/**
 * `sourceInfo` as producers fill it: trivy `built package from: musl 1.2.2-r9` (OS source
 * package) and `package found in: Gemfile.lock`, syft `acquired package info from APK DB:
 * /lib/apk/db/installed`, osv-scalibr `Identified by the os/dpkg extractor from var/lib/dpkg/status`.
 */
function sourceInfo(text: string | undefined): { source?: { name: string; version?: string }; locations: Location[] } {
  if (!text) return { locations: [] };
  const built = /^built package from:?\s+(\S+)(?:\s+(\S+))?/i.exec(text);
  if (built) return { source: { name: built[1]!, ...(built[2] && { version: built[2] }) }, locations: [] };
  const found =
    /package found in:\s*(.+)$/i.exec(text)?.[1] ??
    /^acquired package info from [^:]+:\s*(.+)$/i.exec(text)?.[1] ??
    /\bextractor from\s+(.+)$/i.exec(text)?.[1];
  if (!found) return { locations: [] };
  const paths = found.split(/,\s+/).map((p) => p.trim().replace(/^\/+/, '')).filter(Boolean);
  return { locations: [...new Set(paths)].map((path) => ({ path })) };
}

function readRelationships(list: unknown, issue: (message: string) => void): Relationship[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    issue('relationships: not an array');
    return [];
  }
  const out: Relationship[] = [];
  list.forEach((item, i) => {
    const r = asObject(item);
    const from = str(r?.spdxElementId);
    const type = str(r?.relationshipType)?.toUpperCase();
    const to = str(r?.relatedSpdxElement);
    if (!from || !type || !to) {
      issue(`relationships[${i}]: needs spdxElementId, relationshipType and relatedSpdxElement`);
      return;
    }
    out.push({ from, type, to });
  });
  return out;
}

/** `documentDescribes` (SPDX 2.2) and DESCRIBES / DESCRIBED_BY relationships, packages only. */
function describedPackages(doc: Json, relationships: Relationship[], packageIds: Set<string>): Set<string> {
  const documentId = str(doc.SPDXID) ?? 'SPDXRef-DOCUMENT';
  const ids = Array.isArray(doc.documentDescribes) ? doc.documentDescribes.filter((d): d is string => typeof d === 'string') : [];
  for (const r of relationships) {
    if (r.type === 'DESCRIBES' && r.from === documentId) ids.push(r.to);
    if (r.type === 'DESCRIBED_BY' && r.to === documentId) ids.push(r.from);
  }
  // A package whose SPDXID is the document's own (seen in the wild) describes nothing.
  return new Set(ids.filter((id) => packageIds.has(id) && id !== documentId));
}

function derive(element: SbomElement | undefined, from: string): void {
  if (element) element.derivedFrom = [...(element.derivedFrom ?? []), from];
}

/**
 * A package reached only through dev/test/build dependency edges, or only from packages that
 * are themselves dev, is dev (likewise optional). Packages with no incoming edge stay required.
 * Iterates to a fixpoint; ranks only decrease, so it ends.
 */
function propagateScopes(elements: SbomElement[], edges: DependencyEdge[]): void {
  const incoming = new Map<string, DependencyEdge[]>();
  for (const e of edges) incoming.set(e.to, [...(incoming.get(e.to) ?? []), e]);
  const rank = new Map<string, number>();
  const content = elements.filter((e) => e.role === 'content' && incoming.has(e.ref));
  for (const e of content) rank.set(e.ref, SCOPE_RANK.dev);
  let changed = true;
  while (changed) {
    changed = false;
    for (const e of content) {
      const best = Math.min(...incoming.get(e.ref)!.map((edge) => Math.max(SCOPE_RANK[edge.scope], rank.get(edge.from) ?? 0)));
      if (best < rank.get(e.ref)!) {
        rank.set(e.ref, best);
        changed = true;
      }
    }
  }
  for (const e of content) e.scope = SCOPE_BY_RANK[rank.get(e.ref)!]!;
}

function targetMetadata(
  doc: Json,
  input: DocumentInput,
  specVersion: string,
  root: SbomElement | undefined,
  os: { name: string; version?: string } | undefined,
): Record<string, string> {
  const creation = asObject(doc.creationInfo);
  const creators = Array.isArray(creation?.creators) ? creation.creators : [];
  const tools = creators
    .filter((c): c is string => typeof c === 'string' && /^Tool:/i.test(c))
    .map((c) => c.replace(/^Tool:\s*/i, '').trim());
  const entries: [string, string | undefined][] = [
    ['file', input.path],
    ['format', 'spdx'],
    ['specVersion', specVersion],
    ['tool', tools.length > 0 ? tools.join(', ') : undefined],
    ['created', str(creation?.created)],
    ['componentVersion', root?.version],
    ['componentPurl', root?.purl],
    ['documentNamespace', str(doc.documentNamespace)],
    ['os', os ? `${os.name}${os.version ? ` ${os.version}` : ''}` : undefined],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => Boolean(e[1])));
}

/**
 * SPDX tag-value (`Tag: value` lines, `<text>…</text>` spanning lines) as the JSON document
 * model, for the fields the reader uses. Tags after `FileName:` or `SnippetSPDXID:` belong to a
 * file or snippet, not to the package above them.
 */
export function spdxTagValueToJson(text: string): Json {
  const doc: Json & { packages: Json[]; relationships: Json[]; creationInfo: { creators: string[] } } = {
    packages: [],
    relationships: [],
    creationInfo: { creators: [] },
  };
  let current: Json | undefined = doc;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^([A-Za-z]+):\s?(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const tag = m[1]!;
    let value = m[2]!.trim();
    if (value.startsWith('<text>')) {
      value = value.slice(6);
      while (!value.includes('</text>') && i + 1 < lines.length) value += `\n${lines[++i]}`;
      value = value.replace(/<\/text>.*$/s, '').trim();
    }
    if (tag === 'PackageName') doc.packages.push((current = { name: value }));
    else if (tag === 'FileName' || tag === 'SnippetSPDXID') current = undefined;
    else if (tag === 'Relationship') {
      const [from, type, to] = value.split(/\s+/);
      doc.relationships.push({ spdxElementId: from, relationshipType: type, relatedSpdxElement: to });
    } else if (tag === 'SPDXVersion') doc.spdxVersion = value;
    else if (tag === 'DocumentName') doc.name = value;
    else if (tag === 'DocumentNamespace') doc.documentNamespace = value;
    else if (tag === 'Creator') doc.creationInfo.creators.push(value);
    else if (current && PACKAGE_TAGS[tag]) current[PACKAGE_TAGS[tag]] = value;
    else if (current && tag === 'ExternalRef') {
      const [category, type, locator] = value.split(/\s+/);
      const refs = (current.externalRefs ??= []) as Json[];
      refs.push({ referenceCategory: category, referenceType: type, referenceLocator: locator });
    }
  }
  return doc;
}

/** Tag-value tags that map one-to-one onto JSON fields (of the document before the first package). */
const PACKAGE_TAGS: Record<string, string> = {
  SPDXID: 'SPDXID',
  PackageVersion: 'versionInfo',
  PackageLicenseDeclared: 'licenseDeclared',
  PackageLicenseConcluded: 'licenseConcluded',
  PackageSourceInfo: 'sourceInfo',
  PrimaryPackagePurpose: 'primaryPackagePurpose',
};
