/** A small scan report built by hand (no DB): what the report renderer tests run on. */
import type { Finding, Location, Package, Severity, VulnDetails } from '../../src/core/types.ts';
import { makePurl } from '../../src/core/purl.ts';
import type { ScanReport } from '../../src/report/scan-report.ts';

export const CREATED_AT = '2026-01-15T10:00:00.000Z';

function pkg(name: string, version: string, ecosystem: Package['ecosystem'], locations: Location[], scope: Package['scope'] = 'required'): Package {
  return { name, version, ecosystem, purl: makePurl(ecosystem, name, version), locations, scope };
}

export const lodash = pkg('lodash', '4.17.20', 'npm', [
  { path: 'web/package-lock.json', line: 12 },
  { path: 'api/package-lock.json', line: 40 },
]);
export const minimist = pkg('minimist', '1.2.0', 'npm', [{ path: 'web/package-lock.json', line: 30 }], 'dev');
export const requests = pkg('requests', '2.19.0', 'PyPI', [{ path: 'requirements.txt' }]);
export const leftPad = pkg('left-pad', '1.3.0', 'npm', [{ path: 'docs/package-lock.json', line: 5 }]);

interface VulnSpec {
  id: string;
  pkg: Package;
  severity: Severity;
  title: string;
  cvss?: { version: string; vector: string; score: number };
  fixed?: string[];
  aliases?: string[];
  references?: string[];
  suppression?: Finding['suppression'];
  severitySource?: string;
}

export function vuln(s: VulnSpec): Finding {
  const fixed = s.fixed ?? [];
  const details: VulnDetails = {
    aliases: s.aliases ?? [],
    package: { name: s.pkg.name, version: s.pkg.version!, ecosystem: s.pkg.ecosystem, purl: s.pkg.purl, scope: s.pkg.scope, locations: s.pkg.locations },
    fixedVersions: fixed,
    status: fixed.length > 0 ? 'fixed' : 'unfixed',
    cvssAll: s.cvss ? [s.cvss] : [],
    severitySource: s.severitySource ?? (s.cvss ? 'cvss' : 'none'),
    advisories: [s.aliases?.find((a) => a.startsWith('GHSA-')) ?? s.id],
    published: '2021-02-15T11:15:12Z',
    modified: '2024-03-01T00:00:00Z',
    description: `${s.title}. Longer advisory text.`,
  };
  if (s.cvss) details.cvss = s.cvss;
  const f: Finding = {
    kind: 'vuln',
    id: s.id,
    severity: s.severity,
    title: s.title,
    target: 'examples/app',
    references: s.references ?? [`https://nvd.nist.gov/vuln/detail/${s.id}`],
    vuln: details,
    remediation: fixed[0] ? `upgrade ${s.pkg.name} to ${fixed[0]}` : 'no fixed version published yet',
  };
  if (s.pkg.locations[0]) f.location = s.pkg.locations[0];
  if (s.suppression) f.suppression = s.suppression;
  return f;
}

export const LODASH_CVE = vuln({
  id: 'CVE-2021-23337',
  pkg: lodash,
  severity: 'HIGH',
  title: 'Command Injection in lodash',
  cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', score: 7.2 },
  fixed: ['4.17.21'],
  aliases: ['GHSA-35jh-r3h4-6jhm'],
  references: ['https://nvd.nist.gov/vuln/detail/CVE-2021-23337', 'https://github.com/lodash/lodash/commit/3469357'],
});
export const LODASH_LOW = vuln({
  id: 'GHSA-29mw-wpgm-hmr9',
  pkg: lodash,
  severity: 'LOW',
  // Advisory text is untrusted: a terminal escape and a newline must not reach the screen as is.
  title: 'Regular Expression Denial of Service (ReDoS) in lodash \x1b[2J\nwith a title far longer than any terminal column should be',
});
export const MINIMIST_CVE = vuln({
  id: 'CVE-2021-44906',
  pkg: minimist,
  severity: 'CRITICAL',
  title: 'Prototype Pollution in minimist',
  cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
  fixed: ['1.2.6', '0.2.4'],
  aliases: ['GHSA-xvch-5gv4-984h'],
});
export const REQUESTS_GHSA = vuln({
  id: 'CVE-2018-18074',
  pkg: requests,
  severity: 'MEDIUM',
  title: 'Insufficiently Protected Credentials in Requests',
  fixed: ['2.20.0'],
  severitySource: 'ghsa',
});
export const REQUESTS_VEX = vuln({
  id: 'CVE-2023-32681',
  pkg: requests,
  severity: 'MEDIUM',
  title: 'Unintended leak of Proxy-Authorization header in requests',
  cvss: { version: '3.1', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N', score: 6.1 },
  fixed: ['2.31.0'],
  suppression: { kind: 'vex', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', source: 'vex.openvex.json' },
});
export const MINIMIST_IGNORED = vuln({
  id: 'GHSA-vh95-rmgr-6w4m',
  pkg: minimist,
  severity: 'LOW',
  title: 'Prototype Pollution in minimist (old)',
  fixed: ['1.2.3'],
  suppression: { kind: 'ignore', status: 'ignored', justification: 'dev tooling only', source: '.palisadeignore' },
});

export function sampleReport(): ScanReport {
  const packages = [lodash, minimist, requests, leftPad];
  const issue = { path: 'broken/yarn.lock', line: 7, message: 'javascript/yarn-lock: unexpected token' };
  return {
    tool: { name: 'palisade', version: '0.1.0' },
    createdAt: CREATED_AT,
    db: { schemaVersion: 1, updatedAt: '2026-01-12T00:00:00Z', ageDays: 3 },
    targets: [
      {
        target: { kind: 'dir', name: 'examples/app' },
        findings: [LODASH_LOW, REQUESTS_VEX, LODASH_CVE, MINIMIST_IGNORED, REQUESTS_GHSA, MINIMIST_CVE],
        packagesScanned: 4,
        notScanned: [
          { purl: 'pkg:pypi/black', reason: 'no pinned version' },
          { purl: 'pkg:cran/ggplot2@3.4.0', reason: 'no version ordering for ecosystem CRAN' },
          { purl: 'pkg:pypi/flask', reason: 'no pinned version' },
        ],
        incomplete: [{ ...issue }],
        sbom: { target: { kind: 'dir', name: 'examples/app' }, packages, issues: [{ ...issue }] },
      },
    ],
  };
}
