/**
 * The names cosign gives to what it stores next to an image (sigstore/cosign specs SIGNATURE_SPEC.md,
 * ATTESTATION_SPEC.md, BUNDLE_SPEC.md), and the shapes Palisade reads them into. Two layouts coexist:
 *
 * - legacy (cosign ≤ 2, `--new-bundle-format=false`): one image manifest per signed digest under the
 *   tag `sha256-<hex>.sig` (signatures) or `.att` (attestations), one layer per signature;
 * - cosign v3: one OCI 1.1 referrer manifest per signature, whose single layer is a Sigstore bundle
 *   v0.3, found through the referrers API or the `sha256-<hex>` fallback index tag.
 */
import type { Descriptor } from '../../image/types.ts';

export const MEDIA = {
  simpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  bundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  inToto: 'application/vnd.in-toto+json',
} as const;

/** Every Sigstore bundle media type starts so (`…bundle.v0.3+json`, `…bundle+json;version=0.2`). */
export const BUNDLE_MEDIA_PREFIX = 'application/vnd.dev.sigstore.bundle';

export const ANNOTATIONS = {
  /** Legacy layer: base64 signature over the payload blob. */
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  rekorBundle: 'dev.sigstore.cosign/bundle',
  /** Legacy attestation layer: the statement's predicate type. */
  predicateType: 'predicateType',
  /** v3 referrer manifest annotations. */
  bundleContent: 'dev.sigstore.bundle.content',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const;

/** `critical.type` of a simple-signing payload. */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
/** Predicate type of a cosign v3 image signature (an in-toto statement with an empty predicate). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

/** The empty JSON object blob OCI artifacts use as config (`{}`, sha256:44136fa3…). */
export const EMPTY_JSON = new Uint8Array([0x7b, 0x7d]);

export type SignatureFormat = 'bundle' | 'legacy';
export type ArtifactKind = 'signature' | 'attestation';

/** `sha256:<hex>` → `sha256-<hex>.sig` / `.att` (legacy) or `sha256-<hex>` (referrers fallback index). */
export function signatureTag(digest: string, suffix: 'sig' | 'att' | ''): string {
  const tag = digest.replace(':', '-');
  return suffix === '' ? tag : `${tag}.${suffix}`;
}

/** A manifest as stored: its bytes, digest and media type. */
export interface StoredManifest {
  digest: string;
  mediaType: string;
  body: Uint8Array;
}

/** An image manifest with the OCI 1.1 fields cosign's objects use. */
export interface ArtifactManifest {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor & { artifactType?: string };
  layers: Descriptor[];
  annotations?: Record<string, string>;
  subject?: Descriptor;
}
