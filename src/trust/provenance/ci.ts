/**
 * What a SLSA v1 predicate says about the build, read from the CI environment.
 *
 * GitHub Actions follows GitHub's own artifact attestations (actions/attest-build-provenance,
 * build type https://actions.github.io/buildtypes/workflow/v1, first published as
 * https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1 with the same schema):
 *
 * | predicate field                                   | from                                                         |
 * |---------------------------------------------------|--------------------------------------------------------------|
 * | externalParameters.workflow.repository            | GITHUB_SERVER_URL + "/" + GITHUB_REPOSITORY                  |
 * | externalParameters.workflow.ref                   | GITHUB_REF                                                   |
 * | externalParameters.workflow.path                  | GITHUB_WORKFLOW_REF minus "<repo>/" and "@<ref>"             |
 * | internalParameters.github.event_name              | GITHUB_EVENT_NAME                                            |
 * | internalParameters.github.repository_id           | GITHUB_REPOSITORY_ID                                         |
 * | internalParameters.github.repository_owner_id     | GITHUB_REPOSITORY_OWNER_ID                                   |
 * | internalParameters.github.runner_environment      | RUNNER_ENVIRONMENT                                           |
 * | resolvedDependencies[0]                           | git+<repository>@<ref>, digest.gitCommit = GITHUB_SHA        |
 * | runDetails.builder.id                             | https://github.com/actions/runner/<RUNNER_ENVIRONMENT>       |
 * | runDetails.metadata.invocationId                  | <server>/<repo>/actions/runs/GITHUB_RUN_ID/attempts/GITHUB_RUN_ATTEMPT |
 *
 * GitHub records no actor in this build type (GITHUB_ACTOR_ID is not a build input), and the
 * environment gives no start time, so `startedOn` is left out.
 *
 * GitLab CI has no build type with workflow-shaped parameters (the runner's own provenance dumps
 * every CI variable), so Palisade uses the same shape under its own build type
 * https://palisade.dev/buildtypes/gitlab-ci/v1: workflow {repository CI_PROJECT_URL, ref
 * refs/tags/CI_COMMIT_TAG or refs/heads/CI_COMMIT_REF_NAME, path CI_CONFIG_PATH}, internalParameters.gitlab
 * {pipeline_source, project_id, namespace_id, pipeline_id, job_id, job_name, runner_id}, resolvedDependencies[0] git+<project>@<ref>
 * with gitCommit CI_COMMIT_SHA, builder.id <CI_SERVER_URL>/<CI_PROJECT_PATH>/-/runners/<CI_RUNNER_ID>
 * (the runner's own convention) with version {gitlab-runner: CI_RUNNER_VERSION}, invocationId CI_JOB_URL,
 * startedOn CI_JOB_STARTED_AT.
 */
import type { ResourceDescriptor } from './types.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';
/** The same schema under its first name (npm's provenance still uses it). */
export const GITHUB_WORKFLOW_BUILD_TYPE_SLSA = 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1';
export const GITLAB_CI_BUILD_TYPE = 'https://palisade.dev/buildtypes/gitlab-ci/v1';
/** Provenance described by flags alone, outside a known CI. */
export const GENERIC_BUILD_TYPE = 'https://palisade.dev/buildtypes/generic/v1';
export const GITHUB_RUNNER_BUILDER_PREFIX = 'https://github.com/actions/runner';

export type CiPlatform = 'github' | 'gitlab';

/** The parts of a v1 predicate a CI environment determines. */
export interface BuildDescription {
  platform: CiPlatform | 'none';
  buildType: string;
  externalParameters: Record<string, unknown>;
  internalParameters?: Record<string, unknown>;
  resolvedDependencies: ResourceDescriptor[];
  builder?: { id: string; version?: Record<string, string> };
  invocationId?: string;
  startedOn?: string;
}

export function detectCi(env: Environment): CiPlatform | undefined {
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  if (env.GITLAB_CI === 'true') return 'gitlab';
  return undefined;
}

/** The build as the CI environment describes it; `platform: 'none'` (empty parameters) outside CI. */
export function describeBuild(env: Environment): BuildDescription {
  switch (detectCi(env)) {
    case 'github':
      return describeGitHub(env);
    case 'gitlab':
      return describeGitLab(env);
    default:
      return { platform: 'none', buildType: GENERIC_BUILD_TYPE, externalParameters: {}, resolvedDependencies: [] };
  }
}

