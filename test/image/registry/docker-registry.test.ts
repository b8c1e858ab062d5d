/**
 * The registry client against a real registry: Debian's docker-registry (CNCF distribution 2.8)
 * on 127.0.0.1, one open and one behind htpasswd basic auth. Images are built in the test and
 * pushed with the client itself, and with skopeo (when installed) to prove interoperability.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistryImage, RegistryClient, RegistryError } from '../../../src/image/registry/index.ts';
import type { Logger } from '../../../src/core/log.ts';
import { MEDIA_TYPES } from '../../../src/image/types.ts';
import { dockerRegistryAvailable, startDockerRegistry } from './helpers/docker-registry.ts';
import type { RunningRegistry } from './helpers/docker-registry.ts';
import { buildImage, indexOf, json, pushImage, readAll, sha256 } from './helpers/images.ts';
import type { BuiltImage } from './helpers/images.ts';

const run = promisify(execFile);
const available = dockerRegistryAvailable();
const SKOPEO = '/usr/bin/skopeo';

/** `htpasswd -nbB -C 5 palisade 'correct horse'`, generated once: no apache2-utils needed at test time. */
const HTPASSWD = 'palisade:$2y$05$J2/EOzS8CVK3VBVt1MPUSu5IdgEXHAF0tiYwxxUtt3/ohKdVxdwBa\n';

function collectingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (m) => warnings.push(m), info() {}, debug() {}, error() {} };
}

