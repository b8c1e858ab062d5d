/** Image analysis with injected services: which reference is read, merged packages, findings, errors. */
import { describe, expect, it } from 'vitest';
import { analyseImages, repositoryOf, runningReference, unpinnedImageFindings } from '../../src/cluster/images.ts';
import type { ImageInfo } from '../../src/cluster/inventory.ts';
import type { Finding, Package } from '../../src/core/types.ts';

const D1 = `sha256:${'a'.repeat(64)}`;
const images: ImageInfo[] = [
  { image: 'ghcr.io/org/api:1.2', digests: [D1], workloads: ['Deployment shop/api'], namespaces: ['shop'] },
  { image: 'localhost:5000/tools/cli', digests: [], workloads: ['Job ci/lint'], namespaces: ['ci'] },
  { image: 'quay.io/broken/image:1', digests: [], workloads: ['Pod x/y'], namespaces: ['x'] },
];
const pkg = (name: string, version: string): Package => ({ name, version, ecosystem: 'npm', purl: `pkg:npm/${name}@${version}`, locations: [], scope: 'required' });
const vuln = (id: string, severity: Finding['severity']): Finding => ({ kind: 'vuln', id, severity, title: id, target: '' });

describe('image analysis', () => {
  it('reads the running digest when known, else the tag', () => {
    expect(repositoryOf('localhost:5000/tools/cli:2@sha256:x')).toBe('localhost:5000/tools/cli');
    expect(repositoryOf('localhost:5000/tools/cli')).toBe('localhost:5000/tools/cli');
    expect(runningReference(images[0]!)).toEqual({ reference: `ghcr.io/org/api@${D1}`, byTag: false });
    expect(runningReference(images[1]!)).toEqual({ reference: 'localhost:5000/tools/cli', byTag: true });
  });

  it('catalogues, matches and verifies each image; a registry failure is an error, not a clean result', async () => {
    const read: string[] = [];
    const analysis = await analyseImages(images, {
      catalog: async (ref) => {
        read.push(ref);
        if (ref.startsWith('quay.io/broken')) throw new Error('registry answered 500');
        return { packages: ref.startsWith('ghcr') ? [pkg('lodash', '4.17.20'), pkg('left-pad', '1.3.0')] : [pkg('lodash', '4.17.20')], digest: D1, issues: [] };
      },
      match: (packages) => (packages.length === 2 ? [vuln('CVE-2021-23337', 'HIGH'), vuln('GHSA-x', 'CRITICAL')] : []),
      verify: async (ref) => (ref.startsWith('ghcr') ? { status: 'verified' as const } : ref.startsWith('quay') ? { status: 'unsigned' as const } : { status: 'invalid' as const, message: 'KEY_MISMATCH' }),
    });
    expect(read.sort()).toEqual([`ghcr.io/org/api@${D1}`, 'localhost:5000/tools/cli', 'quay.io/broken/image:1']);
    expect(analysis.results.map((r) => `${r.image} ${r.packages ?? '-'} ${r.scanError ?? ''} ${r.signature?.status}`)).toEqual([
      'ghcr.io/org/api:1.2 2  verified',
      'localhost:5000/tools/cli 1  invalid',
      'quay.io/broken/image:1 - registry answered 500 unsigned',
    ]);
    expect(analysis.results[0]!.vulnerabilities).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
    expect(analysis.packages).toEqual([
      { purl: 'pkg:npm/left-pad@1.3.0', name: 'left-pad', version: '1.3.0', ecosystem: 'npm', images: ['ghcr.io/org/api:1.2'] },
      { purl: 'pkg:npm/lodash@4.17.20', name: 'lodash', version: '4.17.20', ecosystem: 'npm', images: ['ghcr.io/org/api:1.2', 'localhost:5000/tools/cli'] },
    ]);
    expect(analysis.findings.map((f) => `${f.id} ${f.severity} ${f.subject.name}`).sort()).toEqual([
      'PAL-IMG-002 CRITICAL ghcr.io/org/api:1.2',
      'PAL-IMG-003 HIGH localhost:5000/tools/cli',
      'PAL-IMG-003 HIGH quay.io/broken/image:1',
    ]);
  });

  it('flags images whose running digest is unknown', () => {
    expect(unpinnedImageFindings(images).map((f) => f.subject.name)).toEqual(['localhost:5000/tools/cli', 'quay.io/broken/image:1']);
  });
});
