/**
 * Signing and attesting images the way cosign stores the results (see types.ts for the layouts):
 *
 * - default (cosign v3): an in-toto statement over the image digest — predicate type
 *   `https://sigstore.dev/cosign/sign/v1` with an empty predicate and the `-a` annotations on the
 *   subject for signatures, the user's predicate for attestations — signed as a DSSE envelope, in a
 *   key-based Sigstore bundle v0.3 (`verificationMaterial.publicKey.hint`, no transparency-log
 *   entry), attached as an OCI 1.1 referrer of the image;
 * - legacy: a simple-signing payload appended as a layer to the `sha256-<hex>.sig` manifest, or a
 *   DSSE envelope appended to `sha256-<hex>.att`.
 *
 * Everything is computed before the first write (digest resolved, key used, objects built), so a
 * failure leaves nothing behind; the one write that follows stores blobs first and the manifest
 * last, so no manifest ever names a missing blob.
 */
import type { KeyObject } from 'node:crypto';
import { PalisadeError } from '../../core/errors.ts';
import { parseRegistryReference } from '../../image/reference.ts';
import { sha256Digest } from '../../image/digest.ts';
import type { Descriptor } from '../../image/types.ts';
import { signEnvelope, type Envelope } from '../dsse.ts';
import { TrustError } from '../errors.ts';
import { INTOTO_PAYLOAD_TYPE, STATEMENT_V1, resolvePredicateType } from '../intoto.ts';
import { keyHint, publicKeyOf, signData, verifyData } from '../keys.ts';
import { GoMap, goMarshal } from './gojson.ts';
import { LayoutStore } from './layout-store.ts';
import { appendLegacyLayer, bundleReferrerManifest, parseArtifactManifest } from './objects.ts';
import { buildSimpleSigningPayload } from './simple-signing.ts';
import { dockerReferenceOf, type ArtifactStore, type RegistryStoreOptions } from './store.ts';
import { ANNOTATIONS, COSIGN_SIGN_PREDICATE, MEDIA, signatureTag, type ArtifactManifest, type SignatureFormat } from './types.ts';
import { openImageTarget, type ImageTarget } from './target.ts';

export interface SignImageOptions {
  privateKey: KeyObject;
  /** `-a key=value`: signed claims (simple-signing `optional`, or the statement subject's annotations). */
  annotations?: Readonly<Record<string, string>>;
  /** Default `bundle` (cosign v3); `legacy` for the `.sig`/`.att` tags. */
  format?: SignatureFormat;
  registry?: RegistryStoreOptions;
  /** Repository for legacy `.sig`/`.att` tags when not the image's own (cosign's COSIGN_REPOSITORY). */
  signatureRepository?: string;
  /** The docker-reference to sign (cosign's `--sign-container-identity`); default the image's repository. */
  identity?: string;
  /** Clock for `org.opencontainers.image.created` and custom predicates (tests). */
  now?: () => Date;
}

export interface AttestImageOptions extends SignImageOptions {
  /** Predicate type URI or cosign shorthand (`slsaprovenance1`, `cyclonedx`, …). */
  predicateType: string;
  /** The predicate (parsed JSON, or cosign's `{Data, Timestamp}` wrapper for `custom`). */
  predicate: unknown;
}

export interface SignResult {
  reference: string;
  /** The image digest that was signed. */
  digest: string;
  format: SignatureFormat;
  /** Digest of the manifest written (the `.sig`/`.att` manifest or the referrer). */
  manifestDigest: string;
  /** Where it was stored, for messages. */
  location: string;
  /** False when an identical signature by the same key was already there (legacy; nothing written). */
  written: boolean;
  /** The bytes signed: simple-signing payload or in-toto statement. */
  payload: Uint8Array;
}

export async function signImage(reference: string, options: SignImageOptions): Promise<SignResult> {
  const target = await openImageTarget(reference, options);
  const subject = await target.store.resolve();
  if ((options.format ?? 'bundle') === 'legacy') {
    const identity = await signedIdentity(target.store, options.identity);
    const payload = buildSimpleSigningPayload(identity, subject.digest, options.annotations as Record<string, string> | undefined);
    const signature = signData(options.privateKey, payload).toString('base64');
    return appendLegacy(target, subject.digest, 'sig', options, {
      bytes: payload,
      mediaType: MEDIA.simpleSigning,
      annotations: { [ANNOTATIONS.signature]: signature },
    });
  }
  const statement = statementBytes(subject.digest, COSIGN_SIGN_PREDICATE, {}, { annotations: options.annotations ?? {} });
  return pushBundle(target, subject, COSIGN_SIGN_PREDICATE, statement, options);
}

