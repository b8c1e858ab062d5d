/**
 * Image signatures and attestations stored in OCI registries and layouts, cosign-compatible. The
 * admission webhook and the CLI use this API:
 *
 *   const cache = new DigestCache();
 *   const { digest, verified } = await verifyImageSignatures('ghcr.io/org/app@sha256:…', { publicKeys, cache });
 *   const { verified: atts } = await verifyImageAttestations(ref, { publicKeys, predicateType: 'slsaprovenance1', policy });
 *
 * Both throw ImageVerificationError (a TrustError; `failure` names why) when nothing verifies, and
 * RegistryError/PalisadeError when the registry cannot be read — never "no signatures" for "could
 * not look".
 */
export { DigestCache, cachedStore } from './cache.ts';
export type { DigestCacheOptions, DigestCacheStats } from './cache.ts';
export { LayoutStore } from './layout-store.ts';
export { loadAttestationPolicy, parseAttestationPolicy, policyContext } from './policy.ts';
export type { AttestationPolicy, PolicyOutcome } from './policy.ts';
export { attestImage, signImage } from './sign.ts';
export type { AttestImageOptions, SignImageOptions, SignResult } from './sign.ts';
export { buildSimpleSigningPayload, parseSimpleSigningPayload } from './simple-signing.ts';
export type { SimpleSigningClaims } from './simple-signing.ts';
export { RegistryStore, dockerReferenceOf } from './store.ts';
export type { ArtifactStore, RegistryStoreOptions, WritePlan, WriteResult } from './store.ts';
export { openImageTarget } from './target.ts';
export type { ImageTarget, TargetOptions } from './target.ts';
export { ANNOTATIONS, COSIGN_SIGN_PREDICATE, MEDIA, SIMPLE_SIGNING_TYPE, signatureTag } from './types.ts';
export type { ArtifactKind, SignatureFormat } from './types.ts';
export { ImageVerificationError, verifyImageAttestations, verifyImageSignatures } from './verify.ts';
export type {
  CertificateValidity,
  ImageVerification,
  ImageVerificationFailure,
  KeylessOptions,
  KeylessSigner,
  Rejection,
  VerifiedAttestation,
  VerifiedSignature,
  VerifyAttestationOptions,
  VerifyImageOptions,
} from './verify.ts';
