/**
 * Palisade's own JSON SBOM view: the internal Package model as is, plus a summary. Documented in
 * docs/json-format.md; stable field names, sorted output.
 */
import type { SbomDocument } from './document.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../core/version.ts';

export function toJson(doc: SbomDocument): Record<string, unknown> {
  const byEcosystem: Record<string, number> = {};
  for (const p of doc.packages) byEcosystem[p.ecosystem] = (byEcosystem[p.ecosystem] ?? 0) + 1;
  return {
    schemaVersion: 1,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    target: doc.target,
    complete: doc.issues.length === 0,
    summary: { packages: doc.packages.length, byEcosystem },
    packages: doc.packages,
    issues: doc.issues,
  };
}
