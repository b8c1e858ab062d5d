import { describe, expect, it } from 'vitest';
import { endsWithDigest, formatRegistryReference, hasImagePrefix, registryReferenceOf, isRegistryReference, parseImageReference, parseRegistryReference } from '../../src/image/reference.ts';
import { formatPlatform, parsePlatform, platformMatches, selectPlatform } from '../../src/image/platform.ts';
import type { Descriptor } from '../../src/image/types.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseRegistryReference', () => {
  it.each([
    ['alpine', 'docker.io/library/alpine:latest'],
    ['alpine:3.20', 'docker.io/library/alpine:3.20'],
    ['user/app', 'docker.io/user/app:latest'],
    ['docker.io/alpine', 'docker.io/library/alpine:latest'],
    ['index.docker.io/library/alpine:3', 'docker.io/library/alpine:3'],
    ['ghcr.io/org/team/app:v1.2.3', 'ghcr.io/org/team/app:v1.2.3'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:dev', 'localhost:5000/app:dev'],
    ['127.0.0.1:5000/ns/app', '127.0.0.1:5000/ns/app:latest'],
    [`alpine@${DIGEST}`, `docker.io/library/alpine@${DIGEST}`],
    [`registry.example.com:443/app:1.0@${DIGEST}`, `registry.example.com:443/app:1.0@${DIGEST}`],
    ['my-registry/app', 'docker.io/my-registry/app:latest'], // no dot, colon or localhost: a Docker Hub user
    ['Registry/app', 'Registry/app:latest'], // upper case: a host
  ])('%s → %s', (input, expected) => {
    expect(formatRegistryReference(parseRegistryReference(input))).toBe(expected);
  });

  it('splits registry, repository, tag and digest', () => {
    expect(parseRegistryReference(`host:5000/a/b:t@${DIGEST}`)).toEqual({ kind: 'registry', registry: 'host:5000', repository: 'a/b', tag: 't', digest: DIGEST });
    expect(parseRegistryReference(`a@${DIGEST}`)).toEqual({ kind: 'registry', registry: 'docker.io', repository: 'library/a', digest: DIGEST });
  });

  it.each([
    ['', /empty/],
    ['Alpine', /lowercase/],
    ['alpine:', /not a valid tag/],
    ['alpine:-bad', /not a valid tag/],
    ['alpine@sha256:xyz', /not a digest/],
    ['ghcr.io/', /repository name is missing/],
    ['a//b', /not a valid repository path component/],
    ['./some/dir', /"." is not a registry host/],
  ])('rejects %j', (input, message) => {
    expect(() => parseRegistryReference(input)).toThrow(message);
  });
});

describe('parseImageReference', () => {
  it('recognises the local transports', () => {
    expect(parseImageReference('oci:/tmp/layout:v1')).toEqual({ kind: 'oci', spec: '/tmp/layout:v1' });
    expect(parseImageReference('oci-archive:img.tar')).toEqual({ kind: 'oci-archive', spec: 'img.tar' });
    expect(parseImageReference('docker-archive:img.tar:app:1')).toEqual({ kind: 'docker-archive', spec: 'img.tar:app:1' });
    expect(parseImageReference('rootfs:/mnt/root')).toEqual({ kind: 'rootfs', spec: '/mnt/root' });
    expect(parseImageReference('alpine')).toMatchObject({ kind: 'registry', repository: 'library/alpine' });
    expect(() => parseImageReference('oci:')).toThrow(/a path must follow "oci:"/);
    expect(hasImagePrefix('oci-archive:x')).toBe(true);
    expect(hasImagePrefix('ocix:x')).toBe(false);
    expect(isRegistryReference('alpine:3.20')).toBe(true);
    expect(isRegistryReference('../dir')).toBe(false);
  });
});

describe('endsWithDigest', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it.each([
    [`nginx@${digest}`, true],
    [`ghcr.io/org/app:v1@${digest}`, true],
    [`127.0.0.1:5000/team/app@${digest}`, true],
    [`oci:/tmp/layout:v1@${digest}`, true],
    ['nginx:1.27', false],
    ['nginx', false],
    ['nginx@sha256:short', false],
    [`nginx@${digest}x`, false],
  ])('%s: %s', (reference, expected) => {
    expect(endsWithDigest(reference)).toBe(expected);
  });
});

describe('registryReferenceOf', () => {
  it('gives the registry reference, or undefined for a local image or text that is no reference', () => {
    expect(registryReferenceOf('nginx')).toEqual({ kind: 'registry', registry: 'docker.io', repository: 'library/nginx', tag: 'latest' });
    expect(registryReferenceOf(`ghcr.io/org/app@sha256:${'a'.repeat(64)}`)).toMatchObject({ registry: 'ghcr.io', repository: 'org/app', digest: `sha256:${'a'.repeat(64)}` });
    expect(registryReferenceOf('oci:/tmp/layout:v1')).toBeUndefined();
    expect(registryReferenceOf('docker-archive:/tmp/app.tar')).toBeUndefined();
    expect(registryReferenceOf('Not A Reference')).toBeUndefined();
  });
});

describe('platforms', () => {
  it('parses and normalises os/arch/variant', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(() => parsePlatform('linux')).toThrow(/expected os\/arch/);
    expect(() => parsePlatform('linux//v7')).toThrow(/invalid platform/);
    expect(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v6' })).toBe('linux/arm/v6');
  });

  it('matches variants loosely only when none is asked for', () => {
    expect(platformMatches(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(false);
    expect(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
  });

  it('prefers arm/v7 for a bare arm request and lists platforms when none matches', () => {
    const d = (architecture: string, variant?: string): Descriptor => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${architecture}${variant ?? ''}`,
      size: 1,
      platform: { os: 'linux', architecture, ...(variant && { variant }) },
    });
    const list = [d('amd64'), d('arm', 'v6'), d('arm', 'v7'), d('arm64', 'v8')];
    expect(selectPlatform(list, parsePlatform('linux/arm'), 'img').digest).toBe('sha256:armv7');
    expect(selectPlatform(list, parsePlatform('linux/arm/v6'), 'img').digest).toBe('sha256:armv6');
    expect(() => selectPlatform(list, parsePlatform('windows/amd64'), 'img')).toThrow(
      'img: no image for platform windows/amd64; available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64 (choose one with --platform)',
    );
  });
});
