/**
 * Signing and verifying inside an OCI image layout (`oci:DIR[:tag]`), offline: the layout acts as a
 * registry without the referrers API whose tags are index.json's ref.name annotations.
 */
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../../src/core/errors.ts';
import { openOciDirectory } from '../../../src/image/sources/oci-layout.ts';
import { attestImage, signImage } from '../../../src/trust/oci/sign.ts';
import { ImageVerificationError, verifyImageAttestations, verifyImageSignatures } from '../../../src/trust/oci/verify.ts';
import { buildImage, sha256 } from '../../image/registry/helpers/images.ts';
import { PROVENANCE, p256 } from './helpers.ts';
import { attestLogged, signLogged } from './logged.ts';
import { TestRekor, dsseBody, hashedrekordBody, intotoBody } from '../test-rekor.ts';

const REF_NAME = 'org.opencontainers.image.ref.name';

interface Layout {
  dir: string;
  digest: string;
}

/** An OCI layout holding one small image tagged v1 (optionally with containerd's full name). */
async function writeLayout(root: string, name?: string): Promise<Layout> {
  const dir = join(root, 'layout');
  const image = await buildImage({ layers: [{ 'etc/os-release': 'ID=layout\n' }] });
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const blob of [image.manifest, image.config, ...image.layers.map((l) => l.blob)]) {
    await writeFile(join(dir, 'blobs', 'sha256', sha256(blob).slice(7)), blob);
  }
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const annotations: Record<string, string> = { [REF_NAME]: 'v1', ...(name !== undefined && { 'io.containerd.image.name': name }) };
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifest.length, annotations }] }));
  return { dir, digest: image.manifestDigest };
}

async function snapshot(dir: string): Promise<string[]> {
  const blobs = await readdir(join(dir, 'blobs', 'sha256'));
  return [...blobs.sort(), await readFile(join(dir, 'index.json'), 'utf8')];
}

