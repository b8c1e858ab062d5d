import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowPath } from '../../../src/trust/provenance/ci.ts';
import {
  buildProvenancePredicate,
  buildProvenanceStatement,
  GENERIC_BUILD_TYPE,
  GITHUB_WORKFLOW_BUILD_TYPE,
  GITLAB_CI_BUILD_TYPE,
  imageSubject,
  isProvenanceError,
  resolveSubjects,
  SLSA_PROVENANCE_V1,
} from '../../../src/trust/provenance/index.ts';

const GITHUB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_REF: 'refs/tags/v1.2.0',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1.2.0',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '3',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_REPOSITORY_ID: '111',
  GITHUB_REPOSITORY_OWNER_ID: '222',
  GITHUB_ACTOR_ID: '333',
  RUNNER_ENVIRONMENT: 'github-hosted',
};

const GITLAB_ENV = {
  GITLAB_CI: 'true',
  CI_SERVER_URL: 'https://gitlab.example.com',
  CI_PROJECT_PATH: 'group/app',
  CI_PROJECT_URL: 'https://gitlab.example.com/group/app',
  CI_COMMIT_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
  CI_COMMIT_REF_NAME: 'main',
  CI_CONFIG_PATH: 'ci/.gitlab-ci.yml',
  CI_PIPELINE_SOURCE: 'push',
  CI_PROJECT_ID: '77',
  CI_PROJECT_NAMESPACE_ID: '78',
  CI_PIPELINE_ID: '900',
  CI_JOB_ID: '901',
  CI_JOB_NAME: 'build',
  CI_JOB_URL: 'https://gitlab.example.com/group/app/-/jobs/901',
  CI_JOB_STARTED_AT: '2024-05-01T10:00:00Z',
  CI_RUNNER_ID: '12',
  CI_RUNNER_VERSION: '17.0.0',
};

const finishedOn = new Date('2024-05-01T10:05:00Z');

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isProvenanceError(err)) return err.reason;
    throw err;
  }
  return undefined;
}

