/**
 * Adversarial and edge behaviour of the registry client against a scripted loopback server:
 * digest mismatches, the bearer-token challenge, basic auth, rate limits, timeouts, redirects,
 * schema 1, the referrers API and pagination.
 */
import type { ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import type { Logger } from '../../../src/core/log.ts';
import { openRegistryImage, referrersTag, RegistryClient, RegistryError } from '../../../src/image/registry/index.ts';
import { MEDIA_TYPES } from '../../../src/image/types.ts';
import { freePort } from './helpers/docker-registry.ts';
import { registryError, send, startFake } from './helpers/fake-registry.ts';
import type { FakeHandler, FakeRequest, FakeServer } from './helpers/fake-registry.ts';
import { buildImage, json, readAll, sha256 } from './helpers/images.ts';
import type { BuiltImage } from './helpers/images.ts';

let image: BuiltImage;
let dir: string;
let noConfig: string;
const servers: FakeServer[] = [];

beforeAll(async () => {
  image = await buildImage({ layers: [{ 'etc/os-release': 'ID=fake\n' }] });
  dir = await mkdtemp(join(tmpdir(), 'palisade-fake-'));
  noConfig = join(dir, 'empty.json');
  await writeFile(noConfig, '{}');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(handler: FakeHandler): Promise<FakeServer> {
  const server = await startFake(handler);
  servers.push(server);
  return server;
}

/** A registry serving `image` as team/app:v1, with hooks to tamper with any answer. */
function serve(
  overrides: {
    manifest?: (req: FakeRequest, res: ServerResponse) => boolean;
    blob?: (req: FakeRequest, res: ServerResponse, digest: string) => boolean;
  } = {},
): FakeHandler {
  return (req, res) => {
    const path = req.url.pathname;
    if (path === '/v2/') return send(res, 200, '{}');
    const manifest = /^\/v2\/team\/app\/manifests\/(.+)$/.exec(path);
    if (manifest !== null) {
      if (overrides.manifest?.(req, res)) return;
      if (manifest[1] !== 'v1' && manifest[1] !== image.manifestDigest) return registryError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
      return send(res, 200, req.method === 'HEAD' ? '' : image.manifest, {
        'content-type': image.mediaType,
        'docker-content-digest': image.manifestDigest,
      });
    }
    const blob = /^\/v2\/team\/app\/blobs\/(.+)$/.exec(path);
    if (blob !== null) {
      const digest = blob[1]!;
      if (overrides.blob?.(req, res, digest)) return;
      const content = [image.config, ...image.layers.map((l) => l.blob)].find((b) => sha256(b) === digest);
      return content === undefined ? registryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown') : send(res, 200, content);
    }
    registryError(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
  };
}

function client(server: FakeServer, options: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  return new RegistryClient({ registry: server.host, insecure: true, backoffMs: 10, dockerConfigPath: noConfig, ...options });
}

async function configFile(name: string, config: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(config));
  return path;
}

function collectingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(`warn ${m}`), info() {}, debug: (m) => lines.push(`debug ${m}`), error() {} };
}

describe('digest verification', () => {
  it('rejects a manifest fetched by digest whose body hashes differently', async () => {
    const tampered = Buffer.from(image.manifest.toString().replace('"schemaVersion":2', '"schemaVersion": 2'));
    const server = await fake(serve({ manifest: (_req, res) => (send(res, 200, tampered, { 'content-type': image.mediaType }), true) }));
    const result = client(server).getManifest('team/app', image.manifestDigest);
    await expect(result).rejects.toMatchObject({ reason: 'digest-mismatch', code: 'INPUT_UNREADABLE' });
    await expect(result).rejects.toThrow(`expected ${image.manifestDigest}, the content hashes to ${sha256(tampered)}`);
  });

  it('checks a tag against the Docker-Content-Digest it announces, and computes it when absent', async () => {
    let announce: string | undefined = sha256(Buffer.from('something else'));
    const server = await fake(
      serve({
        manifest: (_req, res) => {
          send(res, 200, image.manifest, { 'content-type': image.mediaType, ...(announce ? { 'docker-content-digest': announce } : {}) });
          return true;
        },
      }),
    );
    await expect(client(server).getManifest('team/app', 'v1')).rejects.toMatchObject({ reason: 'digest-mismatch' });
    announce = undefined;
    expect(await client(server).getManifest('team/app', 'v1')).toMatchObject({ digest: image.manifestDigest, mediaType: image.mediaType });
  });

  it('fails a blob stream (never a clean end) when the bytes do not match the digest', async () => {
    const layer = image.layers[0]!;
    const server = await fake(serve({ blob: (_req, res, digest) => digest === layer.digest && (send(res, 200, Buffer.from('evil bytes')), true) }));
    const source = await openRegistryImage(`${server.host}/team/app:v1`, { insecure: true, dockerConfigPath: noConfig });
    await source.manifest();
    await expect(readAll(await source.openBlob(layer.digest))).rejects.toMatchObject({ reason: 'digest-mismatch' });
    // Without the size from the manifest, the digest alone still catches it.
    await expect(readAll(await client(server).getBlob('team/app', layer.digest))).rejects.toThrow(/digest mismatch for blob/);
  });

  it('stops a blob that grows past the size the manifest gave', async () => {
    const layer = image.layers[0]!;
    const server = await fake(serve({ blob: (_req, res) => (send(res, 200, Buffer.concat([layer.blob, Buffer.alloc(10)])), true) }));
    const stream = await client(server).getBlob('team/app', layer.digest, { size: layer.blob.length });
    await expect(readAll(stream)).rejects.toThrow(/size mismatch .* expected \d+ bytes, received more/);
  });

  it('rejects a tampered config blob', async () => {
    const server = await fake(serve({ blob: (_req, res, digest) => digest === image.configDigest && (send(res, 200, '{"os":"evil"}'), true) }));
    const source = await openRegistryImage(`${server.host}/team/app:v1`, { insecure: true, dockerConfigPath: noConfig });
    await expect(source.manifest()).rejects.toMatchObject({ reason: 'digest-mismatch' });
  });
});

describe('manifest types', () => {
  it('rejects Docker schema 1 manifests with a clear error', async () => {
    const schema1 = json({ schemaVersion: 1, name: 'team/app', tag: 'v1', fsLayers: [], history: [] });
    const server = await fake(
      serve({ manifest: (_req, res) => (send(res, 200, schema1, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }), true) }),
    );
    const source = await openRegistryImage(`${server.host}/team/app:v1`, { insecure: true, dockerConfigPath: noConfig });
    await expect(source.manifest()).rejects.toMatchObject({ reason: 'unsupported', code: 'UNSUPPORTED_FORMAT' });
    await expect(source.manifest()).rejects.toThrow(/schema 1, which is deprecated and not supported; re-push/);
    expect(servers[0]!.requests[0]!.headers['accept']).toBe(
      [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest].join(', '),
    );
  });

  it('refuses artifacts that are not container images, and malformed manifests', async () => {
    let body: Buffer = json({ schemaVersion: 2, mediaType: 'application/vnd.cncf.helm.chart.v1+json', layers: [] });
    const server = await fake(serve({ manifest: (_req, res) => (send(res, 200, body), true) }));
    const open = () => openRegistryImage(`${server.host}/team/app:v1`, { insecure: true, dockerConfigPath: noConfig });
    await expect((await open()).manifest()).rejects.toThrow(/is not a container image \(manifest media type "application\/vnd\.cncf\.helm/);
    body = Buffer.from('{"schemaVersion": 2, "layers": [');
    await expect((await open()).manifest()).rejects.toThrow(/not valid JSON/);
    body = json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: 'x' }, layers: [] });
    await expect((await open()).manifest()).rejects.toThrow(/lacks a valid config or layer list/);
  });
});

