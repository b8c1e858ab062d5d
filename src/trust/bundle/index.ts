/** Sigstore bundle verification (offline, against a trusted root). */
export { BUNDLE_MEDIA_TYPES, BUNDLE_V03_MEDIA_TYPE } from './media-types.ts';
export { parseBundle } from './parse.ts';
export type { Bundle } from './parse.ts';
export { parseTrustedRoot, publicGoodTrustedRoot, readTrustedRoot } from './trusted-root.ts';
export type { TrustedRoot } from './trusted-root.ts';
export { verifyBundle } from './verify.ts';
export type { BundleArtifact, BundlePolicy, BundleSigner, VerifiedBundle } from './verify.ts';
