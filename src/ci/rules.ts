/**
 * Every rule of `palisade ci audit`: a stable id, a one-line title, why it matters and how to fix
 * it. GitHub Actions rules reuse zizmor's audit names (https://docs.zizmor.sh/audits/) so that
 * `# zizmor: ignore[...]` comments and zizmor configurations keep working; rules zizmor has no
 * equivalent for, and the GitLab CI rules, have Palisade names.
 */

/** `any`: the rule applies to GitHub Actions and GitLab CI scripts alike. */
export type Platform = 'github-actions' | 'dependabot' | 'gitlab-ci' | 'any';

export interface RuleInfo {
  id: string;
  platform: Platform;
  title: string;
  /** Why it matters, in one line. */
  description: string;
  remediation: string;
  helpUri: string;
  /** Other names accepted in ignore comments and configuration. */
  aliases?: string[];
}

const ZIZMOR_DOCS = 'https://docs.zizmor.sh/audits/#';

function gha(id: string, title: string, description: string, remediation: string, aliases?: string[]): RuleInfo {
  return { id, platform: 'github-actions', title, description, remediation, helpUri: ZIZMOR_DOCS + id, ...(aliases && { aliases }) };
}

const LIST: RuleInfo[] = [
  gha(
    'template-injection',
    'code injection via template expansion',
    '${{ }} is expanded into the script text before it runs, so attacker-controlled values (issue titles, branch names, comments) become code.',
    'Pass the value through an environment variable (env: TITLE: ${{ github.event.issue.title }}) and use "$TITLE" in the script.',
    ['script-injection'],
  ),
  gha(
    'dangerous-triggers',
    'use of fundamentally insecure workflow trigger',
    'pull_request_target and workflow_run run with the base repository\'s secrets and write token but can be triggered from forks.',
    'Use pull_request (or workflow_call) instead; if the trigger is needed, never check out or run code from the pull request.',
  ),
  gha(
    'untrusted-checkout',
    'checkout of untrusted code in a privileged workflow',
    'The workflow runs with secrets and a write token (pull_request_target/workflow_run/issue_comment) and checks out the pull request\'s code, which any fork can control.',
    'Switch to the pull_request trigger, or split the work: build the untrusted code in an unprivileged pull_request workflow and consume only its artifacts.',
  ),
  gha(
    'excessive-permissions',
    'overly broad permissions',
    'The GITHUB_TOKEN gets more than the job needs (write-all, workflow-wide write scopes, or the repository default when no permissions: block is declared).',
    'Set permissions: {} (or contents: read) at the workflow level and grant write scopes per job, only where needed.',
  ),
  gha(
    'unpinned-uses',
    'unpinned action reference',
    'A tag or branch can be moved to malicious code at any time (tj-actions/changed-files, March 2025); only a full commit SHA is immutable.',
    'Pin to a full 40-character commit SHA with the version as a comment (uses: owner/repo@<sha> # v1.2.3), e.g. with `palisade ci pin`.',
  ),
  gha(
    'artipacked',
    'credential persistence through GitHub Actions artifacts',
    'actions/checkout stores the GITHUB_TOKEN on disk by default, where later steps or uploaded artifacts can leak it.',
    'Set persist-credentials: false on actions/checkout unless later git operations need the token.',
  ),
  gha(
    'github-env',
    'dangerous use of environment file',
    'Writing to GITHUB_ENV or GITHUB_PATH in a workflow that attackers can trigger lets them set LD_PRELOAD, BASH_ENV or PATH for the following steps.',
    'Avoid GITHUB_ENV/GITHUB_PATH in privileged workflows; pass values between steps with GITHUB_OUTPUT and never write attacker-controlled data.',
  ),
  gha(
    'self-hosted-runner',
    'runs on a self-hosted runner',
    'Self-hosted runners are not ephemeral by default; code from a pull request can persist on them and reach other jobs.',
    'Use GitHub-hosted or ephemeral (just-in-time) runners for anything triggered from outside, and require approval for fork pull requests.',
  ),
  gha(
    'secrets-inherit',
    'secrets unconditionally inherited by called workflow',
    'secrets: inherit gives the called workflow every secret of the caller, not just the ones it uses.',
    'List the secrets the reusable workflow needs under secrets: explicitly.',
  ),
  gha(
    'cache-poisoning',
    'runtime artifacts potentially vulnerable to a cache poisoning attack',
    'A release workflow restores a cache that any workflow run with a GITHUB_TOKEN can write, so a poisoned cache ends up in published artifacts.',
    'Do not restore caches in release/publishing jobs: disable the action\'s caching input or remove the cache step.',
  ),
  gha(
    'known-vulnerable-actions',
    'action has a known vulnerability',
    'The referenced action version has a published advisory (compromised release or vulnerable code).',
    'Upgrade to a fixed version pinned by commit SHA, or remove the action; rotate secrets if a compromised version ran.',
  ),
  gha(
    'obfuscation',
    'obfuscated usage of GitHub Actions features',
    'Redundant path components or constant expressions hide what a workflow really does from reviewers and tools.',
    'Write the reference or expression in its simplest form.',
  ),
  gha(
    'insecure-commands',
    'execution of insecure workflow commands is enabled',
    'ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables ::set-env and ::add-path, letting anything printed to the log set environment variables.',
    'Remove ACTIONS_ALLOW_UNSECURE_COMMANDS and use the GITHUB_ENV/GITHUB_PATH files.',
  ),
  gha(
    'hardcoded-container-credentials',
    'hardcoded credential in GitHub Actions container configurations',
    'A registry password written in the workflow is readable by everyone with read access to the repository.',
    'Use ${{ secrets.NAME }} for container and service credentials, and rotate the exposed password.',
  ),
  gha(
    'overprovisioned-secrets',
    'excessively provisioned secrets',
    'toJSON(secrets) or secrets[<computed>] makes every repository secret available to the job instead of the ones it uses.',
    'Reference each secret by name (secrets.NAME).',
  ),
  gha(
    'unredacted-secrets',
    'leaked secret values',
    'A secret transformed before use (fromJSON(secrets.X).field) is a new string the log redactor does not know.',
    'Store each value as its own secret and reference it directly.',
  ),
  gha(
    'secrets-echoed',
    'secret written to the log or to a file',
    'Echoing a secret or redirecting it into a file defeats masking: transformed, split or uploaded copies are not redacted.',
    'Pass secrets to the tool that needs them through environment variables and never print them.',
  ),
  gha(
    'secrets-in-untrusted-context',
    'secret exposed to untrusted code',
    'After the pull request\'s code is checked out in a privileged workflow, every later step can run that code, so secrets given to those steps can be stolen.',
    'Do not give secrets to jobs that check out untrusted code; split privileged work into a separate job or workflow.',
  ),
  gha(
    'secrets-outside-env',
    'secrets referenced without a dedicated environment',
    'Repository and organisation secrets are available to every job; environment secrets only to jobs that pass the environment\'s protection rules.',
    'Move the secret to a deployment environment with protection rules and set environment: on the job that uses it.',
  ),
  gha(
    'bot-conditions',
    'spoofable bot actor check',
    'github.actor is the last actor on the event, not its author: an attacker can make dependabot[bot] the actor of a pull request they control.',
    'Check github.event.pull_request.user.login (the author) instead of github.actor, and avoid pull_request_target for bot automation.',
  ),
  gha(
    'unsound-contains',
    'unsound contains condition',
    'contains() on a string is a substring test: contains(\'refs/heads/main refs/heads/dev\', github.ref) also accepts a branch named "mai".',
    'Compare against a real list: contains(fromJSON(\'["refs/heads/main", "refs/heads/dev"]\'), github.ref).',
  ),
  gha(
    'unsound-condition',
    'unsound conditional expression',
    'An if: whose ${{ }} is followed or preceded by other text (including the newline of a | block) is a non-empty string: always true.',
    'Write the condition without fences, or use a |- or >- block scalar.',
  ),
  gha(
    'unsound-ternary',
    'unsound pseudo-ternary expression',
    'a && b || c returns c whenever b is falsy, even when a is true.',
    'Use case(a, b, c), or make sure the middle value can never be falsy.',
  ),
  gha(
    'unpinned-images',
    'unpinned image references',
    'A container or service image without a digest (or with :latest) can change under the workflow.',
    'Pin images by digest: image: name@sha256:<digest>.',
  ),
  gha(
    'use-trusted-publishing',
    'prefer trusted publishing for authentication',
    'Publishing with a long-lived API token exposes it to the whole job; the registry supports OIDC trusted publishing instead.',
    'Configure a trusted publisher on the registry and grant id-token: write to the publishing job instead of storing a token.',
  ),
  gha(
    'misfeature',
    'usage of GitHub Actions misfeatures',
    'Some features (setup-python pip-install, the cmd shell, unknown shells) make workflows brittle or impossible to analyse.',
    'Replace the misfeature: install into a virtual environment, use bash or pwsh.',
  ),
  gha(
    'github-app',
    'dangerous use of GitHub App tokens',
    'An app token that is not revoked, spans every repository of the installation or carries all the app\'s permissions outlives or exceeds its purpose.',
    'Keep token revocation on, list the repositories and permission-* inputs the step needs.',
  ),
  gha(
    'unpinned-tools',
    'action installs an unpinned external tool',
    'The action downloads the latest release of a tool at run time, so the pinned action can still run new code.',
    'Set the action\'s version input to a fixed release.',
  ),
  gha(
    'superfluous-actions',
    'action functionality is already included by the runner',
    'A third-party action duplicates a tool the runner already has, adding supply-chain surface for nothing.',
    'Use the runner\'s tool (gh, git, docker, rustup) in a run: step.',
  ),
  gha(
    'self-repository',
    "use GitHub's dedicated self-repository syntax",
    'uses: ./path loads whatever is in the workspace at run time, including files a previous step wrote.',
    "Refer to in-repository actions and workflows as $/path.",
  ),
  gha(
    'adhoc-packages',
    'ad-hoc installation of packages',
    'Packages installed outside a lockfile resolve to whatever version is newest at run time, dependencies included.',
    'Add the package to a manifest with a lockfile and install with the lockfile-aware command (npm ci, bundle install).',
  ),
  {
    ...gha(
      'curl-pipe-shell',
      'remote script piped into a shell',
      'curl … | sh runs whatever the server returns at that moment, with no integrity check.',
      'Download the script or binary, verify its checksum or signature, then run it; or use a pinned action or package.',
    ),
    platform: 'any',
  },
  gha(
    'missing-provenance',
    'release workflow without provenance',
    'The workflow publishes artifacts but generates no provenance, so consumers cannot verify how and from what they were built (SLSA Build L0).',
    'Generate signed provenance: actions/attest-build-provenance in the release job, or the slsa-github-generator reusable workflows for Build L3.',
  ),
  gha(
    'debug-enabled',
    'runner debug logging enabled',
    'ACTIONS_STEP_DEBUG/ACTIONS_RUNNER_DEBUG print internal state, environment and sometimes tokens to logs readers can see.',
    'Remove the debug variables from the workflow; enable debug logging for a single re-run when needed.',
  ),
  gha(
    'concurrency-limits',
    'insufficient job-level concurrency limits',
    'Without concurrency: superseded runs keep running, wasting runners and racing on shared state.',
    'Add concurrency: with a group and cancel-in-progress: true.',
  ),
  gha(
    'anonymous-definition',
    'workflow or action definition without a name',
    'Unnamed workflows and actions are hard to identify in the Actions UI and in logs.',
    'Add a name: field.',
  ),
  gha(
    'undocumented-permissions',
    'permissions without explanatory comments',
    'Write permissions without a reason are hard to review and tend to stay after they are no longer needed.',
    'Add a comment after each permission saying why it is needed.',
  ),
  gha(
    'forbidden-uses',
    'forbidden action or repository used',
    'The action is not allowed by the configured allow or deny list.',
    'Remove the action or change the forbidden-uses configuration.',
  ),
  gha(
    'archived-uses',
    'action or reusable workflow from archived repository',
    'Archived repositories receive no fixes, including security fixes.',
    'Replace the action with a maintained one or with a run: step.',
  ),
  gha(
    'typosquat-uses',
    'action reference resembles a popular action',
    'An owner/repo one typo away from a popular action is a classic way to get malicious code executed.',
    'Correct the reference to the intended action.',
  ),
  {
    id: 'dependabot-execution',
    platform: 'dependabot',
    title: 'external code execution in Dependabot updates',
    description: 'insecure-external-code-execution: allow lets dependency manifests run code, with access to Dependabot\'s credentials.',
    remediation: 'Set insecure-external-code-execution: deny or remove it.',
    helpUri: ZIZMOR_DOCS + 'dependabot-execution',
  },
  {
    id: 'dependabot-cooldown',
    platform: 'dependabot',
    title: 'insufficient cooldown in Dependabot updates',
    description: 'Updating to releases published minutes ago picks up compromised versions before registries take them down.',
    remediation: 'Add cooldown: default-days: 7 (or more) to each update entry.',
    helpUri: ZIZMOR_DOCS + 'dependabot-cooldown',
  },
  ...gitlabRules(),
];