function describeGitHub(env: Environment): BuildDescription {
  const server = stripSlash(env.GITHUB_SERVER_URL ?? 'https://github.com');
  const repository = env.GITHUB_REPOSITORY;
  const ref = env.GITHUB_REF;
  const repoUrl = repository ? `${server}/${repository}` : undefined;
  const workflow = compact({ ref, repository: repoUrl, path: workflowPath(env.GITHUB_WORKFLOW_REF, repository, ref) });
  const github = compact({
    event_name: env.GITHUB_EVENT_NAME,
    repository_id: env.GITHUB_REPOSITORY_ID,
    repository_owner_id: env.GITHUB_REPOSITORY_OWNER_ID,
    runner_environment: env.RUNNER_ENVIRONMENT,
  });
  const description: BuildDescription = {
    platform: 'github',
    buildType: GITHUB_WORKFLOW_BUILD_TYPE,
    externalParameters: { workflow },
    internalParameters: { github },
    resolvedDependencies: sourceDependency(repoUrl, ref, env.GITHUB_SHA),
    builder: { id: `${GITHUB_RUNNER_BUILDER_PREFIX}/${env.RUNNER_ENVIRONMENT ?? 'github-hosted'}` },
  };
  if (repoUrl && env.GITHUB_RUN_ID) {
    description.invocationId = `${repoUrl}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  }
  return description;
}

/**
 * `owner/repo/.github/workflows/build.yml@refs/heads/main` → `.github/workflows/build.yml`.
 * The path and the ref may both contain `@`, so the known ref is cut from the end rather than
 * splitting at the first `@`.
 */
export function workflowPath(workflowRef: string | undefined, repository: string | undefined, ref: string | undefined): string | undefined {
  if (!workflowRef) return undefined;
  let path = workflowRef;
  if (repository && path.startsWith(`${repository}/`)) path = path.slice(repository.length + 1);
  if (ref && path.endsWith(`@${ref}`)) return path.slice(0, -ref.length - 1);
  const at = path.lastIndexOf('@');
  return at === -1 ? path : path.slice(0, at);
}

function describeGitLab(env: Environment): BuildDescription {
  const server = stripSlash(env.CI_SERVER_URL ?? 'https://gitlab.com');
  const repoUrl = env.CI_PROJECT_URL ?? (env.CI_PROJECT_PATH ? `${server}/${env.CI_PROJECT_PATH}` : undefined);
  const ref = env.CI_COMMIT_TAG
    ? `refs/tags/${env.CI_COMMIT_TAG}`
    : env.CI_COMMIT_REF_NAME
      ? `refs/heads/${env.CI_COMMIT_REF_NAME}`
      : undefined;
  const workflow = compact({ ref, repository: repoUrl, path: env.CI_CONFIG_PATH || '.gitlab-ci.yml' });
  const gitlab = compact({
    pipeline_source: env.CI_PIPELINE_SOURCE,
    project_id: env.CI_PROJECT_ID,
    namespace_id: env.CI_PROJECT_NAMESPACE_ID,
    pipeline_id: env.CI_PIPELINE_ID,
    job_id: env.CI_JOB_ID,
    job_name: env.CI_JOB_NAME,
    runner_id: env.CI_RUNNER_ID,
  });
  const description: BuildDescription = {
    platform: 'gitlab',
    buildType: GITLAB_CI_BUILD_TYPE,
    externalParameters: { workflow },
    internalParameters: { gitlab },
    resolvedDependencies: sourceDependency(repoUrl, ref, env.CI_COMMIT_SHA),
  };
  if (env.CI_PROJECT_PATH && env.CI_RUNNER_ID) {
    description.builder = { id: `${server}/${env.CI_PROJECT_PATH}/-/runners/${env.CI_RUNNER_ID}` };
    if (env.CI_RUNNER_VERSION) description.builder.version = { 'gitlab-runner': env.CI_RUNNER_VERSION };
  }
  const invocation = env.CI_JOB_URL ?? (repoUrl && env.CI_JOB_ID ? `${repoUrl}/-/jobs/${env.CI_JOB_ID}` : undefined);
  if (invocation) description.invocationId = invocation;
  if (env.CI_JOB_STARTED_AT) description.startedOn = env.CI_JOB_STARTED_AT;
  return description;
}

/** The resolved source commit in SPDX download-location form, as GitHub writes it. */
function sourceDependency(repoUrl: string | undefined, ref: string | undefined, commit: string | undefined): ResourceDescriptor[] {
  if (!repoUrl) return [];
  const dependency: ResourceDescriptor = { uri: `git+${repoUrl}${ref ? `@${ref}` : ''}` };
  if (commit) dependency.digest = { gitCommit: commit };
  return [dependency];
}

function compact(values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