describe('authentication', () => {
  /** A registry that wants `Bearer good-token` and a token service that issues it. */
  async function tokenRegistry(options: { tokenField?: 'token' | 'access_token'; user?: string; password?: string } = {}) {
    let issued = 0;
    const server = await fake((req, res) => {
      if (req.url.pathname === '/token') {
        if (options.user !== undefined) {
          const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
          if (req.headers.authorization !== expected) return send(res, 401, '{"details":"bad credentials"}');
        }
        issued++;
        return send(res, 200, JSON.stringify({ [options.tokenField ?? 'token']: 'good-token', expires_in: 300 }));
      }
      if (req.headers.authorization !== 'Bearer good-token') {
        return registryError(res, 401, 'UNAUTHORIZED', 'authentication required', {
          'www-authenticate': `Bearer realm="http://${server.host}/token",service="fake registry",scope="repository:team/app:pull"`,
        });
      }
      return serve()(req, res);
    });
    return { server, issued: () => issued };
  }

  it('answers a bearer challenge with a token from the realm, cached for the scope', async () => {
    const { server, issued } = await tokenRegistry();
    const source = await openRegistryImage(`${server.host}/team/app:v1`, { insecure: true, dockerConfigPath: noConfig });
    const resolved = await source.manifest();
    await readAll(await source.openBlob(resolved.manifest.layers[0]!.digest));
    expect(issued()).toBe(1);
    const tokenRequest = server.requests.find((r) => r.url.pathname === '/token')!;
    expect(tokenRequest.url.searchParams.get('service')).toBe('fake registry');
    expect(tokenRequest.url.searchParams.getAll('scope')).toEqual(['repository:team/app:pull']);
    expect(tokenRequest.headers.authorization).toBeUndefined();
    // One challenge, then every request carries the token.
    expect(server.requests.filter((r) => r.url.pathname.startsWith('/v2/') && r.headers.authorization === undefined)).toHaveLength(1);
  });

  it('sends docker config credentials to the token service and accepts access_token', async () => {
    const { server } = await tokenRegistry({ tokenField: 'access_token', user: 'ci', password: 'p:w' });
    const config = await configFile('token.json', {
      auths: { [`https://${server.host}/v1/`]: { auth: Buffer.from('ci:p:w').toString('base64') } },
    });
    const source = await openRegistryImage(`${server.host}/team/app:v1`, { insecure: true, dockerConfigPath: config });
    expect((await source.manifest()).digest).toBe(image.manifestDigest);
  });

  it('reports a token service that refuses the credentials', async () => {
    const { server } = await tokenRegistry({ user: 'ci', password: 'right' });
    const config = await configFile('wrong-token.json', { auths: { [server.host]: { username: 'ci', password: 'wrong' } } });
    const result = client(server, { dockerConfigPath: config }).getManifest('team/app', 'v1');
    await expect(result).rejects.toMatchObject({ reason: 'unauthorized', status: 401 });
    await expect(result).rejects.toThrow(/token service 127\.0\.0\.1:\d+ of 127\.0\.0\.1:\d+ refused the credentials of "ci"/);
  });

  it('gives up after one challenge when the token does not grant access (insufficient scope)', async () => {
    const server = await fake((req, res) => {
      if (req.url.pathname === '/token') return send(res, 200, '{"token":"weak"}');
      registryError(res, 401, 'UNAUTHORIZED', 'insufficient scope', {
        'www-authenticate': `Bearer realm="http://${server.host}/token",service="s",scope="repository:team/app:pull",error="insufficient_scope"`,
      });
    });
    await expect(client(server).getManifest('team/app', 'v1')).rejects.toThrow(/requires authentication .*UNAUTHORIZED: insufficient scope/);
    expect(server.requests.filter((r) => r.url.pathname.startsWith('/v2/'))).toHaveLength(2);
  });

  it('answers a basic challenge with credentials, and exchanges an identity token by OAuth2 refresh', async () => {
    const basic = await fake((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:secret').toString('base64')}`) {
        return send(res, 401, '', { 'www-authenticate': 'Basic realm="fake"' });
      }
      return serve()(req, res);
    });
    const config = await configFile('basic.json', { auths: { [basic.host]: { username: 'alice', password: 'secret' } } });
    expect((await client(basic, { dockerConfigPath: config }).getManifest('team/app', 'v1')).digest).toBe(image.manifestDigest);
    await expect(client(basic).getManifest('team/app', 'v1')).rejects.toThrow(/requires authentication/);

    const oauth = await fake((req, res) => {
      if (req.url.pathname === '/oauth') {
        const form = new URLSearchParams(req.body.toString());
        const ok = req.method === 'POST' && form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'refresh-me';
        return ok ? send(res, 200, JSON.stringify({ access_token: 'from-refresh', scope: form.get('scope') })) : send(res, 400, 'bad grant');
      }
      if (req.headers.authorization !== 'Bearer from-refresh') {
        return send(res, 401, '', { 'www-authenticate': `Bearer realm="http://${oauth.host}/oauth",service="o"` });
      }
      return serve()(req, res);
    });
    const identity = await configFile('identity.json', { auths: { [oauth.host]: { identitytoken: 'refresh-me' } } });
    expect((await client(oauth, { dockerConfigPath: identity }).getManifest('team/app', 'v1')).digest).toBe(image.manifestDigest);
  });

  it('refuses a token realm that is neither HTTPS nor the plain HTTP of an --insecure registry', async () => {
    const server = await fake((_req, res) =>
      send(res, 401, '', { 'www-authenticate': 'Bearer realm="ftp://example.com/token",service="x"' }),
    );
    await expect(client(server).getManifest('team/app', 'v1')).rejects.toMatchObject({ reason: 'insecure' });
  });
});

