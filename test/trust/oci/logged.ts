/**
 * Image signatures and attestations as cosign writes them when it uploads to Rekor — the entry
 * recorded by a TestRekor: the legacy layer's `dev.sigstore.cosign/bundle` annotation (hashedrekord
 * for signatures, intoto 0.0.1 for attestations), or a v0.3 bundle's `tlogEntries` (dsse 0.0.1).
 * `body` lets a test log something other than what was signed.
 */
import type { KeyObject } from 'node:crypto';
import { signEnvelope } from '../../../src/trust/dsse.ts';
import { INTOTO_PAYLOAD_TYPE, STATEMENT_V1 } from '../../../src/trust/intoto.ts';
import { keyHint, publicKeyOf, signData } from '../../../src/trust/keys.ts';
import { appendLegacyLayer, bundleReferrerManifest, parseArtifactManifest } from '../../../src/trust/oci/objects.ts';
import { buildSimpleSigningPayload } from '../../../src/trust/oci/simple-signing.ts';
import type { Descriptor } from '../../../src/image/types.ts';
import type { ArtifactStore, RegistryStoreOptions } from '../../../src/trust/oci/store.ts';
import { openImageTarget } from '../../../src/trust/oci/target.ts';
import { ANNOTATIONS, COSIGN_SIGN_PREDICATE, MEDIA, signatureTag, type SignatureFormat } from '../../../src/trust/oci/types.ts';
import { dsseBody, hashedrekordBody, intotoBody, type EntryOptions, type TestRekor } from '../test-rekor.ts';

export interface LoggedSignOptions {
  format: SignatureFormat;
  registry?: RegistryStoreOptions;
  /** The entry to log, from what was signed; default the entry of exactly that. */
  body?: (signed: { payload: Uint8Array; signature: Buffer; envelope?: Uint8Array; publicKey: KeyObject }) => { kind: string; apiVersion: string };
  entry?: EntryOptions;
}

/** Signs the image with `privateKey` and logs the signature in `rekor`; returns the digest signed. */
export async function signLogged(reference: string, privateKey: KeyObject, rekor: TestRekor, options: LoggedSignOptions): Promise<string> {
  const target = await openImageTarget(reference, { ...(options.registry && { registry: options.registry }) });
  const subject = await target.store.resolve();
  const { digest } = subject;
  const publicKey = publicKeyOf(privateKey);
  if (options.format === 'bundle') {
    await writeBundle(target.store, subject, COSIGN_SIGN_PREDICATE, statement(digest, COSIGN_SIGN_PREDICATE, {}), privateKey, rekor, options);
    return digest;
  }
  const payload = buildSimpleSigningPayload(target.store.dockerReference ?? 'layout.test/app', digest);
  const signature = signData(privateKey, payload);
  const body = (options.body ?? ((s) => hashedrekordBody(s.payload, s.signature, s.publicKey)))({ payload, signature, publicKey });
  await appendLayer(target.legacyStore, digest, 'sig', {
    bytes: payload,
    mediaType: MEDIA.simpleSigning,
    annotations: { [ANNOTATIONS.signature]: signature.toString('base64'), [ANNOTATIONS.rekorBundle]: rekor.annotation(body, options.entry) },
  });
  return digest;
}

/** Attests the image with `predicate` of `predicateType` and logs the envelope in `rekor`. */
export async function attestLogged(reference: string, privateKey: KeyObject, rekor: TestRekor, predicateType: string, predicate: unknown, options: LoggedSignOptions): Promise<string> {
  const target = await openImageTarget(reference, { ...(options.registry && { registry: options.registry }) });
  const subject = await target.store.resolve();
  const { digest } = subject;
  const payload = statement(digest, predicateType, predicate);
  if (options.format === 'bundle') {
    await writeBundle(target.store, subject, predicateType, payload, privateKey, rekor, options);
    return digest;
  }
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, privateKey);
  const stored = Buffer.from(JSON.stringify(envelope));
  const signature = Buffer.from(envelope.signatures[0]!.sig, 'base64');
  const body = (options.body ?? ((s) => intotoBody(s.envelope!, s.payload, s.publicKey)))({ payload, signature, envelope: stored, publicKey: publicKeyOf(privateKey) });
  await appendLayer(target.legacyStore, digest, 'att', {
    bytes: stored,
    mediaType: MEDIA.dsseEnvelope,
    annotations: { [ANNOTATIONS.predicateType]: predicateType, [ANNOTATIONS.rekorBundle]: rekor.annotation(body, options.entry) },
  });
  return digest;
}

function statement(digest: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(JSON.stringify({ _type: STATEMENT_V1, subject: [{ name: 'image', digest: { sha256: digest.slice('sha256:'.length) } }], predicateType, predicate }));
}

async function writeBundle(store: ArtifactStore, subject: Descriptor, predicateType: string, payload: Buffer, privateKey: KeyObject, rekor: TestRekor, options: LoggedSignOptions): Promise<void> {
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, privateKey);
  const signature = Buffer.from(envelope.signatures[0]!.sig, 'base64');
  const publicKey = publicKeyOf(privateKey);
  const body = (options.body ?? ((s) => dsseBody(s.payload, s.signature, s.publicKey)))({ payload, signature, publicKey });
  const bundle = {
    mediaType: MEDIA.bundleV03,
    verificationMaterial: { publicKey: { hint: keyHint(publicKey) }, tlogEntries: [rekor.bundleEntry(body, options.entry)] },
    dsseEnvelope: { payload: envelope.payload, payloadType: envelope.payloadType, signatures: [{ sig: envelope.signatures[0]!.sig, keyid: '' }] },
  };
  const built = bundleReferrerManifest(subject, Buffer.from(JSON.stringify(bundle)), predicateType, new Date());
  await store.write({ blobs: built.blobs, manifest: { body: built.body, mediaType: MEDIA.ociManifest } });
}

async function appendLayer(store: ArtifactStore, digest: string, suffix: 'sig' | 'att', layer: { bytes: Uint8Array; mediaType: string; annotations: Record<string, string> }): Promise<void> {
  const tag = signatureTag(digest, suffix);
  const found = await store.manifest(tag);
  const built = appendLegacyLayer(found === undefined ? undefined : parseArtifactManifest(found.body, tag), layer);
  await store.write({ blobs: built.blobs, manifest: { body: built.body, mediaType: MEDIA.ociManifest, tag } });
}
