/** SLSA provenance: generate (from CI or flags) and verify (like slsa-verifier). */
export { buildProvenancePredicate, buildProvenanceStatement, fileSubject, imageSubject, resolveSubjects, sha256File } from './generate.ts';
export type { GenerateOptions, ImageSubjectOptions } from './generate.ts';
export { describeBuild, detectCi, GENERIC_BUILD_TYPE, GITHUB_WORKFLOW_BUILD_TYPE, GITHUB_WORKFLOW_BUILD_TYPE_SLSA, GITLAB_CI_BUILD_TYPE } from './ci.ts';
export type { BuildDescription, CiPlatform, Environment } from './ci.ts';
export { authenticateProvenance, checkProvenance, verifyProvenance } from './verify.ts';
export type { AuthenticatedProvenance, AuthenticationOptions, DigestSet, ProvenanceVerification, VerifyProvenanceOptions } from './verify.ts';
export { parseNpmKeys } from './npm.ts';
export { ProvenanceError, isProvenanceError } from './errors.ts';
export type { ProvenanceFailure } from './errors.ts';
export { SLSA_PROVENANCE_V01, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1 } from './types.ts';
export type { ProvenanceV1, ResourceDescriptor } from './types.ts';
