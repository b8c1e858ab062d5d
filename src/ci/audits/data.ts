/**
 * Built-in data the `uses:` audits consult. Each list says where it comes from; keep entries
 * to facts that are public and stable (advisories, archived repositories, popular actions).
 */

export interface ActionAdvisory {
  /** GHSA id (what users search for and allow-list). */
  id: string;
  aliases: string[];
  summary: string;
  severity: 'medium' | 'high';
  /** First fixed version: every lower version is affected. */
  fixed?: string;
  /** Highest version known to be affected when no fix is recorded. */
  lastAffected?: string;
  /** Commits known to be malicious (compromised releases). */
  commits?: string[];
  source: string;
}

/**
 * Advisories for popular actions, from the GitHub Advisory Database
 * (https://github.com/advisories?query=type%3Areviewed+ecosystem%3Aactions). The table is
 * deliberately small and offline; `known-vulnerable-actions` reports what it lists.
 */
export const ACTION_ADVISORIES: Record<string, ActionAdvisory[]> = {
  'tj-actions/changed-files': [
    {
      id: 'GHSA-mrrh-fwg8-r2c3',
      aliases: ['CVE-2025-30066'],
      summary: 'compromised: every tag was repointed to a commit that dumps runner memory (secrets) to the log (March 2025)',
      severity: 'high',
      fixed: '46.0.1',
      commits: ['0e58ed8671d6b60d0890c21b07f8835ace038e67'],
      source: 'https://github.com/advisories/GHSA-mrrh-fwg8-r2c3',
    },
    {
      id: 'GHSA-mcph-m25j-8j63',
      aliases: ['CVE-2023-51664'],
      summary: 'command injection through file names in outputs',
      severity: 'high',
      fixed: '41.0.0',
      source: 'https://github.com/advisories/GHSA-mcph-m25j-8j63',
    },
  ],
  'tj-actions/branch-names': [
    {
      id: 'GHSA-8v8w-v8xg-79rf',
      aliases: ['CVE-2023-49291'],
      summary: 'command injection through branch names in outputs',
      severity: 'high',
      fixed: '7.0.7',
      source: 'https://github.com/advisories/GHSA-8v8w-v8xg-79rf',
    },
  ],
  'tj-actions/verify-changed-files': [
    {
      id: 'GHSA-ghm2-rq8q-wrhc',
      aliases: ['CVE-2023-52137'],
      summary: 'command injection through file names in outputs',
      severity: 'high',
      fixed: '17.0.0',
      source: 'https://github.com/advisories/GHSA-ghm2-rq8q-wrhc',
    },
  ],
  'reviewdog/action-setup': [
    {
      id: 'GHSA-qmg3-hpqr-gqvc',
      aliases: ['CVE-2025-30154'],
      summary: 'compromised: the v1 tag pointed to a commit that dumped secrets to the log (11 March 2025)',
      severity: 'high',
      lastAffected: '1',
      source: 'https://github.com/advisories/GHSA-qmg3-hpqr-gqvc',
    },
  ],
  'dawidd6/action-download-artifact': [
    {
      id: 'GHSA-5xr6-xhww-33m4',
      aliases: ['CVE-2024-42471'],
      summary: 'artifacts from forks are downloaded by default (artifact poisoning)',
      severity: 'high',
      fixed: '6',
      source: 'https://github.com/advisories/GHSA-5xr6-xhww-33m4',
    },
  ],
  'rlespinasse/github-slug-action': [
    {
      id: 'GHSA-6q4m-7476-932w',
      aliases: ['CVE-2023-27581'],
      summary: 'command injection through branch names',
      severity: 'high',
      fixed: '4.4.1',
      source: 'https://github.com/advisories/GHSA-6q4m-7476-932w',
    },
  ],
  'shivammathur/setup-php': [
    {
      id: 'GHSA-5wxr-w449-57cm',
      aliases: [],
      summary: 'vulnerable setup-php release (see the advisory)',
      severity: 'medium',
      lastAffected: '2.37.0',
      source: 'https://github.com/advisories/GHSA-5wxr-w449-57cm',
    },
    {
      id: 'GHSA-pqwm-q9pv-ph8r',
      aliases: [],
      summary: 'vulnerable setup-php release (see the advisory)',
      severity: 'medium',
      lastAffected: '2.37.0',
      source: 'https://github.com/advisories/GHSA-pqwm-q9pv-ph8r',
    },
  ],
};

