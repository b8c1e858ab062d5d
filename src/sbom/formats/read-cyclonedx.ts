/**
 * CycloneDX 1.2–1.7 (https://cyclonedx.org/specification/overview/) as syft, trivy, cdxgen and
 * the CycloneDX plugins write it, JSON or XML. `metadata.component` is the target, not a package
 * (its nested components are packages); `components[]` nest to any depth; `dependencies` give the
 * edges. Producer properties supply locations and OS source packages (see `locationsOf`,
 * `sourceOf`); `operating-system` components supply the distribution release.
 */
import { PalisadeError } from '../../core/errors.ts';
import type { InputIssue, Location, Scope } from '../../core/types.ts';
import { attribute, child, childText, children, type XmlElement } from '../catalog/xml.ts';
import { sourceRpm } from './purl-to-package.ts';
import { asObject, assemble, str, type DocumentInput, type SbomEdge, type SbomElement, type SbomReadResult } from './read-model.ts';

type Json = Record<string, unknown>;

const SPEC_VERSIONS = new Set(['1.2', '1.3', '1.4', '1.5', '1.6', '1.7']);

const SCOPES: Record<string, Scope> = { required: 'required', optional: 'optional', excluded: 'dev' };

/** Component types that are not software packages: without a purl they are neither scanned nor counted. */
const NON_PACKAGE_TYPES = new Set([
  'file',
  'data',
  'device',
  'platform',
  'container',
  'machine-learning-model',
  'cryptographic-asset',
  'device-driver',
]);

export function readCycloneDx(doc: Json, input: DocumentInput): SbomReadResult {
  const specVersion = typeof doc.specVersion === 'string' ? doc.specVersion : '';
  if (!SPEC_VERSIONS.has(specVersion)) {
    throw new PalisadeError(
      'UNSUPPORTED_FORMAT',
      `${input.path}: CycloneDX specVersion "${specVersion || '(none)'}" is not supported (1.2 to 1.7 are)`,
    );
  }
  const reader = new ComponentReader(input.path);
  const metadata = asObject(doc.metadata) ?? {};
  const rootComponent = asObject(metadata.component);
  if (rootComponent) {
    reader.add(rootComponent, 'metadata.component', 'root');
    reader.walk(rootComponent.components, 'metadata.component.components');
  }
  reader.walk(doc.components, 'components');
  reader.readDependencies(doc.dependencies);
  reader.locateLockfilePackages();

  const assembled = assemble({
    path: input.path,
    text: input.text,
    elements: reader.elements,
    edges: reader.edges,
    operatingSystems: reader.operatingSystems,
    issues: reader.issues,
  });
  return {
    format: 'cyclonedx',
    encoding: input.encoding,
    specVersion,
    target: { kind: 'sbom', name: str(rootComponent?.name) || input.path, metadata: targetMetadata(doc, input, reader) },
    ...assembled,
  };
}