describe('provenance generate: GitHub Actions', () => {
  it('maps the GITHUB_* variables as GitHub artifact attestations do', () => {
    const predicate = buildProvenancePredicate({ env: GITHUB_ENV, finishedOn });
    expect(predicate).toEqual({
      buildDefinition: {
        buildType: GITHUB_WORKFLOW_BUILD_TYPE,
        externalParameters: {
          workflow: { ref: 'refs/tags/v1.2.0', repository: 'https://github.com/acme/app', path: '.github/workflows/release.yml' },
        },
        internalParameters: {
          github: { event_name: 'push', repository_id: '111', repository_owner_id: '222', runner_environment: 'github-hosted' },
        },
        resolvedDependencies: [{ uri: 'git+https://github.com/acme/app@refs/tags/v1.2.0', digest: { gitCommit: '0123456789abcdef0123456789abcdef01234567' } }],
      },
      runDetails: {
        builder: { id: 'https://github.com/actions/runner/github-hosted' },
        metadata: { invocationId: 'https://github.com/acme/app/actions/runs/4242/attempts/3', finishedOn: '2024-05-01T10:05:00.000Z' },
      },
    });
  });

  it('names self-hosted runners and GitHub Enterprise servers', () => {
    const predicate = buildProvenancePredicate({
      env: { ...GITHUB_ENV, RUNNER_ENVIRONMENT: 'self-hosted', GITHUB_SERVER_URL: 'https://ghe.example.com/' },
      finishedOn,
    });
    expect(predicate.runDetails.builder.id).toBe('https://github.com/actions/runner/self-hosted');
    expect(predicate.buildDefinition.externalParameters.workflow).toMatchObject({ repository: 'https://ghe.example.com/acme/app' });
    expect(predicate.runDetails.metadata?.invocationId).toBe('https://ghe.example.com/acme/app/actions/runs/4242/attempts/3');
  });

  it('cuts the workflow path from GITHUB_WORKFLOW_REF even when path or ref contain "@"', () => {
    expect(workflowPath('o/r/.github/workflows/a@b.yml@refs/heads/x@y', 'o/r', 'refs/heads/x@y')).toBe('.github/workflows/a@b.yml');
    expect(workflowPath('o/r/.github/workflows/build.yml@refs/heads/main', 'o/r', undefined)).toBe('.github/workflows/build.yml');
    expect(workflowPath(undefined, 'o/r', 'refs/heads/main')).toBeUndefined();
  });

  it('lets flags override what CI says', () => {
    const predicate = buildProvenancePredicate({
      env: GITHUB_ENV,
      finishedOn,
      builderId: 'https://builder.example/v1',
      buildType: 'https://example.com/build/v1',
      invocationId: 'run-7',
      sourceUri: 'github.com/acme/fork@refs/heads/dev',
      sourceDigest: 'sha1:AAAABBBBCCCCDDDDEEEEFFFF0000111122223333',
      startedOn: new Date('2024-05-01T10:00:00Z'),
    });
    expect(predicate.buildDefinition.buildType).toBe('https://example.com/build/v1');
    expect(predicate.buildDefinition.externalParameters.workflow).toEqual({
      ref: 'refs/heads/dev',
      repository: 'https://github.com/acme/fork',
      path: '.github/workflows/release.yml',
    });
    expect(predicate.buildDefinition.resolvedDependencies).toEqual([
      { uri: 'git+https://github.com/acme/fork@refs/heads/dev', digest: { gitCommit: 'aaaabbbbccccddddeeeeffff0000111122223333' } },
    ]);
    expect(predicate.runDetails.builder).toEqual({ id: 'https://builder.example/v1' });
    expect(predicate.runDetails.metadata).toEqual({ invocationId: 'run-7', startedOn: '2024-05-01T10:00:00.000Z', finishedOn: '2024-05-01T10:05:00.000Z' });
  });

  it('builds a v1 statement around the predicate', () => {
    const statement = buildProvenanceStatement([{ name: 'app', digest: { sha256: 'ab'.repeat(32) } }], { env: GITHUB_ENV, finishedOn });
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe(SLSA_PROVENANCE_V1);
    expect(statement.subject).toEqual([{ name: 'app', digest: { sha256: 'ab'.repeat(32) } }]);
    expect(reasonOf(() => buildProvenanceStatement([], { env: GITHUB_ENV }))).toBe('INVALID_OPTION');
  });
});

describe('provenance generate: GitLab CI', () => {
  it('maps the CI_* variables to the workflow-shaped GitLab build type', () => {
    const predicate = buildProvenancePredicate({ env: GITLAB_ENV, finishedOn });
    expect(predicate.buildDefinition).toEqual({
      buildType: GITLAB_CI_BUILD_TYPE,
      externalParameters: {
        workflow: { ref: 'refs/heads/main', repository: 'https://gitlab.example.com/group/app', path: 'ci/.gitlab-ci.yml' },
      },
      internalParameters: {
        gitlab: { pipeline_source: 'push', project_id: '77', namespace_id: '78', pipeline_id: '900', job_id: '901', job_name: 'build', runner_id: '12' },
      },
      resolvedDependencies: [{ uri: 'git+https://gitlab.example.com/group/app@refs/heads/main', digest: { gitCommit: 'fedcba9876543210fedcba9876543210fedcba98' } }],
    });
    expect(predicate.runDetails).toEqual({
      builder: { id: 'https://gitlab.example.com/group/app/-/runners/12', version: { 'gitlab-runner': '17.0.0' } },
      metadata: { invocationId: 'https://gitlab.example.com/group/app/-/jobs/901', startedOn: '2024-05-01T10:00:00Z', finishedOn: '2024-05-01T10:05:00.000Z' },
    });
  });

  it('records tag pipelines as refs/tags and defaults the config path', () => {
    const { CI_CONFIG_PATH: _unused, ...env } = { ...GITLAB_ENV, CI_COMMIT_TAG: 'v2.0.0', CI_COMMIT_REF_NAME: 'v2.0.0' };
    const predicate = buildProvenancePredicate({ env, finishedOn });
    expect(predicate.buildDefinition.externalParameters.workflow).toEqual({
      ref: 'refs/tags/v2.0.0',
      repository: 'https://gitlab.example.com/group/app',
      path: '.gitlab-ci.yml',
    });
  });

  it('drops the runner version when --builder-id names another builder', () => {
    const predicate = buildProvenancePredicate({ env: GITLAB_ENV, finishedOn, builderId: 'https://example.com/builder' });
    expect(predicate.runDetails.builder).toEqual({ id: 'https://example.com/builder' });
  });
});

