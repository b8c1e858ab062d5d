/**
 * Image references as users type them: a transport prefix for local images (`docker-archive:`,
 * `oci-archive:`, `oci:`, `rootfs:`, as skopeo spells them) or a registry reference
 * `[host[:port]/]repo[:tag][@digest]`, normalised the way docker does (distribution/reference):
 * `alpine` is `docker.io/library/alpine:latest`, `user/app` is `docker.io/user/app:latest`, and
 * the first component names a registry only when it contains `.` or `:`, is `localhost`, or has
 * upper-case letters.
 */
import { PalisadeError } from '../core/errors.ts';

export const DOCKER_HUB = 'docker.io';

export interface RegistryReference {
  kind: 'registry';
  /** Registry host with its port, `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path, `library/alpine` for official Docker Hub images. */
  repository: string;
  /** The tag; `latest` when neither a tag nor a digest was given. */
  tag?: string;
  /** `sha256:…` when the reference pins a digest (then the tag, if any, is informational). */
  digest?: string;
}

export interface LocalReference {
  kind: 'docker-archive' | 'oci-archive' | 'oci' | 'rootfs';
  /**
   * Everything after the prefix: a path, possibly followed by `:tag` (oci, oci-archive) or
   * `:name:tag` (docker-archive). Sources split it against the filesystem, because paths may
   * contain colons themselves.
   */
  spec: string;
}

export type ImageReference = RegistryReference | LocalReference;

const LOCAL_PREFIXES = ['docker-archive', 'oci-archive', 'oci', 'rootfs'] as const;

// distribution/reference grammar, one path component and the tag/digest forms.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

export function parseImageReference(input: string): ImageReference {
  for (const prefix of LOCAL_PREFIXES) {
    if (input.startsWith(`${prefix}:`)) {
      const spec = input.slice(prefix.length + 1);
      if (spec === '') throw new PalisadeError('USAGE', `${input}: a path must follow "${prefix}:"`);
      return { kind: prefix, spec };
    }
  }
  return parseRegistryReference(input);
}

/** Parses `[host[:port]/]repo[:tag][@digest]`; throws a PalisadeError naming what is wrong. */
export function parseRegistryReference(input: string): RegistryReference {
  const fail = (why: string): never => {
    throw new PalisadeError('USAGE', `invalid image reference "${input}": ${why}`);
  };
  if (input === '' || /\s/.test(input)) fail('it is empty or contains white space');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`"${digest}" is not a digest (algorithm:hex)`);
  }

  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!HOST.test(first)) fail(`"${first}" is not a registry host`);
      registry = first === 'index.docker.io' ? DOCKER_HUB : first;
      rest = rest.slice(slash + 1);
    }
  }

  // The tag follows the last colon of the last path component (a colon before a slash is a port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`"${tag}" is not a valid tag`);
  }

  if (rest === '') fail('the repository name is missing');
  if (rest !== rest.toLowerCase()) fail('repository names must be lowercase');
  for (const component of rest.split('/')) {
    if (!PATH_COMPONENT.test(component)) fail(`"${component}" is not a valid repository path component`);
  }
  if (registry === DOCKER_HUB && !rest.includes('/')) rest = `library/${rest}`;
  if (tag === undefined && digest === undefined) tag = 'latest';

  const ref: RegistryReference = { kind: 'registry', registry, repository: rest };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/**
 * Whether a reference ends with a digest (`…@sha256:…`), without parsing the rest: registry
 * references and local layout ones (`oci:/path:tag@sha256:…`) alike.
 */
export function endsWithDigest(input: string): boolean {
  const at = input.lastIndexOf('@');
  return at !== -1 && DIGEST.test(input.slice(at + 1));
}

/** The registry reference `input` names; undefined for a local layout or archive, or text that is no reference. */
export function registryReferenceOf(input: string): RegistryReference | undefined {
  try {
    const parsed = parseImageReference(input);
    return parsed.kind === 'registry' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The fully qualified form: `docker.io/library/alpine:3.20`, `host:5000/app@sha256:…`. */
export function formatRegistryReference(ref: RegistryReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** True when `input` starts with one of the local image prefixes (`oci:`, `docker-archive:` …). */
export function hasImagePrefix(input: string): boolean {
  return LOCAL_PREFIXES.some((p) => input.startsWith(`${p}:`));
}

/** True when `input` parses as a registry reference (callers check first that it is not a path). */
export function isRegistryReference(input: string): boolean {
  try {
    parseRegistryReference(input);
    return true;
  } catch {
    return false;
  }
}
