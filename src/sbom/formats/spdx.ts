/**
 * SPDX 2.3 JSON writer (https://spdx.github.io/spdx-spec/v2.3/). Packages carry their purl
 * as a PACKAGE-MANAGER externalRef; the document DESCRIBES one root package for the target,
 * which DEPENDS_ON the direct dependencies; lockfile edges become DEPENDS_ON relationships.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Package } from '../../core/types.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../core/version.ts';
import type { SbomDocument } from './document.ts';
import { isSpdxExpression, isSpdxLicenseId } from './licenses.ts';

export interface SpdxOptions {
  /** Fixed values make the output reproducible (tests, diffs). */
  namespaceId?: string;
  created?: string;
}

type Json = Record<string, unknown>;

export function toSpdx(doc: SbomDocument, options: SpdxOptions = {}): Json {
  const ids = new Map<string, string>();
  for (const pkg of doc.packages) ids.set(pkg.purl, spdxId(pkg.purl));
  const rootId = 'SPDXRef-Target';
  const relationships: Json[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId }];
  const direct = doc.packages.filter((p) => p.direct);
  for (const pkg of direct.length > 0 ? direct : doc.packages) {
    relationships.push({ spdxElementId: rootId, relationshipType: 'DEPENDS_ON', relatedSpdxElement: ids.get(pkg.purl) });
  }
  for (const pkg of doc.packages) {
    for (const dep of pkg.dependsOn ?? []) {
      const target = ids.get(dep);
      if (target && dep !== pkg.purl) {
        relationships.push({ spdxElementId: ids.get(pkg.purl), relationshipType: 'DEPENDS_ON', relatedSpdxElement: target });
      }
    }
  }
  const name = doc.target.name;
  const comment =
    doc.issues.length > 0
      ? `INCOMPLETE: some inputs could not be read:\n${doc.issues.map((i) => `${i.path}${i.line !== undefined ? `:${i.line}` : ''}: ${i.message}`).join('\n')}`
      : undefined;
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace: `https://palisade.dev/spdx/${encodeURIComponent(name)}-${options.namespaceId ?? randomUUID()}`,
    creationInfo: {
      created: options.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: [`Tool: ${TOOL_NAME}-${TOOL_VERSION}`],
      ...(comment && { comment }),
    },
    packages: [
      targetPackage(doc, rootId),
      ...doc.packages.map((p) => spdxPackage(p, ids.get(p.purl)!)),
    ],
    relationships,
  };
}

/** The target as the described package; an image carries its digest, `oci` purl and platform. */
function targetPackage(doc: SbomDocument, rootId: string): Json {
  const meta = doc.target.metadata ?? {};
  const root: Json = {
    SPDXID: rootId,
    name: doc.target.name,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: doc.target.kind === 'image' ? 'CONTAINER' : 'SOURCE',
  };
  if (doc.target.kind !== 'image') return root;
  const digest = /^sha256:([0-9a-f]{64})$/.exec(meta.digest ?? '');
  if (meta.digest) root.versionInfo = meta.digest;
  if (digest) root.checksums = [{ algorithm: 'SHA256', checksumValue: digest[1] }];
  if (meta.purl) root.externalRefs = [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: meta.purl }];
  const details = ['platform', 'imageId'].filter((k) => meta[k]).map((k) => `${k}: ${meta[k]}`);
  if (details.length > 0) root.comment = details.join('; ');
  return root;
}

function spdxPackage(pkg: Package, id: string): Json {
  const license = declaredLicense(pkg.licenses);
  return {
    SPDXID: id,
    name: pkg.name,
    ...(pkg.version && { versionInfo: pkg.version }),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: license,
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'LIBRARY',
    ...(pkg.source && { sourceInfo: `built package from: ${pkg.source.name}${pkg.source.version ? ` ${pkg.source.version}` : ''}` }),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }],
    comment: `ecosystem: ${pkg.ecosystem}; scope: ${pkg.scope}; found in: ${pkg.locations
      .map((l) => (l.line !== undefined ? `${l.path}:${l.line}` : l.path) + (l.layer ? ` (layer ${l.layer.diffId ?? l.layer.digest})` : ''))
      .join(', ')}`,
  };
}

/** SPDX requires ids from the license list (or LicenseRef-); free text is NOASSERTION. */
function declaredLicense(licenses: string[] | undefined): string {
  if (!licenses?.length) return 'NOASSERTION';
  const valid = licenses.filter((l) => isSpdxLicenseId(l) || isSpdxExpression(l));
  if (valid.length !== licenses.length) return 'NOASSERTION';
  return valid.length === 1 ? valid[0]! : valid.map((l) => (isSpdxExpression(l) ? `(${l})` : l)).join(' AND ');
}

/** Stable, schema-valid element id: readable prefix plus a short hash of the purl. */
function spdxId(purl: string): string {
  const readable = purl.replace(/^pkg:/, '').replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 80);
  const hash = createHash('sha256').update(purl).digest('hex').slice(0, 12);
  return `SPDXRef-Package-${readable}-${hash}`;
}
