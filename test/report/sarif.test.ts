import { describe, expect, it } from 'vitest';
import { renderSarif } from '../../src/report/sarif.ts';
import type { ScanReport } from '../../src/report/scan-report.ts';
import { sarifValidator } from '../helpers/schemas.ts';
import { sampleReport } from './scan-fixture.ts';

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number } } }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; status: string; justification: string }[];
}
interface SarifRule {
  id: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  helpUri?: string;
  help: { text: string; markdown: string };
  properties: { 'security-severity'?: string; tags: string[] };
}
interface Sarif {
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
    invocations: { executionSuccessful: boolean; toolExecutionNotifications: { level: string; message: { text: string } }[] }[];
    results: SarifResult[];
  }[];
}

const render = (report: ScanReport = sampleReport()) => JSON.parse(renderSarif(report, { informationUri: 'https://example.org/palisade' })) as Sarif;

describe('SARIF writer', () => {
  const sarif = render();
  const run = sarif.runs[0]!;
  const rules = run.tool.driver.rules;
  const results = run.results;
  const resultsFor = (id: string) => results.filter((r) => r.ruleId === id);

  it('validates against the SARIF 2.1.0 schema', () => {
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: 'palisade', version: '0.1.0', informationUri: 'https://example.org/palisade' });
  });

  it('has one rule per vulnerability id, with what GitHub ranks and shows', () => {
    expect(rules.map((r) => r.id)).toEqual([
      'CVE-2018-18074',
      'CVE-2021-23337',
      'CVE-2021-44906',
      'CVE-2023-32681',
      'GHSA-29mw-wpgm-hmr9',
      'GHSA-vh95-rmgr-6w4m',
    ]);
    const lodash = rules.find((r) => r.id === 'CVE-2021-23337')!;
    expect(lodash.shortDescription.text).toBe('Command Injection in lodash');
    expect(lodash.fullDescription.text).toBe('Command Injection in lodash. Longer advisory text.');
    expect(lodash.helpUri).toBe('https://nvd.nist.gov/vuln/detail/CVE-2021-23337');
    expect(lodash.help.text).toContain('Aliases: GHSA-35jh-r3h4-6jhm');
    expect(lodash.help.markdown).toContain('- <https://github.com/lodash/lodash/commit/3469357>');
    expect(lodash.properties['security-severity']).toBe('7.2');
    expect(lodash.properties.tags).toEqual(['security', 'vulnerability', 'npm']);
    // Without a CVSS score: a value inside GitHub's band for the severity.
    expect(rules.find((r) => r.id === 'CVE-2018-18074')!.properties['security-severity']).toBe('5.5');
    expect(rules.find((r) => r.id === 'CVE-2018-18074')!.properties.tags).toContain('PyPI');
    // Rule text is one line even when the advisory title is not.
    expect(rules.find((r) => r.id === 'GHSA-29mw-wpgm-hmr9')!.shortDescription.text).not.toContain('\n');
  });

  it('emits one result per vulnerable package and file, pointing at its line', () => {
    const lodash = resultsFor('CVE-2021-23337');
    expect(lodash.map((r) => r.locations[0]!.physicalLocation)).toEqual([
      { artifactLocation: { uri: 'api/package-lock.json', uriBaseId: '%SRCROOT%' }, region: { startLine: 40 } },
      { artifactLocation: { uri: 'web/package-lock.json', uriBaseId: '%SRCROOT%' }, region: { startLine: 12 } },
    ]);
    expect(lodash[0]!.ruleIndex).toBe(rules.findIndex((r) => r.id === 'CVE-2021-23337'));
    expect(lodash[0]!.message.text).toBe('CVE-2021-23337 [HIGH] in lodash 4.17.20 (npm): Command Injection in lodash. Fixed in 4.17.21.');
    // No line known: line 1, which GitHub requires.
    expect(resultsFor('CVE-2018-18074')[0]!.locations[0]!.physicalLocation.region.startLine).toBe(1);
    expect(resultsFor('GHSA-29mw-wpgm-hmr9')[0]!.message.text).toContain('No fixed version yet.');
  });

  it('maps severities to levels', () => {
    const level = (id: string) => resultsFor(id)[0]!.level;
    expect(level('CVE-2021-44906')).toBe('error');
    expect(level('CVE-2021-23337')).toBe('error');
    expect(level('CVE-2018-18074')).toBe('warning');
    expect(level('GHSA-29mw-wpgm-hmr9')).toBe('note');
  });

  it('fingerprints results stably, independent of line numbers, distinct per file', () => {
    const [api, web] = resultsFor('CVE-2021-23337');
    expect(api!.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{32}$/);
    expect(api!.partialFingerprints.primaryLocationLineHash).not.toBe(web!.partialFingerprints.primaryLocationLineHash);
    const moved = sampleReport();
    for (const f of moved.targets[0]!.findings) f.vuln!.package.locations = f.vuln!.package.locations.map((l) => ({ ...l, line: 999 }));
    const again = render(moved).runs[0]!.results;
    expect(again.map((r) => r.partialFingerprints)).toEqual(results.map((r) => r.partialFingerprints));
  });

  it('keeps suppressed findings, marked as externally suppressed', () => {
    const vex = resultsFor('CVE-2023-32681')[0]!;
    expect(vex.suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'VEX vex.openvex.json: not_affected (vulnerable_code_not_in_execute_path)' },
    ]);
    expect(resultsFor('GHSA-vh95-rmgr-6w4m')[0]!.suppressions![0]!.justification).toBe('ignore rule .palisadeignore: ignored (dev tooling only)');
    expect(resultsFor('CVE-2021-23337')[0]!.suppressions).toBeUndefined();
  });

  it('reports unreadable inputs as tool notifications', () => {
    expect(run.invocations[0]!.executionSuccessful).toBe(true);
    expect(run.invocations[0]!.toolExecutionNotifications).toEqual([
      expect.objectContaining({ level: 'warning', message: { text: 'broken/yarn.lock:7: javascript/yarn-lock: unexpected token (vulnerabilities in this input may be missing)' } }),
    ]);
  });

  it('is deterministic and valid when there is nothing to report', () => {
    expect(renderSarif(sampleReport())).toBe(renderSarif(sampleReport()));
    const empty = render({ tool: { name: 'palisade', version: '0.1.0' }, createdAt: '2026-01-01T00:00:00Z', targets: [] });
    expect(sarifValidator()(empty)).toBe(true);
    expect(empty.runs[0]!.results).toEqual([]);
  });
});
