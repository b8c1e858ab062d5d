import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { applyVex, loadVex, parseVex } from '../../../src/vuln/suppress/vex.ts';
import { vulnFinding } from './findings.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/suppress');
const fixture = (name: string) => join(FIXTURES, name);

async function loadError(name: string): Promise<PalisadeError> {
  const err = await loadVex(fixture(name)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PalisadeError);
  expect((err as PalisadeError).exitCode).toBe(2);
  return err as PalisadeError;
}

describe('OpenVEX', () => {
  it('reads statements, inheriting the document timestamp, and warns about products that are not purls', async () => {
    const doc = await loadVex(fixture('openvex.json'));
    expect(doc.format).toBe('openvex');
    expect(doc.statements).toHaveLength(8);
    expect(doc.statements[0]).toEqual({
      vulnerability: 'CVE-2021-23337',
      aliases: ['GHSA-35jh-r3h4-6jhm'],
      products: ['pkg:npm/lodash'],
      status: 'not_affected',
      suppresses: true,
      justification: 'vulnerable_code_not_in_execute_path',
      impact: 'webapp never calls _.template with user input',
      timestamp: Date.parse('2024-03-01T10:00:00Z'),
      source: `${fixture('openvex.json')}#/statements/0`,
    });
    expect(doc.statements[5]?.products).toEqual(['pkg:npm/ws@8.11.0']);
    expect(doc.warnings).toEqual([
      {
        path: `${fixture('openvex.json')}#/statements/7/products/0`,
        message: 'product "https://example.com/products/webapp" is not a purl; it cannot match a package',
      },
    ]);
  });

  it('matches by alias and versionless purl, and picks the newest statement (order breaks ties)', async () => {
    const doc = await loadVex(fixture('openvex.json'));
    const lodash = vulnFinding({ id: 'GHSA-35jh-r3h4-6jhm', aliases: ['CVE-2021-23337'], purl: 'pkg:npm/lodash@4.17.20' });
    const semver = vulnFinding({ id: 'CVE-2022-25883', purl: 'pkg:npm/semver@7.5.1' });
    const semverOther = vulnFinding({ id: 'CVE-2022-25883', purl: 'pkg:npm/semver@7.5.2' });
    const toughCookie = vulnFinding({ id: 'CVE-2023-26136', purl: 'pkg:npm/tough-cookie@4.1.2' });
    const ws = vulnFinding({ id: 'GHSA-3h5v-q93c-6h6q', aliases: ['CVE-2024-37890'], purl: 'pkg:npm/ws@8.11.0' });

    const decisions = applyVex([lodash, semver, semverOther, toughCookie, ws], [doc]);

    expect(lodash.suppression).toEqual({
      kind: 'vex',
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      source: `${fixture('openvex.json')}#/statements/0`,
    });
    // Statement 1 (2024-02-20) is newer than statement 2 (2024-01-10) although written first.
    expect(semver.suppression).toMatchObject({ status: 'not_affected', source: `${fixture('openvex.json')}#/statements/1` });
    expect(semverOther.suppression).toBeUndefined();
    // Same timestamp: the later statement (affected) wins and leaves the finding visible.
    expect(toughCookie.suppression).toBeUndefined();
    expect(ws.suppression).toMatchObject({ status: 'fixed', source: `${fixture('openvex.json')}#/statements/5` });

    expect(decisions.map((d) => [d.finding.vuln?.package.purl, d.statement.status, d.suppressed])).toEqual([
      ['pkg:npm/lodash@4.17.20', 'not_affected', true],
      ['pkg:npm/semver@7.5.1', 'not_affected', true],
      ['pkg:npm/tough-cookie@4.1.2', 'affected', false],
      ['pkg:npm/ws@8.11.0', 'fixed', true],
    ]);
    expect(decisions[2]?.statement.action).toBe('Upgrade tough-cookie to 4.1.3 or later');
  });

  it('requires the qualifiers a VEX purl gives and ignores the ones it leaves out', async () => {
    const doc = await loadVex(fixture('openvex.json'));
    const amd64 = vulnFinding({ id: 'CVE-2023-5363', purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12' });
    const arm64 = vulnFinding({ id: 'CVE-2023-5363', purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=arm64&distro=debian-12' });
    const noArch = vulnFinding({ id: 'CVE-2023-5363', purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1' });
    applyVex([amd64, arm64, noArch], [doc]);
    expect(amd64.suppression).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_present' });
    expect(arm64.suppression).toBeUndefined();
    expect(noArch.suppression).toBeUndefined();
  });

  it('lets a newer document override an older one, whatever order they are given in', async () => {
    const base = await loadVex(fixture('openvex.json'));
    const update = await loadVex(fixture('openvex-update.json'));
    for (const docs of [
      [base, update],
      [update, base],
    ]) {
      const old = vulnFinding({ id: 'CVE-2021-23337', purl: 'pkg:npm/lodash@4.17.20' });
      const current = vulnFinding({ id: 'CVE-2021-23337', purl: 'pkg:npm/lodash@4.17.21' });
      const decisions = applyVex([old, current], docs);
      expect(old.suppression).toBeUndefined();
      expect(decisions[0]?.statement).toMatchObject({ status: 'affected', source: `${fixture('openvex-update.json')}#/statements/0` });
      expect(current.suppression).toMatchObject({ status: 'not_affected' });
    }
  });

  it('reads the pre-0.2 form with string vulnerability, products and subcomponents', async () => {
    const doc = await loadVex(fixture('openvex-v0.0.1.json'));
    expect(doc.statements[0]).toMatchObject({ vulnerability: 'CVE-2023-39325', products: ['pkg:golang/golang.org/x/net@v0.7.0'] });
    const net = vulnFinding({ id: 'GO-2023-2102', aliases: ['CVE-2023-39325', 'GHSA-4374-p667-p6c8'], purl: 'pkg:golang/golang.org/x/net@v0.7.0' });
    const image = vulnFinding({ id: 'CVE-2023-39325', purl: 'pkg:oci/app@sha256%3A9c2f6a4b8e1d0c7f3a5b2e8d6c4a1f0b9e7d5c3a1f8e6d4b2c0a9f7e5d3c1b0a' });
    applyVex([net, image], [doc]);
    expect(net.suppression).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' });
    expect(image.suppression).toBeUndefined();
  });

  it('rejects a statement with an unknown status, naming the statement', async () => {
    const err = await loadError('openvex-bad-status.json');
    expect(err.code).toBe('PARSE_ERROR');
    expect(err.message).toBe(
      `${fixture('openvex-bad-status.json')}#/statements/1: status "wont_fix" is not one of not_affected, affected, fixed, under_investigation`,
    );
  });

  it('warns about statements without products and unreadable timestamps', () => {
    const doc = parseVex(
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [{ vulnerability: { name: 'CVE-2024-1' }, status: 'fixed', timestamp: 'yesterday' }],
      }),
      'v.json',
    );
    expect(doc.statements[0]).toMatchObject({ products: [], status: 'fixed' });
    expect(doc.statements[0]?.timestamp).toBeUndefined();
    expect(doc.warnings.map((w) => w.path)).toEqual(['v.json#/statements/0', 'v.json#/statements/0/timestamp']);
  });
});

describe('CycloneDX VEX', () => {
  it('reads analysis states and resolves BOM-Links to purls and bom-refs', async () => {
    const path = fixture('cyclonedx-vex.json');
    const doc = await loadVex(path);
    expect(doc.format).toBe('cyclonedx');
    expect(doc.statements.map((s) => [s.vulnerability, s.status, s.suppresses, s.products])).toEqual([
      ['CVE-2018-7489', 'not_affected', true, ['pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.8.0']],
      [
        'CVE-2022-27943',
        'false_positive',
        true,
        ['pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04'],
      ],
      ['GHSA-9wx4-h78v-vm56', 'resolved', true, ['pkg:pypi/requests@2.31.0']],
      ['CVE-2024-3651', 'exploitable', false, ['pkg:pypi/idna@3.6']],
      ['CVE-2024-29041', 'not_affected', true, ['pkg:npm/express@4.18.2']],
    ]);
    expect(doc.statements[0]).toMatchObject({ justification: 'code_not_reachable', timestamp: Date.parse('2024-04-01T12:00:00Z') });
    expect(doc.statements[1]?.timestamp).toBe(Date.parse('2024-04-02T08:00:00Z'));
    expect(doc.statements[2]?.aliases).toEqual(['CVE-2024-35195']);
    expect(doc.statements[3]).toMatchObject({ impact: 'Hostnames from user input reach idna.encode', action: 'update, workaround_available' });
    expect(doc.warnings).toEqual([
      { path: `${path}#/vulnerabilities/4`, message: 'CVE-2024-22195 has no analysis.state; it is not a VEX statement' },
      {
        path: `${path}#/vulnerabilities/5/affects/1`,
        message:
          'ref urn:cdx:0b4a2f0e-5a8e-4d0a-9c7c-1f2e3d4c5b6a/3#express-5-beta is neither a purl nor the bom-ref of a component with one; it cannot match a package',
      },
    ]);
  });

  it('suppresses findings it covers and leaves exploitable ones visible', async () => {
    const path = fixture('cyclonedx-vex.json');
    const doc = await loadVex(path);
    const jackson = vulnFinding({ id: 'GHSA-4w82-r329-3q67', aliases: ['CVE-2018-7489'], purl: 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.8.0' });
    const libstdcxx = vulnFinding({ id: 'CVE-2022-27943', purl: 'pkg:deb/ubuntu/libstdc++6@12.3.0-1ubuntu1~22.04?distro=ubuntu-22.04&arch=amd64' });
    const requests = vulnFinding({ id: 'CVE-2024-35195', purl: 'pkg:pypi/Requests@2.31.0' });
    const idna = vulnFinding({ id: 'CVE-2024-3651', purl: 'pkg:pypi/idna@3.6' });
    const jinja = vulnFinding({ id: 'CVE-2024-22195', purl: 'pkg:pypi/jinja2@3.1.2' });
    const express = vulnFinding({ id: 'CVE-2024-29041', purl: 'pkg:npm/express@4.18.2' });
    const express419 = vulnFinding({ id: 'CVE-2024-29041', purl: 'pkg:npm/express@4.19.0' });

    const decisions = applyVex([jackson, libstdcxx, requests, idna, jinja, express, express419], [doc]);

    expect(jackson.suppression).toEqual({ kind: 'vex', status: 'not_affected', justification: 'code_not_reachable', source: `${path}#/vulnerabilities/0` });
    expect(libstdcxx.suppression).toMatchObject({ status: 'false_positive' });
    expect(requests.suppression).toMatchObject({ status: 'resolved', source: `${path}#/vulnerabilities/2` });
    expect(idna.suppression).toBeUndefined();
    expect(jinja.suppression).toBeUndefined();
    expect(express.suppression).toMatchObject({ status: 'not_affected', justification: 'requires_configuration' });
    expect(express419.suppression).toBeUndefined();
    expect(decisions.filter((d) => !d.suppressed).map((d) => d.finding)).toEqual([idna]);
  });

  it('resolves a plain bom-ref through nested components', () => {
    const doc = parseVex(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.5',
        version: 1,
        components: [
          { 'bom-ref': 'app', name: 'app', components: [{ 'bom-ref': 'lib-1', name: 'left-pad', purl: 'pkg:npm/left-pad@1.3.0' }] },
        ],
        vulnerabilities: [{ id: 'CVE-2024-0001', analysis: { state: 'in_triage' }, affects: [{ ref: 'lib-1' }] }],
      }),
      'bom.json',
    );
    expect(doc.statements[0]).toMatchObject({ products: ['pkg:npm/left-pad@1.3.0'], status: 'in_triage', suppresses: false });
  });

  it('rejects an unknown analysis state', () => {
    const text = JSON.stringify({ bomFormat: 'CycloneDX', vulnerabilities: [{ id: 'CVE-2024-1', analysis: { state: 'ignored' }, affects: [{ ref: 'pkg:npm/a' }] }] });
    expect(() => parseVex(text, 'bom.json')).toThrow(/^bom\.json#\/vulnerabilities\/0: analysis\.state "ignored" is not one of/);
  });
});

describe('format detection', () => {
  it.each([
    ['csaf-vex.json', /CSAF VEX is not supported/],
    ['cyclonedx-sbom.json', /a CycloneDX document without "vulnerabilities"/],
    ['not-json.yaml', /not a JSON document/],
  ])('rejects %s as UNSUPPORTED_FORMAT', async (name, message) => {
    const err = await loadError(name);
    expect(err.code).toBe('UNSUPPORTED_FORMAT');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/Palisade reads OpenVEX and CycloneDX VEX/);
  });

  it('rejects JSON that is no VEX format', () => {
    expect(() => parseVex('{"spdxVersion":"SPDX-2.3"}', 'x.json')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FORMAT' }));
    expect(() => parseVex('[1,2]', 'x.json')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FORMAT' }));
  });

  it('reports a missing file as INPUT_NOT_FOUND', async () => {
    expect((await loadError('missing.json')).code).toBe('INPUT_NOT_FOUND');
  });
});
