/**
 * The ref checks of slsa-verifier: --source-tag (exact tag), --source-versioned-tag (semantic
 * version: the parts the user gives must match, missing parts of the provenance's tag count as 0,
 * so `v14` matches tag v14.2 and `v14.0` matches tag v14 but `v14.2.1` does not match tag v14.2)
 * and --source-branch (the branch built, or for a tag build the branch the tag was pushed from).
 * A ref of the wrong kind (no tag when a tag is asked for) is INVALID_REF, a different value
 * REF_MISMATCH.
 */
import { ProvenanceError } from './errors.ts';

/** The refs a provenance records about the build's trigger. */
export interface RefInfo {
  /** Full git ref the build ran on: `refs/tags/v1.2.3`, `refs/heads/main`. */
  ref?: string;
  /** For a tag build, the branch it came from (`refs/heads/main`), when the provenance records it. */
  baseRef?: string;
}

export interface SemanticVersion {
  major: number;
  minor?: number;
  patch?: number;
  prerelease?: string;
}

const TAG_PREFIX = 'refs/tags/';
const BRANCH_PREFIX = 'refs/heads/';
// vMAJOR[.MINOR[.PATCH[-prerelease][+build]]]: Go's semver shorthand (v1, v1.2) has no prerelease.
const SEMVER = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?)?)?$/;

export function parseSemanticVersion(tag: string): SemanticVersion | undefined {
  const match = SEMVER.exec(tag);
  if (!match) return undefined;
  const version: SemanticVersion = { major: Number(match[1]) };
  if (match[2] !== undefined) version.minor = Number(match[2]);
  if (match[3] !== undefined) version.patch = Number(match[3]);
  if (match[4] !== undefined) version.prerelease = match[4];
  return version;
}

export function tagOf(ref: string | undefined): string | undefined {
  return ref?.startsWith(TAG_PREFIX) ? ref.slice(TAG_PREFIX.length) : undefined;
}

export function checkTag(info: RefInfo, expected: string): void {
  const tag = requireTag(info, `tag ${expected}`);
  const wanted = expected.startsWith(TAG_PREFIX) ? expected.slice(TAG_PREFIX.length) : expected;
  if (tag !== wanted) throw new ProvenanceError('REF_MISMATCH', `the build ran on tag ${tag}, expected tag ${wanted}`);
}

export function checkVersionedTag(info: RefInfo, expected: string): void {
  const wanted = parseSemanticVersion(expected);
  if (!wanted) throw new ProvenanceError('INVALID_OPTION', `--source-versioned-tag "${expected}" is not a semantic version (vMAJOR[.MINOR[.PATCH]])`);
  const tag = requireTag(info, `a tag matching ${expected}`);
  const actual = parseSemanticVersion(tag);
  if (!actual) throw new ProvenanceError('REF_MISMATCH', `the build ran on tag ${tag}, which is not a semantic version (expected ${expected})`);
  const mismatch =
    actual.major !== wanted.major ||
    (wanted.minor !== undefined && (actual.minor ?? 0) !== wanted.minor) ||
    (wanted.patch !== undefined && (actual.patch ?? 0) !== wanted.patch) ||
    (wanted.prerelease !== undefined && actual.prerelease !== wanted.prerelease);
  if (mismatch) throw new ProvenanceError('REF_MISMATCH', `the build ran on tag ${tag}, which does not match versioned tag ${expected}`);
}

export function checkBranch(info: RefInfo, expected: string): void {
  const branch = info.ref?.startsWith(BRANCH_PREFIX) ? info.ref : tagOf(info.ref) !== undefined ? info.baseRef : undefined;
  if (!branch?.startsWith(BRANCH_PREFIX)) {
    throw new ProvenanceError(
      'INVALID_REF',
      `the provenance records no branch for ${info.ref ? `ref ${info.ref}` : 'the build'} (expected branch ${expected})`,
    );
  }
  const wanted = expected.startsWith(BRANCH_PREFIX) ? expected : `${BRANCH_PREFIX}${expected}`;
  if (branch !== wanted) {
    throw new ProvenanceError('REF_MISMATCH', `the build ran on branch ${branch.slice(BRANCH_PREFIX.length)}, expected ${wanted.slice(BRANCH_PREFIX.length)}`);
  }
}

function requireTag(info: RefInfo, what: string): string {
  const tag = tagOf(info.ref);
  if (tag === undefined) {
    throw new ProvenanceError('INVALID_REF', `the build ran on ${info.ref ? `ref ${info.ref}` : 'no recorded ref'}, not a tag (expected ${what})`);
  }
  return tag;
}
