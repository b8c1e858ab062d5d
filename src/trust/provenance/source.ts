/**
 * Source repository URIs in the forms provenance and users write them: `github.com/org/repo`
 * (slsa-verifier's --source-uri), `https://github.com/org/repo` (v1 workflow.repository),
 * `git+https://github.com/org/repo@refs/tags/v1` (v0.2 configSource, materials, SPDX download
 * locations). Comparison is exact, as slsa-verifier's: `Org/Repo` is not `org/repo`.
 */
import { ProvenanceError } from './errors.ts';

export interface SourceUri {
  /** `https://host/path`, without `git+`, a `.git` suffix or a trailing slash. */
  repository: string;
  /** The git ref after `@` (`refs/heads/main`), when the URI names one. */
  ref?: string;
}

/** Splits and normalises a source URI; INVALID_OPTION when it names no repository. */
export function normalizeSourceUri(input: string): SourceUri {
  let uri = input.trim();
  if (uri.startsWith('git+')) uri = uri.slice(4);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) uri = `https://${uri}`;
  const pathStart = uri.indexOf('/', uri.indexOf('://') + 3);
  let ref: string | undefined;
  if (pathStart !== -1) {
    // Repository paths cannot contain "@"; the first one in the path starts the ref.
    const at = uri.indexOf('@', pathStart);
    if (at !== -1) {
      ref = uri.slice(at + 1);
      uri = uri.slice(0, at);
    }
  }
  const repository = uri.replace(/\/+$/, '').replace(/\.git$/, '');
  if (pathStart === -1 || repository.length <= pathStart + 1) {
    throw new ProvenanceError('INVALID_OPTION', `"${input}" does not name a source repository (expected e.g. github.com/org/repo)`);
  }
  return ref ? { repository, ref } : { repository };
}

/** The repository of a URI found in a provenance, or undefined when it is not a repository URI. */
export function repositoryOf(uri: string | undefined): SourceUri | undefined {
  if (!uri) return undefined;
  try {
    return normalizeSourceUri(uri);
  } catch {
    return undefined;
  }
}
