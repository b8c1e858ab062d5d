/**
 * The OCI Distribution registry client: `openRegistryImage` for scanning, `RegistryClient` for
 * everything else that talks to a registry (signatures and attestations, pushes in tests).
 */
export { openRegistryImage } from './image.ts';
export type { OpenRegistryImageOptions } from './image.ts';
export { isLoopbackHost, MANIFEST_MEDIA_TYPES, referrersTag, RegistryClient } from './client.ts';
export type { ManifestHead, ManifestResponse, PushResult, ReferrersResult, RegistryClientOptions } from './client.ts';
export { credentialHost, defaultDockerConfigPath, loadDockerCredentials } from './docker-config.ts';
export type { Credentials } from './docker-config.ts';
export { digestOf, DigestVerifier, isDigest, parseDigest, verifyBytes } from './digest.ts';
export { RegistryError } from './errors.ts';
export type { RegistryFailure } from './errors.ts';
export { parseChallenges } from './auth.ts';
