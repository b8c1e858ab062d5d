/**
 * Keyless builder identity (check (b)) and certificate/provenance agreement (c), on statements
 * whose signature is taken as checked: the identity is what Fulcio certified.
 */
import { describe, expect, it } from 'vitest';
import type { Statement } from '../../../src/trust/intoto.ts';
import type { WorkflowIdentity } from '../../../src/trust/provenance/fulcio.ts';
import type { AuthenticatedStatement } from '../../../src/trust/provenance/signature.ts';
import { verifyAuthenticated, type VerifyProvenanceOptions } from '../../../src/trust/provenance/verify.ts';
import { ARTIFACT, COMMIT, GENERATOR, githubStatement, reasonOf } from './helpers.ts';

const GO = `${GENERATOR}builder_go_slsa3.yml`;
const DELEGATOR = `${GENERATOR}delegator_generic_slsa3.yml`;
const NODEJS = `${GENERATOR}builder_nodejs_slsa3.yml`;
const RUNNER = 'https://github.com/actions/runner/github-hosted';

const options: VerifyProvenanceOptions = { artifacts: [{ sha256: ARTIFACT }], sourceUri: 'github.com/acme/app' };

function identity(signer: string, extra: Partial<WorkflowIdentity> = {}): WorkflowIdentity {
  return {
    signer,
    issuer: 'https://token.actions.githubusercontent.com',
    sourceRepository: 'https://github.com/acme/app',
    sourceRef: 'refs/tags/v1.2.0',
    sourceDigest: COMMIT,
    ...extra,
  };
}

function signedBy(statement: Statement, who: WorkflowIdentity): AuthenticatedStatement {
  return { statement, method: 'sigstore-bundle', identity: who, limitations: [] };
}

const check = (auth: AuthenticatedStatement, extra: Partial<VerifyProvenanceOptions> = {}) =>
  reasonOf(() => verifyAuthenticated(auth, { ...options, ...extra }));

describe('trusted reusable workflows (slsa-github-generator)', () => {
  const builder = `${GO}@refs/tags/v1.9.0`;
  const auth = signedBy(githubStatement({ builderId: builder }), identity(builder));

  it('trusts them unnamed, and matches --builder-id loosely against the certified ref', async () => {
    expect(await check(auth)).toBeUndefined();
    expect(verifyAuthenticated(auth, options).builderId).toBe(builder);
    for (const builderId of [GO, `${GO}@v1.9.0`, `${GO}@refs/tags/v1.9.0`]) expect(await check(auth, { builderId })).toBeUndefined();
    expect(await check(auth, { builderId: `${GO}@v1.8.0` })).toBe('UNTRUSTED_BUILDER');
    expect(await check(auth, { builderId: `${GENERATOR}not-trusted.yml` })).toBe('UNTRUSTED_BUILDER');
  });

  it('BUILDER_MISMATCH when the provenance names another builder than the certificate', async () => {
    expect(await check(signedBy(githubStatement({ builderId: `${GO}@refs/tags/v1.8.0` }), identity(builder)))).toBe('BUILDER_MISMATCH');
  });

  it('INVALID_REF for a builder not pinned to a release, except in testing mode for the e2e repositories', async () => {
    const head = `${GO}@refs/heads/main`;
    const unreleased = signedBy(githubStatement({ builderId: head }), identity(head));
    expect(await check(unreleased)).toBe('INVALID_REF');
    expect(await check(unreleased, { allowUnreleasedTestBuilders: true })).toBe('INVALID_REF');
    const repository = 'https://github.com/slsa-framework/example-package';
    const e2e = signedBy(githubStatement({ builderId: head, repository }), identity(head, { sourceRepository: repository }));
    const e2eOptions = { sourceUri: 'github.com/slsa-framework/example-package' };
    expect(await check(e2e, e2eOptions)).toBe('INVALID_REF');
    expect(await check(e2e, { ...e2eOptions, allowUnreleasedTestBuilders: true })).toBeUndefined();
  });

  it('a workflow outside the trusted list only when --builder-id names it', async () => {
    const publisher = 'https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/v0.0.1';
    const auth2 = signedBy(githubStatement({ builderId: publisher }), identity(publisher));
    expect(await check(auth2)).toBe('UNTRUSTED_BUILDER');
    expect(await check(auth2, { builderId: publisher.split('@')[0] })).toBeUndefined();
  });
});

