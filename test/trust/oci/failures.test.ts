/**
 * A registry that misbehaves while signatures are looked up (scripted loopback server): failures to
 * look must surface as registry errors, never as "no signatures", and a referrer that is simply
 * gone is skipped.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryError } from '../../../src/image/registry/index.ts';
import { ImageVerificationError, verifyImageSignatures } from '../../../src/trust/oci/verify.ts';
import { registryError, send, startFake, type FakeServer } from '../../image/registry/helpers/fake-registry.ts';
import { p256 } from './helpers.ts';

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const IMAGE = digestOf('image');
const REFERRER = digestOf('referrer');
const INDEX = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: REFERRER, size: 100, artifactType: 'application/vnd.oci.empty.v1+json' }],
});

describe('signature lookup against a misbehaving registry', () => {
  let fake: FakeServer | undefined;
  const keys = p256();
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  /** Serves the fallback index for IMAGE; the referrer manifest answers `status`. */
  async function registry(referrerStatus: number, listingStatus = 200): Promise<FakeServer> {
    return startFake((request, response) => {
      const path = request.url.pathname;
      if (path.includes('/referrers/')) return registryError(response, 404, 'NAME_UNKNOWN', 'no referrers API');
      if (path.endsWith(`/manifests/${IMAGE.replace(':', '-')}`)) {
        if (listingStatus !== 200) return registryError(response, listingStatus, 'UNAVAILABLE', 'try later');
        return send(response, 200, INDEX, { 'content-type': 'application/vnd.oci.image.index.v1+json', 'docker-content-digest': digestOf(INDEX) });
      }
      if (path.endsWith(`/manifests/${REFERRER}`)) return registryError(response, referrerStatus, referrerStatus === 404 ? 'MANIFEST_UNKNOWN' : 'UNAVAILABLE', 'nope');
      return registryError(response, 404, 'MANIFEST_UNKNOWN', 'unknown');
    });
  }

  const verify = (server: FakeServer) =>
    verifyImageSignatures(`${server.host}/team/app@${IMAGE}`, { ignoreTlog: true, publicKeys: [keys.publicKey], registry: { insecure: true, credentials: {}, retries: 0 } });

  it('skips a listed referrer that is gone, and says no signatures were found', async () => {
    fake = await registry(404);
    const err = await verify(fake).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageVerificationError);
    expect((err as ImageVerificationError).failure).toBe('NO_SIGNATURES');
    expect((err as ImageVerificationError).result.skipped[0]).toContain(REFERRER);
  });

  it('reports a registry failure on a referrer, or on the listing, as a registry error', async () => {
    fake = await registry(503);
    await expect(verify(fake)).rejects.toBeInstanceOf(RegistryError);
    await fake.close();
    fake = await registry(404, 401);
    const err = await verify(fake).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).not.toBeInstanceOf(ImageVerificationError);
  });
});
