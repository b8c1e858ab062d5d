/** Google Cloud Build's gcloud output and npm's attestations: their own checks. */
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pae } from '../../../src/trust/dsse.ts';
import { buildStatement, INTOTO_PAYLOAD_TYPE, type Statement } from '../../../src/trust/intoto.ts';
import { parseNpmKeys, verifyProvenance, type VerifyProvenanceOptions } from '../../../src/trust/provenance/index.ts';
import { checkNpm, type AuthenticatedNpm } from '../../../src/trust/provenance/npm.ts';
import { verifyAuthenticated } from '../../../src/trust/provenance/verify.ts';
import { ARTIFACT, COMMIT, ecKeyPair, GENERATOR, reasonOf } from './helpers.ts';

const GCB = 'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.3';
const IMAGE = 'us-docker.pkg.dev/p/r/app';
const regional = ecKeyPair();
const global = ecKeyPair();
const gcbKeys = new Map<string, KeyObject>([
  ['us-west2', regional.publicKey],
  ['global-pae-provenanceSigner_1', global.publicKey],
]);

function gcbStatement(tag = 'v3.1.0'): Record<string, unknown> {
  const provenance = {
    builder: { id: GCB },
    materials: [{ uri: 'git+https://github.com/acme/app', digest: { sha1: COMMIT } }],
    metadata: { buildInvocationId: 'b-1', buildStartedOn: '2024-01-01T00:00:00Z' },
    recipe: {
      type: 'https://cloudbuild.googleapis.com/CloudBuildYaml@v0.1',
      arguments: { '@type': 'type.googleapis.com/google.devtools.cloudbuild.v1.Build', substitutions: { TAG_NAME: tag } },
    },
  };
  return {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.1',
    subject: [{ name: IMAGE, digest: { sha256: ARTIFACT } }],
    predicate: provenance,
    slsaProvenance: provenance,
  };
}

/** gcloud's output: the signed statement, its readable copy without buildInvocationId, the summary. */
function gcloudOutput(options: { keyid?: string; pae?: boolean; statement?: Record<string, unknown>; copy?: Record<string, unknown>; kind?: string; summaryDigest?: string } = {}): string {
  const statement = options.statement ?? gcbStatement();
  const payload = Buffer.from(JSON.stringify(statement));
  const keyid = options.keyid ?? 'projects/verified-builder/locations/us-west2/keyRings/attestor/cryptoKeys/builtByGCB/cryptoKeyVersions/1';
  const sig = options.pae ? sign('sha256', pae(INTOTO_PAYLOAD_TYPE, payload), global.privateKey) : sign('sha256', payload, regional.privateKey);
  const copy = options.copy ?? structuredClone(statement);
  delete copy.predicate;
  const summaryDigest = options.summaryDigest ?? ARTIFACT;
  return JSON.stringify({
    image_summary: { digest: `sha256:${summaryDigest}`, fully_qualified_digest: `${IMAGE}@sha256:${summaryDigest}` },
    provenance_summary: {
      provenance: [
        {
          kind: options.kind ?? 'BUILD',
          resourceUri: `https://${IMAGE}@sha256:${ARTIFACT}`,
          build: { intotoStatement: copy },
          envelope: { payloadType: INTOTO_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid, sig: sig.toString('base64') }] },
        },
      ],
    },
  });
}