describe.skipIf(!available)('registry client against docker-registry (distribution 2.8)', () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let app: BuiltImage;
  let amd64: BuiltImage;
  let arm64: BuiltImage;
  let armv7: BuiltImage;
  let indexDigest: string;
  let configDir: string;
  /** An empty Docker config, so the tests never read the developer's own credentials. */
  let noConfig: string;

  beforeAll(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'palisade-dockercfg-'));
    noConfig = join(configDir, 'config.json');
    await writeFile(noConfig, '{}');
    registry = await startDockerRegistry();
    client = new RegistryClient({ registry: registry.host, insecure: true, credentials: {} });
    app = await buildImage({ layers: [{ 'etc/os-release': 'ID=test\n' }, { 'app/main.js': 'console.log(1)\n' }] });
    await pushImage(client, 'team/app', app, 'v1');

    amd64 = await buildImage({ layers: [{ arch: 'amd64\n' }] });
    arm64 = await buildImage({ layers: [{ arch: 'arm64\n' }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    armv7 = await buildImage({ layers: [{ arch: 'arm v7\n' }], platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
    for (const image of [amd64, arm64, armv7]) await pushImage(client, 'team/multi', image);
    const index = indexOf([amd64, arm64, armv7]);
    // A buildx-style attestation entry is in the index too; it must never be chosen or listed.
    const withAttestation = JSON.parse(index.body.toString()) as { manifests: unknown[] };
    withAttestation.manifests.push({
      mediaType: MEDIA_TYPES.ociManifest,
      digest: amd64.manifestDigest,
      size: amd64.manifest.length,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
    });
    indexDigest = (await client.putManifest('team/multi', 'latest', index.mediaType, json(withAttestation))).digest;
  });

  afterAll(async () => {
    await registry?.stop();
    if (configDir !== undefined) await rm(configDir, { recursive: true, force: true });
  });

  it('pulls an image by tag: manifest digest, config and verified layer streams', async () => {
    const source = await openRegistryImage(`${registry.host}/team/app:v1`, { insecure: true, dockerConfigPath: noConfig });
    const resolved = await source.manifest();
    expect(resolved.digest).toBe(app.manifestDigest);
    expect(resolved.configDigest).toBe(app.configDigest);
    expect(resolved.manifest.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(resolved.manifest.layers.map((l) => l.digest)).toEqual(app.layers.map((l) => l.digest));
    expect(resolved.config.rootfs?.diff_ids).toEqual(app.layers.map((l) => l.diffId));
    expect(resolved.config.history?.[1]?.created_by).toBe('RUN step 1');
    for (const layer of app.layers) {
      expect(await readAll(await source.openBlob(layer.digest))).toEqual(layer.blob);
    }
    await source.close();
  });

  it('pulls by digest, and a tag next to the digest does not override it', async () => {
    const byDigest = await openRegistryImage(`${registry.host}/team/app@${app.manifestDigest}`, { insecure: true, dockerConfigPath: noConfig });
    expect((await byDigest.manifest()).digest).toBe(app.manifestDigest);
    const both = await openRegistryImage(`${registry.host}/team/multi:latest@${amd64.manifestDigest}`, { insecure: true, dockerConfigPath: noConfig });
    expect((await both.manifest()).configDigest).toBe(amd64.configDigest);
  });

  it('reads Docker v2 schema 2 manifests and manifest lists', async () => {
    const docker = await buildImage({ layers: [{ docker: 'yes\n' }], format: 'docker' });
    const dockerArm = await buildImage({
      layers: [{ docker: 'arm64\n' }],
      format: 'docker',
      platform: { os: 'linux', architecture: 'arm64' },
    });
    await pushImage(client, 'team/docker', docker);
    await pushImage(client, 'team/docker', dockerArm);
    const list = indexOf([docker, dockerArm], 'docker');
    await client.putManifest('team/docker', 'list', list.mediaType, list.body);
    await client.putManifest('team/docker', 'single', docker.mediaType, docker.manifest);

    const single = await openRegistryImage(`${registry.host}/team/docker:single`, { insecure: true, dockerConfigPath: noConfig });
    expect((await single.manifest()).manifest.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    const arm = await openRegistryImage(`${registry.host}/team/docker:list`, {
      insecure: true,
      platform: 'linux/arm64/v8',
      dockerConfigPath: noConfig,
    });
    expect((await arm.manifest()).digest).toBe(dockerArm.manifestDigest);
  });

  it('selects the platform from a multi-arch index (default linux/amd64, arm64 = arm64/v8, arm = arm/v7)', async () => {
    const pick = async (platform?: string) => {
      const source = await openRegistryImage(`${registry.host}/team/multi`, {
        insecure: true,
        dockerConfigPath: noConfig,
        ...(platform !== undefined ? { platform } : {}),
      });
      return (await source.manifest()).digest;
    };
    expect(await pick()).toBe(amd64.manifestDigest);
    expect(await pick('linux/x86_64')).toBe(amd64.manifestDigest);
    expect(await pick('linux/arm64')).toBe(arm64.manifestDigest);
    expect(await pick('linux/arm64/v8')).toBe(arm64.manifestDigest);
    expect(await pick('linux/aarch64')).toBe(arm64.manifestDigest);
    expect(await pick('linux/arm')).toBe(armv7.manifestDigest);
    expect(await pick('linux/arm/v7')).toBe(armv7.manifestDigest);
    await expect(pick('linux/s390x')).rejects.toThrow(
      /no image for platform linux\/s390x; available: linux\/amd64, linux\/arm64, linux\/arm\/v7/,
    );
    await expect(pick('windows/amd64')).rejects.toThrow(/available:(?!.*unknown)/);
  });

  it('warns when a single-platform image does not match the requested platform', async () => {
    const log = collectingLog();
    const source = await openRegistryImage(`${registry.host}/team/app:v1`, {
      insecure: true,
      platform: 'linux/arm64',
      log,
      dockerConfigPath: noConfig,
    });
    expect((await source.manifest()).digest).toBe(app.manifestDigest);
    expect(log.warnings.join('\n')).toMatch(/single-platform image for linux\/amd64, not the requested linux\/arm64/);
  });

  it('heads manifests, lists tags and skips blobs the registry already has', async () => {
    const head = await client.headManifest('team/multi', 'latest');
    expect(head).toEqual({ digest: indexDigest, mediaType: MEDIA_TYPES.ociIndex, size: expect.any(Number) });
    expect(await client.headManifest('team/multi', 'nope')).toBeUndefined();
    expect(await client.headManifest('team/app', app.manifestDigest)).toMatchObject({ digest: app.manifestDigest });

    await client.putManifest('team/app', 'v2', app.mediaType, app.manifest);
    expect((await client.listTags('team/app')).sort()).toEqual(['v1', 'v2']);
    expect(await client.putBlob('team/app', app.config)).toMatchObject({ digest: app.configDigest, existed: true });
    expect(await client.blobExists('team/app', sha256(Buffer.from('absent')))).toBe(false);
  });

  it('reports missing manifests, repositories and blobs as not-found with the registry code', async () => {
    const missingTag = client.getManifest('team/app', 'missing');
    await expect(missingTag).rejects.toMatchObject({ reason: 'not-found', status: 404, registryCodes: ['MANIFEST_UNKNOWN'] });
    await expect(client.listTags('nobody/here')).rejects.toMatchObject({ reason: 'not-found' });
    const blob = client.getBlob('team/app', sha256(Buffer.from('absent')));
    await expect(blob).rejects.toThrow(/blob 127\.0\.0\.1:\d+\/team\/app@sha256:\w+ not found/);
    const source = await openRegistryImage(`${registry.host}/team/app:gone`, { insecure: true, dockerConfigPath: noConfig });
    await expect(source.manifest()).rejects.toBeInstanceOf(RegistryError);
  });

  it('falls back to the sha256-<hex> tag schema for referrers (distribution 2.8 has no referrers API)', async () => {
    const subject = { mediaType: app.mediaType, digest: app.manifestDigest, size: app.manifest.length };
    const emptyConfig = Buffer.from('{}');
    await client.putBlob('team/app', emptyConfig);
    const signature = json({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: 2 }],
      subject,
      annotations: { 'org.example.kind': 'signature' },
    });
    const sbom = json({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType: 'application/spdx+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: 2 }],
      subject,
    });

    expect(await client.getReferrers('team/app', app.manifestDigest)).toEqual({ manifests: [], source: 'tag-schema' });
    const pushed = await client.pushReferrer('team/app', MEDIA_TYPES.ociManifest, signature);
    expect(pushed).toMatchObject({ digest: sha256(signature), source: 'tag-schema' });
    await client.pushReferrer('team/app', MEDIA_TYPES.ociManifest, sbom);
    await client.pushReferrer('team/app', MEDIA_TYPES.ociManifest, signature); // idempotent

    const all = await client.getReferrers('team/app', app.manifestDigest);
    expect(all.source).toBe('tag-schema');
    expect(all.manifests.map((d) => d.digest)).toEqual([sha256(signature), sha256(sbom)]);
    expect(all.manifests[0]).toMatchObject({
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      annotations: { 'org.example.kind': 'signature' },
      size: signature.length,
    });
    const sboms = await client.getReferrers('team/app', app.manifestDigest, 'application/spdx+json');
    expect(sboms.manifests.map((d) => d.digest)).toEqual([sha256(sbom)]);
    expect((await client.getManifest('team/app', `sha256-${app.manifestDigest.slice(7)}`)).mediaType).toBe(MEDIA_TYPES.ociIndex);
  });

  it('refuses HTTPS-less access unless --insecure, with a hint', async () => {
    const strict = new RegistryClient({ registry: registry.host, retries: 0, credentials: {} });
    await expect(strict.getManifest('team/app', 'v1')).rejects.toThrow(/cannot reach registry 127\.0\.0\.1:\d+.*use --insecure/);
  });

  describe.skipIf(!existsSync(SKOPEO))('interoperability with skopeo', () => {
    it('pulls an image that skopeo copied from an OCI layout', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'palisade-oci-'));
      try {
        const image = await buildImage({ layers: [{ 'skopeo.txt': 'copied by skopeo\n' }] });
        await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
        const blobs = [image.manifest, image.config, ...image.layers.map((l) => l.blob)];
        for (const blob of blobs) await writeFile(join(dir, 'blobs', 'sha256', sha256(blob).slice(7)), blob);
        await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
        await writeFile(
          join(dir, 'index.json'),
          JSON.stringify({
            schemaVersion: 2,
            manifests: [
              {
                mediaType: image.mediaType,
                digest: image.manifestDigest,
                size: image.manifest.length,
                annotations: { 'org.opencontainers.image.ref.name': 'v1' },
              },
            ],
          }),
        );
        await run(SKOPEO, ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:v1`, `docker://${registry.host}/skopeo/img:v1`]);

        const source = await openRegistryImage(`${registry.host}/skopeo/img:v1`, { insecure: true, dockerConfigPath: noConfig });
        const resolved = await source.manifest();
        expect(resolved.config.rootfs?.diff_ids).toEqual(image.layers.map((l) => l.diffId));
        const layer = resolved.manifest.layers[0]!;
        const bytes = await readAll(await source.openBlob(layer.digest));
        expect(sha256(bytes)).toBe(layer.digest);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('pushes images that skopeo can read back', async () => {
      const { stdout } = await run(SKOPEO, ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/team/multi:latest`]);
      expect(sha256(Buffer.from(stdout))).toBe(indexDigest);
      const { stdout: inspected } = await run(SKOPEO, [
        'inspect',
        '--tls-verify=false',
        '--override-arch=arm64',
        `docker://${registry.host}/team/multi:latest`,
      ]);
      // skopeo picks the arm64 entry of our index and reads its config and layers from our pushes.
      expect(JSON.parse(inspected)).toMatchObject({ Digest: indexDigest, Architecture: 'arm64', Layers: [arm64.layers[0]!.digest] });
    });
  });
});

describe.skipIf(!available)('registry client against docker-registry with htpasswd basic auth', () => {
  let registry: RunningRegistry;
  let dir: string;
  let image: BuiltImage;

  const writeConfig = async (name: string, config: unknown) => {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(config));
    return path;
  };

  beforeAll(async () => {
    registry = await startDockerRegistry({ htpasswd: HTPASSWD });
    dir = await mkdtemp(join(tmpdir(), 'palisade-dockercfg-'));
    image = await buildImage({ layers: [{ secret: 'behind basic auth\n' }] });
    const pusher = new RegistryClient({
      registry: registry.host,
      insecure: true,
      credentials: { username: 'palisade', password: 'correct horse' },
    });
    await pushImage(pusher, 'private/app', image, 'v1');
  });

  afterAll(async () => {
    await registry?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('uses base64 "auth" credentials from a Docker config.json', async () => {
    const auth = Buffer.from('palisade:correct horse').toString('base64');
    const config = await writeConfig('auth.json', { auths: { [`http://${registry.host}`]: { auth } } });
    const source = await openRegistryImage(`${registry.host}/private/app:v1`, { insecure: true, dockerConfigPath: config });
    expect((await source.manifest()).digest).toBe(image.manifestDigest);
    const layer = image.layers[0]!;
    expect(await readAll(await source.openBlob(layer.digest))).toEqual(layer.blob);
  });

  it('uses username/password credentials from a Docker config.json', async () => {
    const config = await writeConfig('userpass.json', { auths: { [registry.host]: { username: 'palisade', password: 'correct horse' } } });
    const source = await openRegistryImage(`${registry.host}/private/app:v1`, { insecure: true, dockerConfigPath: config });
    expect((await source.manifest()).configDigest).toBe(image.configDigest);
  });

  it('explains a missing login and rejected credentials', async () => {
    const none = await writeConfig('none.json', { auths: {} });
    const anonymous = await openRegistryImage(`${registry.host}/private/app:v1`, { insecure: true, dockerConfigPath: none });
    await expect(anonymous.manifest()).rejects.toThrow(/requires authentication for manifest .*private\/app:v1.*docker login/);

    const wrong = await writeConfig('wrong.json', { auths: { [registry.host]: { username: 'palisade', password: 'nope' } } });
    const rejected = await openRegistryImage(`${registry.host}/private/app:v1`, { insecure: true, dockerConfigPath: wrong });
    await expect(rejected.manifest()).rejects.toMatchObject({ reason: 'unauthorized', status: 401 });
    await expect(rejected.manifest()).rejects.toThrow(/rejected the credentials/);
  });

  it('says that credential helpers are not supported and proceeds anonymously', async () => {
    const config = await writeConfig('helper.json', { auths: { [registry.host]: {} }, credsStore: 'desktop' });
    const log = collectingLog();
    const source = await openRegistryImage(`${registry.host}/private/app:v1`, { insecure: true, dockerConfigPath: config, log });
    await expect(source.manifest()).rejects.toMatchObject({ reason: 'unauthorized' });
    expect(log.warnings.join('\n')).toMatch(/docker-credential-desktop.*does not run credential helpers.*anonymous/);
  });
});