describe('provenance generate: outside CI', () => {
  it('needs --builder-id', () => {
    expect(reasonOf(() => buildProvenancePredicate({ env: {} }))).toBe('INVALID_OPTION');
  });

  it('describes the source given by flags under the generic build type', () => {
    const predicate = buildProvenancePredicate({
      env: {},
      finishedOn,
      builderId: 'https://builder.example/local',
      sourceUri: 'git+https://github.com/acme/app.git@refs/tags/v3',
      sourceDigest: 'gitCommit:0123',
    });
    expect(predicate.buildDefinition).toEqual({
      buildType: GENERIC_BUILD_TYPE,
      externalParameters: { source: { uri: 'git+https://github.com/acme/app@refs/tags/v3', digest: { gitCommit: '0123' } } },
      resolvedDependencies: [{ uri: 'git+https://github.com/acme/app@refs/tags/v3', digest: { gitCommit: '0123' } }],
    });
  });

  it('rejects a source digest without a source, and malformed digests', () => {
    expect(reasonOf(() => buildProvenancePredicate({ env: {}, builderId: 'b', sourceDigest: 'sha1:00' }))).toBe('INVALID_OPTION');
    expect(reasonOf(() => buildProvenancePredicate({ env: {}, builderId: 'b', sourceUri: 'github.com/a/b', sourceDigest: 'nothex' }))).toBe('INVALID_OPTION');
    expect(reasonOf(() => buildProvenancePredicate({ env: {}, builderId: 'b', sourceUri: 'github.com' }))).toBe('INVALID_OPTION');
  });
});

describe('provenance generate: subjects', () => {
  it('hashes files (base name, sha256) and resolves image tags through the registry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-prov-'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'app.bin'), 'hello\n');
    const heads: string[] = [];
    const client = (registry: string) => ({
      headManifest: async (repository: string, reference: string) => {
        heads.push(`${registry}/${repository}:${reference}`);
        return { digest: `sha256:${'c'.repeat(64)}`, mediaType: 'application/vnd.oci.image.index.v1+json', size: 100 };
      },
    });
    const subjects = await resolveSubjects([join(dir, 'dist', 'app.bin'), 'ghcr.io/acme/app:1.0', `alpine@sha256:${'D'.repeat(64)}`], { client });
    expect(subjects).toEqual([
      { name: 'app.bin', digest: { sha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03' } },
      { name: 'ghcr.io/acme/app', digest: { sha256: 'c'.repeat(64) } },
      { name: 'docker.io/library/alpine', digest: { sha256: 'd'.repeat(64) } },
    ]);
    expect(heads).toEqual(['ghcr.io/acme/app:1.0']);
  });

  it('fails on unknown images, directories and non-references', async () => {
    const client = () => ({ headManifest: async () => undefined });
    await expect(imageSubject('ghcr.io/acme/missing:1', { client })).rejects.toMatchObject({ reason: 'INVALID_OPTION' });
    await expect(resolveSubjects([tmpdir()])).rejects.toMatchObject({ reason: 'INVALID_OPTION' });
    await expect(resolveSubjects(['./no such file'])).rejects.toMatchObject({ reason: 'INVALID_OPTION' });
  });
});