describe('Google Cloud Build provenance', () => {
  const options: VerifyProvenanceOptions = { artifacts: [{ sha256: ARTIFACT }], gcbKeys, sourceUri: 'github.com/acme/app' };

  it('verifies regional (raw payload) and global (PAE) signatures', async () => {
    const result = await verifyProvenance(gcloudOutput(), { ...options, builderId: 'https://cloudbuild.googleapis.com/GoogleHostedWorker', sourceTag: 'v3.1.0' });
    expect(result).toMatchObject({ builderId: GCB, source: { repository: 'https://github.com/acme/app', ref: 'refs/tags/v3.1.0' }, signature: { method: 'gcb-key' } });
    const globalKeyid = 'projects/verified-builder/locations/global/keyRings/attestor/cryptoKeys/provenanceSigner/cryptoKeyVersions/1';
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ keyid: globalKeyid, pae: true }), options))).toBeUndefined();
  });

  it('SIGNATURE_INVALID for a keyid naming another region, or a signature over the wrong bytes', async () => {
    const otherRegion = 'projects/verified-builder/locations/us-east1/keyRings/attestor/cryptoKeys/builtByGCB/cryptoKeyVersions/1';
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ keyid: otherRegion }), { ...options, gcbKeys: new Map([...gcbKeys, ['us-east1', global.publicKey]]) }))).toBe(
      'SIGNATURE_INVALID',
    );
    const globalKeyid = 'projects/verified-builder/locations/global/keyRings/attestor/cryptoKeys/provenanceSigner/cryptoKeyVersions/1';
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ keyid: globalKeyid, pae: false }), options))).toBe('SIGNATURE_INVALID');
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ keyid: 'projects/x' }), options))).toBe('SIGNATURE_INVALID');
    expect(await reasonOf(() => verifyProvenance(gcloudOutput(), { ...options, gcbKeys: undefined }))).toBe('INVALID_OPTION');
  });

  it('checks the occurrence, the summary and the readable copy', async () => {
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ kind: 'DEPLOYMENT' }), options))).toBe('MALFORMED_PROVENANCE');
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ summaryDigest: 'cd'.repeat(32) }), options))).toBe('DIGEST_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(gcloudOutput(), { ...options, artifacts: [{ sha256: 'cd'.repeat(32) }] }))).toBe('DIGEST_MISMATCH');
    const copy = gcbStatement('v9.9.9');
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ copy }), options))).toBe('PROVENANCE_MISMATCH');
  });

  it('checks builder, source and tags', async () => {
    expect(await reasonOf(() => verifyProvenance(gcloudOutput(), { ...options, builderId: 'https://cloudbuild.googleapis.com/GoogleHostedWorker@v0.4' }))).toBe(
      'BUILDER_MISMATCH',
    );
    expect(await reasonOf(() => verifyProvenance(gcloudOutput(), { ...options, sourceUri: 'github.com/acme/other' }))).toBe('SOURCE_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(gcloudOutput(), { ...options, sourceTag: 'v3.1.1' }))).toBe('REF_MISMATCH');
    expect(await reasonOf(() => verifyProvenance(gcloudOutput(), { ...options, sourceVersionedTag: 'v3.1' }))).toBeUndefined();
    expect(await reasonOf(() => verifyProvenance(gcloudOutput(), { ...options, sourceVersionedTag: 'v3.2' }))).toBe('REF_MISMATCH');
    const untrusted = gcbStatement();
    (untrusted.slsaProvenance as { builder: { id: string } }).builder = { id: 'https://example.com/builder' };
    expect(await reasonOf(() => verifyProvenance(gcloudOutput({ statement: untrusted }), options))).toBe('UNTRUSTED_BUILDER');
  });
});