export async function attestImage(reference: string, options: AttestImageOptions): Promise<SignResult> {
  const predicateType = resolvePredicateType(options.predicateType);
  const target = await openImageTarget(reference, options);
  const subject = await target.store.resolve();
  const name = await signedIdentity(target.store, options.identity).catch(() => undefined);
  const statement = statementBytes(subject.digest, predicateType, options.predicate ?? {}, name !== undefined ? { name } : {});
  if ((options.format ?? 'bundle') === 'legacy') {
    const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, statement, options.privateKey);
    return appendLegacy(target, subject.digest, 'att', options, {
      bytes: envelopeBytes(envelope),
      mediaType: MEDIA.dsseEnvelope,
      annotations: { [ANNOTATIONS.predicateType]: predicateType },
    }, statement);
  }
  return pushBundle(target, subject, predicateType, statement, options);
}

/**
 * An in-toto v1 statement over `digest`, fields in the order cosign's protobuf writer emits them
 * (`_type`, `subject`, `predicateType`, `predicate`; subject `name`, `digest`, `annotations`).
 */
function statementBytes(digest: string, predicateType: string, predicate: unknown, subject: { name?: string; annotations?: Readonly<Record<string, string>> }): Uint8Array {
  const colon = digest.indexOf(':');
  return goMarshal({
    _type: STATEMENT_V1,
    subject: [
      {
        name: subject.name,
        digest: { [digest.slice(0, colon)]: digest.slice(colon + 1) },
        annotations: subject.annotations === undefined ? undefined : new GoMap(subject.annotations),
      },
    ],
    predicateType,
    predicate,
  });
}

/** DSSE envelope JSON as cosign stores it (`payloadType`, `payload`, `signatures[{keyid, sig}]`). */
function envelopeBytes(envelope: Envelope): Uint8Array {
  return goMarshal({
    payloadType: envelope.payloadType,
    payload: envelope.payload,
    signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })),
  });
}

async function pushBundle(target: ImageTarget, subject: Descriptor, predicateType: string, statement: Uint8Array, options: SignImageOptions): Promise<SignResult> {
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, statement, options.privateKey);
  // protojson field order; an empty keyid is left out, as protojson omits default values.
  const bundle = goMarshal({
    mediaType: MEDIA.bundleV03,
    verificationMaterial: { publicKey: { hint: keyHint(publicKeyOf(options.privateKey)) } },
    dsseEnvelope: {
      payload: envelope.payload,
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid === '' ? undefined : s.keyid })),
    },
  });
  const built = bundleReferrerManifest(subject, bundle, predicateType, (options.now ?? (() => new Date()))());
  const written = await target.store.write({ blobs: built.blobs, manifest: { body: built.body, mediaType: MEDIA.ociManifest } });
  return { reference: target.reference, digest: subject.digest, format: 'bundle', manifestDigest: written.digest, location: written.location, written: true, payload: statement };
}

async function appendLegacy(
  target: ImageTarget,
  digest: string,
  suffix: 'sig' | 'att',
  options: SignImageOptions,
  layer: { bytes: Uint8Array; mediaType: string; annotations: Record<string, string> },
  signed: Uint8Array = layer.bytes,
): Promise<SignResult> {
  const store = target.legacyStore;
  const tag = signatureTag(digest, suffix);
  const found = await store.manifest(tag);
  let existing: ArtifactManifest | undefined;
  if (found !== undefined) {
    try {
      existing = parseArtifactManifest(found.body, `${store.name}:${tag}`);
    } catch (err) {
      throw new TrustError('MALFORMED_SIGNATURE', `${store.name}:${tag} exists but is not a signature manifest; refusing to overwrite it (${(err as Error).message})`);
    }
    // cosign's duplicate detection: the same payload already signed by this key is not added twice.
    const duplicate = suffix === 'sig' && existing.layers.find((l) => l.digest === sha256Digest(layer.bytes) && sameKeySignature(l, layer.bytes, options.privateKey));
    if (duplicate) {
      return { reference: target.reference, digest, format: 'legacy', manifestDigest: found.digest, location: `${store.name}:${tag}`, written: false, payload: signed };
    }
  }
  const built = appendLegacyLayer(existing, layer);
  const written = await store.write({ blobs: built.blobs, manifest: { body: built.body, mediaType: MEDIA.ociManifest, tag } });
  return { reference: target.reference, digest, format: 'legacy', manifestDigest: written.digest, location: written.location, written: true, payload: signed };
}

function sameKeySignature(layer: Descriptor, payload: Uint8Array, key: KeyObject): boolean {
  const encoded = layer.annotations?.[ANNOTATIONS.signature];
  return encoded !== undefined && verifyData(publicKeyOf(key), payload, Buffer.from(encoded, 'base64'));
}

/**
 * The docker-reference a legacy signature names: the flag, else the registry repository; a layout
 * has none unless its index.json records the image's full name.
 */
async function signedIdentity(store: ArtifactStore, explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) return dockerReferenceOf(parseRegistryReference(explicit));
  if (store.dockerReference !== undefined) return store.dockerReference;
  const name = store instanceof LayoutStore ? await store.imageName() : undefined;
  if (name !== undefined) return dockerReferenceOf(parseRegistryReference(name));
  throw new PalisadeError(
    'USAGE',
    `${store.name}: a legacy signature names the image's repository, and the layout records none; pass --sign-container-identity REGISTRY/REPOSITORY`,
  );
}
