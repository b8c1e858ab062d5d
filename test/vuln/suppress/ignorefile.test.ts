import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { applyIgnores, loadIgnoreFile, parseIgnoreFile } from '../../../src/vuln/suppress/ignorefile.ts';
import { misconfigFinding, vulnFinding } from './findings.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/suppress');
const fixture = (name: string) => join(FIXTURES, name);
const day = (date: string) => new Date(`${date}T12:00:00Z`);

/** The error a load must fail with: code, exit code 2 and the message. */
async function loadError(path: string): Promise<PalisadeError> {
  const err = await loadIgnoreFile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PalisadeError);
  expect((err as PalisadeError).exitCode).toBe(2);
  return err as PalisadeError;
}

function parseError(text: string, path = '.palisadeignore'): PalisadeError {
  try {
    parseIgnoreFile(text, path);
  } catch (err) {
    expect(err).toBeInstanceOf(PalisadeError);
    return err as PalisadeError;
  }
  throw new Error('expected a parse error');
}

describe('line syntax (.palisadeignore)', () => {
  it('reads ids, options and the reason after #, with the line of each entry', async () => {
    const path = fixture('lines.palisadeignore');
    const rules = await loadIgnoreFile(path);
    expect(rules).toEqual([
      { id: 'CVE-2022-25883', purls: [], paths: [], reason: 'semver ReDoS: we never parse user-supplied ranges', path, line: 5 },
      {
        id: 'CVE-2021-23337',
        purls: ['pkg:npm/lodash'],
        paths: ['packages/web/**'],
        reason: 'template() is not used with user input',
        path,
        line: 8,
      },
      { id: 'GHSA-p6mc-m468-83gw', purls: ['pkg:npm/lodash@4.17.15'], paths: [], path, line: 11 },
      { id: 'CVE-2023-26136', purls: [], paths: [], expires: '2025-07-01', reason: 'tough-cookie: waiting for request to drop it', path, line: 14 },
      { id: 'CVE-1999-0001', purls: [], paths: [], reason: 'stale entry', path, line: 17 },
    ]);
  });

  it('matches by alias, purl with and without version, and path glob', async () => {
    const path = fixture('lines.palisadeignore');
    const rules = await loadIgnoreFile(path);
    const byAlias = vulnFinding({ id: 'GHSA-c2qf-rxjj-qqgw', aliases: ['CVE-2022-25883'], purl: 'pkg:npm/semver@7.5.1' });
    const lodashWeb = vulnFinding({ id: 'CVE-2021-23337', purl: 'pkg:npm/lodash@4.17.20', paths: ['packages/web/package-lock.json'] });
    const lodashApi = vulnFinding({ id: 'CVE-2021-23337', purl: 'pkg:npm/lodash@4.17.20', paths: ['packages/api/package-lock.json'] });
    const underscore = vulnFinding({ id: 'CVE-2021-23337', purl: 'pkg:npm/underscore@1.12.0', paths: ['packages/web/package-lock.json'] });
    const exactVersion = vulnFinding({ id: 'GHSA-p6mc-m468-83gw', purl: 'pkg:npm/lodash@4.17.15' });
    const otherVersion = vulnFinding({ id: 'GHSA-p6mc-m468-83gw', purl: 'pkg:npm/lodash@4.17.19' });
    const findings = [byAlias, lodashWeb, lodashApi, underscore, exactVersion, otherVersion];

    applyIgnores(findings, rules, { today: day('2025-01-15') });

    expect(byAlias.suppression).toEqual({
      kind: 'ignore',
      status: 'ignored',
      justification: 'semver ReDoS: we never parse user-supplied ranges',
      source: `${path}:5`,
    });
    expect(lodashWeb.suppression).toMatchObject({ source: `${path}:8`, justification: 'template() is not used with user input' });
    expect(lodashApi.suppression).toBeUndefined();
    expect(underscore.suppression).toBeUndefined();
    expect(exactVersion.suppression).toEqual({ kind: 'ignore', status: 'ignored', source: `${path}:11` });
    expect(otherVersion.suppression).toBeUndefined();
  });

  it('stops applying an entry on its expiry date and warns about it, and about unused entries', async () => {
    const path = fixture('lines.palisadeignore');
    const rules = await loadIgnoreFile(path);
    const before = vulnFinding({ id: 'CVE-2023-26136', purl: 'pkg:npm/tough-cookie@4.1.2' });
    const beforeWarnings = applyIgnores([before], rules, { today: day('2025-06-30') });
    expect(before.suppression).toMatchObject({ source: `${path}:14` });
    expect(beforeWarnings.map((w) => w.line)).toEqual([5, 8, 11, 17]);

    const after = vulnFinding({ id: 'CVE-2023-26136', purl: 'pkg:npm/tough-cookie@4.1.2' });
    const warnings = applyIgnores([after], rules, { today: day('2025-07-01') });
    expect(after.suppression).toBeUndefined();
    expect(warnings).toContainEqual({ path, line: 14, message: 'ignore entry CVE-2023-26136 expired on 2025-07-01 and no longer applies' });
    expect(warnings).toContainEqual({ path, line: 17, message: 'ignore entry CVE-1999-0001 matched no finding' });
  });

  it('compares ids without regard to case and keeps a suppression another source set', () => {
    const rules = parseIgnoreFile('cve-2023-26136 # accepted\n', '.palisadeignore');
    const finding = vulnFinding({ id: 'CVE-2023-26136', purl: 'pkg:npm/tough-cookie@4.1.2' });
    finding.suppression = { kind: 'vex', status: 'not_affected', source: 'vex.json#/statements/0' };
    const warnings = applyIgnores([finding], rules, { today: day('2025-01-01') });
    expect(finding.suppression).toMatchObject({ kind: 'vex' });
    expect(warnings).toEqual([]);
  });

  it('keeps a # inside a purl (subpath) and treats only " #" as the start of the reason', () => {
    const [rule] = parseIgnoreFile('GO-2024-2687 purl:pkg:golang/golang.org/x/net@v0.17.0#http2 # http2 server unused\n', '.palisadeignore');
    expect(rule).toMatchObject({ purls: ['pkg:golang/golang.org/x/net@v0.17.0#http2'], reason: 'http2 server unused' });
    const inHttp2 = vulnFinding({ id: 'GO-2024-2687', purl: 'pkg:golang/golang.org/x/net@v0.17.0#http2' });
    const whole = vulnFinding({ id: 'GO-2024-2687', purl: 'pkg:golang/golang.org/x/net@v0.17.0' });
    applyIgnores([inHttp2, whole], [rule!], { today: day('2025-01-01') });
    expect(inHttp2.suppression).toBeDefined();
    expect(whole.suppression).toBeUndefined();
  });

  it('rejects malformed entries naming file and line', async () => {
    const badDate = await loadError(fixture('bad-date.palisadeignore'));
    expect(badDate.code).toBe('PARSE_ERROR');
    expect(badDate.message).toBe(`${fixture('bad-date.palisadeignore')}:3: invalid expiry date "2025-02-30" (expected YYYY-MM-DD)`);

    expect(parseError('CVE-2023-1\nCVE-2023-2 exp:2025/01/01\n').message).toMatch(/^\.palisadeignore:2: invalid expiry date/);
    expect(parseError('CVE-2023-1 purl:npm/lodash\n').message).toBe('.palisadeignore:1: invalid purl "npm/lodash"');
    expect(parseError('\n\nCVE-2023-1 accepted risk\n').message).toMatch(/^\.palisadeignore:3: unexpected "accepted" after CVE-2023-1/);
    expect(parseError('CVE-2023-1 until:2025-01-01\n').message).toMatch(/^\.palisadeignore:1: unexpected "until:2025-01-01"/);
    expect(parseError('CVE-2023-1 exp:2025-01-01 exp:2025-02-01\n').message).toMatch(/^\.palisadeignore:1: CVE-2023-1: exp: given twice/);
    expect(parseError('CVE-2023-1 path:./\n').message).toBe('.palisadeignore:1: empty path pattern');
  });
});

