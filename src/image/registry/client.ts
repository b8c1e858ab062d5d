/**
 * A client for one registry, speaking the OCI Distribution API (v2): manifests, blobs, uploads,
 * tags and referrers. Reads are verified against their digests; authentication, redirects,
 * timeouts and retries are handled here so callers (image pulls, signature storage) only name
 * repositories and digests.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorMessage } from '../../core/errors.ts';
import { silentLogger } from '../../core/log.ts';
import type { Logger } from '../../core/log.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../core/version.ts';
import { MEDIA_TYPES } from '../types.ts';
import type { Descriptor } from '../types.ts';
import { Authenticator } from './auth.ts';
import { digestOf, DigestVerifier, isDigest, parseDigest, verifyBytes } from './digest.ts';
import { credentialHost, loadDockerCredentials } from './docker-config.ts';
import type { Credentials } from './docker-config.ts';
import { RegistryError } from './errors.ts';
import { readBody, redact, retryAfterMs, Transport } from './http.ts';
import type { HttpExchange } from './http.ts';

/** Every manifest type Palisade reads, most specific first (the Accept header of a pull). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.dockerManifest,
];

/** Registries must accept manifests up to 4 MiB (OCI distribution spec); larger is not a manifest. */
const MAX_MANIFEST_BYTES = 4 << 20;
const MAX_ERROR_BODY = 64 << 10;
const MAX_REDIRECTS = 5;
const MAX_PAGES = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_BACKOFF_MS = 500;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** Docker Hub's API lives on another host than the name people use. */
const DOCKER_HUB_API = 'registry-1.docker.io';

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^\w[\w.-]{0,127}$/;

export interface RegistryClientOptions {
  /** `host[:port]` as in an image reference; `docker.io` (or an alias) for Docker Hub. */
  registry: string;
  /** Plain HTTP instead of HTTPS; only for loopback hosts unless `forceInsecure` is set too. */
  insecure?: boolean;
  /** Allow `insecure` for a non-loopback host: content and credentials then travel unprotected. */
  forceInsecure?: boolean;
  /** Per-request timeout: until the response starts, then between two chunks of a body. */
  timeoutMs?: number;
  /** Retries of a request after a network error or HTTP 429/502/503/504. */
  retries?: number;
  /** First retry delay in ms; doubled on each further retry. */
  backoffMs?: number;
  /** Longest Retry-After the client will wait for before giving up. */
  maxRetryAfterMs?: number;
  /** Explicit credentials; otherwise they come from the Docker config file. */
  credentials?: Credentials;
  /** Docker config file to read credentials from (default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`). */
  dockerConfigPath?: string;
  log?: Logger;
  /**
   * Ends every request of this client when it aborts (a verification's deadline): requests in
   * flight are cancelled and later ones fail at once, with RegistryError reason `abandoned`.
   */
  signal?: AbortSignal;
}

export interface ManifestResponse {
  /** Digest of the body, verified. */
  digest: string;
  /** From the body's `mediaType`, else the Content-Type header; '' when neither says. */
  mediaType: string;
  body: Uint8Array;
}

export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

export interface PushResult {
  digest: string;
  size: number;
}

export interface ReferrersResult {
  manifests: Descriptor[];
  /** Where the list came from: the OCI 1.1 referrers API, or the `sha256-<hex>` tag fallback. */
  source: 'referrers-api' | 'tag-schema';
}

interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  url: URL;
  scope: string | undefined;
  /** Names the object for messages: "manifest library/alpine:3.20". */
  what: string;
  accept?: string;
  body?: Uint8Array;
  contentType?: string;
  followRedirects?: boolean;
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** The tag under which the referrers of `digest` are kept when a registry lacks the referrers API. */
export function referrersTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}`.slice(0, 128);
}

export class RegistryClient {
  /** The registry as named by the user (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  readonly #base: URL;
  readonly #transport: Transport;
  readonly #log: Logger;
  readonly #options: RegistryClientOptions;
  #auth: Promise<Authenticator> | undefined;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    const apiHost = credentialHost(options.registry) === 'docker.io' ? DOCKER_HUB_API : options.registry;
    if (options.insecure && !options.forceInsecure && !isLoopbackHost(apiHost)) {
      throw new RegistryError(
        'insecure',
        `--insecure (plain HTTP) is only allowed for loopback registries (localhost, 127.0.0.1, ::1), not ${apiHost}: ` +
          'images and credentials would cross the network unprotected. Force it explicitly if you really mean it.',
      );
    }
    try {
      this.#base = new URL(`${options.insecure ? 'http' : 'https'}://${apiHost}/`);
    } catch {
      throw new RegistryError('invalid-response', `"${options.registry}" is not a registry host`);
    }
    this.#transport = new Transport({
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: options.retries ?? DEFAULT_RETRIES,
      backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
      log: this.#log,
      ...(options.signal && { signal: options.signal }),
    });
  }

  /** The API endpoint requests go to (`https://registry-1.docker.io/` for Docker Hub). */
  get endpoint(): string {
    return this.#base.href;
  }

  /** Fetches a manifest (or index) by tag or digest; the returned digest is verified against the body. */
  async getManifest(
    repository: string,
    reference: string,
    accept: readonly string[] = MANIFEST_MEDIA_TYPES,
  ): Promise<ManifestResponse> {
    const what = `manifest ${this.#name(repository, reference)}`;
    const exchange = await this.#exchange({
      method: 'GET',
      url: this.#url(repository, 'manifests', reference),
      scope: pullScope(repository),
      what,
      accept: accept.join(', '),
    });
    if (exchange.response.status !== 200) throw await this.#failure(exchange, what);
    const headers = exchange.response.headers;
    const body = await readBody(exchange, MAX_MANIFEST_BYTES, what);
    const digest = manifestDigest(reference, headers.get('docker-content-digest'), body, what);
    return { digest, mediaType: mediaTypeOf(body, headers.get('content-type')), body };
  }

  /** Digest, media type and size of a manifest without its body; undefined when it does not exist. */
  async headManifest(
    repository: string,
    reference: string,
    accept: readonly string[] = MANIFEST_MEDIA_TYPES,
  ): Promise<ManifestHead | undefined> {
    const what = `manifest ${this.#name(repository, reference)}`;
    const exchange = await this.#exchange({
      method: 'HEAD',
      url: this.#url(repository, 'manifests', reference),
      scope: pullScope(repository),
      what,
      accept: accept.join(', '),
    });
    const { status, headers } = exchange.response;
    if (status === 404) {
      exchange.done();
      return undefined;
    }
    if (status !== 200) throw await this.#failure(exchange, what);
    exchange.done();
    const announced = headers.get('docker-content-digest');
    const digest = isDigest(reference) ? reference : announced !== null && isDigest(announced) ? announced : undefined;
    if (digest === undefined) {
      // Without the header a tag's digest is only known from the body.
      const full = await this.getManifest(repository, reference, accept);
      return { digest: full.digest, mediaType: full.mediaType, size: full.body.length };
    }
    return {
      digest,
      mediaType: contentType(headers.get('content-type')) ?? '',
      size: Number(headers.get('content-length') ?? 0),
    };
  }

  /**
   * A blob as a stream that fails (instead of ending) when the bytes do not hash to `digest` or
   * differ from `size`. Follows redirects to blob storage, without our credentials off-host.
   */
  async getBlob(repository: string, digest: string, options: { size?: number } = {}): Promise<Readable> {
    const { exchange, what } = await this.#blobResponse(repository, digest);
    return verifiedStream(exchange, digest, what, options.size);
  }

  /** A small blob (a config, a signature) read whole and verified. */
  async getBlobBytes(repository: string, digest: string, maxBytes = MAX_MANIFEST_BYTES): Promise<Uint8Array> {
    const { exchange, what } = await this.#blobResponse(repository, digest);
    const body = await readBody(exchange, maxBytes, what);
    verifyBytes(body, digest, what);
    return body;
  }

  /** GET of a blob (redirects followed), failing on anything but 200; the body is left to the caller. */
  async #blobResponse(repository: string, digest: string) {
    parseDigest(digest);
    const what = `blob ${this.#name(repository, digest)}`;
    const exchange = await this.#exchange({
      method: 'GET',
      url: this.#url(repository, 'blobs', digest),
      scope: pullScope(repository),
      what,
      followRedirects: true,
    });
    if (exchange.response.status !== 200) throw await this.#failure(exchange, what);
    return { exchange, what };
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    return this.#blobExists(repository, digest, pullScope(repository));
  }

  /**
   * Uploads a blob in one piece (POST to open the upload, PUT with the bytes), unless the
   * registry already has it. `digest`, when given, must match the bytes.
   */
  async putBlob(repository: string, bytes: Uint8Array, digest?: string): Promise<PushResult & { existed: boolean }> {
    const actual = digestOf(bytes, digest === undefined ? 'sha256' : parseDigest(digest).algorithm);
    if (digest !== undefined && digest !== actual) {
      throw new RegistryError('digest-mismatch', `refusing to upload a blob as ${digest}: its content hashes to ${actual}`);
    }
    const scope = pushScope(repository);
    if (await this.#blobExists(repository, actual, scope)) return { digest: actual, size: bytes.length, existed: true };

    const what = `upload of blob ${this.#name(repository, actual)}`;
    const start = await this.#exchange({ method: 'POST', url: this.#url(repository, 'blobs', 'uploads/'), scope, what });
    const location = start.response.headers.get('location');
    if (start.response.status !== 202) throw await this.#failure(start, what);
    start.done();
    await start.response.body?.cancel().catch(() => {});
    if (location === null) throw new RegistryError('invalid-response', `${this.registry} opened an upload without a Location`);
    const target = new URL(location, this.#base);
    target.searchParams.set('digest', actual);
    const put = await this.#exchange({
      method: 'PUT',
      url: target,
      scope,
      what,
      body: bytes,
      contentType: 'application/octet-stream',
    });
    if (put.response.status !== 201) throw await this.#failure(put, what);
    checkAnnounced(put.response.headers.get('docker-content-digest'), actual, what);
    put.done();
    await put.response.body?.cancel().catch(() => {});
    return { digest: actual, size: bytes.length, existed: false };
  }

  /**
   * Stores a manifest under a tag or its digest. Returns its digest and, when the registry
   * indexed the manifest's `subject` for the referrers API, the subject digest (`OCI-Subject`).
   */
  async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    body: Uint8Array,
  ): Promise<PushResult & { subject?: string }> {
    const digest = digestOf(body, isDigest(reference) ? parseDigest(reference).algorithm : 'sha256');
    if (isDigest(reference) && reference !== digest) {
      throw new RegistryError('digest-mismatch', `refusing to push a manifest as ${reference}: its content hashes to ${digest}`);
    }
    const what = `manifest ${this.#name(repository, reference)}`;
    const exchange = await this.#exchange({
      method: 'PUT',
      url: this.#url(repository, 'manifests', reference),
      scope: pushScope(repository),
      what,
      body,
      contentType: mediaType,
    });
    if (exchange.response.status !== 201) throw await this.#failure(exchange, what);
    const headers = exchange.response.headers;
    checkAnnounced(headers.get('docker-content-digest'), digest, what);
    exchange.done();
    await exchange.response.body?.cancel().catch(() => {});
    const subject = headers.get('oci-subject');
    return { digest, size: body.length, ...(subject !== null && subject !== '' ? { subject } : {}) };
  }

  /** All tags of a repository, following pagination. */
  async listTags(repository: string): Promise<string[]> {
    const what = `tags of ${this.#name(repository)}`;
    const tags: string[] = [];
    const found = await this.#paginate(this.#url(repository, 'tags', 'list'), pullScope(repository), what, undefined, (json) => {
      const page = (json as { tags?: unknown }).tags;
      if (page === null || page === undefined) return;
      if (!Array.isArray(page)) throw new RegistryError('invalid-response', `${this.registry} sent a malformed tag list`);
      for (const tag of page) if (typeof tag === 'string') tags.push(tag);
    });
    if (!found) throw new RegistryError('not-found', `repository ${this.#name(repository)} not found`, { status: 404 });
    return tags;
  }

  /**
   * Manifests whose `subject` is `digest` (signatures, attestations, SBOMs), optionally only one
   * artifact type. Uses the OCI 1.1 referrers API and falls back to the `sha256-<hex>` tag index
   * when the registry has no such endpoint (it answers 404).
   */
  async getReferrers(repository: string, digest: string, artifactType?: string): Promise<ReferrersResult> {
    parseDigest(digest);
    const what = `referrers of ${this.#name(repository, digest)}`;
    const url = this.#url(repository, 'referrers', digest);
    if (artifactType !== undefined) url.searchParams.set('artifactType', artifactType);
    const manifests: Descriptor[] = [];
    let filtered = true;
    const supported = await this.#paginate(url, pullScope(repository), what, MEDIA_TYPES.ociIndex, (json, headers) => {
      manifests.push(...indexEntries(json, what));
      filtered &&= (headers.get('oci-filters-applied') ?? '').split(',').some((f) => f.trim() === 'artifactType');
    });
    if (supported) return { manifests: filterByType(manifests, filtered ? undefined : artifactType), source: 'referrers-api' };

    this.#log.debug(`${this.registry} has no referrers API; reading the ${referrersTag(digest)} tag instead`);
    const index = await this.#fallbackIndex(repository, digest);
    return { manifests: filterByType(index, artifactType), source: 'tag-schema' };
  }

  /**
   * Pushes a manifest that has a `subject` (a signature, an attestation) by digest, and when the
   * registry does not index it for the referrers API, adds it to the subject's `sha256-<hex>`
   * fallback index, as the OCI distribution spec asks of clients. Concurrent pushers to the same
   * fallback index can lose an entry: the tag has no compare-and-swap.
   */
  async pushReferrer(repository: string, mediaType: string, body: Uint8Array): Promise<PushResult & { source: ReferrersResult['source'] }> {
    const manifest = parseJson(body, 'referrer manifest') as {
      subject?: { digest?: unknown };
      artifactType?: unknown;
      config?: { mediaType?: unknown };
      annotations?: Record<string, string>;
    };
    const subject = manifest.subject?.digest;
    if (typeof subject !== 'string' || !isDigest(subject)) {
      throw new RegistryError('invalid-response', 'a referrer manifest needs a subject with a digest');
    }
    const pushed = await this.putManifest(repository, digestOf(body), mediaType, body);
    if (pushed.subject === subject) return { ...pushed, source: 'referrers-api' };

    const existing = await this.#fallbackIndex(repository, subject);
    if (!existing.some((d) => d.digest === pushed.digest)) {
      const artifactType =
        typeof manifest.artifactType === 'string' ? manifest.artifactType : typeof manifest.config?.mediaType === 'string' ? manifest.config.mediaType : undefined;
      existing.push({
        mediaType,
        digest: pushed.digest,
        size: pushed.size,
        ...(artifactType !== undefined ? { artifactType } : {}),
        ...(manifest.annotations !== undefined ? { annotations: manifest.annotations } : {}),
      } as Descriptor);
      const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: existing };
      await this.putManifest(repository, referrersTag(subject), MEDIA_TYPES.ociIndex, Buffer.from(JSON.stringify(index)));
    }
    return { ...pushed, source: 'tag-schema' };
  }

  async #fallbackIndex(repository: string, subject: string): Promise<Descriptor[]> {
    try {
      const { body } = await this.getManifest(repository, referrersTag(subject), [MEDIA_TYPES.ociIndex]);
      return indexEntries(parseJson(body, `referrers index ${referrersTag(subject)}`), `referrers index of ${subject}`);
    } catch (err) {
      if (err instanceof RegistryError && err.reason === 'not-found') return [];
      throw err;
    }
  }

  async #blobExists(repository: string, digest: string, scope: string): Promise<boolean> {
    parseDigest(digest);
    const what = `blob ${this.#name(repository, digest)}`;
    const exchange = await this.#exchange({
      method: 'HEAD',
      url: this.#url(repository, 'blobs', digest),
      scope,
      what,
      followRedirects: true,
    });
    const { status } = exchange.response;
    if (status === 200 || status === 404) {
      exchange.done();
      return status === 200;
    }
    throw await this.#failure(exchange, what);
  }

  /**
   * GETs a JSON listing and its `Link: <…>; rel="next"` pages. Returns false when the first page
   * is a 404 (the endpoint, or the repository, does not exist), which callers may fall back from.
   */
  async #paginate(
    first: URL,
    scope: string,
    what: string,
    accept: string | undefined,
    onPage: (json: unknown, headers: Headers) => void,
  ): Promise<boolean> {
    let url: URL | undefined = first;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES) throw new RegistryError('invalid-response', `${what}: more than ${MAX_PAGES} pages`);
      const exchange = await this.#exchange({ method: 'GET', url, scope, what, ...(accept ? { accept } : {}) });
      if (exchange.response.status === 404 && page === 0) {
        exchange.done();
        await exchange.response.body?.cancel().catch(() => {});
        return false;
      }
      if (exchange.response.status !== 200) throw await this.#failure(exchange, what);
      const headers = exchange.response.headers;
      onPage(parseJson(await readBody(exchange, MAX_MANIFEST_BYTES, what), what), headers);
      const next = nextLink(headers.get('link'));
      url = next === undefined ? undefined : new URL(next, url);
      if (url !== undefined && url.origin !== this.#base.origin) {
        throw new RegistryError('invalid-response', `${what}: the next page points off the registry (${url.origin})`);
      }
    }
    return true;
  }

  /**
   * Sends a request with the credentials the registry asked for, answering one 401 challenge and
   * following redirects when asked; the Authorization header never leaves the registry's origin.
   */
  async #exchange(spec: RequestSpec): Promise<HttpExchange> {
    const auth = await this.#authenticator();
    let url = spec.url;
    let method = spec.method;
    let challenged = false;
    for (let redirects = 0; ; ) {
      const onRegistry = url.origin === this.#base.origin;
      const headers: Record<string, string> = { 'user-agent': userAgent() };
      if (spec.accept !== undefined) headers['accept'] = spec.accept;
      if (spec.contentType !== undefined && method !== 'GET' && method !== 'HEAD') headers['content-type'] = spec.contentType;
      if (onRegistry) {
        const authorization = await auth.header(spec.scope);
        if (authorization !== undefined) headers['authorization'] = authorization;
      }
      const body = method === 'GET' || method === 'HEAD' ? undefined : (spec.body ?? new Uint8Array());
      const exchange = await this.#transport.send({ method, url, headers, ...(body ? { body } : {}) });
      const { status } = exchange.response;

      if (status === 401 && onRegistry && !challenged) {
        challenged = true;
        const header = exchange.response.headers.get('www-authenticate');
        if (await auth.challenge(header, spec.scope)) {
          await discard(exchange);
          continue;
        }
        return exchange;
      }
      const location = exchange.response.headers.get('location');
      if (spec.followRedirects && [301, 302, 303, 307, 308].includes(status) && location !== null) {
        await discard(exchange);
        if (++redirects > MAX_REDIRECTS) {
          throw new RegistryError('invalid-response', `${spec.what}: more than ${MAX_REDIRECTS} redirects`);
        }
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && !(next.protocol === 'http:' && url.protocol === 'http:')) {
          throw new RegistryError('insecure', `${spec.what}: refusing the redirect from ${url.origin} to ${next.origin}`);
        }
        this.#log.debug(`${spec.what}: redirected to ${redact(next)}`);
        url = next;
        if (status === 303) method = 'GET';
        continue;
      }
      return exchange;
    }
  }

  #authenticator(): Promise<Authenticator> {
    this.#auth ??= (async () => {
      const credentials =
        this.#options.credentials ??
        (await loadDockerCredentials(this.registry, {
          log: this.#log,
          ...(this.#options.dockerConfigPath !== undefined ? { path: this.#options.dockerConfigPath } : {}),
        }));
      return new Authenticator({
        host: this.#base.host,
        credentials,
        transport: this.#transport,
        userAgent: userAgent(),
        allowPlainHttpRealm: this.#base.protocol === 'http:',
      });
    })();
    return this.#auth;
  }

  /** Builds the error for an unexpected status, with what the registry said about it. */
  async #failure(exchange: HttpExchange, what: string): Promise<RegistryError> {
    const { status, headers } = exchange.response;
    let details: { codes: string[]; text: string } = { codes: [], text: '' };
    try {
      details = errorDetails(await readBody(exchange, MAX_ERROR_BODY, what));
    } catch {
      // The status says enough; an unreadable error body adds nothing.
    }
    const host = this.registry;
    const said = details.text === '' ? '' : ` (${host} says: ${details.text})`;
    const options = { status, registryCodes: details.codes };
    const auth = await this.#authenticator();
    if (status === 401) {
      return new RegistryError(
        'unauthorized',
        auth.hasCredentials
          ? `${host} rejected the credentials for ${what}${said}`
          : `${host} requires authentication for ${what}${said}; log in with docker login (Palisade reads ` +
              '~/.docker/config.json) or pass a Docker config with credentials. Docker Hub also answers this ' +
              'way for repositories that do not exist',
        options,
      );
    }
    if (status === 403) return new RegistryError('denied', `${host} denied access to ${what}${said}`, options);
    if (status === 404) return new RegistryError('not-found', `${what} not found on ${host}${said}`, options);
    if (status === 429) {
      const wait = retryAfterMs(headers.get('retry-after'));
      return new RegistryError(
        'rate-limited',
        `${host} is rate-limiting requests (HTTP 429) for ${what}${said}` +
          (wait !== undefined ? `; it asks to retry after ${Math.ceil(wait / 1000)} s` : '; retry later'),
        options,
      );
    }
    if (status >= 500) {
      return new RegistryError('server', `${host} failed on ${what} (HTTP ${status})${said}; retry later`, options);
    }
    return new RegistryError('invalid-response', `${host} answered HTTP ${status} for ${what}${said}`, options);
  }

  #url(repository: string, kind: 'manifests' | 'blobs' | 'tags' | 'referrers', reference: string): URL {
    if (!REPOSITORY.test(repository)) {
      throw new RegistryError('invalid-response', `"${repository}" is not a valid repository name`);
    }
    if (kind === 'manifests' && !isDigest(reference) && !TAG.test(reference)) {
      throw new RegistryError('invalid-response', `"${reference}" is neither a tag nor a digest`);
    }
    return new URL(`/v2/${repository}/${kind}/${reference}`, this.#base);
  }

  #name(repository: string, reference?: string): string {
    const suffix = reference === undefined ? '' : isDigest(reference) ? `@${reference}` : `:${reference}`;
    return `${this.registry}/${repository}${suffix}`;
  }
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

