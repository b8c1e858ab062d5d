/** verifyProvenance end to end: signatures, formats, and each check with its own reason. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { publicGoodTrustedRoot } from '../../../src/trust/bundle/index.ts';
import { buildStatement } from '../../../src/trust/intoto.ts';
import {
  authenticateProvenance,
  checkProvenance,
  verifyProvenance,
  type VerifyProvenanceOptions,
} from '../../../src/trust/provenance/index.ts';
import { OFFLINE_CERTIFICATE_LIMITATION } from '../../../src/trust/provenance/signature.ts';
import { ARTIFACT, COMMIT, ecKeyPair, fixture, githubStatement, reasonOf, signStatement } from './helpers.ts';

const { privateKey, publicKey } = ecKeyPair();
const other = ecKeyPair();
const base: VerifyProvenanceOptions = { artifacts: [{ sha256: ARTIFACT }], keys: [publicKey] };

describe('key-signed provenance (DSSE envelope)', () => {
  const envelope = signStatement(githubStatement(), privateKey);

  it('verifies and reports builder, source and signature', async () => {
    const result = await verifyProvenance(envelope, {
      ...base,
      sourceUri: 'github.com/acme/app',
      sourceVersionedTag: 'v1.2',
      builderId: 'https://github.com/actions/runner/github-hosted',
    });
    expect(result).toMatchObject({
      predicateType: 'https://slsa.dev/provenance/v1',
      builderId: 'https://github.com/actions/runner/github-hosted',
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      source: { repository: 'https://github.com/acme/app', ref: 'refs/tags/v1.2.0', commit: COMMIT },
      signature: { method: 'key', limitations: [] },
      subjects: [{ name: 'app.bin', digest: { sha256: ARTIFACT } }],
    });
  });

  it('SIGNATURE_INVALID: another key, no key, a tampered payload', async () => {
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, keys: [other.publicKey] }))).toBe('SIGNATURE_INVALID');
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, keys: [] }))).toBe('SIGNATURE_INVALID');
    const parsed = JSON.parse(envelope) as { payload: string };
    const tampered = JSON.stringify({
      ...parsed,
      payload: Buffer.from(Buffer.from(parsed.payload, 'base64').toString().replace('acme/app', 'evil/app')).toString('base64'),
    });
    expect(await reasonOf(() => verifyProvenance(tampered, base))).toBe('SIGNATURE_INVALID');
  });

  it('DIGEST_MISMATCH unless every artifact is a subject; any shared algorithm counts', async () => {
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, artifacts: [{ sha256: 'cd'.repeat(32) }] }))).toBe('DIGEST_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, artifacts: [{ sha256: ARTIFACT }, { sha256: 'cd'.repeat(32) }] }))).toBe(
      'DIGEST_MISMATCH',
    );
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, artifacts: [{ sha512: 'ef'.repeat(64), sha256: ARTIFACT.toUpperCase() }] }))).toBeUndefined();
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, artifacts: [] }))).toBe('INVALID_OPTION');
  });

  it('BUILDER_MISMATCH when --builder-id names another builder', async () => {
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, builderId: 'https://github.com/actions/runner/self-hosted' }))).toBe('BUILDER_MISMATCH');
    const pinned = signStatement(githubStatement({ builderId: 'https://builder.example/b@refs/tags/v2.0.0' }), privateKey);
    expect(await reasonOf(() => verifyProvenance(pinned, { ...base, builderId: 'https://builder.example/b@v2.0.0' }))).toBeUndefined();
    expect(await reasonOf(() => verifyProvenance(pinned, { ...base, builderId: 'https://builder.example/b@v2.0.1' }))).toBe('BUILDER_MISMATCH');
  });

  it('SOURCE_MISMATCH for another repository (compared exactly) or disagreeing refs', async () => {
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceUri: 'github.com/acme/other' }))).toBe('SOURCE_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceUri: 'github.com/Acme/app' }))).toBe('SOURCE_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceUri: 'gitlab.com/acme/app' }))).toBe('SOURCE_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceUri: 'git+https://github.com/acme/app' }))).toBeUndefined();
    const split = signStatement(githubStatement({ materialRef: 'refs/heads/other' }), privateKey);
    expect(await reasonOf(() => verifyProvenance(split, base))).toBe('SOURCE_MISMATCH');
  });

  it('REF_MISMATCH and INVALID_REF for tags and branches', async () => {
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceTag: 'v1.2.0' }))).toBeUndefined();
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceTag: 'v1.2.1' }))).toBe('REF_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceVersionedTag: 'v2' }))).toBe('REF_MISMATCH');
    // A tag build of GitHub's workflow build type records no base branch.
    expect(await reasonOf(() => verifyProvenance(envelope, { ...base, sourceBranch: 'main' }))).toBe('INVALID_REF');
    const branch = signStatement(githubStatement({ ref: 'refs/heads/main' }), privateKey);
    expect(await reasonOf(() => verifyProvenance(branch, { ...base, sourceBranch: 'main' }))).toBeUndefined();
    expect(await reasonOf(() => verifyProvenance(branch, { ...base, sourceBranch: 'dev' }))).toBe('REF_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(branch, { ...base, sourceTag: 'v1.2.0' }))).toBe('INVALID_REF');
  });

  it('INPUTS_MISMATCH for missing or different workflow inputs', async () => {
    const withInputs = signStatement(githubStatement({ inputs: { version: '1.2.0', dry_run: false } }), privateKey);
    expect(await reasonOf(() => verifyProvenance(withInputs, { ...base, workflowInputs: { version: '1.2.0', dry_run: 'false' } }))).toBeUndefined();
    expect(await reasonOf(() => verifyProvenance(withInputs, { ...base, workflowInputs: { version: '1.3.0' } }))).toBe('INPUTS_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(withInputs, { ...base, workflowInputs: { other: 'x' } }))).toBe('INPUTS_MISMATCH');
  });

  it('UNSUPPORTED_PREDICATE for statements that are not SLSA provenance', async () => {
    const sbom = signStatement(buildStatement([{ name: 'a', digest: { sha256: ARTIFACT } }], 'https://spdx.dev/Document', {}), privateKey);
    expect(await reasonOf(() => verifyProvenance(sbom, base))).toBe('UNSUPPORTED_PREDICATE');
  });

  it('JSON lines: the first envelope that verifies for the artifact wins, else the first error', async () => {
    const forOther = signStatement(
      buildStatement([{ name: 'other', digest: { sha256: 'cd'.repeat(32) } }], 'https://slsa.dev/provenance/v1', githubStatement().predicate),
      privateKey,
    );
    expect(await reasonOf(() => verifyProvenance(`${forOther}\n${envelope}\n`, base))).toBeUndefined();
    expect(await reasonOf(() => verifyProvenance(`${forOther}\n${forOther}\n`, base))).toBe('DIGEST_MISMATCH');
  });

  it('authenticates once and checks against several expectations', () => {
    const auth = authenticateProvenance(envelope, base);
    expect(checkProvenance(auth, { ...base, sourceVersionedTag: 'v1' }).builderId).toBe('https://github.com/actions/runner/github-hosted');
    expect(() => checkProvenance(auth, { ...base, sourceVersionedTag: 'v3' })).toThrow(/does not match versioned tag/);
  });
});

describe('unsigned and unreadable provenance', () => {
  const statement = JSON.stringify(githubStatement());

  it('needs --allow-unsigned for a bare statement, and says what that means', async () => {
    expect(await reasonOf(() => verifyProvenance(statement, { artifacts: [{ sha256: ARTIFACT }] }))).toBe('SIGNATURE_INVALID');
    const result = await verifyProvenance(statement, { artifacts: [{ sha256: ARTIFACT }], allowUnsigned: true });
    expect(result.signature).toEqual({ method: 'unsigned', limitations: [expect.stringContaining('unsigned')] });
  });

  it('MALFORMED_PROVENANCE for what is not provenance', async () => {
    const options = { artifacts: [{ sha256: ARTIFACT }], allowUnsigned: true };
    expect(await reasonOf(() => verifyProvenance('{"_type": "x"', options))).toBe('MALFORMED_PROVENANCE');
    expect(await reasonOf(() => verifyProvenance('{"hello": "world"}', options))).toBe('MALFORMED_PROVENANCE');
    expect(await reasonOf(() => verifyProvenance('{"a": 1}\n{"payloadType": "x", "payload": "", "signatures": []}', options))).toBe('MALFORMED_PROVENANCE');
    const envelope = JSON.stringify({ payloadType: 'text/plain', payload: 'aGk=', signatures: [{ keyid: '', sig: 'AAAA' }] });
    expect(await reasonOf(() => verifyProvenance(envelope, { ...options, keys: [publicKey] }))).toBe('MALFORMED_PROVENANCE');
    const badStatement = JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'https://slsa.dev/provenance/v1', subject: [] });
    expect(await reasonOf(() => verifyProvenance(badStatement, options))).toBe('MALFORMED_PROVENANCE');
  });
});

describe('keyless provenance from the slsa-verifier corpus', () => {
  const trustedRoot = publicGoodTrustedRoot();
  const annotated = fixture('generic-annotated-tag.intoto.jsonl');
  const artifact1 = createHash('sha256').update('artifact1\n').digest('hex');
  const generic = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml';

  it('checks a generator envelope with its embedded Fulcio certificate offline, and says what it could not check', async () => {
    const result = await verifyProvenance(annotated, {
      artifacts: [{ sha256: artifact1 }],
      trustedRoot,
      sourceUri: 'github.com/asraa/slsa-on-github-test',
      sourceVersionedTag: 'v1.5.0',
      builderId: `${generic}@v1.2.2`,
    });
    expect(result.builderId).toBe(`${generic}@refs/tags/v1.2.2`);
    expect(result.signature).toEqual({ method: 'certificate', signer: `${generic}@refs/tags/v1.2.2`, limitations: [OFFLINE_CERTIFICATE_LIMITATION] });
  });

  it('rejects a tampered envelope, an unknown CA, another source and a branch check on an annotated tag', async () => {
    const options = { artifacts: [{ sha256: artifact1 }], trustedRoot, sourceUri: 'github.com/asraa/slsa-on-github-test' };
    const envelope = JSON.parse(annotated.toString()) as { payload: string };
    const payload = Buffer.from(envelope.payload, 'base64').toString().replace('v1.5.0', 'v1.5.1');
    const tampered = JSON.stringify({ ...envelope, payload: Buffer.from(payload).toString('base64') });
    expect(await reasonOf(() => verifyProvenance(tampered, options))).toBe('SIGNATURE_INVALID');
    const noCAs = { ...trustedRoot, certificateAuthorities: [] };
    expect(await reasonOf(() => verifyProvenance(annotated, { ...options, trustedRoot: noCAs }))).toBe('SIGNATURE_INVALID');
    expect(await reasonOf(() => verifyProvenance(annotated, { ...options, sourceUri: 'github.com/asraa/slsa-on-github-testA' }))).toBe('SOURCE_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(annotated, { ...options, sourceBranch: 'main' }))).toBe('INVALID_REF');
    expect(await reasonOf(() => verifyProvenance(annotated, { ...options, builderId: `${generic.replace('generic', 'go')}` }))).toBe('UNTRUSTED_BUILDER');
  });

  it('verifies a GitHub artifact attestation bundle signed by a builder the user names', async () => {
    const bundle = fixture('bcr-module.sigstore.json');
    const publisher = 'https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml';
    const options: VerifyProvenanceOptions = {
      artifacts: [{ sha256: '06ce330900a7d6403bc8d88e5dfad6aeeb8ae40179f66bb89e69c8bf6f6b1a0b' }],
      trustedRoot,
      sourceUri: 'github.com/aspect-build/rules_lint',
    };
    const result = await verifyProvenance(bundle, { ...options, builderId: publisher });
    expect(result).toMatchObject({
      builderId: `${publisher}@refs/tags/v0.0.1`,
      signature: { method: 'sigstore-bundle', limitations: [] },
      source: { repository: 'https://github.com/aspect-build/rules_lint', ref: 'refs/heads/publish-to-bcr' },
    });
    // Not a trusted builder unless named; and the bundle's signature covers the statement.
    expect(await reasonOf(() => verifyProvenance(bundle, options))).toBe('UNTRUSTED_BUILDER');
    const parsed = JSON.parse(bundle.toString()) as { dsseEnvelope: { payload: string } };
    parsed.dsseEnvelope.payload = Buffer.from(Buffer.from(parsed.dsseEnvelope.payload, 'base64').toString().replace('rules_lint', 'rules_lunt')).toString('base64');
    expect(await reasonOf(() => verifyProvenance(JSON.stringify(parsed), { ...options, builderId: publisher }))).toBe('SIGNATURE_INVALID');
  });
});