function gitlabRules(): RuleInfo[] {
  const docs = 'https://docs.gitlab.com/ci/';
  const rule = (id: string, title: string, description: string, remediation: string, page: string): RuleInfo => ({
    id,
    platform: 'gitlab-ci',
    title,
    description,
    remediation,
    helpUri: docs + page,
  });
  return [
    rule(
      'gitlab-unpinned-include',
      'unpinned GitLab CI include',
      'A remote include or a project include without a pinned ref pulls pipeline code that can change without review.',
      'Pin project includes to a commit SHA (ref: <sha>) and remote includes with integrity: sha256-….',
      'yaml/#include',
    ),
    rule(
      'gitlab-script-injection',
      'code injection from merge request or branch metadata',
      'CI_MERGE_REQUEST_TITLE, CI_COMMIT_MESSAGE, branch names and similar variables are attacker-controlled; expanded in an eval or inside $[[ inputs ]] interpolation they become code.',
      'Quote the variable ("$CI_COMMIT_BRANCH"), never pass it to eval/sh -c, and validate it against an allow-list pattern.',
      'variables/predefined_variables/',
    ),
    rule(
      'gitlab-job-token-misuse',
      'CI_JOB_TOKEN exposed or misused',
      'The job token carries the triggering user\'s access; printing it, writing it to files or sending it to third-party hosts leaks that access.',
      'Use CI_JOB_TOKEN only with the GitLab API and registry of this instance, never echo it, and restrict the job token allowlist.',
      'jobs/ci_job_token/',
    ),
    rule(
      'gitlab-dind-without-tls',
      'privileged Docker-in-Docker without TLS',
      'A docker:dind service with TLS disabled exposes an unauthenticated root-equivalent Docker daemon to everything in the job network.',
      'Keep DOCKER_TLS_CERTDIR set (the default) and connect over tcp://docker:2376, or build with a daemonless tool (kaniko, buildah).',
      'docker/using_docker_build/',
    ),
    rule(
      'gitlab-unpinned-image',
      'unpinned GitLab CI image',
      'A job image or service without a digest (or with :latest) can change under the pipeline.',
      'Pin images by digest: image: name@sha256:<digest>.',
      'yaml/#image',
    ),
    rule(
      'gitlab-debug-trace',
      'GitLab CI debug trace enabled',
      'CI_DEBUG_TRACE prints every command with the values of all variables, masked ones included in some contexts.',
      'Remove CI_DEBUG_TRACE from the configuration.',
      'variables/variables_troubleshooting/',
    ),
  ];
}

export const RULES: Record<string, RuleInfo> = Object.fromEntries(LIST.map((r) => [r.id, r]));

/** Rule ids and aliases → rule id. */
export function canonicalRuleId(name: string): string | undefined {
  if (RULES[name]) return name;
  return LIST.find((r) => r.aliases?.includes(name))?.id;
}

export function allRules(): RuleInfo[] {
  return [...LIST];
}
