/**
 * `palisade provenance verify`: the checks slsa-verifier makes, each failing with its own reason.
 *
 *  (a) signature (signature.ts): key, Sigstore bundle, or embedded Fulcio certificate;
 *  (b) the builder: for keyless GitHub provenance the builder is the workflow Fulcio certified —
 *      a trusted slsa-github-generator workflow (or the one named by --builder-id) pinned to a
 *      release tag, which must also be the provenance's builder.id; a BYOB delegator vouches for
 *      the builder.id it records; GitHub-hosted runners (npm CLI, GitHub artifact attestations)
 *      count only when --builder-id names them and the signing workflow belongs to the source
 *      repository. With a key, --builder-id (if given) must match builder.id.
 *  (c) the certificate and the provenance agree on the source repository, ref and commit;
 *  (d) the artifact digests are subjects of the statement;
 *  (e) the source repository (trigger and material) is --source-uri, at the same ref;
 *  (f) --source-tag / --source-versioned-tag / --source-branch (refs.ts);
 *  (g) --build-workflow-input values;
 *  (h) npm: package name and version.
 */
import type { KeyObject } from 'node:crypto';
import type { TrustedRoot } from '../bundle/index.ts';
import type { Statement, Subject } from '../intoto.ts';
import {
  BUILDER_TEST_REPOSITORIES,
  builderMatches,
  DELEGATOR_BUILDERS,
  GITHUB_RUNNER_BUILDERS,
  isReleaseRef,
  parseBuilderId,
  TRUSTED_BUILDERS,
} from './builders.ts';
import { readClaims, type ProvenanceClaims, type SourceClaim } from './claims.ts';
import { ProvenanceError } from './errors.ts';
import type { WorkflowIdentity } from './fulcio.ts';
import { authenticateGcb, checkGcb, type AuthenticatedGcb } from './gcb.ts';
import { loadProvenance } from './load.ts';
import { authenticateNpm, checkNpm, type AuthenticatedNpm } from './npm.ts';
import { checkBranch, checkTag, checkVersionedTag } from './refs.ts';
import {
  authenticateBundle,
  authenticateEnvelope,
  authenticateStatement,
  type AuthenticatedStatement,
  type SignatureMethod,
} from './signature.ts';
import { normalizeSourceUri, repositoryOf } from './source.ts';

/** One artifact's digests by algorithm (`{sha256: hex}`, `{sha512: hex}` for npm tarballs). */
export type DigestSet = Readonly<Record<string, string>>;

export interface VerifyProvenanceOptions {
  /** Each artifact must be a subject of the provenance. At least one. */
  artifacts: readonly DigestSet[];
  /** `github.com/org/repo` (or `https://…`, `git+https://…`); no source check without it. */
  sourceUri?: string;
  sourceTag?: string;
  sourceBranch?: string;
  sourceVersionedTag?: string;
  builderId?: string;
  workflowInputs?: Readonly<Record<string, string>>;
  /** npm packages. */
  packageName?: string;
  packageVersion?: string;
  /** Keys for key-signed provenance (DSSE or key-based bundles); Google Cloud Build keys by keyid. */
  keys?: readonly KeyObject[];
  /** Google Cloud Build's signing keys, by region or key name (`us-west2`, `global-pae-provenanceSigner_1`). */
  gcbKeys?: ReadonlyMap<string, KeyObject>;
  /** npm registry signing keys by key id (`SHA256:…`), for the publish attestation. */
  npmKeys?: ReadonlyMap<string, KeyObject>;
  trustedRoot?: TrustedRoot;
  allowUnsigned?: boolean;
  /**
   * slsa-verifier's testing mode: the generator's own e2e repositories may build with an unreleased
   * builder (a branch instead of a release tag). Never for real verifications.
   */
  allowUnreleasedTestBuilders?: boolean;
}

export interface ProvenanceVerification {
  predicateType: string;
  /** The verified builder id, in full (`…@refs/tags/v1.2.3`). */
  builderId: string;
  buildType?: string;
  /** The source repository and ref the provenance records. */
  source?: { repository: string; ref?: string; commit?: string };
  signature: { method: SignatureMethod | 'gcb-key'; signer?: string; limitations: string[] };
  /** The subjects that matched the artifacts. */
  subjects: Subject[];
  statement: Statement;
}

/**
 * A provenance whose signatures were checked, before the checks that depend on what is expected of
 * it: authenticate once, check against several policies (or builder ids) with checkProvenance.
 */
