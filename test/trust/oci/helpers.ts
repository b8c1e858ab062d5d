/** Shared pieces of the image-signature tests: keys, predicates and a quiet registry client. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RegistryClient } from '../../../src/image/registry/index.ts';

export interface TestKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function p256(): TestKeys {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A client that never reads the developer's Docker credentials. */
export function plainClient(host: string): RegistryClient {
  return new RegistryClient({ registry: host, insecure: true, credentials: {} });
}

export const REGISTRY_OPTIONS = { insecure: true, credentials: {} } as const;

/** A SLSA v1 provenance predicate as GitHub's builder writes it (trimmed). */
export const PROVENANCE = {
  buildDefinition: {
    buildType: 'https://actions.github.io/buildtypes/workflow/v1',
    externalParameters: { workflow: { ref: 'refs/heads/main', repository: 'https://github.com/acme/app', path: '.github/workflows/build.yml' } },
    resolvedDependencies: [{ uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { gitCommit: '0123456789abcdef0123456789abcdef01234567' } }],
  },
  runDetails: {
    builder: { id: 'https://github.com/actions/runner/github-hosted' },
    metadata: { invocationId: 'https://github.com/acme/app/actions/runs/1/attempts/1' },
  },
};
