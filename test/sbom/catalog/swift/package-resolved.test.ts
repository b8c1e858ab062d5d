import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { packageResolvedCataloger } from '../../../../src/sbom/catalog/swift/package-resolved.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/package-resolved');
const catalog = (file: string) => packageResolvedCataloger.catalog(fileInput(dir, file));

describe('swift/package-resolved', () => {
  it('wants Package.resolved files only', () => {
    expect(packageResolvedCataloger.wants('Package.resolved')).toBe(true);
    expect(packageResolvedCataloger.wants('App.xcworkspace/xcshareddata/swiftpm/Package.resolved')).toBe(true);
    expect(packageResolvedCataloger.wants('Package.swift')).toBe(false);
    expect(packageResolvedCataloger.wants('test.resolved')).toBe(false);
    expect(packageResolvedCataloger.wants('package.resolved')).toBe(false);
  });

  it('reads version 1 pins, naming packages by repository URL', async () => {
    const { packages, issues } = await catalog('v1.resolved');
    expect(issues).toBeUndefined();
    expect(packages).toEqual([
      {
        name: 'github.com/apple/swift-nio',
        version: '2.29.0',
        ecosystem: 'SwiftURL',
        purl: 'pkg:swift/github.com/apple/swift-nio@2.29.0',
        locations: [{ path: 'v1.resolved', line: 5 }],
        scope: 'required',
      },
      {
        // A branch pin: no version; the revision is the commit and the purl version.
        name: 'github.com/SwiftyJSON/SwiftyJSON',
        ecosystem: 'SwiftURL',
        purl: 'pkg:swift/github.com/SwiftyJSON/SwiftyJSON@b3dcd7dbd0d488e1a7077cb33b00f2083e382f07',
        locations: [{ path: 'v1.resolved', line: 14 }],
        scope: 'required',
        commit: 'b3dcd7dbd0d488e1a7077cb33b00f2083e382f07',
      },
    ]);
  });

  it('reads version 3 pins, leaving out local checkouts and reporting registry pins', async () => {
    const { packages, issues } = await catalog('v3.resolved');
    expect(packages.map((p) => [p.name, p.version, p.commit, p.locations[0]!.line])).toEqual([
      ['github.com/apple/swift-algorithms', '1.0.0', undefined, 5],
      ['github.com/apple/swift-collections', undefined, '94cf62b3ba8d4bed62680a282d4c25f9c63c2efb', 30],
    ]);
    expect(issues).toEqual([
      {
        path: 'v3.resolved',
        line: 22,
        message: 'skipped registry package mona.linkedlist: SwiftURL names packages by repository URL',
      },
    ]);
  });

  it('rejects empty, non-JSON and unknown files', async () => {
    await expect(catalog('empty.resolved')).rejects.toThrow(new ParseError('empty file'));
    await expect(catalog('invalid.resolved')).rejects.toThrow(/is not valid JSON/);
    await expect(catalog('unknown-version.resolved')).rejects.toThrow('unsupported Package.resolved version 4');
    await expect(catalog('v1-without-pins.resolved')).rejects.toThrow(/without `object.pins`/);
  });
});