function userAgent(): string {
  return `${TOOL_NAME}/${TOOL_VERSION}`;
}

async function discard(exchange: HttpExchange): Promise<void> {
  exchange.done();
  await exchange.response.body?.cancel().catch(() => {});
}

/**
 * By digest, the body must hash to it. By tag, the registry's Docker-Content-Digest (when sent)
 * must match the body; otherwise the digest is computed.
 */
function manifestDigest(reference: string, announced: string | null, body: Uint8Array, what: string): string {
  if (isDigest(reference)) {
    verifyBytes(body, reference, what);
    return reference;
  }
  if (announced !== null && announced !== '') {
    if (!isDigest(announced)) {
      throw new RegistryError('invalid-response', `${what}: the registry announced an unusable digest "${announced}"`);
    }
    verifyBytes(body, announced, what);
    return announced;
  }
  return digestOf(body);
}

function checkAnnounced(announced: string | null, expected: string, what: string): void {
  if (announced !== null && announced !== '' && announced !== expected) {
    throw new RegistryError('digest-mismatch', `${what}: the registry stored ${announced}, not ${expected}`);
  }
}

function contentType(header: string | null): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? undefined : type;
}

function mediaTypeOf(body: Uint8Array, header: string | null): string {
  try {
    const declared = (JSON.parse(Buffer.from(body).toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof declared === 'string' && declared !== '') return declared;
  } catch {
    // Not JSON: the caller's parser reports it; the header is all there is to go on here.
  }
  return contentType(header) ?? '';
}

function parseJson(body: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new RegistryError('invalid-response', `${what} is not valid JSON`);
  }
}

