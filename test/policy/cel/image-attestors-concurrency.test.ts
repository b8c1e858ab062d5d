/**
 * An ImageValidatingPolicy's attestors are verified at once, not one after another, and the
 * answers are the same as sequential ones: counts per attestor list, and the payload of a
 * verified attestation. A verifier stands in for the registry and records how many of its
 * verifications were in flight together.
 */
import { describe, expect, it } from 'vitest';
import type { ImageVerificationOutcome, ImageVerificationRequest } from '../../../src/policy/engine/verify-images-spec.ts';
import type { TrustImageVerifier } from '../../../src/policy/engine/verify-images-trust.ts';
import { applyCelPolicies } from '../../../src/policy/cel/apply.ts';
import { prepareImageVerification } from '../../../src/policy/cel/image-verify.ts';
import { parseCelPolicies } from '../../../src/policy/cel/load.ts';
import { publicKeyPem } from '../../../src/trust/keys.ts';
import { p256 } from '../../trust/oci/helpers.ts';
import { POD_CREATE, indent } from './helpers.ts';

const IMAGE = `registry.example/team/app@sha256:${'c'.repeat(64)}`;
const [a, b, c] = [p256(), p256(), p256()].map((k) => publicKeyPem(k.publicKey)) as [string, string, string];

function policy(): string {
  const attestor = (name: string, pem: string) => `  - name: ${name}
    cosign:
      key:
        data: |
${indent(pem, 10)}`;
  return `
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: three-keys
spec:
${POD_CREATE}
  matchImageReferences:
  - glob: "registry.example/*"
  attestors:
${attestor('a', a)}
${attestor('b', b)}
${attestor('c', c)}
  attestations:
  - name: sbom
    intoto:
      type: https://cyclonedx.org/bom
  validations:
  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.a, attestors.b, attestors.c]) == 2)"
    message: two of the three keys must sign
  - expression: "images.containers.all(i, verifyAttestationSignatures(i, attestations.sbom, [attestors.a, attestors.b, attestors.c]) == 1 && extractPayload(i, attestations.sbom).signer == 'b')"
    message: key b must attest the SBOM
`;
}

/** Signatures by keys a and b, an SBOM attestation by b; each answer takes a while. */
function slowVerifier(): { verifier: TrustImageVerifier; maxInFlight: () => number } {
  let inFlight = 0;
  let max = 0;
  const verifier = {
    async outcome(request: ImageVerificationRequest): Promise<ImageVerificationOutcome> {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
      if (request.kind === 'digest' || request.attestor.kind !== 'key') throw new Error(`unexpected request ${request.kind}`);
      const key = request.attestor.publicKey;
      if (request.kind === 'signature') return key === c ? { status: 'rejected', reason: 'no signature by c' } : { status: 'verified', digest: IMAGE.split('@')[1]! };
      return key === b ? { status: 'verified', digest: IMAGE.split('@')[1]!, statements: [{ predicateType: 'https://cyclonedx.org/bom', predicate: { signer: 'b' } }] } : { status: 'rejected', reason: 'no attestation' };
    },
  } as unknown as TrustImageVerifier;
  return { verifier, maxInFlight: () => max };
}

describe('ImageValidatingPolicy attestors', () => {
  it('are verified concurrently, with the answers sequential verification gives', async () => {
    const set = parseCelPolicies(policy(), 'ivpol.yaml');
    const resources = [{ object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: IMAGE }] } } }];
    const { verifier, maxInFlight } = slowVerifier();
    const imageVerifier = await prepareImageVerification(set, resources, { verifier });
    // Three signature and three attestation questions: all in flight together.
    expect(maxInFlight()).toBe(6);
    const [response] = applyCelPolicies(set, resources, { imageVerifier });
    expect(response?.rules[0]).toMatchObject({ status: 'pass' });
  });
});
