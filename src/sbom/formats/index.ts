/** SBOM output formats by name, as the CLI's `--format` accepts them. */
import type { SbomDocument } from './document.ts';
import { toCycloneDx } from './cyclonedx.ts';
import { toSpdx } from './spdx.ts';
import { toTable } from './table.ts';
import { toJson } from './json.ts';

export const SBOM_FORMATS = ['table', 'json', 'cyclonedx-json', 'spdx-json'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

export function renderSbom(doc: SbomDocument, format: SbomFormat): string {
  switch (format) {
    case 'table':
      return toTable(doc);
    case 'json':
      return JSON.stringify(toJson(doc), null, 2) + '\n';
    case 'cyclonedx-json':
      return JSON.stringify(toCycloneDx(doc), null, 2) + '\n';
    case 'spdx-json':
      return JSON.stringify(toSpdx(doc), null, 2) + '\n';
  }
}
