/** `palisade sbom`: catalog a directory or lockfile and print an SBOM. */
import { Command, Option } from 'commander';
import { catalogPath } from '../sbom/catalog/run.ts';
import { catalogImage, isImageReference } from '../image/scan.ts';
import { ALL_CATALOGERS } from '../sbom/catalog/index.ts';
import { renderSbom, SBOM_FORMATS, type SbomFormat } from '../sbom/formats/index.ts';
import { PalisadeError, ExitCode } from '../core/errors.ts';
import { contextFrom, type GlobalOptions } from './context.ts';
import { collectList, emit, reportIssues } from './output.ts';

interface SbomOptions {
  format: SbomFormat;
  output?: string;
  skipDirs: string[];
  strict?: boolean;
  platform?: string;
}

export function sbomCommand(globals: () => GlobalOptions): Command {
  return new Command('sbom')
    .description('Generate an SBOM (CycloneDX 1.6, SPDX 2.3, table or JSON) for a directory, a lockfile or a container image')
    .argument(
      '<target>',
      'directory or lockfile/manifest to catalog, or an image: docker-archive:PATH, oci-archive:PATH, oci:DIR[:tag], rootfs:DIR or a registry reference (alpine:3.20, host:5000/app@sha256:…)',
    )
    .addOption(new Option('-f, --format <format>', 'output format').choices(SBOM_FORMATS).default('table'))
    .option('-o, --output <file>', 'write the output to a file instead of stdout (atomically)')
    .option('--skip-dirs <dirs>', 'directory names or paths to skip (comma-separated, repeatable)', collectList, [])
    .option('--strict', 'exit with code 2 when any input could not be read (instead of warning)')
    .option('--platform <os/arch[/variant]>', 'images: the platform to take from a multi-platform image (default linux/amd64)')
    .addHelpText(
      'after',
      `\nSupported files:\n${ALL_CATALOGERS.map((c) => `  ${c.name.padEnd(40)} ${c.ecosystem}`).join('\n')}\n`,
    )
    .action(async (target: string, options: SbomOptions) => {
      const ctx = contextFrom(globals());
      const report = isImageReference(target)
        ? await catalogImage(target, { skipDirs: options.skipDirs, log: ctx.log, ...(options.platform !== undefined && { platform: options.platform }) })
        : await catalogPath(target, { skipDirs: options.skipDirs });
      reportIssues(ctx, report.issues);
      await emit(ctx, renderSbom(report, options.format), options.output);
      ctx.log.info(
        `catalogued ${report.packages.length} packages from ${report.files.length} files` +
          (report.issues.length > 0 ? `; ${report.issues.length} input problem(s): the result is incomplete` : ''),
      );
      if (options.strict && report.issues.length > 0) {
        throw new PalisadeError('STRICT_WARNINGS', `--strict: ${report.issues.length} input(s) could not be read`, {
          exitCode: ExitCode.usage,
        });
      }
    });
}