class ComponentReader {
  readonly elements: SbomElement[] = [];
  readonly edges: SbomEdge[] = [];
  readonly operatingSystems: { name: string; version?: string }[] = [];
  readonly issues: InputIssue[] = [];
  /** trivy's lockfile components (`aquasecurity:trivy:Class` lang-pkgs): ref → the lockfile path. */
  private readonly lockfiles = new Map<string, string>();
  private readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  walk(list: unknown, at: string): void {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      this.issue(`${at}: not an array`);
      return;
    }
    list.forEach((item, i) => {
      const here = `${at}[${i}]`;
      const component = asObject(item);
      if (!component) {
        this.issue(`${here}: not an object`);
        return;
      }
      this.add(component, here, 'content');
      this.walk(component.components, `${here}.components`);
    });
  }

  add(c: Json, at: string, role: SbomElement['role']): void {
    const name = str(c.name) ?? '';
    if (c.purl !== undefined && typeof c.purl !== 'string') {
      this.issue(`${at}.purl: not a string`);
      return;
    }
    const purl = str(c.purl);
    if (role === 'content' && !name && !purl) {
      this.issue(`${at}: component without a name or purl`);
      return;
    }
    const props = properties(c.properties);
    const type = str(c.type);
    const version = str(c.version);
    if (role === 'content' && !purl) role = this.structuralRole(c, name, version, type, props);
    const element: SbomElement = {
      ref: str(c['bom-ref']) ?? at,
      at,
      name,
      ...(version && { version }),
      ...(purl && { purl }),
      cpes: [...new Set([str(c.cpe), ...props.filter(([k]) => k === 'syft:cpe23').map(([, v]) => v)].filter(isString))],
      scope: SCOPES[str(c.scope) ?? ''] ?? 'required',
      licenses: licenses(c.licenses),
      locations: locationsOf(props, c.evidence),
      role,
    };
    const source = sourceOf(props);
    if (source) element.source = source;
    // Our own SBOMs carry the raw dependency groups (`unpinned`, `dev`, …): keep them on a round trip.
    const groups = props.filter(([k]) => k === 'palisade:group').map(([, v]) => v);
    if (groups.length > 0) element.groups = groups;
    this.elements.push(element);
  }

  /** Components without a purl: OS and grouping nodes are structural, the rest are content. */
  private structuralRole(c: Json, name: string, version: string | undefined, type: string | undefined, props: [string, string][]) {
    if (type === 'operating-system') {
      this.operatingSystems.push({ name, ...(version && { version }) });
      return 'structural';
    }
    const trivyClass = props.find(([k]) => k === 'aquasecurity:trivy:Class')?.[1];
    if (trivyClass !== undefined) {
      // trivy groups the packages of each lockfile under a component named after its path.
      if (trivyClass === 'lang-pkgs' && name) this.lockfiles.set(str(c['bom-ref']) ?? '', name);
      return 'structural';
    }
    return type && NON_PACKAGE_TYPES.has(type) ? 'structural' : 'content';
  }

  readDependencies(list: unknown): void {
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      this.issue('dependencies: not an array');
      return;
    }
    list.forEach((item, i) => {
      const entry = asObject(item);
      const ref = str(entry?.ref);
      if (!entry || !ref) {
        this.issue(`dependencies[${i}]: no ref`);
        return;
      }
      const targets = entry.dependsOn ?? [];
      if (!Array.isArray(targets)) {
        this.issue(`dependencies[${i}].dependsOn: not an array`);
        return;
      }
      for (const to of targets) if (typeof to === 'string') this.edges.push({ from: ref, to });
    });
  }

  /**
   * trivy hangs a lockfile's direct dependencies under its lockfile component and the rest under
   * them: packages reached from a lockfile component that record no location of their own were
   * found in that lockfile (in each of them, when several reach the package).
   */
  locateLockfilePackages(): void {
    if (this.lockfiles.size === 0) return;
    const byRef = new Map(this.elements.map((e) => [e.ref, e]));
    const out = new Map<string, string[]>();
    for (const edge of this.edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge.to]);
    const found = new Map<SbomElement, string[]>();
    for (const [ref, lockfile] of this.lockfiles) {
      const seen = new Set<string>([ref]);
      const queue = [...(out.get(ref) ?? [])];
      while (queue.length > 0) {
        const next = queue.shift()!;
        if (seen.has(next)) continue;
        seen.add(next);
        const element = byRef.get(next);
        if (element?.role !== 'content') continue;
        if (element.locations.length === 0) found.set(element, [...(found.get(element) ?? []), lockfile]);
        queue.push(...(out.get(next) ?? []));
      }
    }
    for (const [element, paths] of found) element.locations.push(...paths.map((path) => ({ path: path.replace(/^\/+/, '') })));
  }

  private issue(message: string): void {
    this.issues.push({ path: this.path, message });
  }
}

function properties(value: unknown): [string, string][] {
  if (!Array.isArray(value)) return [];
  return value
    .map(asObject)
    .filter((p): p is Json => p !== undefined && typeof p.name === 'string' && typeof p.value === 'string')
    .map((p) => [p.name as string, p.value as string]);
}

