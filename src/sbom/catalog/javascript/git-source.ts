/**
 * Git-sourced npm dependencies as yarn.lock and pnpm-lock.yaml record them: a resolved URL or
 * locator that pins a commit (`git+ssh://…#<sha>`, `…#commit=<sha>`, codeload tarballs,
 * `?ref=<sha>` archives).
 */
import { gitSource } from './npm-support.ts';

const SHA = '[0-9a-f]{7,64}';
const GIT_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org']);
/** GitLab tarball URLs: `<repo>/repository/archive.tar.gz?ref=<sha>`, `<repo>/-/archive/<sha>/…`. */
const GITLAB_ARCHIVE = /\/(?:repository\/archive\.tar\.gz|-\/archive\/.*)$/;
const CODELOAD = new RegExp(`^https?://codeload\\.github\\.com/([^/]+/[^/]+)/tar\\.gz/(${SHA})$`, 'i');
const EXPLICIT_COMMIT = new RegExp(`#commit[=:](${SHA})(?:&|$)`, 'i');
const REF_QUERY = new RegExp(`[?&]ref=(${SHA})(?:&|$)`, 'i');
const WHOLE_SHA = new RegExp(`^${SHA}$`, 'i');

/** Host of a URL, including the scp-like `ssh://git@host:path` form yarn writes. */
function hostOf(source: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:#?]+)/i.exec(source)?.[1]?.toLowerCase();
}

/** True when the string names a git repository rather than a registry tarball. */
function isGitSource(source: string): boolean {
  if (/^(?:git[+:]|ssh:|github:|gitlab:|bitbucket:)/i.test(source) || /\.git$/i.test(source)) return true;
  const host = hostOf(source);
  return host !== undefined && GIT_HOSTS.has(host);
}

/**
 * The commit a resolved source pins, if any. A fragment on a registry tarball
 * (`…/etag-1.8.1.tgz#41ae2e…`) is the tarball's sha1, not a commit, so a bare `#<sha>` counts
 * only on git sources.
 */
export function gitCommit(source: string): string | undefined {
  const explicit = EXPLICIT_COMMIT.exec(source)?.[1] ?? CODELOAD.exec(source)?.[2];
  if (explicit) return explicit.toLowerCase();
  const hash = source.lastIndexOf('#');
  const base = hash === -1 ? source : source.slice(0, hash);
  const ref = REF_QUERY.exec(base);
  const host = hostOf(base);
  if (ref && host !== undefined && GIT_HOSTS.has(host)) return ref[1]!.toLowerCase();
  const fragment = hash === -1 ? '' : source.slice(hash + 1);
  return WHOLE_SHA.test(fragment) && isGitSource(base) ? fragment.toLowerCase() : undefined;
}

/**
 * purl `vcs_url` qualifier for a git-sourced package, `git+https://<host>/<path>@<commit>`: the
 * repository normalised as the package-lock and bun catalogers do, so one git dependency found in
 * several lockfiles is one component. Credentials in the URL never reach it.
 */
export function vcsUrl(source: string, commit: string): string {
  const codeload = CODELOAD.exec(source);
  const repo = codeload
    ? `https://github.com/${codeload[1]}`
    : gitSource(source.replace(/[#?].*$/, '').replace(GITLAB_ARCHIVE, '')).repo;
  return `git+${repo}@${commit}`;
}
