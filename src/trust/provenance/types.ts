/**
 * SLSA Provenance predicate shapes (slsa.dev/provenance v1, and the v0.2 fields the verifier reads).
 * Parsing rules of the spec: unknown fields are ignored, unset = null = empty.
 */

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const SLSA_PROVENANCE_V02 = 'https://slsa.dev/provenance/v0.2';
export const SLSA_PROVENANCE_V01 = 'https://slsa.dev/provenance/v0.1';

/** in-toto ResourceDescriptor (attestation spec v1). */
export interface ResourceDescriptor {
  uri?: string;
  digest?: Record<string, string>;
  name?: string;
  downloadLocation?: string;
  mediaType?: string;
  /** base64 */
  content?: string;
  annotations?: Record<string, unknown>;
}

export interface ProvenanceV1 {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies?: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string>; builderDependencies?: ResourceDescriptor[] };
    metadata?: { invocationId?: string; startedOn?: string; finishedOn?: string };
    byproducts?: ResourceDescriptor[];
  };
}