/** SPDX ids, license names and expressions, as CycloneDX records them. */
function licenses(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const entry of value.map(asObject)) {
    const license = asObject(entry?.license);
    const text = str(entry?.expression) ?? str(license?.id) ?? str(license?.name);
    if (text && !out.includes(text)) out.push(text);
  }
  return out;
}

/**
 * Where the producer found the package: trivy `aquasecurity:trivy:FilePath` (and its layer),
 * syft `syft:location:N:path` (and `:layerID`), cdxgen `SrcFile`, our own `palisade:location`
 * (`path:line`), CycloneDX 1.5 evidence occurrences. Absolute paths inside an image or directory
 * become root-relative.
 */
function locationsOf(props: [string, string][], evidence: unknown): Location[] {
  const out: Location[] = [];
  const add = (loc: Location) => {
    loc.path = loc.path.replace(/^\/+/, '');
    if (loc.path && !out.some((l) => l.path === loc.path && l.line === loc.line)) out.push(loc);
  };
  const get = (key: string) => props.find(([k]) => k === key)?.[1];
  for (const [key, value] of props) {
    if (key === 'aquasecurity:trivy:FilePath') {
      const digest = get('aquasecurity:trivy:LayerDigest');
      const diffId = get('aquasecurity:trivy:LayerDiffID');
      add({ path: value, ...(digest && { layer: { digest, ...(diffId && { diffId }) } }) });
    } else if (/^syft:location:\d+:path$/.test(key)) {
      const digest = get(key.replace(/:path$/, ':layerID'));
      add({ path: value, ...(digest && { layer: { digest } }) });
    } else if (key === 'SrcFile') {
      add({ path: value });
    } else if (key === 'palisade:location') {
      const m = /^(.*):(\d+)$/.exec(value);
      add(m ? { path: m[1]!, line: Number(m[2]) } : { path: value });
    }
  }
  // Palisade's own image SBOMs name the layer once per component.
  const layerDigest = get('palisade:layer:digest');
  if (layerDigest) {
    const diffId = get('palisade:layer:diffId');
    const createdBy = get('palisade:layer:createdBy');
    for (const loc of out) loc.layer ??= { digest: layerDigest, ...(diffId && { diffId }), ...(createdBy && { createdBy }) };
  }
  const occurrences = asObject(evidence)?.occurrences;
  if (Array.isArray(occurrences)) {
    for (const o of occurrences.map(asObject)) {
      const path = str(o?.location);
      const line = Number(o?.line);
      if (path) add(Number.isInteger(line) && line > 0 ? { path, line } : { path });
    }
  }
  return out;
}

/**
 * OS packages' source package: trivy `SrcName`/`SrcVersion`/`SrcRelease`/`SrcEpoch`, syft
 * `syft:metadata:source`/`sourceVersion` (dpkg), `originPackage` (apk), `sourceRpm` (rpm).
 */
function sourceOf(props: [string, string][]): { name: string; version?: string } | undefined {
  const get = (key: string) => props.find(([k]) => k === key)?.[1];
  const trivyName = get('aquasecurity:trivy:SrcName');
  if (trivyName) {
    const version = get('aquasecurity:trivy:SrcVersion');
    if (!version) return { name: trivyName };
    const epoch = get('aquasecurity:trivy:SrcEpoch');
    const release = get('aquasecurity:trivy:SrcRelease');
    return { name: trivyName, version: `${epoch && epoch !== '0' ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}` };
  }
  const syftSource = get('syft:metadata:source') ?? get('syft:metadata:originPackage');
  if (syftSource) {
    const version = get('syft:metadata:sourceVersion');
    return { name: syftSource, ...(version && { version }) };
  }
  const rpm = get('syft:metadata:sourceRpm');
  return rpm ? sourceRpm(rpm) : undefined;
}