describe('retries, timeouts and failures', () => {
  it('honours Retry-After on 429 and then succeeds', async () => {
    let calls = 0;
    const server = await fake((req, res) => {
      if (calls++ === 0) return registryError(res, 429, 'TOOMANYREQUESTS', 'slow down', { 'retry-after': '1' });
      return serve()(req, res);
    });
    const started = Date.now();
    expect((await client(server).getManifest('team/app', 'v1')).digest).toBe(image.manifestDigest);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls).toBe(2);
  });

  it('backs off and retries 502/503/504 and network resets, up to the limit', async () => {
    let calls = 0;
    const server = await fake((req, res) => {
      calls++;
      if (calls === 1) return send(res, 503, 'unavailable');
      if (calls === 2) return void res.socket?.destroy();
      if (calls === 3) return send(res, 504, 'gateway timeout');
      return serve()(req, res);
    });
    expect((await client(server).getManifest('team/app', 'v1')).digest).toBe(image.manifestDigest);
    expect(calls).toBe(4);

    let failures = 0;
    const down = await fake((_req, res) => (failures++, send(res, 502, 'bad gateway')));
    await expect(client(down, { retries: 2 }).getManifest('team/app', 'v1')).rejects.toMatchObject({ reason: 'server', status: 502 });
    expect(failures).toBe(3);
  });

  it('fails at once when Retry-After is longer than it is willing to wait', async () => {
    const server = await fake((_req, res) => registryError(res, 429, 'TOOMANYREQUESTS', 'pull rate limit', { 'retry-after': '3600' }));
    const started = Date.now();
    const result = client(server).getManifest('team/app', 'v1');
    await expect(result).rejects.toMatchObject({ reason: 'rate-limited', status: 429, registryCodes: ['TOOMANYREQUESTS'] });
    await expect(result).rejects.toThrow(/rate-limiting .*retry after 3600 s/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a registry that does not answer, after retrying', async () => {
    const server = await fake(() => {
      // Never answers.
    });
    const started = Date.now();
    const result = client(server, { timeoutMs: 200, retries: 1 }).getManifest('team/app', 'v1');
    await expect(result).rejects.toMatchObject({ reason: 'timeout', code: 'NETWORK' });
    await expect(result).rejects.toThrow(/127\.0\.0\.1:\d+ did not answer within 0\.2 s/);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("gives up, without retrying, when the caller's signal aborts: the request in flight is cancelled", async () => {
    let closed = false;
    const server = await fake((_req, res) => {
      // Never answers; notes when the client hangs up.
      res.on('close', () => (closed = true));
    });
    const controller = new AbortController();
    const started = Date.now();
    const result = client(server, { timeoutMs: 10_000, retries: 3, signal: controller.signal }).getManifest('team/app', 'v1');
    setTimeout(() => controller.abort(new Error('verification did not complete within 200 ms')), 200);
    await expect(result).rejects.toMatchObject({ reason: 'abandoned', code: 'NETWORK' });
    await expect(result).rejects.toThrow(/gave up on GET .*team\/app\/manifests\/v1: verification did not complete within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(true);
    // Later requests of the client fail at once.
    await expect(client(server, { signal: controller.signal }).getManifest('team/app', 'v1')).rejects.toMatchObject({ reason: 'abandoned' });
    expect(server.requests).toHaveLength(1);
  });

  it('abandons a blob download that stalls midway', async () => {
    const layer = image.layers[0]!;
    const server = await fake(
      serve({
        blob: (_req, res) => {
          res.writeHead(200, { 'content-length': String(layer.blob.length) });
          res.write(layer.blob.subarray(0, 10));
          return true;
        },
      }),
    );
    const stream = await client(server, { timeoutMs: 300 }).getBlob('team/app', layer.digest);
    await expect(readAll(stream)).rejects.toMatchObject({ reason: 'timeout' });
  });

  it('does not count a slow consumer against the timeout, and close() abandons open downloads', async () => {
    const big = Buffer.alloc(4 << 20, 7);
    const server = await fake(serve({ blob: (_req, res) => (send(res, 200, big), true) }));
    const c = client(server, { timeoutMs: 200 });
    const stream = await c.getBlob('team/app', sha256(big));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      if (chunks.length === 1) await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(big));

    const source = await openRegistryImage(`${server.host}/team/app:v1`, { insecure: true, dockerConfigPath: noConfig });
    const pending = await source.openBlob(sha256(big));
    await source.close();
    expect(pending.destroyed).toBe(true);
    await source.close();
  });

  it('names the host and gives a hint when the registry is unreachable', async () => {
    const port = await freePort();
    const result = new RegistryClient({ registry: `127.0.0.1:${port}`, insecure: true, retries: 1, backoffMs: 10, dockerConfigPath: noConfig }).getManifest('team/app', 'v1');
    await expect(result).rejects.toMatchObject({ reason: 'unreachable', code: 'NETWORK' });
    await expect(result).rejects.toBeInstanceOf(PalisadeError);
    await expect(result).rejects.toThrow(new RegExp(`cannot reach registry 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); check the network connection`));
  });

  it('maps 403 and 5xx to errors that say what the registry said', async () => {
    const server = await fake((req, res) =>
      req.url.pathname.includes('denied') ? registryError(res, 403, 'DENIED', 'requested access to the resource is denied') : send(res, 500, 'boom'),
    );
    await expect(client(server).getManifest('team/denied', 'v1')).rejects.toThrow(/denied access to manifest .*DENIED: requested access/);
    await expect(client(server, { retries: 0 }).getManifest('team/app', 'v1')).rejects.toMatchObject({ reason: 'server', status: 500 });
  });
});

describe('redirects', () => {
  it('follows blob redirects to storage without sending the registry credentials there', async () => {
    const layer = image.layers[0]!;
    const storage = await fake((req, res) => (req.url.searchParams.get('sig') === 'abc' ? send(res, 200, layer.blob) : send(res, 403, 'bad sig')));
    const registry = await fake((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
        return send(res, 401, '', { 'www-authenticate': 'Basic realm="r"' });
      }
      if (req.url.pathname === `/v2/team/app/blobs/${layer.digest}`) return send(res, 307, '', { location: '/same-origin-hop' });
      if (req.url.pathname === '/same-origin-hop') return send(res, 302, '', { location: `${storage.origin}/bucket/layer?sig=abc` });
      return send(res, 404);
    });
    const log = collectingLog();
    const c = client(registry, { credentials: { username: 'u', password: 'p' }, log });
    expect(await readAll(await c.getBlob('team/app', layer.digest))).toEqual(layer.blob);
    expect(registry.requests.find((r) => r.url.pathname === '/same-origin-hop')?.headers.authorization).toMatch(/^Basic /);
    expect(storage.requests).toHaveLength(1);
    expect(storage.requests[0]!.headers.authorization).toBeUndefined();
    expect(log.lines.join('\n')).not.toContain('sig=abc');
  });

  it('stops redirect loops', async () => {
    const server = await fake((req, res) => send(res, 302, '', { location: req.url.pathname }));
    await expect(client(server).getBlob('team/app', image.configDigest)).rejects.toThrow(/more than 5 redirects/);
  });
});

describe('referrers and tags', () => {
  const subject = () => image.manifestDigest;
  const sig = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256(Buffer.from('sig')), size: 3, artifactType: 'application/vnd.dev.sig' };
  const sbom = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256(Buffer.from('sbom')), size: 4, artifactType: 'application/spdx+json' };

  it('uses the referrers API, filtering locally unless the registry says it filtered', async () => {
    let filters = false;
    const server = await fake((req, res) => {
      if (req.url.pathname !== `/v2/team/app/referrers/${subject()}`) return send(res, 404);
      const wanted = req.url.searchParams.get('artifactType');
      const manifests = filters && wanted !== null ? [sig, sbom].filter((d) => d.artifactType === wanted) : [sig, sbom];
      send(res, 200, json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }), {
        'content-type': MEDIA_TYPES.ociIndex,
        ...(filters ? { 'oci-filters-applied': 'artifactType' } : {}),
      });
    });
    const c = client(server);
    expect(await c.getReferrers('team/app', subject())).toEqual({ manifests: [sig, sbom], source: 'referrers-api' });
    expect((await c.getReferrers('team/app', subject(), 'application/spdx+json')).manifests).toEqual([sbom]);
    filters = true;
    expect((await c.getReferrers('team/app', subject(), 'application/vnd.dev.sig')).manifests).toEqual([sig]);
    expect(server.requests.at(-1)!.url.searchParams.get('artifactType')).toBe('application/vnd.dev.sig');
  });

  it('falls back to the tag schema on 404 and skips the fallback index when the registry indexes the subject', async () => {
    const puts: string[] = [];
    const server = await fake((req, res) => {
      if (req.method === 'PUT') {
        puts.push(req.url.pathname);
        return send(res, 201, '', { 'docker-content-digest': sha256(req.body), 'oci-subject': subject() });
      }
      if (req.url.pathname === `/v2/team/app/manifests/${referrersTag(subject())}`) {
        return send(res, 200, json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [sig] }), { 'content-type': MEDIA_TYPES.ociIndex });
      }
      return send(res, 404, '404 page not found\n');
    });
    expect(await client(server).getReferrers('team/app', subject())).toEqual({ manifests: [sig], source: 'tag-schema' });

    const referrer = json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, subject: { digest: subject() }, config: {}, layers: [] });
    expect(await client(server).pushReferrer('team/app', MEDIA_TYPES.ociManifest, referrer)).toMatchObject({ source: 'referrers-api' });
    expect(puts).toEqual([`/v2/team/app/manifests/${sha256(referrer)}`]);
  });

  it('follows Link pagination of the tag list', async () => {
    const server = await fake((req, res) => {
      const last = req.url.searchParams.get('last');
      if (last === null) return send(res, 200, JSON.stringify({ name: 'team/app', tags: ['a', 'b'] }), { link: '</v2/team/app/tags/list?n=2&last=b>; rel="next"' });
      send(res, 200, JSON.stringify({ name: 'team/app', tags: ['c'] }));
    });
    expect(await client(server).listTags('team/app')).toEqual(['a', 'b', 'c']);
  });

  it('refuses to push content under a digest it does not have', async () => {
    const server = await fake((_req, res) => send(res, 500));
    const c = client(server);
    await expect(c.putManifest('team/app', sha256(Buffer.from('x')), MEDIA_TYPES.ociManifest, Buffer.from('y'))).rejects.toMatchObject({
      reason: 'digest-mismatch',
    });
    await expect(c.putBlob('team/app', Buffer.from('y'), sha256(Buffer.from('x')))).rejects.toMatchObject({ reason: 'digest-mismatch' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('registry hosts', () => {
  it('sends Docker Hub requests to registry-1.docker.io', () => {
    expect(new RegistryClient({ registry: 'docker.io' }).endpoint).toBe('https://registry-1.docker.io/');
    expect(new RegistryClient({ registry: 'index.docker.io' }).endpoint).toBe('https://registry-1.docker.io/');
    expect(new RegistryClient({ registry: 'ghcr.io' }).endpoint).toBe('https://ghcr.io/');
  });

  it('allows --insecure only for loopback hosts unless forced', () => {
    expect(() => new RegistryClient({ registry: 'registry.example.com', insecure: true })).toThrow(RegistryError);
    expect(() => new RegistryClient({ registry: 'registry.example.com:5000', insecure: true })).toThrow(/only allowed for loopback registries/);
    expect(new RegistryClient({ registry: 'registry.example.com', insecure: true, forceInsecure: true }).endpoint).toBe('http://registry.example.com/');
    for (const host of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'registry.localhost']) {
      expect(new RegistryClient({ registry: host, insecure: true }).endpoint).toMatch(/^http:\/\//);
    }
  });

  it('rejects invalid repository names and references before any request', async () => {
    const server = await fake((_req, res) => send(res, 500));
    await expect(client(server).getManifest('Team/App', 'v1')).rejects.toThrow(/not a valid repository name/);
    await expect(client(server).getManifest('team/app', '../x')).rejects.toThrow(/neither a tag nor a digest/);
    await expect(client(server).getBlob('team/app', 'md5:abc')).rejects.toMatchObject({ reason: 'unsupported' });
    expect(server.requests).toHaveLength(0);
  });
});
