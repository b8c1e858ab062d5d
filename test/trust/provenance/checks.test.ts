/** The building blocks of verification: refs, builder ids, source URIs, predicate claims. */
import { describe, expect, it } from 'vitest';
import { builderMatches, isReleaseRef, parseBuilderId } from '../../../src/trust/provenance/builders.ts';
import { readClaims } from '../../../src/trust/provenance/claims.ts';
import { isProvenanceError } from '../../../src/trust/provenance/errors.ts';
import { checkBranch, checkTag, checkVersionedTag, parseSemanticVersion, type RefInfo } from '../../../src/trust/provenance/refs.ts';
import { normalizeSourceUri } from '../../../src/trust/provenance/source.ts';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isProvenanceError(err)) return err.reason;
    throw err;
  }
  return undefined;
}

describe('ref checks', () => {
  const tag = (t: string): RefInfo => ({ ref: `refs/tags/${t}` });

  it.each([
    // [provenance tag, expected versioned tag, reason or undefined for a match]
    ['v14', 'v14', undefined],
    ['v14', 'v14.0', undefined],
    ['v14', 'v14.0.0', undefined],
    ['v14', 'v14.1', 'REF_MISMATCH'],
    ['v14', 'v13', 'REF_MISMATCH'],
    ['v14', 'v15', 'REF_MISMATCH'],
    ['v14', 'v0', 'REF_MISMATCH'],
    ['v14.2', 'v14', undefined],
    ['v14.2', 'v14.2', undefined],
    ['v14.2', 'v14.2.1', 'REF_MISMATCH'],
    ['v14.2', 'v14.2.0', undefined],
    ['v14.2', 'v14.1', 'REF_MISMATCH'],
    ['v14.2', 'v14.3.1', 'REF_MISMATCH'],
    ['v13.0.30', 'v13.0', undefined],
    ['v13.0.30', 'v13.0.29', 'REF_MISMATCH'],
    ['v1.2.3-rc.1', 'v1.2.3', undefined],
    ['v1.2.3-rc.1', 'v1.2.3-rc.2', 'REF_MISMATCH'],
    ['1.2.3', 'v1', undefined],
    ['latest', 'v1', 'REF_MISMATCH'],
  ])('tag %s against versioned tag %s', (actual, expected, reason) => {
    expect(reasonOf(() => checkVersionedTag(tag(actual), expected))).toBe(reason);
  });

  it('needs a tag build for tag checks, and a semantic version to compare', () => {
    expect(reasonOf(() => checkVersionedTag({ ref: 'refs/heads/main' }, 'v1'))).toBe('INVALID_REF');
    expect(reasonOf(() => checkVersionedTag({}, 'v1'))).toBe('INVALID_REF');
    expect(reasonOf(() => checkVersionedTag(tag('v1'), 'one'))).toBe('INVALID_OPTION');
    expect(reasonOf(() => checkTag({ ref: 'refs/heads/main' }, 'v1.2.3'))).toBe('INVALID_REF');
  });

  it('compares tags exactly', () => {
    expect(reasonOf(() => checkTag(tag('v33.0.4'), 'v33.0.4'))).toBeUndefined();
    expect(reasonOf(() => checkTag(tag('v33.0.4'), 'refs/tags/v33.0.4'))).toBeUndefined();
    expect(reasonOf(() => checkTag(tag('v33.0.4'), 'v33.0'))).toBe('REF_MISMATCH');
  });

  it('reads the branch of a branch build, and of a tag build from its base ref', () => {
    expect(reasonOf(() => checkBranch({ ref: 'refs/heads/main' }, 'main'))).toBeUndefined();
    expect(reasonOf(() => checkBranch({ ref: 'refs/heads/main' }, 'refs/heads/main'))).toBeUndefined();
    expect(reasonOf(() => checkBranch({ ref: 'refs/heads/main' }, 'master'))).toBe('REF_MISMATCH');
    expect(reasonOf(() => checkBranch({ ref: 'refs/tags/v1', baseRef: 'refs/heads/main' }, 'main'))).toBeUndefined();
    expect(reasonOf(() => checkBranch({ ref: 'refs/tags/v1', baseRef: 'refs/heads/release' }, 'main'))).toBe('REF_MISMATCH');
    // An annotated tag pushed on its own has no base ref: no branch to compare.
    expect(reasonOf(() => checkBranch({ ref: 'refs/tags/v1' }, 'main'))).toBe('INVALID_REF');
    expect(reasonOf(() => checkBranch({ ref: 'refs/pull/1/merge' }, 'main'))).toBe('INVALID_REF');
  });

  it('parses Go-style semantic versions', () => {
    expect(parseSemanticVersion('v1')).toEqual({ major: 1 });
    expect(parseSemanticVersion('v1.2.3-beta.1+build')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: 'beta.1' });
    expect(parseSemanticVersion('v01')).toBeUndefined();
    expect(parseSemanticVersion('v1.2-beta')).toBeUndefined();
  });
});