function targetMetadata(doc: Json, input: DocumentInput, reader: ComponentReader): Record<string, string> {
  const metadata = asObject(doc.metadata) ?? {};
  const component = asObject(metadata.component);
  const os = reader.operatingSystems[0];
  const entries: [string, string | undefined][] = [
    ['file', input.path],
    ['format', 'cyclonedx'],
    ['specVersion', String(doc.specVersion)],
    ['tool', tools(metadata.tools)],
    ['created', str(metadata.timestamp)],
    ['componentType', str(component?.type)],
    ['componentVersion', str(component?.version)],
    ['componentPurl', str(component?.purl)],
    ['serialNumber', str(doc.serialNumber)],
    ['os', os ? `${os.name}${os.version ? ` ${os.version}` : ''}` : undefined],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => Boolean(e[1])));
}

/** `tools` is a list of {vendor, name, version} up to 1.4 and {components, services} from 1.5. */
function tools(value: unknown): string | undefined {
  const object = asObject(value);
  const list = Array.isArray(value) ? value : object ? [object.components, object.services].flatMap((l) => (Array.isArray(l) ? l : [])) : [];
  const names = list
    .map(asObject)
    .map((t) => [str(t?.name), str(t?.version)].filter(isString).join(' '))
    .filter(Boolean);
  return names.length > 0 ? names.join(', ') : undefined;
}

/** Elements that repeat in CycloneDX XML, so that they are arrays even when single. */
export const CYCLONEDX_XML_ARRAYS: ReadonlySet<string> = new Set([
  'component',
  'license',
  'property',
  'dependency',
  'tool',
  'service',
  'occurrence',
]);

/**
 * A CycloneDX XML `<bom>` as the JSON document model, for the fields the reader uses.
 * `specVersion` comes from the namespace (`http://cyclonedx.org/schema/bom/1.4`).
 */
export function cycloneDxXmlToJson(bom: XmlElement, specVersion: string): Json {
  const metadata = child(bom, 'metadata');
  const toolsElement = child(metadata, 'tools');
  const xmlTools = children(toolsElement, 'tool').map((t) => ({ name: childText(t, 'name'), version: childText(t, 'version') }));
  const toolComponents = children(child(toolsElement, 'components'), 'component').map(xmlComponent);
  const rootComponent = children(metadata, 'component')[0];
  return {
    bomFormat: 'CycloneDX',
    specVersion,
    serialNumber: attribute(bom, 'serialNumber'),
    metadata: {
      timestamp: childText(metadata, 'timestamp'),
      tools: toolComponents.length > 0 ? { components: toolComponents } : xmlTools,
      component: rootComponent ? xmlComponent(rootComponent) : undefined,
    },
    components: children(child(bom, 'components'), 'component').map(xmlComponent),
    dependencies: children(child(bom, 'dependencies'), 'dependency').map((d) => ({
      ref: attribute(d, 'ref'),
      dependsOn: children(d, 'dependency').map((x) => attribute(x, 'ref')),
    })),
  };
}

function xmlComponent(c: XmlElement): Json {
  const licensesElement = child(c, 'licenses');
  const expression = childText(licensesElement, 'expression');
  return {
    'bom-ref': attribute(c, 'bom-ref'),
    type: attribute(c, 'type'),
    name: childText(c, 'name'),
    version: childText(c, 'version'),
    scope: childText(c, 'scope'),
    purl: childText(c, 'purl'),
    cpe: childText(c, 'cpe'),
    licenses: [
      ...children(licensesElement, 'license').map((l) => ({ license: { id: childText(l, 'id'), name: childText(l, 'name') } })),
      ...(expression ? [{ expression }] : []),
    ],
    properties: children(child(c, 'properties'), 'property').map((p) => ({
      name: attribute(p, 'name'),
      value: typeof p['#text'] === 'string' ? p['#text'].trim() : '',
    })),
    components: children(child(c, 'components'), 'component').map(xmlComponent),
    evidence: {
      occurrences: children(child(child(c, 'evidence'), 'occurrences'), 'occurrence').map((o) => ({
        location: childText(o, 'location'),
        line: childText(o, 'line'),
      })),
    },
  };
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}