function indexEntries(json: unknown, what: string): Descriptor[] {
  const manifests = (json as { manifests?: unknown } | null)?.manifests;
  if (manifests === undefined || manifests === null) return [];
  if (!Array.isArray(manifests)) throw new RegistryError('invalid-response', `${what}: "manifests" is not a list`);
  return manifests.filter(
    (d): d is Descriptor => typeof d === 'object' && d !== null && typeof (d as Descriptor).digest === 'string',
  );
}

function filterByType(manifests: Descriptor[], artifactType: string | undefined): Descriptor[] {
  if (artifactType === undefined) return manifests;
  return manifests.filter((d) => (d as Descriptor & { artifactType?: string }).artifactType === artifactType);
}

/** The target of `rel="next"` in an RFC 8288 Link header. */
function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match !== null && /(?:^|;)\s*rel="?next"?\s*(?:;|$)/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

/** Codes and messages of a distribution error body (`{"errors":[{"code","message"}]}`), else its text. */
function errorDetails(body: Uint8Array): { codes: string[]; text: string } {
  const text = Buffer.from(body).toString('utf8').trim();
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] }).errors;
    if (Array.isArray(errors)) {
      const codes = errors.map((e) => (typeof e.code === 'string' ? e.code : '')).filter(Boolean);
      const messages = errors.map((e) => [e.code, e.message].filter((x) => typeof x === 'string').join(': '));
      return { codes, text: messages.join('; ').slice(0, 300) };
    }
  } catch {
    // Plain text (or HTML) error pages: shown shortened below.
  }
  return { codes: [], text: /^\s*</.test(text) ? '' : text.slice(0, 200) };
}

/** Wraps a blob body: digest and size checked, timeout re-armed per chunk and paused under backpressure. */
function verifiedStream(exchange: HttpExchange, digest: string, what: string, size: number | undefined): Readable {
  const body = exchange.response.body;
  const verifier = new DigestVerifier(digest, what, size);
  if (body === null) {
    exchange.done();
    verifier.end();
    return verifier;
  }
  const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  source.on('data', () => exchange.touch());
  source.on('pause', () => exchange.suspend());
  source.on('resume', () => exchange.touch());
  source.on('error', (err) => {
    exchange.done();
    verifier.destroy(
      exchange.abandoned
        ? new RegistryError('abandoned', `${what}: the download was given up: ${errorMessage(err)}`, { cause: err })
        : exchange.expired
          ? new RegistryError('timeout', `${what}: no data for too long; the download was abandoned`, { cause: err })
          : new RegistryError('unreachable', `${what}: the connection broke during the download`, { cause: err }),
    );
  });
  source.on('end', () => exchange.done());
  verifier.on('close', () => {
    exchange.done();
    if (!source.destroyed) source.destroy();
  });
  source.pipe(verifier);
  return verifier;
}
