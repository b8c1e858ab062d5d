import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Package } from '../../../src/core/types.ts';
import { makePurl } from '../../../src/core/purl.ts';
import type { SbomDocument } from '../../../src/sbom/formats/document.ts';
import { toCycloneDx } from '../../../src/sbom/formats/cyclonedx.ts';
import { toSpdx } from '../../../src/sbom/formats/spdx.ts';
import { toTable } from '../../../src/sbom/formats/table.ts';
import { cycloneDxValidator, spdxValidator } from '../../helpers/schemas.ts';
import { repoRoot } from '../../helpers/corpus.ts';

function pkg(p: Partial<Package> & Pick<Package, 'name' | 'ecosystem'>): Package {
  return {
    purl: makePurl(p.ecosystem, p.name, p.version),
    locations: [{ path: 'package-lock.json', line: 3 }],
    scope: 'required',
    ...p,
  };
}

const express = pkg({ name: 'express', version: '4.18.2', ecosystem: 'npm', direct: true, licenses: ['MIT'] });
const babel = pkg({ name: '@babel/core', version: '7.24.0', ecosystem: 'npm', scope: 'dev', licenses: ['MIT OR Apache-2.0'] });
const guava = pkg({ name: 'com.google.guava:guava', version: '32.0.0-jre', ecosystem: 'Maven', licenses: ['Some Custom License'] });
const requests = pkg({ name: 'requests', ecosystem: 'PyPI', locations: [{ path: 'requirements.txt', line: 1 }] });
express.dependsOn = [babel.purl, 'pkg:npm/not-in-the-bom@1.0.0'];

const doc: SbomDocument = {
  target: { kind: 'dir', name: 'examples' },
  packages: [express, babel, guava, requests],
  issues: [],
};

describe('CycloneDX 1.6 writer', () => {
  const bom = toCycloneDx(doc, { serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', timestamp: '2026-01-01T00:00:00Z' });

  it('validates against the official 1.6 schema', () => {
    const validate = cycloneDxValidator();
    expect(validate(bom), JSON.stringify(validate.errors)).toBe(true);
  });

  it('uses purls as bom-refs, splits npm scopes and Maven groups, maps scopes and licenses', () => {
    const components = bom.components as Record<string, unknown>[];
    const babelC = components.find((c) => c['bom-ref'] === babel.purl)!;
    expect(babelC).toMatchObject({ group: '@babel', name: 'core', version: '7.24.0', scope: 'excluded' });
    expect(babelC.licenses).toEqual([{ expression: 'MIT OR Apache-2.0' }]);
    const guavaC = components.find((c) => c['bom-ref'] === guava.purl)!;
    expect(guavaC).toMatchObject({ group: 'com.google.guava', name: 'guava' });
    expect(guavaC.licenses).toEqual([{ license: { name: 'Some Custom License' } }]);
    const expressC = components.find((c) => c['bom-ref'] === express.purl)!;
    expect(expressC.licenses).toEqual([{ license: { id: 'MIT' } }]);
  });

  it('marks unresolved packages and keeps only edges to components in the BOM', () => {
    const components = bom.components as Record<string, unknown>[];
    const req = components.find((c) => c.name === 'requests')!;
    expect(req.version).toBeUndefined();
    expect(req.properties).toContainEqual({ name: 'palisade:unresolved', value: 'true' });
    const deps = bom.dependencies as { ref: string; dependsOn: string[] }[];
    expect(deps.find((d) => d.ref === express.purl)!.dependsOn).toEqual([babel.purl]);
    expect(deps.find((d) => d.ref === 'palisade:target:examples')!.dependsOn).toEqual([express.purl]);
  });

  it('is deterministic given a serial number and timestamp', () => {
    const again = toCycloneDx(doc, { serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79', timestamp: '2026-01-01T00:00:00Z' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(bom));
  });

  it('says in the document when inputs could not be read', () => {
    const partial = toCycloneDx({ ...doc, issues: [{ path: 'yarn.lock', line: 7, message: 'bad entry' }] });
    expect(cycloneDxValidator()(partial)).toBe(true);
    const props = (partial.metadata as { properties: { name: string; value: string }[] }).properties;
    expect(props).toContainEqual({ name: 'palisade:incomplete', value: 'true' });
    expect(props).toContainEqual({ name: 'palisade:skipped', value: 'yarn.lock:7: bad entry' });
  });
});

describe.skipIf(!existsSync(join(repoRoot, 'test/fixtures/schemas/spdx-2.3.schema.json')))('SPDX 2.3 writer', () => {
  const spdx = toSpdx(doc, { namespaceId: 'fixed', created: '2026-01-01T00:00:00Z' });

  it('validates against the official 2.3 schema', () => {
    const validate = spdxValidator();
    expect(validate(spdx), JSON.stringify(validate.errors)).toBe(true);
  });

  it('describes the target, records purls and dependency edges', () => {
    const packages = spdx.packages as Record<string, unknown>[];
    const rels = spdx.relationships as Record<string, string>[];
    expect(rels[0]).toEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Target' });
    const expressP = packages.find((p) => p.name === 'express')!;
    const babelP = packages.find((p) => p.name === '@babel/core')!;
    expect(expressP.externalRefs).toEqual([{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: express.purl }]);
    expect(expressP.licenseDeclared).toBe('MIT');
    expect(babelP.licenseDeclared).toBe('MIT OR Apache-2.0');
    expect(packages.find((p) => p.name === 'com.google.guava:guava')!.licenseDeclared).toBe('NOASSERTION');
    expect(rels).toContainEqual({ spdxElementId: expressP.SPDXID, relationshipType: 'DEPENDS_ON', relatedSpdxElement: babelP.SPDXID });
    expect(rels.filter((r) => r.spdxElementId === 'SPDXRef-Target')).toHaveLength(1);
  });
});

describe('table view', () => {
  it('lists packages and totals per ecosystem', () => {
    const table = toTable(doc);
    expect(table).toMatch(/npm\s+@babel\/core\s+7\.24\.0\s+dev\s+package-lock\.json:3/);
    expect(table).toMatch(/PyPI\s+requests\s+\(unresolved\)/);
    expect(table).toMatch(/npm\s+2\n/);
    expect(table).toMatch(/total\s+4\n/);
  });
});