describe('YAML syntax (.palisadeignore.yaml)', () => {
  it('reads sections, lists and reasons with the line of each entry', async () => {
    const path = fixture('entries.palisadeignore.yaml');
    expect(await loadIgnoreFile(path)).toEqual([
      { id: 'CVE-2022-25883', kinds: ['vuln'], purls: [], paths: [], reason: 'semver ReDoS; ranges come from our own package.json only', path, line: 3 },
      {
        id: 'CVE-2021-23337',
        kinds: ['vuln'],
        purls: ['pkg:npm/lodash'],
        paths: ['packages/web'],
        reason: 'template() is never called with user input',
        path,
        line: 6,
      },
      { id: 'CVE-2023-26136', kinds: ['vuln'], purls: [], paths: [], expires: '2025-07-01', reason: 'waiting for the request removal (#4711)', path, line: 13 },
      { id: 'AVD-DS-0002', kinds: ['misconfig'], purls: [], paths: ['docker/Dockerfile'], reason: 'the build image needs root', path, line: 18 },
    ]);
  });

  it('applies a directory path to everything below it and each section only to its finding kind', async () => {
    const rules = await loadIgnoreFile(fixture('entries.palisadeignore.yaml'));
    const lodash = vulnFinding({ id: 'CVE-2021-23337', purl: 'pkg:npm/lodash@4.17.20', paths: ['packages/web/package-lock.json'] });
    const lodashElsewhere = vulnFinding({ id: 'CVE-2021-23337', purl: 'pkg:npm/lodash@4.17.20', paths: ['packages/webapp/package-lock.json'] });
    const dockerfile = misconfigFinding('AVD-DS-0002', 'docker/Dockerfile');
    const otherDockerfile = misconfigFinding('AVD-DS-0002', 'Dockerfile');
    const misconfigWithVulnId = misconfigFinding('CVE-2022-25883', 'docker/Dockerfile');
    applyIgnores([lodash, lodashElsewhere, dockerfile, otherDockerfile, misconfigWithVulnId], rules, { today: day('2025-01-01') });
    expect(lodash.suppression?.source).toBe(`${fixture('entries.palisadeignore.yaml')}:6`);
    expect(lodashElsewhere.suppression).toBeUndefined();
    expect(dockerfile.suppression).toMatchObject({ kind: 'ignore', justification: 'the build image needs root' });
    expect(otherDockerfile.suppression).toBeUndefined();
    expect(misconfigWithVulnId.suppression).toBeUndefined();
  });

  it('detects YAML in a file without a .yaml extension', () => {
    const rules = parseIgnoreFile('# team ignores\nvulnerabilities:\n  - id: CVE-2023-1\n    reason: accepted\n', 'repo/.palisadeignore');
    expect(rules).toEqual([{ id: 'CVE-2023-1', kinds: ['vuln'], purls: [], paths: [], reason: 'accepted', path: 'repo/.palisadeignore', line: 3 }]);
  });

  it('requires a reason and rejects unknown keys, naming file and line', async () => {
    const missing = await loadError(fixture('missing-reason.palisadeignore.yaml'));
    expect(missing.message).toBe(
      `${fixture('missing-reason.palisadeignore.yaml')}:5: entry CVE-2021-23337 has no "reason": say why it is safe to ignore`,
    );
    const unknown = await loadError(fixture('unknown-key.palisadeignore.yaml'));
    expect(unknown.message).toMatch(new RegExp(`^${fixture('unknown-key.palisadeignore.yaml')}:4: unknown key "purl"`));
  });

  it('rejects other malformed documents with the line', () => {
    const f = 'x.palisadeignore.yaml';
    expect(parseError('vulnerabilities:\n  - id: CVE-1\n    reason: [unclosed\n', f).message).toMatch(/^x\.palisadeignore\.yaml:\d+: invalid YAML/);
    expect(parseError('vulns:\n  - id: CVE-1\n', f).message).toMatch(/^x\.palisadeignore\.yaml:1: unknown section "vulns"/);
    expect(parseError('vulnerabilities:\n  - id: 2023\n    reason: r\n', f).message).toBe('x.palisadeignore.yaml:2: "id" must be a non-empty string');
    expect(parseError('vulnerabilities:\n  - reason: r\n', f).message).toBe('x.palisadeignore.yaml:2: entry has no "id"');
    expect(parseError('vulnerabilities:\n  - CVE-1\n', f).message).toMatch(/^x\.palisadeignore\.yaml:2: each "vulnerabilities" entry must be a mapping/);
    expect(parseError('vulnerabilities: CVE-1\n', f).message).toMatch(/^x\.palisadeignore\.yaml:1: "vulnerabilities" must be a list/);
    expect(parseError('vulnerabilities:\n  - id: CVE-1\n    reason: r\n    expires: 20250101\n', f).message).toBe(
      'x.palisadeignore.yaml:4: "expires" must be a non-empty string',
    );
    expect(parseError('vulnerabilities:\n  - id: CVE-1\n    reason: r\n    purls:\n      - pkg:npm/a\n      - lodash\n', f).message).toBe(
      'x.palisadeignore.yaml:6: invalid purl "lodash"',
    );
    expect(parseError('vulnerabilities:\n  - id: CVE-1\n    reason: r\n    statement: s\n', f).message).toMatch(/give either "reason" or "statement"/);
  });

  it('accepts an empty file', () => {
    expect(parseIgnoreFile('', 'x.palisadeignore.yaml')).toEqual([]);
    expect(parseIgnoreFile('# nothing yet\n', '.palisadeignore')).toEqual([]);
  });
});

