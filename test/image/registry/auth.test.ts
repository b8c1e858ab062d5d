/** WWW-Authenticate parsing, Retry-After, Docker config credentials and digest helpers. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/core/log.ts';
import { retryAfterMs } from '../../../src/image/registry/http.ts';
import {
  credentialHost,
  DigestVerifier,
  loadDockerCredentials,
  parseChallenges,
  parseDigest,
  referrersTag,
} from '../../../src/image/registry/index.ts';
import { readAll, sha256 } from './helpers/images.ts';

function collectingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (m) => warnings.push(m), info() {}, debug() {}, error() {} };
}

describe('parseChallenges', () => {
  it('reads a Docker Hub bearer challenge', () => {
    expect(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
      },
    ]);
  });

  it('separates several challenges and keeps commas and escaped quotes inside quoted values', () => {
    expect(parseChallenges('Basic realm="a, b", Bearer realm="https://t/x",scope="repository:r:pull,push",error=insufficient_scope, Custom k="q\\"uote"')).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', scope: 'repository:r:pull,push', error: 'insufficient_scope' } },
      { scheme: 'custom', params: { k: 'q"uote' } },
    ]);
    expect(parseChallenges('')).toEqual([]);
    expect(parseChallenges('Basic')).toEqual([{ scheme: 'basic', params: {} }]);
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, and ignores junk', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:29:00 GMT'))).toBe(0);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('Docker config credentials', () => {
  let dir: string;
  const write = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-auth-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('normalises auths keys: scheme, path and Docker Hub aliases', () => {
    expect(credentialHost('https://index.docker.io/v1/')).toBe('docker.io');
    expect(credentialHost('registry-1.docker.io')).toBe('docker.io');
    expect(credentialHost('http://Localhost:5000/v2/')).toBe('localhost:5000');
    expect(credentialHost('ghcr.io')).toBe('ghcr.io');
  });

  it('finds Docker Hub credentials stored under the v1 index URL', async () => {
    const path = await write('hub.json', JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('me:pa:ss').toString('base64') } } }));
    const log = collectingLog();
    expect(await loadDockerCredentials('docker.io', { path, log })).toEqual({ username: 'me', password: 'pa:ss' });
    expect(await loadDockerCredentials('ghcr.io', { path, log })).toBeUndefined();
    expect(log.warnings).toEqual([]);
  });

  it('warns about credential helpers for the host, and about undecodable auth', async () => {
    const path = await write(
      'helpers.json',
      JSON.stringify({ auths: { 'bad.example': { auth: Buffer.from('nocolon').toString('base64') } }, credHelpers: { 'gcr.io': 'gcloud' } }),
    );
    const log = collectingLog();
    expect(await loadDockerCredentials('gcr.io', { path, log })).toBeUndefined();
    expect(await loadDockerCredentials('bad.example', { path, log })).toBeUndefined();
    expect(await loadDockerCredentials('quay.io', { path, log })).toBeUndefined();
    expect(log.warnings).toHaveLength(2);
    expect(log.warnings[0]).toMatch(/gcr\.io are kept by the Docker credential helper "docker-credential-gcloud".*not run credential helpers/);
    expect(log.warnings[1]).toMatch(/ignoring the "auth" of bad\.example/);
  });

  it('reports an unreadable or malformed config, and treats an absent default config as anonymous', async () => {
    const log = collectingLog();
    await expect(loadDockerCredentials('x.io', { path: join(dir, 'missing.json'), log })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    const broken = await write('broken.json', '{"auths": ');
    await expect(loadDockerCredentials('x.io', { path: broken, log })).rejects.toThrow(/broken\.json is not valid JSON/);
    const previous = process.env['DOCKER_CONFIG'];
    process.env['DOCKER_CONFIG'] = join(dir, 'no-such-dir');
    try {
      expect(await loadDockerCredentials('x.io', { log })).toBeUndefined();
    } finally {
      if (previous === undefined) delete process.env['DOCKER_CONFIG'];
      else process.env['DOCKER_CONFIG'] = previous;
    }
  });
});

describe('digests', () => {
  it('accepts sha256 and sha512 only, and names the fallback referrers tag', () => {
    expect(parseDigest(`sha256:${'a'.repeat(64)}`)).toEqual({ algorithm: 'sha256', hex: 'a'.repeat(64) });
    expect(() => parseDigest(`sha256:${'A'.repeat(64)}`)).toThrow(/not a digest Palisade can verify/);
    expect(() => parseDigest('md5:d41d8cd98f00b204e9800998ecf8427e')).toThrow(/not a digest/);
    expect(referrersTag(`sha256:${'b'.repeat(64)}`)).toBe(`sha256-${'b'.repeat(64)}`);
    expect(referrersTag(`sha512:${'c'.repeat(128)}`)).toHaveLength(128);
  });

  it('fails a stream that ends short of the expected size', async () => {
    const bytes = Buffer.from('hello');
    const verifier = Readable.from([bytes]).pipe(new DigestVerifier(sha256(bytes), 'test blob', 10));
    await expect(readAll(verifier)).rejects.toThrow(/size mismatch for test blob .*expected 10 bytes, received 5/);
    const ok = Readable.from([bytes]).pipe(new DigestVerifier(sha256(bytes), 'test blob', 5));
    expect(await readAll(ok)).toEqual(bytes);
  });
});