describe('image signatures in an OCI layout', () => {
  let root: string;
  const keys = p256();
  const other = p256();

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-sign-layout-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores a v3 bundle referrer under the sha256-<hex> tag and verifies it offline', async () => {
    const layout = await writeLayout(root);
    const ref = `oci:${layout.dir}:v1`;
    const signed = await signImage(ref, { privateKey: keys.privateKey, annotations: { ci: 'true' } });
    expect(signed.digest).toBe(layout.digest);

    const index = JSON.parse(await readFile(join(layout.dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const tags = index.manifests.map((d) => d.annotations?.[REF_NAME]);
    expect(tags).toEqual(['v1', `sha256-${layout.digest.slice(7)}`]);
    const fallback = JSON.parse(await readFile(join(layout.dir, 'blobs', 'sha256', index.manifests[1]!.digest.slice(7)), 'utf8'));
    expect(fallback.manifests[0].digest).toBe(signed.manifestDigest);
    const referrer = JSON.parse(await readFile(join(layout.dir, 'blobs', 'sha256', signed.manifestDigest.slice(7)), 'utf8'));
    expect(referrer.subject.digest).toBe(layout.digest);

    const verified = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], annotations: { ci: 'true' } });
    expect(verified.verified).toHaveLength(1);
    // Without a tag the layout's only image is meant; the signature entries do not count as images.
    expect((await verifyImageSignatures(`oci:${layout.dir}`, { ignoreTlog: true, publicKeys: [keys.publicKey] })).digest).toBe(layout.digest);
    // The image is still readable by tag for scanning.
    const source = await openOciDirectory(ref, `${layout.dir}:v1`, {});
    expect((await source.manifest()).digest).toBe(layout.digest);
    await expect(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [other.publicKey] })).rejects.toMatchObject({ failure: 'SIGNATURE_INVALID' });
  });

  it('appends legacy signatures under sha256-<hex>.sig with the identity the layout records or the flag', async () => {
    const layout = await writeLayout(root, 'registry.example.com/team/app:v1');
    const ref = `oci:${layout.dir}:v1`;
    const first = await signImage(ref, { privateKey: keys.privateKey, format: 'legacy' });
    await signImage(ref, { privateKey: other.privateKey, format: 'legacy', identity: 'registry.example.com/team/app' });
    expect(first.location).toBe(`${ref}:sha256-${layout.digest.slice(7)}.sig`);
    expect(Buffer.from(first.payload).toString()).toContain('"docker-reference":"registry.example.com/team/app"');

    const verified = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey, other.publicKey] });
    expect(verified.verified).toHaveLength(2);
    // A layout has no repository of its own: the reference is checked only when asked for.
    const elsewhere = await verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], expectedReference: 'registry.example.com/team/app' });
    expect(elsewhere.verified).toHaveLength(1);
    await expect(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], expectedReference: 'registry.example.com/team/other' })).rejects.toMatchObject({
      failure: 'SUBJECT_MISMATCH',
    });
  });

  it('writes nothing when signing fails', async () => {
    const layout = await writeLayout(root);
    const before = await snapshot(layout.dir);
    // No identity for a legacy signature: refused before any write.
    await expect(signImage(`oci:${layout.dir}:v1`, { privateKey: keys.privateKey, format: 'legacy' })).rejects.toBeInstanceOf(PalisadeError);
    // A public key cannot sign.
    await expect(signImage(`oci:${layout.dir}:v1`, { privateKey: keys.publicKey })).rejects.toMatchObject({ reason: 'MALFORMED_KEY' });
    // An unknown tag.
    await expect(signImage(`oci:${layout.dir}:v2`, { privateKey: keys.privateKey })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    expect(await snapshot(layout.dir)).toEqual(before);
  });

  it('attests and verifies attestations with a policy, offline', async () => {
    const layout = await writeLayout(root);
    const ref = `oci:${layout.dir}:v1`;
    await attestImage(ref, { privateKey: keys.privateKey, predicateType: 'https://slsa.dev/provenance/v1', predicate: PROVENANCE });
    await attestImage(ref, { privateKey: keys.privateKey, predicateType: 'slsaprovenance1', predicate: PROVENANCE, format: 'legacy' });
    const verified = await verifyImageAttestations(ref, { ignoreTlog: true, publicKeys: [keys.publicKey], predicateType: 'slsaprovenance1' });
    expect(verified.verified.map((v) => v.format).sort()).toEqual(['bundle', 'legacy']);
    expect(verified.verified[0]!.statement.subject[0]!.digest).toEqual({ sha256: layout.digest.slice(7) });
    await expect(verifyImageSignatures(ref, { ignoreTlog: true, publicKeys: [keys.publicKey] })).rejects.toBeInstanceOf(ImageVerificationError);
  });

  it('rejects images other than registries and layouts, and directories that are not layouts', async () => {
    await expect(signImage(`docker-archive:${root}/x.tar`, { privateKey: keys.privateKey })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(verifyImageSignatures(`oci:${root}`, { ignoreTlog: true, publicKeys: [keys.publicKey] })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });
});

describe('transparency-log entries of key-based signatures, offline', () => {
  let root: string;
  const keys = p256();
  const other = p256();
  const rekor = new TestRekor();

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-tlog-layout-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => (err as ImageVerificationError).failure);

  it('verifies legacy signatures whose Rekor SET and entry hold, and rejects unlogged ones unless the log is ignored', async () => {
    const layout = await writeLayout(root, 'registry.example.com/team/app:v1');
    const ref = `oci:${layout.dir}:v1`;
    await signLogged(ref, keys.privateKey, rekor, { format: 'legacy' });
    const verified = await verifyImageSignatures(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root });
    expect(verified.verified.map((v) => v.format)).toEqual(['legacy']);
    // The shipped public-good root does not know the test log.
    const foreign = await verifyImageSignatures(ref, { publicKeys: [keys.publicKey] }).catch((err: ImageVerificationError) => err);
    expect(foreign).toMatchObject({ failure: 'TLOG_ERROR', message: expect.stringMatching(/a log the trusted root does not name/) });

    const unlogged = await writeLayout(join(root, 'b'), 'registry.example.com/team/app:v1');
    await signImage(`oci:${unlogged.dir}:v1`, { privateKey: keys.privateKey, format: 'legacy' });
    const refused = await verifyImageSignatures(`oci:${unlogged.dir}:v1`, { publicKeys: [keys.publicKey], trustedRoot: rekor.root }).catch((err: ImageVerificationError) => err);
    expect(refused).toMatchObject({ failure: 'TLOG_ERROR', message: expect.stringMatching(/no transparency log entry/) });
    expect((await verifyImageSignatures(`oci:${unlogged.dir}:v1`, { publicKeys: [keys.publicKey], ignoreTlog: true })).verified).toHaveLength(1);
    // A key from a certificate: the entry must be dated within its validity.
    const expired = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') };
    const late = await verifyImageSignatures(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root, keyValidity: [expired] }).catch((err: ImageVerificationError) => err);
    expect(late).toMatchObject({ failure: 'CERTIFICATE_ERROR', message: expect.stringMatching(/when the certificate was not valid/) });
  });

  it('rejects a legacy signature whose logged entry names another key or payload', async () => {
    const layout = await writeLayout(root, 'registry.example.com/team/app:v1');
    const ref = `oci:${layout.dir}:v1`;
    await signLogged(ref, keys.privateKey, rekor, { format: 'legacy', body: (s) => hashedrekordBody(s.payload, s.signature, other.publicKey) });
    expect(await failureOf(verifyImageSignatures(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root }))).toBe('TLOG_ERROR');
    const layout2 = await writeLayout(join(root, 'b'), 'registry.example.com/team/app:v1');
    await signLogged(`oci:${layout2.dir}:v1`, keys.privateKey, rekor, { format: 'legacy', body: (s) => hashedrekordBody(Buffer.from('{}'), s.signature, s.publicKey) });
    expect(await failureOf(verifyImageSignatures(`oci:${layout2.dir}:v1`, { publicKeys: [keys.publicKey], trustedRoot: rekor.root }))).toBe('TLOG_ERROR');
    // A wrong key is still a wrong key, log or not.
    expect(await failureOf(verifyImageSignatures(ref, { publicKeys: [other.publicKey], trustedRoot: rekor.root }))).toBe('SIGNATURE_INVALID');
  });

  it('verifies legacy attestations logged as intoto entries', async () => {
    const layout = await writeLayout(root, 'registry.example.com/team/app:v1');
    const ref = `oci:${layout.dir}:v1`;
    await attestLogged(ref, keys.privateKey, rekor, 'https://slsa.dev/provenance/v1', PROVENANCE, { format: 'legacy' });
    const verified = await verifyImageAttestations(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root, predicateType: 'slsaprovenance1' });
    expect(verified.verified.map((v) => v.format)).toEqual(['legacy']);
    await attestLogged(ref, keys.privateKey, rekor, 'https://example.com/other', {}, { format: 'legacy', body: (s) => intotoBody(Buffer.from('{}'), s.payload, s.publicKey) });
    expect(await failureOf(verifyImageAttestations(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root, predicateType: 'https://example.com/other' }))).toBe('TLOG_ERROR');
  });

  it('verifies v3 bundles through their tlog entries (inclusion proof and promise), and rejects bundles without one or for another key', async () => {
    const layout = await writeLayout(root);
    const ref = `oci:${layout.dir}:v1`;
    await signLogged(ref, keys.privateKey, rekor, { format: 'bundle' });
    await attestLogged(ref, keys.privateKey, rekor, 'https://slsa.dev/provenance/v1', PROVENANCE, { format: 'bundle' });
    expect((await verifyImageSignatures(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root })).verified.map((v) => v.format)).toEqual(['bundle']);
    expect((await verifyImageAttestations(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root, predicateType: 'slsaprovenance1' })).verified).toHaveLength(1);

    const unlogged = await writeLayout(join(root, 'b'));
    await signImage(`oci:${unlogged.dir}:v1`, { privateKey: keys.privateKey });
    const refused = await verifyImageSignatures(`oci:${unlogged.dir}:v1`, { publicKeys: [keys.publicKey], trustedRoot: rekor.root }).catch((err: ImageVerificationError) => err);
    expect(refused).toMatchObject({ failure: 'TLOG_ERROR', message: expect.stringMatching(/no transparency log entry/) });

    // A key from a certificate (keyValidity): the entries must be dated within its validity.
    const hour = 3_600_000;
    const later = { notBefore: new Date(Date.now() + hour), notAfter: new Date(Date.now() + 2 * hour) };
    const now = { notBefore: new Date(Date.now() - hour), notAfter: new Date(Date.now() + hour) };
    expect(await failureOf(verifyImageSignatures(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root, keyValidity: [later] }))).toBe('CERTIFICATE_ERROR');
    expect((await verifyImageSignatures(ref, { publicKeys: [keys.publicKey], trustedRoot: rekor.root, keyValidity: [now] })).verified).toHaveLength(1);

    const misattributed = await writeLayout(join(root, 'c'));
    await signLogged(`oci:${misattributed.dir}:v1`, keys.privateKey, rekor, { format: 'bundle', body: (s) => dsseBody(s.payload, s.signature, other.publicKey) });
    const wrongKey = await verifyImageSignatures(`oci:${misattributed.dir}:v1`, { publicKeys: [keys.publicKey], trustedRoot: rekor.root }).catch((err: ImageVerificationError) => err);
    expect(wrongKey).toMatchObject({ failure: 'TLOG_ERROR', message: expect.stringMatching(/under another key/) });
  });
});