describe('builder ids', () => {
  const GO = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml';

  it('matches names, versions, and short versions against refs/tags when allowed', () => {
    expect(parseBuilderId(`${GO}@refs/tags/v1.2.1`)).toEqual({ name: GO, version: 'refs/tags/v1.2.1' });
    expect(builderMatches(`${GO}@refs/tags/v1.2.1`, GO, false)).toBe(true);
    expect(builderMatches(`${GO}@refs/tags/v1.2.1`, `${GO}@refs/tags/v1.2.1`, false)).toBe(true);
    expect(builderMatches(`${GO}@refs/tags/v1.2.1`, `${GO}@v1.2.1`, true)).toBe(true);
    expect(builderMatches(`${GO}@refs/tags/v1.2.1`, `${GO}@v1.2.1`, false)).toBe(false);
    expect(builderMatches(`${GO}@refs/tags/v1.2.1`, `${GO}@v1.2.2`, true)).toBe(false);
    expect(builderMatches(`${GO}@refs/tags/v1.2.1`, `${GO}x`, true)).toBe(false);
  });

  it('accepts only full release tags for trusted builders', () => {
    expect(isReleaseRef('refs/tags/v1.2.3')).toBe(true);
    expect(isReleaseRef('refs/tags/v1.2.3-rc.1')).toBe(true);
    expect(isReleaseRef('refs/tags/v1.2')).toBe(false);
    expect(isReleaseRef('refs/tags/v1.2.3+meta')).toBe(false);
    expect(isReleaseRef('refs/heads/main')).toBe(false);
    expect(isReleaseRef(undefined)).toBe(false);
  });
});

describe('source URIs', () => {
  it.each([
    ['github.com/org/repo', { repository: 'https://github.com/org/repo' }],
    ['https://github.com/org/repo', { repository: 'https://github.com/org/repo' }],
    ['git+https://github.com/org/repo@refs/tags/v1', { repository: 'https://github.com/org/repo', ref: 'refs/tags/v1' }],
    ['git+https://github.com/org/repo.git', { repository: 'https://github.com/org/repo' }],
    ['https://user@gitlab.com/g/p/', { repository: 'https://user@gitlab.com/g/p' }],
  ])('%s', (input, expected) => {
    expect(normalizeSourceUri(input)).toEqual(expected);
  });

  it('keeps case (repositories are compared exactly) and rejects a bare host', () => {
    expect(normalizeSourceUri('github.com/Org/Repo').repository).toBe('https://github.com/Org/Repo');
    expect(reasonOf(() => normalizeSourceUri('github.com'))).toBe('INVALID_OPTION');
  });
});

