/**
 * CycloneDX 1.6 JSON writer (https://cyclonedx.org/docs/1.6/json/).
 * Hand-written rather than built with @cyclonedx/cyclonedx-library: the document is a plain
 * projection of our Package list, and writing it directly keeps the output deterministic
 * (sorted, bom-ref = purl) and the dependency tree small. Tests validate it against the
 * official schema.
 */
import { randomUUID } from 'node:crypto';
import type { Package, Scope } from '../../core/types.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../core/version.ts';
import type { SbomDocument } from './document.ts';
import { isSpdxExpression, isSpdxLicenseId } from './licenses.ts';

export interface CycloneDxOptions {
  /** Fixed values make the output byte-for-byte reproducible (tests, diffs). */
  serialNumber?: string;
  timestamp?: string;
}

type Json = Record<string, unknown>;

const CDX_SCOPE: Record<Scope, string> = { required: 'required', optional: 'optional', dev: 'excluded' };

export function toCycloneDx(doc: SbomDocument, options: CycloneDxOptions = {}): Json {
  const rootRef = `palisade:target:${doc.target.name}`;
  const refs = new Set(doc.packages.map((p) => p.purl));
  const components = doc.packages.map(component);
  const dependencies = [
    { ref: rootRef, dependsOn: rootDependencies(doc.packages) },
    ...doc.packages.map((p) => ({
      ref: p.purl,
      dependsOn: (p.dependsOn ?? []).filter((d) => refs.has(d) && d !== p.purl),
    })),
  ];
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: options.serialNumber ?? `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: options.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      lifecycles: [{ phase: doc.target.kind === 'image' ? 'post-build' : 'pre-build' }],
      tools: { components: [{ type: 'application', name: TOOL_NAME, version: TOOL_VERSION }] },
      component: targetComponent(doc, rootRef),
      ...(doc.issues.length > 0 && {
        // An incomplete catalog must not pass for a complete one: say so in the document itself.
        properties: [
          { name: 'palisade:incomplete', value: 'true' },
          ...doc.issues.map((i) => ({
            name: 'palisade:skipped',
            value: `${i.path}${i.line !== undefined ? `:${i.line}` : ''}: ${i.message}`,
          })),
        ],
      }),
    },
    components,
    dependencies,
  };
}

function component(pkg: Package): Json {
  const c: Json = { type: 'library', 'bom-ref': pkg.purl };
  const [group, name] = splitGroup(pkg);
  if (group) c.group = group;
  c.name = name;
  if (pkg.version) c.version = pkg.version;
  c.scope = CDX_SCOPE[pkg.scope];
  if (pkg.licenses?.length) c.licenses = licenses(pkg.licenses);
  c.purl = pkg.purl;
  const properties = [
    { name: 'palisade:ecosystem', value: pkg.ecosystem },
    ...pkg.locations.map((l) => ({
      name: 'palisade:location',
      value: l.line !== undefined ? `${l.path}:${l.line}` : l.path,
    })),
    ...(pkg.groups ?? []).map((g) => ({ name: 'palisade:group', value: g })),
    ...(pkg.source ? [{ name: 'palisade:source', value: `${pkg.source.name}${pkg.source.version ? ` ${pkg.source.version}` : ''}` }] : []),
    ...(pkg.commit ? [{ name: 'palisade:commit', value: pkg.commit }] : []),
    ...(pkg.version === undefined ? [{ name: 'palisade:unresolved', value: 'true' }] : []),
    ...layerProperties(pkg),
  ];
  c.properties = properties;
  c.evidence = {
    occurrences: pkg.locations.map((l) => (l.line !== undefined ? { location: l.path, line: l.line } : { location: l.path })),
  };
  return c;
}

/**
 * The scanned target as `metadata.component`. An image is a `container` whose version is the
 * manifest digest, with its `oci` purl and its platform and layers as properties.
 */
function targetComponent(doc: SbomDocument, rootRef: string): Json {
  const meta = doc.target.metadata ?? {};
  const image = doc.target.kind === 'image';
  const component: Json = { type: image ? 'container' : 'application', 'bom-ref': rootRef, name: doc.target.name };
  if (!image) return component;
  if (meta.digest) component.version = meta.digest;
  if (meta.purl) component.purl = meta.purl;
  const properties = [
    ...(['imageId', 'reference', 'platform', 'os', 'architecture', 'variant', 'mediaType'] as const)
      .filter((k) => meta[k])
      .map((k) => ({ name: `palisade:image:${k}`, value: meta[k]! })),
    ...imageLayers(meta.layers).map((l, i) => ({ name: `palisade:image:layer:${i}`, value: [l.digest, l.diffId, l.createdBy ?? ''].join(' ').trim() })),
  ];
  if (properties.length > 0) component.properties = properties;
  return component;
}

/** The layers list the image catalog stores as JSON in the target metadata. */
function imageLayers(json: string | undefined): { digest: string; diffId: string; createdBy?: string }[] {
  if (!json) return [];
  try {
    const layers = JSON.parse(json) as unknown;
    return Array.isArray(layers) ? (layers as { digest: string; diffId: string; createdBy?: string }[]) : [];
  } catch {
    return [];
  }
}

/** Which image layer put the package there (the first location that records one), as Trivy's properties do. */
function layerProperties(pkg: Package): { name: string; value: string }[] {
  const layer = pkg.locations.find((l) => l.layer)?.layer;
  if (!layer) return [];
  return [
    { name: 'palisade:layer:digest', value: layer.digest },
    ...(layer.diffId ? [{ name: 'palisade:layer:diffId', value: layer.diffId }] : []),
    ...(layer.createdBy ? [{ name: 'palisade:layer:createdBy', value: layer.createdBy }] : []),
  ];
}

/** npm scopes and Maven groupIds are CycloneDX groups; other ecosystems keep the whole name. */
function splitGroup(pkg: Package): [string | undefined, string] {
  if (pkg.ecosystem === 'npm' && pkg.name.startsWith('@') && pkg.name.includes('/')) {
    const i = pkg.name.indexOf('/');
    return [pkg.name.slice(0, i), pkg.name.slice(i + 1)];
  }
  if (pkg.ecosystem === 'Maven' && pkg.name.includes(':')) {
    const i = pkg.name.indexOf(':');
    return [pkg.name.slice(0, i), pkg.name.slice(i + 1)];
  }
  return [undefined, pkg.name];
}

/**
 * CycloneDX accepts `license.id` only from the SPDX list; anything else is a `name`, and a
 * compound SPDX expression must stand alone as `expression`.
 */
function licenses(values: string[]): Json[] {
  if (values.length === 1 && isSpdxExpression(values[0]!)) return [{ expression: values[0] }];
  return values.map((v) => ({ license: isSpdxLicenseId(v) ? { id: v } : { name: v } }));
}

/** Direct dependencies of the target: those the catalogers marked direct, else every package. */
function rootDependencies(packages: Package[]): string[] {
  const direct = packages.filter((p) => p.direct).map((p) => p.purl);
  return direct.length > 0 ? direct : packages.map((p) => p.purl);
}