export type AuthenticatedProvenance =
  /** One candidate per bundle or JSON line; a line that does not authenticate keeps its error. */
  | { kind: 'statements'; candidates: Array<AuthenticatedStatement | { error: unknown }> }
  | { kind: 'gcb'; gcb: AuthenticatedGcb }
  | { kind: 'npm'; npm: AuthenticatedNpm };

export type AuthenticationOptions = Pick<VerifyProvenanceOptions, 'keys' | 'trustedRoot' | 'allowUnsigned' | 'gcbKeys' | 'npmKeys'>;

/** Step (a): reads the provenance and verifies its signatures. Throws only for unreadable input. */
export function authenticateProvenance(input: string | Uint8Array, options: AuthenticationOptions): AuthenticatedProvenance {
  const document = loadProvenance(input);
  const attempt = (fn: () => AuthenticatedStatement): AuthenticatedStatement | { error: unknown } => {
    try {
      return fn();
    } catch (err) {
      return { error: err };
    }
  };
  switch (document.kind) {
    case 'gcb':
      return { kind: 'gcb', gcb: authenticateGcb(document.document, options.gcbKeys) };
    case 'npm':
      return { kind: 'npm', npm: authenticateNpm(document, options) };
    case 'statement':
      return { kind: 'statements', candidates: [attempt(() => authenticateStatement(document.statement, options))] };
    case 'bundle':
      return { kind: 'statements', candidates: document.bundles.map((bundle) => attempt(() => authenticateBundle(bundle, options))) };
    case 'envelope':
      return { kind: 'statements', candidates: document.envelopes.map((envelope) => attempt(() => authenticateEnvelope(envelope, options))) };
  }
}