/** Repositories archived by their owners (read-only, no more fixes). */
export const ARCHIVED_REPOSITORIES = [
  'actions/setup-ruby',
  'actions/setup-elixir',
  'actions/setup-haskell',
  'actions/create-release',
  'actions/upload-release-asset',
  'actions-rs/toolchain',
  'actions-rs/cargo',
  'actions-rs/audit-check',
  'actions-rs/clippy-check',
  'actions-rs/tarpaulin',
  'actions-rs/grcov',
  'actions-rs/install',
];

/** Widely used actions, the targets typosquatters imitate. */
export const POPULAR_ACTIONS = [
  'actions/checkout',
  'actions/setup-node',
  'actions/setup-python',
  'actions/setup-go',
  'actions/setup-java',
  'actions/setup-dotnet',
  'actions/cache',
  'actions/upload-artifact',
  'actions/download-artifact',
  'actions/github-script',
  'actions/labeler',
  'actions/stale',
  'actions/attest-build-provenance',
  'docker/login-action',
  'docker/build-push-action',
  'docker/setup-buildx-action',
  'docker/setup-qemu-action',
  'docker/metadata-action',
  'github/codeql-action',
  'aws-actions/configure-aws-credentials',
  'azure/login',
  'google-github-actions/auth',
  'hashicorp/setup-terraform',
  'softprops/action-gh-release',
  'peaceiris/actions-gh-pages',
  'codecov/codecov-action',
  'pypa/gh-action-pypi-publish',
  'ruby/setup-ruby',
  'astral-sh/setup-uv',
  'sigstore/cosign-installer',
  'slsa-framework/slsa-github-generator',
  'peter-evans/create-pull-request',
  'tj-actions/changed-files',
  'dorny/paths-filter',
  'golangci/golangci-lint-action',
  'goreleaser/goreleaser-action',
  'pnpm/action-setup',
  'gradle/actions',
];

/** Actions that wrap a tool the GitHub-hosted runner already ships. */
export const SUPERFLUOUS_ACTIONS: { pattern: string; replacement: string; confidence: 'low' | 'medium' }[] = [
  { pattern: 'ncipollo/release-action', replacement: '`gh release create`', confidence: 'medium' },
  { pattern: 'softprops/action-gh-release', replacement: '`gh release create`', confidence: 'medium' },
  { pattern: 'elgohr/Github-Release-Action', replacement: '`gh release create`', confidence: 'medium' },
  { pattern: 'svenstaro/upload-release-action', replacement: '`gh release create` and `gh release upload`', confidence: 'medium' },
  { pattern: 'peter-evans/create-pull-request', replacement: '`gh pr create`', confidence: 'low' },
  { pattern: 'peter-evans/create-or-update-comment', replacement: '`gh pr comment` or `gh issue comment`', confidence: 'low' },
  { pattern: 'dacbd/create-issue-action', replacement: '`gh issue create`', confidence: 'medium' },
  { pattern: 'actions-ecosystem/action-add-labels', replacement: '`gh issue edit --add-label` or `gh pr edit --add-label`', confidence: 'medium' },
  { pattern: 'actions-ecosystem/action-remove-labels', replacement: '`gh issue edit --remove-label` or `gh pr edit --remove-label`', confidence: 'medium' },
  { pattern: 'addnab/docker-run-action', replacement: '`docker run`', confidence: 'medium' },
  { pattern: 'sergeysova/jq-action', replacement: '`jq`', confidence: 'medium' },
  { pattern: 'dtolnay/rust-toolchain', replacement: '`rustup` and/or `cargo`', confidence: 'medium' },
  { pattern: 'stefanzweifel/git-auto-commit-action', replacement: '`git add`, `git commit`, and `git push`', confidence: 'medium' },
  { pattern: 'EndBug/add-and-commit', replacement: '`git add`, `git commit`, and `git push`', confidence: 'medium' },
];

/** Actions that download their tool's latest release unless `version:` says otherwise. */
export const TOOL_INSTALLERS = ['aquasecurity/setup-trivy', '1password/load-secrets-action'];
