import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../../src/core/errors.ts';
import { podfileLockCataloger } from '../../../../src/sbom/catalog/cocoapods/podfile-lock.ts';
import { fileInput } from '../../../../src/sbom/catalog/run.ts';
import { repoRoot } from '../../../helpers/corpus.ts';

const dir = join(repoRoot, 'test/fixtures/catalog/podfile-lock');
const catalog = (file: string) => podfileLockCataloger.catalog(fileInput(dir, file));

describe('cocoapods/podfile-lock', () => {
  it('wants Podfile.lock files only', () => {
    expect(podfileLockCataloger.wants('Podfile.lock')).toBe(true);
    expect(podfileLockCataloger.wants('ios/Podfile.lock')).toBe(true);
    expect(podfileLockCataloger.wants('Podfile')).toBe(false);
    expect(podfileLockCataloger.wants('test.lock')).toBe(false);
    expect(podfileLockCataloger.wants('Pods/Manifest.lock')).toBe(false);
  });

  it('folds subspecs into their pod, marks direct pods, links edges and leaves out path pods', async () => {
    const { packages, issues } = await catalog('subspecs-and-sources.lock');
    expect(issues).toBeUndefined();
    const by = (name: string) => packages.find((p) => p.name === name)!;
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'Alamofire@5.4.3',
      'Firebase@8.0.0',
      'FirebaseAnalytics@8.0.0',
      'FirebaseCore@8.0.0',
      'SwiftyJSON@5.0.1',
    ]);
    expect(by('Firebase')).toEqual({
      name: 'Firebase',
      version: '8.0.0',
      ecosystem: 'CocoaPods',
      purl: 'pkg:cocoapods/Firebase@8.0.0',
      locations: [{ path: 'subspecs-and-sources.lock', line: 3 }],
      scope: 'required',
      direct: true,
      dependsOn: ['pkg:cocoapods/FirebaseAnalytics@8.0.0', 'pkg:cocoapods/FirebaseCore@8.0.0'],
    });
    expect(by('Alamofire')).toMatchObject({ direct: true, locations: [{ line: 2 }] });
    expect(by('FirebaseCore').direct).toBeUndefined();
    expect(by('SwiftyJSON')).toMatchObject({
      direct: true,
      commit: 'b3dcd7dbd0d488e1a7077cb33b00f2083e382f07',
      purl: 'pkg:cocoapods/SwiftyJSON@5.0.1?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2FSwiftyJSON%2FSwiftyJSON.git%40b3dcd7dbd0d488e1a7077cb33b00f2083e382f07',
    });
  });

  it('skips entries without a version and conflicting subspec versions with issues', async () => {
    const { packages, issues } = await catalog('odd-entries.lock');
    expect(packages.map((p) => p.purl)).toEqual(['pkg:cocoapods/PINCache@3.0.3']);
    expect(issues).toEqual([
      { path: 'odd-entries.lock', line: 3, message: 'skipped pod `NoVersion`: expected `Name (version)`' },
      { path: 'odd-entries.lock', line: 4, message: 'skipped PINCache/Arc 3.0.4: PINCache is already locked at 3.0.3' },
    ]);
  });

  it('rejects empty, malformed and non-Podfile.lock files', async () => {
    await expect(catalog('empty.lock')).rejects.toThrow(new ParseError('empty file'));
    await expect(catalog('invalid.lock')).rejects.toThrow(/not a Podfile.lock/);
    await expect(catalog('no-pods.lock')).rejects.toThrow(/no `PODS` list/);
    await expect(catalog('invalid-yaml.lock')).rejects.toThrow(/^invalid YAML/);
  });
});
