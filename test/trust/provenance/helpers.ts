/** Shared by the provenance tests: statements, keys, and "which reason did it fail with". */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signEnvelope } from '../../../src/trust/dsse.ts';
import { buildStatement, INTOTO_PAYLOAD_TYPE, type Statement } from '../../../src/trust/intoto.ts';
import { isProvenanceError } from '../../../src/trust/provenance/errors.ts';
import { repoRoot } from '../../helpers/corpus.ts';

export const fixture = (name: string): Buffer => readFileSync(join(repoRoot, 'test/fixtures/provenance', name));

export const ARTIFACT = 'ab'.repeat(32);
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';
export const GENERATOR = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/';

export function ecKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A v1 GitHub-workflow provenance for ARTIFACT, built on `refs/tags/v1.2.0` of github.com/acme/app unless overridden. */
export function githubStatement(
  overrides: { ref?: string; builderId?: string; inputs?: Record<string, unknown>; materialRef?: string; repository?: string } = {},
): Statement {
  const ref = overrides.ref ?? 'refs/tags/v1.2.0';
  const repository = overrides.repository ?? 'https://github.com/acme/app';
  const external: Record<string, unknown> = { workflow: { ref, repository, path: '.github/workflows/release.yml' } };
  if (overrides.inputs) external.inputs = overrides.inputs;
  return buildStatement([{ name: 'app.bin', digest: { sha256: ARTIFACT } }], 'https://slsa.dev/provenance/v1', {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: external,
      internalParameters: { github: { event_name: 'push' } },
      resolvedDependencies: [{ uri: `git+${repository}@${overrides.materialRef ?? ref}`, digest: { gitCommit: COMMIT } }],
    },
    runDetails: { builder: { id: overrides.builderId ?? 'https://github.com/actions/runner/github-hosted' } },
  });
}

export function signStatement(statement: Statement, key: KeyObject): string {
  return JSON.stringify(signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), key));
}

/** The ProvenanceError reason `fn` fails with (undefined when it succeeds); other errors propagate. */
export async function reasonOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    if (isProvenanceError(err)) return err.reason;
    throw err;
  }
  return undefined;
}