describe('predicate claims', () => {
  it('reads v0.2 generator provenance (lower-case environment)', () => {
    const claims = readClaims('https://slsa.dev/provenance/v0.2', {
      builder: { id: 'https://builder@refs/tags/v1.0.0' },
      buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
      invocation: {
        configSource: { uri: 'git+https://github.com/o/r@refs/tags/v1', digest: { sha1: 'abc' }, entryPoint: 'w.yml' },
        environment: {
          github_ref: 'refs/tags/v1',
          github_event_name: 'push',
          github_event_payload: { base_ref: 'refs/heads/main', inputs: { a: '1' } },
        },
      },
      materials: [{ uri: 'git+https://github.com/o/r@refs/tags/v1', digest: { sha1: 'abc' } }],
    });
    expect(claims).toEqual({
      predicateType: 'https://slsa.dev/provenance/v0.2',
      builderId: 'https://builder@refs/tags/v1.0.0',
      buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
      trigger: { uri: 'git+https://github.com/o/r@refs/tags/v1', ref: 'refs/tags/v1', digest: { sha1: 'abc' } },
      material: { uri: 'git+https://github.com/o/r@refs/tags/v1', ref: 'refs/tags/v1', digest: { sha1: 'abc' } },
      ref: 'refs/tags/v1',
      eventName: 'push',
      baseRef: 'refs/heads/main',
      inputs: { a: '1' },
    });
  });

  it('reads npm and delegator v0.2 provenance (upper-case environment, release events)', () => {
    const claims = readClaims('https://slsa.dev/provenance/v0.2', {
      builder: { id: 'https://github.com/actions/runner' },
      invocation: {
        configSource: { uri: 'git+https://github.com/o/r@refs/tags/v1.0.5' },
        environment: { GITHUB_REF: 'refs/tags/v1.0.5', GITHUB_EVENT_NAME: 'release', GITHUB_EVENT_PAYLOAD: { release: { target_commitish: 'main' } } },
      },
    });
    expect(claims).toMatchObject({ ref: 'refs/tags/v1.0.5', eventName: 'release', baseRef: 'refs/heads/main' });
  });

  it('reads v1 GitHub workflow provenance and container-based provenance', () => {
    const workflow = readClaims('https://slsa.dev/provenance/v1', {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: { workflow: { ref: 'refs/heads/main', repository: 'https://github.com/o/r', path: '.github/workflows/x.yml' } },
        internalParameters: { github: { event_name: 'workflow_dispatch' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/o/r@refs/heads/main', digest: { gitCommit: 'def' } }],
      },
      runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
    });
    expect(workflow).toMatchObject({
      trigger: { uri: 'https://github.com/o/r', ref: 'refs/heads/main' },
      material: { uri: 'git+https://github.com/o/r@refs/heads/main', ref: 'refs/heads/main', digest: { gitCommit: 'def' } },
      ref: 'refs/heads/main',
      eventName: 'workflow_dispatch',
    });
    const container = readClaims('https://slsa.dev/provenance/v1', {
      buildDefinition: {
        externalParameters: { source: { uri: 'git+https://github.com/o/r@refs/tags/v14', digest: { sha1: '123' } } },
        internalParameters: { GITHUB_REF: 'refs/tags/v14', GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PAYLOAD: { base_ref: 'refs/heads/main' } },
      },
      runDetails: { builder: { id: 'b' } },
    });
    expect(container).toMatchObject({ trigger: { ref: 'refs/tags/v14' }, ref: 'refs/tags/v14', eventName: 'push', baseRef: 'refs/heads/main' });
  });

  it('rejects other predicates and provenance without a builder', () => {
    expect(reasonOf(() => readClaims('https://spdx.dev/Document', {}))).toBe('UNSUPPORTED_PREDICATE');
    expect(reasonOf(() => readClaims('https://slsa.dev/provenance/v0.1', { builder: { id: 'x' } }))).toBe('UNSUPPORTED_PREDICATE');
    expect(reasonOf(() => readClaims('https://slsa.dev/provenance/v1', { buildDefinition: {} }))).toBe('MALFORMED_PROVENANCE');
    expect(reasonOf(() => readClaims('https://slsa.dev/provenance/v0.2', []))).toBe('MALFORMED_PROVENANCE');
  });
});