/** Steps (b)–(h) on an authenticated provenance. JSON lines may cover other artifacts: the first candidate that verifies wins. */
export function checkProvenance(provenance: AuthenticatedProvenance, options: VerifyProvenanceOptions): ProvenanceVerification {
  if (options.artifacts.length === 0) throw new ProvenanceError('INVALID_OPTION', 'give the artifact to verify (--artifact or --digest)');
  if (provenance.kind === 'gcb') return checkGcb(provenance.gcb, options);
  if (provenance.kind === 'npm') return checkNpm(provenance.npm, options, verifyAuthenticated);
  let first: unknown;
  for (const candidate of provenance.candidates) {
    try {
      if ('error' in candidate) throw candidate.error;
      return verifyAuthenticated(candidate, options);
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

export async function verifyProvenance(input: string | Uint8Array, options: VerifyProvenanceOptions): Promise<ProvenanceVerification> {
  if (options.artifacts.length === 0) throw new ProvenanceError('INVALID_OPTION', 'give the artifact to verify (--artifact or --digest)');
  return checkProvenance(authenticateProvenance(input, options), options);
}

/** Checks (b)–(g) on one authenticated statement. */
export function verifyAuthenticated(auth: AuthenticatedStatement, options: VerifyProvenanceOptions): ProvenanceVerification {
  const { statement } = auth;
  const claims = readClaims(statement.predicateType, statement.predicate);
  const builderId = checkBuilder(claims, auth, options);
  if (auth.identity) checkCertificateAgrees(auth.identity, claims, options);
  const subjects = matchSubjects(statement, options.artifacts);
  const source = checkSource(claims, options.sourceUri);
  const refs = { ...(claims.ref !== undefined && { ref: claims.ref }), ...(claims.baseRef !== undefined && { baseRef: claims.baseRef }) };
  if (options.sourceTag !== undefined) checkTag(refs, options.sourceTag);
  if (options.sourceVersionedTag !== undefined) checkVersionedTag(refs, options.sourceVersionedTag);
  if (options.sourceBranch !== undefined) checkBranch(refs, options.sourceBranch);
  if (options.workflowInputs) checkInputs(claims.inputs, options.workflowInputs);
  const signature: ProvenanceVerification['signature'] = { method: auth.method, limitations: auth.limitations };
  if (auth.identity) signature.signer = auth.identity.signer;
  const result: ProvenanceVerification = { predicateType: statement.predicateType, builderId, signature, subjects, statement };
  if (claims.buildType) result.buildType = claims.buildType;
  if (source) result.source = source;
  return result;
}

/** (b): the builder id that verified. */
function checkBuilder(claims: ProvenanceClaims, auth: AuthenticatedStatement, options: VerifyProvenanceOptions): string {
  const expected = options.builderId;
  if (!auth.identity) {
    if (expected !== undefined && !builderMatches(claims.builderId, expected, true)) {
      throw new ProvenanceError('BUILDER_MISMATCH', `the provenance's builder is ${claims.builderId}, expected ${expected}`);
    }
    return claims.builderId;
  }
  const identity = auth.identity;
  const signer = parseBuilderId(identity.signer);

  if (DELEGATOR_BUILDERS.has(signer.name)) {
    checkReleaseRef(signer.version, identity, options);
    return checkDelegatedBuilder(claims.builderId, expected);
  }
  if (TRUSTED_BUILDERS.has(signer.name) || (expected !== undefined && !isRunnerBuilder(expected))) {
    if (expected !== undefined && !builderMatches(identity.signer, expected, true)) {
      throw new ProvenanceError('UNTRUSTED_BUILDER', `signed by ${identity.signer}, not by the builder ${expected}`);
    }
    checkReleaseRef(signer.version, identity, options);
    if (claims.builderId !== identity.signer) {
      throw new ProvenanceError('BUILDER_MISMATCH', `the provenance names builder ${claims.builderId} but was signed by ${identity.signer}`);
    }
    return identity.signer;
  }
  if (expected !== undefined) return checkRunnerBuilder(claims, identity, expected);
  throw new ProvenanceError(
    'UNTRUSTED_BUILDER',
    `signed by ${identity.signer}, which is not a trusted builder; name the builder you trust with --builder-id ` +
      `(https://github.com/actions/runner/github-hosted for builds on GitHub-hosted runners)`,
  );
}

/** A delegator signs for the trusted reusable workflow that called it, recorded as builder.id. */
function checkDelegatedBuilder(builderId: string, expected: string | undefined): string {
  if (expected !== undefined) {
    if (!builderMatches(builderId, expected, true)) {
      throw new ProvenanceError('BUILDER_MISMATCH', `the provenance's builder is ${builderId}, expected ${expected}`);
    }
  } else if (!TRUSTED_BUILDERS.has(parseBuilderId(builderId).name)) {
    throw new ProvenanceError('UNTRUSTED_BUILDER', `builder ${builderId} is not a trusted builder: name it with --builder-id to trust it`);
  }
  return builderId;
}

function isRunnerBuilder(id: string): boolean {
  return GITHUB_RUNNER_BUILDERS.has(parseBuilderId(id).name);
}

/**
 * The repository's own workflow signed, on a GitHub-hosted runner: the runner is the builder (npm's
 * `https://github.com/actions/runner` in v0.2 and `…/runner/github-hosted` in v1 are the same one).
 */
function checkRunnerBuilder(claims: ProvenanceClaims, identity: WorkflowIdentity, expected: string): string {
  if (!isRunnerBuilder(expected)) {
    throw new ProvenanceError('UNTRUSTED_BUILDER', `builder ${expected} is not the signer ${identity.signer} nor a GitHub-hosted runner`);
  }
  if (!isRunnerBuilder(claims.builderId)) {
    throw new ProvenanceError('BUILDER_MISMATCH', `the provenance's builder is ${claims.builderId}, expected ${expected}`);
  }
  if (identity.runnerEnvironment !== undefined && identity.runnerEnvironment !== 'github-hosted') {
    throw new ProvenanceError('BUILDER_MISMATCH', `the build ran on a ${identity.runnerEnvironment} runner, not a GitHub-hosted one`);
  }
  const repository = identity.sourceRepository;
  if (!repository || !identity.signer.startsWith(`${repository}/`)) {
    throw new ProvenanceError(
      'UNTRUSTED_BUILDER',
      `signed by ${identity.signer}, which is not a workflow of the source repository ${repository ?? '(unknown)'}`,
    );
  }
  return claims.builderId;
}

/** Trusted builders run from a release tag, so the builder's code is a reviewed, immutable version. */
function checkReleaseRef(ref: string | undefined, identity: WorkflowIdentity, options: VerifyProvenanceOptions): void {
  if (isReleaseRef(ref)) return;
  if (options.allowUnreleasedTestBuilders && identity.sourceRepository && BUILDER_TEST_REPOSITORIES.has(identity.sourceRepository)) return;
  throw new ProvenanceError('INVALID_REF', `builder ${identity.signer} is not pinned to a release tag (refs/tags/vX.Y.Z)`);
}

/** (c): what Fulcio certified about the run must be what the provenance says. */
function checkCertificateAgrees(identity: WorkflowIdentity, claims: ProvenanceClaims, options: VerifyProvenanceOptions): void {
  if (options.sourceUri !== undefined && identity.sourceRepository !== undefined) {
    const expected = normalizeSourceUri(options.sourceUri).repository;
    if (identity.sourceRepository !== expected) {
      throw new ProvenanceError('SOURCE_MISMATCH', `the signing certificate was issued for ${identity.sourceRepository}, expected ${expected}`);
    }
  }
  const trigger = repositoryOf(claims.trigger?.uri);
  if (identity.sourceRepository !== undefined && trigger && trigger.repository !== identity.sourceRepository) {
    throw new ProvenanceError(
      'PROVENANCE_MISMATCH',
      `the provenance's source ${trigger.repository} is not the repository ${identity.sourceRepository} the certificate was issued for`,
    );
  }
  if (identity.sourceRef !== undefined && claims.ref !== undefined && identity.sourceRef !== claims.ref) {
    throw new ProvenanceError('PROVENANCE_MISMATCH', `the provenance's ref ${claims.ref} is not the ref ${identity.sourceRef} the certificate was issued for`);
  }
  const commit = commitOf(claims.material) ?? commitOf(claims.trigger);
  if (identity.sourceDigest !== undefined && commit !== undefined && identity.sourceDigest !== commit) {
    throw new ProvenanceError(
      'PROVENANCE_MISMATCH',
      `the provenance's commit ${commit} is not the commit ${identity.sourceDigest} the certificate was issued for`,
    );
  }
}

/** (d): every artifact must be a subject (by any digest algorithm both name). */
function matchSubjects(statement: Statement, artifacts: readonly DigestSet[]): Subject[] {
  const matched: Subject[] = [];
  for (const artifact of artifacts) {
    const subject = statement.subject.find((s) =>
      Object.entries(artifact).some(([alg, hex]) => s.digest[alg] !== undefined && s.digest[alg].toLowerCase() === hex.toLowerCase()),
    );
    if (!subject) {
      const shown = Object.entries(artifact).map(([alg, hex]) => `${alg}:${hex}`).join(', ');
      throw new ProvenanceError('DIGEST_MISMATCH', `no subject of the provenance has the artifact's digest ${shown}`);
    }
    if (!matched.includes(subject)) matched.push(subject);
  }
  return matched;
}

/** (e): trigger and material name the expected repository, at the same ref. */
function checkSource(claims: ProvenanceClaims, sourceUri: string | undefined): ProvenanceVerification['source'] {
  const trigger = repositoryOf(claims.trigger?.uri);
  const material = repositoryOf(claims.material?.uri);
  if (sourceUri !== undefined) {
    const expected = normalizeSourceUri(sourceUri).repository;
    if (!trigger && !material) throw new ProvenanceError('SOURCE_MISMATCH', `the provenance records no source repository (expected ${expected})`);
    for (const [what, found] of [['trigger', trigger], ['material', material]] as const) {
      if (found && found.repository !== expected) {
        throw new ProvenanceError('SOURCE_MISMATCH', `the provenance's ${what} repository is ${found.repository}, expected ${expected}`);
      }
    }
  }
  const triggerRef = claims.trigger?.ref;
  const materialRef = claims.material?.ref;
  if (trigger && material && trigger.repository === material.repository && triggerRef && materialRef && triggerRef !== materialRef) {
    throw new ProvenanceError('SOURCE_MISMATCH', `the provenance's trigger ref ${triggerRef} and source material ref ${materialRef} differ`);
  }
  const found = trigger ?? material;
  if (!found) return undefined;
  const source: NonNullable<ProvenanceVerification['source']> = { repository: found.repository };
  const ref = claims.ref ?? triggerRef ?? materialRef;
  if (ref) source.ref = ref;
  const commit = commitOf(claims.material) ?? commitOf(claims.trigger);
  if (commit) source.commit = commit;
  return source;
}

/** (g): each expected input must be recorded with the same value. */
function checkInputs(actual: Record<string, unknown> | undefined, expected: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(expected)) {
    const recorded = actual?.[name];
    if (recorded === undefined) throw new ProvenanceError('INPUTS_MISMATCH', `the provenance records no workflow input "${name}"`);
    if (String(recorded) !== value) {
      throw new ProvenanceError('INPUTS_MISMATCH', `workflow input "${name}" is ${JSON.stringify(recorded)}, expected ${JSON.stringify(value)}`);
    }
  }
}

function commitOf(claim: SourceClaim | undefined): string | undefined {
  return claim?.digest?.gitCommit ?? claim?.digest?.sha1;
}