describe('BYOB delegators', () => {
  const delegator = `${DELEGATOR}@refs/tags/v1.6.0`;

  it('vouch for the trusted builder they record', async () => {
    const auth = signedBy(githubStatement({ builderId: `${NODEJS}@refs/tags/v1.6.0` }), identity(delegator));
    expect(verifyAuthenticated(auth, options).builderId).toBe(`${NODEJS}@refs/tags/v1.6.0`);
    expect(await check(auth, { builderId: NODEJS })).toBeUndefined();
    expect(await check(auth, { builderId: `${GENERATOR}builder_nodejs_slsa.yml` })).toBe('BUILDER_MISMATCH');
  });

  it('an untrusted recorded builder needs --builder-id', async () => {
    const custom = 'https://github.com/acme/trw/.github/workflows/builder.yml@refs/tags/v1.0.0';
    const auth = signedBy(githubStatement({ builderId: custom }), identity(delegator));
    expect(await check(auth)).toBe('UNTRUSTED_BUILDER');
    expect(await check(auth, { builderId: custom })).toBeUndefined();
  });
});

describe('GitHub-hosted runners (npm CLI, GitHub artifact attestations)', () => {
  const workflow = 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.0';

  it('count when named and the signing workflow is in the source repository', async () => {
    const auth = signedBy(githubStatement(), identity(workflow, { runnerEnvironment: 'github-hosted' }));
    expect(await check(auth)).toBe('UNTRUSTED_BUILDER');
    expect(await check(auth, { builderId: RUNNER })).toBeUndefined();
    expect(await check(auth, { builderId: 'https://github.com/actions/runner' })).toBeUndefined();
    expect(await check(auth, { builderId: 'https://github.com/actions/runner2' })).toBe('UNTRUSTED_BUILDER');
  });

  it('not on self-hosted runners, nor from a workflow of another repository', async () => {
    const selfHosted = signedBy(githubStatement(), identity(workflow, { runnerEnvironment: 'self-hosted' }));
    expect(await check(selfHosted, { builderId: RUNNER })).toBe('BUILDER_MISMATCH');
    const foreign = signedBy(githubStatement(), identity('https://github.com/evil/ci/.github/workflows/x.yml@refs/heads/main'));
    expect(await check(foreign, { builderId: RUNNER })).toBe('UNTRUSTED_BUILDER');
    const otherBuilder = signedBy(githubStatement({ builderId: 'https://example.com/builder' }), identity(workflow));
    expect(await check(otherBuilder, { builderId: RUNNER })).toBe('BUILDER_MISMATCH');
  });
});

describe('certificate and provenance agree', () => {
  const builder = `${GO}@refs/tags/v1.9.0`;
  const statement = githubStatement({ builderId: builder });

  it('SOURCE_MISMATCH when the certificate was issued for another repository than expected', async () => {
    const auth = signedBy(statement, identity(builder, { sourceRepository: 'https://github.com/evil/app' }));
    expect(await check(auth)).toBe('SOURCE_MISMATCH');
  });

  it('PROVENANCE_MISMATCH when the provenance claims another repository, ref or commit than certified', async () => {
    const repo = signedBy(statement, identity(builder, { sourceRepository: 'https://github.com/evil/app' }));
    expect(await check(repo, { sourceUri: undefined })).toBe('PROVENANCE_MISMATCH');
    expect(await check(signedBy(statement, identity(builder, { sourceRef: 'refs/heads/main' })))).toBe('PROVENANCE_MISMATCH');
    expect(await check(signedBy(statement, identity(builder, { sourceDigest: 'f'.repeat(40) })))).toBe('PROVENANCE_MISMATCH');
  });
});
