/**
 * `palisade scan` as a library: resolve each input (directory, lockfile, SBOM file, and later
 * image) to packages, match them against the advisory source, and return one result per input
 * in the shape the report renderers consume.
 */
import { open, readFile, stat } from 'node:fs/promises';
import type { InputIssue, Package } from '../core/types.ts';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { catalogPath } from '../sbom/catalog/run.ts';
import { catalogImage, isImageReference, type ImageScanOptions } from '../image/scan.ts';
import { readSbom } from '../sbom/formats/read.ts';
import type { ScanTargetResult } from '../report/scan-report.ts';
import { matchPackages, type AdvisorySource } from './match.ts';

export interface ScanInputOptions {
  source: AdvisorySource;
  skipDirs?: string[];
  /** Image targets: platform selection, registry options, logger. */
  image?: Omit<ImageScanOptions, 'skipDirs' | 'catalogers'>;
}

export interface ScanInputResult {
  result: ScanTargetResult;
  /** Data problems met while matching (bad advisory events, unscorable vectors). */
  warnings: string[];
}

/** Scans one input: a directory, a lockfile, an SBOM (CycloneDX/SPDX) file or a container image. */
export async function scanInput(input: string, options: ScanInputOptions): Promise<ScanInputResult> {
  const { target, packages, issues, extraNotScanned } = await resolvePackages(input, options);
  const matched = matchPackages(packages, options.source, target.name);
  return {
    result: {
      target,
      findings: matched.findings,
      packagesScanned: matched.scanned,
      notScanned: [...matched.notScanned, ...extraNotScanned],
      incomplete: issues,
      sbom: { target, packages, issues },
    },
    warnings: matched.warnings,
  };
}

async function resolvePackages(input: string, options: ScanInputOptions) {
  if (isImageReference(input)) {
    const report = await catalogImage(input, { ...options.image, ...(options.skipDirs && { skipDirs: options.skipDirs }) });
    return { target: report.target, packages: report.packages, issues: report.issues, extraNotScanned: [] };
  }
  let info;
  try {
    info = await stat(input);
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read ${input}: ${errorMessage(err)}`, { cause: err });
  }
  if (info.isFile() && (await looksLikeSbom(input))) {
    const sbom = readSbom(await readFile(input, 'utf8'), input);
    const extraNotScanned = [
      ...sbom.withoutPurl.map((c) => ({ purl: c.ref, reason: `SBOM component ${c.name}${c.version ? `@${c.version}` : ''} has no purl` })),
      ...sbom.unscannable.map((c) => ({ purl: c.purl, reason: c.reason })),
    ];
    return { target: sbom.target, packages: sbom.packages, issues: sbom.issues, extraNotScanned };
  }
  const report = await catalogPath(input, options.skipDirs ? { skipDirs: options.skipDirs } : {});
  return { target: report.target, packages: report.packages as Package[], issues: report.issues as InputIssue[], extraNotScanned: [] };
}

/** A JSON/XML/tag-value document naming CycloneDX or SPDX in its first 64 KiB. */
async function looksLikeSbom(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(65536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    return /"bomFormat"\s*:\s*"CycloneDX"|"spdxVersion"\s*:|^SPDXVersion:|<bom[\s>][^>]*cyclonedx/m.test(head);
  } finally {
    await handle.close();
  }
}