describe('Trivy ignore files', () => {
  it('reads a plain .trivyignore with exp: dates', async () => {
    const path = fixture('trivy/.trivyignore');
    const rules = await loadIgnoreFile(path);
    expect(rules.map((r) => [r.id, r.line, r.expires])).toEqual([
      ['CVE-2018-14618', 2, undefined],
      ['CVE-2019-14697', 5, '2023-01-01'],
      ['CVE-2019-1543', 8, undefined],
    ]);
    const finding = vulnFinding({ id: 'CVE-2019-14697', purl: 'pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64' });
    applyIgnores([finding], rules, { today: day('2022-12-31') });
    expect(finding.suppression).toEqual({ kind: 'ignore', status: 'ignored', source: `${path}:5` });
  });

  it('reads .trivyignore.yaml without reasons, with statement and expired_at', async () => {
    const path = fixture('trivy/.trivyignore.yaml');
    const rules = await loadIgnoreFile(path);
    expect(rules.map((r) => [r.id, r.kinds, r.line])).toEqual([
      ['CVE-2022-40897', ['vuln'], 2],
      ['CVE-2023-2650', ['vuln'], 6],
      ['CVE-2023-3446', ['vuln'], 7],
      ['AVD-DS-0001', ['misconfig'], 12],
      ['AVD-DS-0002', ['misconfig'], 13],
      ['aws-access-key-id', ['secret'], 18],
      ['GPL-3.0', [], 23],
    ]);
    expect(rules[0]).toMatchObject({ reason: 'Accept the risk', paths: ['usr/local/lib/python3.9/site-packages/setuptools-58.1.0.dist-info/METADATA'] });
    expect(rules[2]).toMatchObject({ purls: ['pkg:npm/%40babel/traverse@7.23.0'], expires: '2023-09-01' });

    const traverse = vulnFinding({ id: 'CVE-2023-3446', purl: 'pkg:npm/@babel/traverse@7.23.0' });
    const warnings = applyIgnores([traverse], rules, { today: day('2023-08-31') });
    expect(traverse.suppression).toMatchObject({ source: `${path}:7` });
    // Licenses load but Palisade has no license findings: reported as unused, never an error.
    expect(warnings.find((w) => w.line === 23)?.message).toBe('ignore entry GPL-3.0 matched no finding');
  });
});

describe('loading', () => {
  it('reports a missing file as INPUT_NOT_FOUND', async () => {
    const err = await loadError(fixture('no-such.palisadeignore'));
    expect(err.code).toBe('INPUT_NOT_FOUND');
  });
});
