/**
 * ImageValidatingPolicy keyless attestors, offline: cosign's own keyless attestation bundle
 * (pkg/cosign/testdata/oci-attestation.sigstore.json: a Fulcio certificate for cody@soyland.com,
 * a Rekor entry) stored as a referrer of the digest it names in docker-registry, verified against
 * cosign's trusted_root_pgi.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCelPoliciesToResource } from '../../../src/policy/cel/apply.ts';
import { prepareImageVerification } from '../../../src/policy/cel/image-verify.ts';
import { parseCelPolicies } from '../../../src/policy/cel/load.ts';
import { readTrustedRoot } from '../../../src/trust/bundle/index.ts';
import { bundleReferrerManifest } from '../../../src/trust/oci/objects.ts';
import { corpusDir } from '../../helpers/corpus.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../image/registry/helpers/docker-registry.ts';
import { REGISTRY_OPTIONS, plainClient } from '../../trust/oci/helpers.ts';
import { POD_CREATE } from './helpers.ts';

const available = dockerRegistryAvailable();
const SIGSTORE = corpusDir('sigstore');
const SUBJECT = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const PREDICATE = 'https://cosign.sigstore.dev/attestation/v1';

function policy(identities: string): string {
  return `
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: keyless
spec:
${POD_CREATE}
  attestors:
  - name: dev
    cosign:
      keyless:
        identities: ${identities}
  attestations:
  - name: custom
    intoto:
      type: ${PREDICATE}
  validations:
  - expression: "images.containers.all(i, verifyAttestationSignatures(i, attestations.custom, [attestors.dev]) > 0)"
    message: images need an attestation from the developer
  - expression: "images.containers.all(i, extractPayload(i, attestations.custom).Data == '{\\"foo\\": \\"bar\\"}\\\\n')"
    message: the attestation must say foo is bar
`;
}

describe.skipIf(!available || SIGSTORE === undefined)('ImageValidatingPolicy keyless attestors against an offline trusted root', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startDockerRegistry();
    const client = plainClient(registry.host);
    const bundle = readFileSync(join(SIGSTORE!, 'cosign/pkg/cosign/testdata/oci-attestation.sigstore.json'));
    const built = bundleReferrerManifest({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: SUBJECT, size: 1000 }, bundle, PREDICATE, new Date());
    for (const blob of built.blobs) await client.putBlob('keyless', blob);
    await client.pushReferrer('keyless', 'application/vnd.oci.image.manifest.v1+json', Buffer.from(built.body));
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('checks the certificate identity and reads the verified predicate', async () => {
    const trustedRoot = readTrustedRoot(join(SIGSTORE!, 'cosign/pkg/cosign/testdata/trusted_root_pgi.json'));
    const resource = { object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: `${registry.host}/keyless@${SUBJECT}` }] } } };
    const rule = async (identity: string) => {
      const set = parseCelPolicies(policy(identity), 'ivpol.yaml');
      const imageVerifier = await prepareImageVerification(set, [resource], { registry: REGISTRY_OPTIONS, trustedRoot });
      return applyCelPoliciesToResource(set, resource, { imageVerifier }).responses[0]!.rules[0]!;
    };
    expect(await rule('[{subject: cody@soyland.com, issuer: "https://github.com/login/oauth"}]')).toMatchObject({ status: 'pass' });
    expect(await rule('[{subjectRegExp: "^cody@.*$", issuerRegExp: "^https://github\\\\.com/"}]')).toMatchObject({ status: 'pass' });
    const mallory = '{subject: mallory@example.com, issuer: "https://github.com/login/oauth"}';
    expect(await rule(`[${mallory}]`)).toMatchObject({ status: 'fail', message: 'images need an attestation from the developer' });
    // Any one identity suffices, as in cosign.
    expect(await rule(`[${mallory}, {subject: cody@soyland.com, issuer: "https://github.com/login/oauth"}]`)).toMatchObject({ status: 'pass' });
  });
});