describe('npm attestations', () => {
  const RUNNER = 'https://github.com/actions/runner/github-hosted';
  const TARBALL = 'ef'.repeat(64);
  const purl = 'pkg:npm/%40acme/app@1.2.0';

  function provenance(name = purl): Statement {
    return buildStatement([{ name, digest: { sha512: TARBALL } }], 'https://slsa.dev/provenance/v1', {
      buildDefinition: {
        buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
        externalParameters: { workflow: { ref: 'refs/tags/v1.2.0', repository: 'https://github.com/acme/app', path: '.github/workflows/publish.yml' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/acme/app@refs/tags/v1.2.0', digest: { gitCommit: COMMIT } }],
      },
      runDetails: { builder: { id: RUNNER } },
    });
  }

  function publish(name = purl, predicate = { name: '@acme/app', version: '1.2.0', registry: 'https://registry.npmjs.org' }): Statement {
    return { _type: 'https://in-toto.io/Statement/v0.1', subject: [{ name, digest: { sha512: TARBALL } }], predicateType: 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1', predicate };
  }

  function npm(prov: Statement, pub: Statement | undefined): AuthenticatedNpm {
    const identity = {
      signer: 'https://github.com/acme/app/.github/workflows/publish.yml@refs/tags/v1.2.0',
      sourceRepository: 'https://github.com/acme/app',
      sourceRef: 'refs/tags/v1.2.0',
      sourceDigest: COMMIT,
    };
    return { provenance: { value: { statement: prov, method: 'sigstore-bundle', identity, limitations: [] } }, publish: { value: pub }, limitations: [] };
  }

  const options: VerifyProvenanceOptions = { artifacts: [{ sha512: TARBALL }], sourceUri: 'github.com/acme/app', builderId: RUNNER };
  const check = (auth: AuthenticatedNpm, extra: Partial<VerifyProvenanceOptions> = {}) =>
    reasonOf(() => checkNpm(auth, { ...options, ...extra }, verifyAuthenticated));

  it('verifies the package name and version from both attestations', async () => {
    expect(await check(npm(provenance(), publish()), { packageName: '@acme/app', packageVersion: '1.2.0' })).toBeUndefined();
    expect(await check(npm(provenance(), publish()), { packageName: '@acme/App' })).toBe('PACKAGE_MISMATCH');
    expect(await check(npm(provenance(), publish()), { packageVersion: '1.2.1' })).toBe('PACKAGE_MISMATCH');
    expect(await check(npm(provenance(), publish(purl, { name: '@acme/other', version: '1.2.0', registry: '' })), { packageName: '@acme/app' })).toBe(
      'PACKAGE_MISMATCH',
    );
  });

  it('needs --builder-id, and both attestations about the same tarball', async () => {
    expect(await check(npm(provenance(), publish()), { builderId: undefined })).toBe('INVALID_OPTION');
    expect(await check(npm(provenance(), publish('pkg:npm/%40acme/app@1.2.1')))).toBe('PROVENANCE_MISMATCH');
    expect(await check(npm(provenance('not-a-purl'), undefined))).toBe('MALFORMED_PROVENANCE');
    expect(await check(npm(provenance(), publish()), { builderId: `${GENERATOR}builder_nodejs_slsa3.yml` })).toBe('UNTRUSTED_BUILDER');
  });

  it('an unverified publish attestation is an error; a missing one a stated limitation', async () => {
    const failed: AuthenticatedNpm = { ...npm(provenance(), undefined), publish: { error: new Error('boom') } };
    await expect(Promise.resolve().then(() => checkNpm(failed, options, verifyAuthenticated))).rejects.toThrow('boom');
    const unpublished: AuthenticatedNpm = { ...npm(provenance(), undefined), limitations: ['no npm publish attestation'] };
    expect(checkNpm(unpublished, options, verifyAuthenticated).signature.limitations).toEqual(['no npm publish attestation']);
  });

  it('reads npm registry keys in both published forms', () => {
    const { publicKey } = ecKeyPair();
    const der = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const registry = parseNpmKeys({ keys: [{ keyid: 'SHA256:a', keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: der }] });
    const rootLike = parseNpmKeys({ keys: [{ keyId: 'SHA256:b', publicKey: { rawBytes: der, keyDetails: 'PKIX_ECDSA_P256_SHA_256' } }] });
    expect(registry.get('SHA256:a')?.equals(createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' }))).toBe(true);
    expect([...rootLike.keys()]).toEqual(['SHA256:b']);
    expect(() => parseNpmKeys({})).toThrow(/no "keys"/);
    expect(() => parseNpmKeys({ keys: [{ keyid: 'x', key: 'AAAA' }] })).toThrow(/not a public key/);
  });
});
