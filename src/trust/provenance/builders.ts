/**
 * Builder ids and the builders trusted without being named: slsa-github-generator's reusable
 * workflows, whose identity Fulcio certifies (the SAN of the signing certificate). A builder id is
 * `name[@version]`; for GitHub workflows the version is the git ref (`@refs/tags/v1.2.3`), and a user
 * may write the short form `@v1.2.3` (slsa-verifier's "loose" match).
 */

export interface BuilderId {
  name: string;
  version?: string;
}

const GENERATOR_WORKFLOWS = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/';

/** Reusable workflows that sign their own provenance (the SAN is the builder). */
export const TRUSTED_BUILDERS: ReadonlySet<string> = new Set(
  [
    'generator_generic_slsa3.yml',
    'generator_container_slsa3.yml',
    'builder_go_slsa3.yml',
    'builder_container-based_slsa3.yml',
    'builder_docker-based_slsa3.yml',
    // Trusted reusable workflows of the "bring your own builder" framework, signed through a delegator.
    'builder_nodejs_slsa3.yml',
    'builder_maven_slsa3.yml',
    'builder_gradle_slsa3.yml',
  ].map((file) => `${GENERATOR_WORKFLOWS}${file}`),
);

/**
 * The BYOB delegators: they sign for the trusted reusable workflow that called them, which they
 * record as the provenance's builder.id (the certificate names the delegator, not the builder).
 */
export const DELEGATOR_BUILDERS: ReadonlySet<string> = new Set(
  ['delegator_generic_slsa3.yml', 'delegator_lowperms-generic_slsa3.yml'].map((file) => `${GENERATOR_WORKFLOWS}${file}`),
);

/** GitHub-hosted runners as builders: npm CLI provenance and GitHub artifact attestations. */
export const GITHUB_RUNNER_BUILDERS: ReadonlySet<string> = new Set([
  'https://github.com/actions/runner',
  'https://github.com/actions/runner/github-hosted',
]);

/** The e2e repositories slsa-verifier lets build with an unreleased builder in its testing mode. */
export const BUILDER_TEST_REPOSITORIES: ReadonlySet<string> = new Set([
  'https://github.com/slsa-framework/slsa-github-generator',
  'https://github.com/slsa-framework/example-package',
]);

export function parseBuilderId(id: string): BuilderId {
  const at = id.indexOf('@');
  return at === -1 ? { name: id } : { name: id.slice(0, at), version: id.slice(at + 1) };
}

/**
 * Whether the builder `actual` (as certified or recorded) is the one a user named: same name and,
 * when the user gave a version, the same version — or, with `allowRef`, the user's `v1.2.3` for
 * the recorded `refs/tags/v1.2.3`.
 */
export function builderMatches(actual: string, expected: string, allowRef: boolean): boolean {
  const have = parseBuilderId(actual);
  const want = parseBuilderId(expected);
  if (have.name !== want.name) return false;
  if (want.version === undefined || want.version === have.version) return true;
  return allowRef && have.version === `refs/tags/${want.version}`;
}

/**
 * Trusted builders must run from a release: `refs/tags/vX.Y.Z` with all three parts and no build
 * metadata, so that the builder's code is an immutable, reviewed version.
 */
export function isReleaseRef(ref: string | undefined): boolean {
  if (!ref?.startsWith('refs/tags/')) return false;
  return /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/.test(ref.slice('refs/tags/'.length));
}
