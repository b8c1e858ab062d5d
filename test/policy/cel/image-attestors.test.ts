/**
 * ImageValidatingPolicy attestors as requests of the verification core shared with verifyImages
 * rules: one alternative per keyless identity, signature repository and annotations kept, and
 * cosign's literal `subject`/`issuer` kept literal although the core reads `*` and `?` as wildcards.
 */
import { describe, expect, it } from 'vitest';
import { attestorVerification } from '../../../src/policy/cel/image-attestors.ts';

const keyless = (identities: Record<string, string>[]) => ({ name: 'ci', cosign: { keyless: { identities }, source: { repository: 'ghcr.io/org/sigs' }, annotations: { env: 'prod' } } });

describe('attestorVerification', () => {
  it('gives one keyless alternative per identity, with the repository and annotations for all', () => {
    expect(attestorVerification(keyless([{ subject: 'https://ci.example.com/a', issuer: 'https://issuer' }, { subjectRegExp: '^https://ci\\.example\\.com/', issuerRegExp: 'issuer$' }]))).toEqual({
      alternatives: [
        { kind: 'keyless', subject: 'https://ci.example.com/a', issuer: 'https://issuer' },
        { kind: 'keyless', subjectRegExp: '^https://ci\\.example\\.com/', issuerRegExp: 'issuer$' },
      ],
      repository: 'ghcr.io/org/sigs',
      annotations: { env: 'prod' },
    });
  });

  it('matches a subject or issuer holding `*` or `?` literally, and together with its regexp', () => {
    const only = (identity: Record<string, string>) => attestorVerification(keyless([identity])).alternatives[0] as { subject?: string; subjectRegExp?: string; issuerRegExp?: string };
    const matches = (pattern: string | undefined, text: string) => new RegExp(pattern ?? '(?!)').test(text);
    const literal = only({ subject: 'team-*@example.com', issuer: 'https://issuer/*' });
    expect(literal.subject).toBeUndefined();
    expect(matches(literal.subjectRegExp, 'team-*@example.com')).toBe(true);
    expect(matches(literal.subjectRegExp, 'team-a@example.com')).toBe(false);
    expect(matches(literal.issuerRegExp, 'https://issuer/*')).toBe(true);
    expect(matches(literal.issuerRegExp, 'https://issuer/x')).toBe(false);
    expect(matches(only({ subject: 'team-*@example.com', subjectRegExp: '@example\\.com$' }).subjectRegExp, 'team-*@example.com')).toBe(true);
    expect(matches(only({ subject: 'team-*@example.com', subjectRegExp: '@other\\.com$' }).subjectRegExp, 'team-*@example.com')).toBe(false);
    // `?` is a wildcard to the core too: cosign's literal one stays literal.
    const question = only({ subject: 'https://ci.example.com/a?ref=main', issuer: 'https://issuer' });
    expect(question.subject).toBeUndefined();
    expect(matches(question.subjectRegExp, 'https://ci.example.com/a?ref=main')).toBe(true);
    expect(matches(question.subjectRegExp, 'https://ci.example.com/aXref=main')).toBe(false);
  });

  it('reads cosign.ctlog.insecureIgnoreTlog for key, certificate and keyless attestors; custom log settings are unsupported for all', () => {
    const key = { data: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8nXRh950IZbRj8Ra/N9sbqOPZrfM\n5/KAQN0/KjHcorm/J5yctVd7iEcnessRQjU917hmKO6JWVGHpDguIyakZA==\n-----END PUBLIC KEY-----\n' };
    expect(attestorVerification({ name: 'ci', cosign: { key } }).alternatives).toEqual([{ kind: 'key', publicKey: key.data }]);
    expect(attestorVerification({ name: 'ci', cosign: { key, ctlog: { insecureIgnoreTlog: true } } }).alternatives).toEqual([{ kind: 'key', publicKey: key.data, ignoreTlog: true }]);
    const identities = [{ subject: 's', issuer: 'i' }];
    expect(attestorVerification({ name: 'ci', cosign: { keyless: { identities }, ctlog: { insecureIgnoreTlog: true } } }).alternatives).toEqual([{ kind: 'keyless', subject: 's', issuer: 'i', ignoreTlog: true }]);
    expect(() => attestorVerification({ name: 'ci', cosign: { key, ctlog: { rekorPubKey: 'PEM' } } })).toThrow(/cosign\.ctlog\.rekorPubKey/);
    expect(() => attestorVerification({ name: 'ci', cosign: { key, ctlog: { tsaCertChain: 'PEM', insecureIgnoreTlog: true } } })).toThrow(/cosign\.ctlog\.tsaCertChain/);
    // A key's log is checked offline against the trusted root: the URL is not contacted, and a Rekor key is moot when the log is ignored.
    expect(attestorVerification({ name: 'ci', cosign: { key, ctlog: { url: 'https://rekor.sigstore.dev' } } }).alternatives).toEqual([{ kind: 'key', publicKey: key.data }]);
    expect(attestorVerification({ name: 'ci', cosign: { key, ctlog: { rekorPubKey: 'PEM', insecureIgnoreTlog: true } } }).alternatives).toEqual([{ kind: 'key', publicKey: key.data, ignoreTlog: true }]);
    expect(() => attestorVerification({ name: 'ci', cosign: { keyless: { identities }, ctlog: { url: 'https://rekor.example.com' } } })).toThrow(/cosign\.ctlog\.url/);
    expect(() => attestorVerification({ name: 'ci', cosign: { keyless: { identities }, ctlog: { insecureIgnoreSCT: true } } })).toThrow(/insecureIgnoreSCT/);
  });
});
