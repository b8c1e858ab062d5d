import { describe, expect, it } from 'vitest';
import {
  PREDICATE_TYPE_ALIASES,
  STATEMENT_V01,
  STATEMENT_V1,
  assertPredicateType,
  assertSubjectDigest,
  buildStatement,
  hasSubjectDigest,
  parseStatement,
  resolvePredicateType,
} from '../../src/trust/intoto.ts';
import { reasonOf } from './helpers.ts';

const HEX = 'a'.repeat(64);

describe('statements', () => {
  it('builds a v1 statement in field order', () => {
    const s = buildStatement([{ name: 'app.tgz', digest: { sha256: HEX } }], 'https://slsa.dev/provenance/v1', { x: 1 });
    expect(JSON.stringify(s)).toBe(
      `{"_type":"${STATEMENT_V1}","subject":[{"name":"app.tgz","digest":{"sha256":"${HEX}"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"x":1}}`,
    );
    expect(parseStatement(JSON.stringify(s))).toEqual(s);
  });

  it('reads v0.1 statements and subjects without a name', () => {
    const s = parseStatement({ _type: STATEMENT_V01, subject: [{ digest: { sha256: HEX } }], predicateType: 'https://example.com/p' });
    expect(s.subject).toEqual([{ name: '', digest: { sha256: HEX } }]);
    expect(s.predicate).toBeUndefined();
  });

  it('rejects malformed statements naming the bad fields', () => {
    expect(reasonOf(() => parseStatement('nope'))).toBe('MALFORMED_STATEMENT');
    expect(reasonOf(() => parseStatement([]))).toBe('MALFORMED_STATEMENT');
    expect(() => parseStatement({ _type: 'https://in-toto.io/Statement/v2', subject: [{ name: 'x', digest: {} }] })).toThrow(
      /_type \("https:\/\/in-toto.io\/Statement\/v2"\), predicateType, subject\[0\]/,
    );
    expect(reasonOf(() => buildStatement([], 'https://x', {}))).toBe('MALFORMED_STATEMENT');
  });

  it('matches subjects by digest (algorithm:hex or a map), case-insensitively', () => {
    const s = buildStatement([{ name: 'a', digest: { sha256: HEX } }], 'https://x/y', null);
    expect(hasSubjectDigest(s, `sha256:${HEX.toUpperCase()}`)).toBe(true);
    expect(hasSubjectDigest(s, { sha512: HEX })).toBe(false);
    expect(reasonOf(() => assertSubjectDigest(s, `sha256:${'b'.repeat(64)}`))).toBe('SUBJECT_MISMATCH');
    expect(reasonOf(() => assertSubjectDigest(s, 'nocolon'))).toBe('MALFORMED_DIGEST');
  });
});

describe('predicate types', () => {
  it.each([
    ['slsaprovenance', 'https://slsa.dev/provenance/v0.2'],
    ['slsaprovenance02', 'https://slsa.dev/provenance/v0.2'],
    ['slsaprovenance1', 'https://slsa.dev/provenance/v1'],
    ['spdx', 'https://spdx.dev/Document'],
    ['spdxjson', 'https://spdx.dev/Document'],
    ['cyclonedx', 'https://cyclonedx.org/bom'],
    ['vuln', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
    ['custom', 'https://cosign.sigstore.dev/attestation/v1'],
    ['openvex', 'https://openvex.dev/ns'],
    ['link', 'https://in-toto.io/Link/v1'],
    ['https://example.com/my/predicate/v1', 'https://example.com/my/predicate/v1'],
  ])('%s → %s', (alias, uri) => {
    expect(resolvePredicateType(alias)).toBe(uri);
  });

  it('knows exactly cosign\'s shorthands', () => {
    expect(Object.keys(PREDICATE_TYPE_ALIASES).sort()).toEqual(
      ['custom', 'cyclonedx', 'link', 'openvex', 'slsaprovenance', 'slsaprovenance02', 'slsaprovenance1', 'spdx', 'spdxjson', 'vuln'],
    );
  });

  it('rejects an unknown shorthand with UNKNOWN_PREDICATE_TYPE', () => {
    expect(reasonOf(() => resolvePredicateType('slsa'))).toBe('UNKNOWN_PREDICATE_TYPE');
  });

  it('checks a statement\'s predicate type against a shorthand', () => {
    const s = buildStatement([{ name: 'a', digest: { sha256: HEX } }], 'https://slsa.dev/provenance/v1', {});
    expect(() => assertPredicateType(s, 'slsaprovenance1')).not.toThrow();
    expect(reasonOf(() => assertPredicateType(s, 'slsaprovenance'))).toBe('PREDICATE_TYPE_MISMATCH');
  });
});
