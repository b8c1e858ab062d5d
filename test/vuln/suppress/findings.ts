/** Findings for the suppression tests: only the fields matching reads are meaningful. */
import type { Finding } from '../../../src/core/types.ts';

export interface VulnSpec {
  id: string;
  aliases?: string[];
  purl: string;
  paths?: string[];
}

export function vulnFinding(spec: VulnSpec): Finding {
  return {
    kind: 'vuln',
    id: spec.id,
    severity: 'HIGH',
    title: `${spec.id} in ${spec.purl}`,
    target: 'app',
    vuln: {
      aliases: spec.aliases ?? [],
      package: {
        name: 'unused',
        version: 'unused',
        ecosystem: 'npm',
        purl: spec.purl,
        scope: 'required',
        locations: (spec.paths ?? ['package-lock.json']).map((path) => ({ path })),
      },
      fixedVersions: [],
      status: 'fixed',
      cvssAll: [],
      severitySource: 'none',
      advisories: [spec.id],
    },
  };
}

export function misconfigFinding(id: string, path: string): Finding {
  return { kind: 'misconfig', id, severity: 'MEDIUM', title: id, target: 'app', location: { path, line: 1 } };
}
