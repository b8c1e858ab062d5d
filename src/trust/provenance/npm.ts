/**
 * npm packages: the registry serves two Sigstore bundles per version (`dist.attestations.url`):
 * the SLSA provenance, signed keylessly by the publishing workflow, and npm's publish attestation,
 * signed with the registry's key. As slsa-verifier's verify-npm-package: both must verify, name the
 * tarball (sha512) as their subject, and agree with --package-name/--package-version; the builder
 * must be named with --builder-id (the npm CLI's GitHub-hosted runner, or a trusted builder such as
 * slsa-github-generator's Node.js builder).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { errorMessage } from '../../core/errors.ts';
import type { Statement } from '../intoto.ts';
import { ProvenanceError } from './errors.ts';
import { NPM_PUBLISH_PREDICATE, type ProvenanceDocument } from './load.ts';
import { authenticateBundle, type AuthenticatedStatement } from './signature.ts';
import type { ProvenanceVerification, VerifyProvenanceOptions } from './verify.ts';

type Verify = (auth: AuthenticatedStatement, options: VerifyProvenanceOptions) => ProvenanceVerification;

type Outcome<T> = { value: T } | { error: unknown };

/** Both bundles, authenticated (or their errors, raised by checkNpm). */
export interface AuthenticatedNpm {
  provenance: Outcome<AuthenticatedStatement>;
  publish: Outcome<Statement | undefined>;
  limitations: string[];
}

export function authenticateNpm(
  document: Extract<ProvenanceDocument, { kind: 'npm' }>,
  options: Pick<VerifyProvenanceOptions, 'trustedRoot' | 'npmKeys'>,
): AuthenticatedNpm {
  const limitations: string[] = [];
  return {
    provenance: outcome(() => authenticateBundle(document.provenance, { ...options, keys: [] })),
    publish: outcome(() => verifyPublishAttestation(document.publish, options, limitations)),
    limitations,
  };
}

export function checkNpm(npm: AuthenticatedNpm, options: VerifyProvenanceOptions, verify: Verify): ProvenanceVerification {
  if (options.builderId === undefined) {
    throw new ProvenanceError('INVALID_OPTION', 'npm provenance: name the builder you trust with --builder-id (e.g. https://github.com/actions/runner/github-hosted)');
  }
  const result = verify(unwrap(npm.provenance), options);
  const publish = unwrap(npm.publish);
  const limitations = [...result.signature.limitations, ...npm.limitations];
  if (publish) checkSameSubjects(result.statement, publish);
  const packages = packagesOf(result.statement);
  if (publish) packages.push(...packagesOf(publish), ...publishPredicatePackage(publish));
  checkPackage(packages, options);
  return { ...result, signature: { ...result.signature, limitations } };
}

/** The publish attestation, verified with the registry key its bundle names; undefined when it cannot be. */
function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { value: fn() };
  } catch (err) {
    return { error: err };
  }
}

function unwrap<T>(result: Outcome<T>): T {
  if ('error' in result) throw result.error;
  return result.value;
}

function verifyPublishAttestation(
  bundle: unknown,
  options: Pick<VerifyProvenanceOptions, 'trustedRoot' | 'npmKeys'>,
  limitations: string[],
): Statement | undefined {
  if (bundle === undefined) {
    limitations.push('no npm publish attestation: the registry did not vouch for the upload');
    return undefined;
  }
  const hint = (bundle as { verificationMaterial?: { publicKey?: { hint?: unknown } } }).verificationMaterial?.publicKey?.hint;
  const key = typeof hint === 'string' ? options.npmKeys?.get(hint) : undefined;
  if (!key) {
    if (!options.npmKeys) {
      limitations.push('the npm publish attestation was not checked: no npm registry keys given (--npm-keys)');
      return undefined;
    }
    throw new ProvenanceError('SIGNATURE_INVALID', `the npm publish attestation is signed with key ${String(hint)}, which is not among the npm registry keys given`);
  }
  const { statement } = authenticateBundle(bundle, { ...options, keys: [key] });
  if (statement.predicateType !== NPM_PUBLISH_PREDICATE) {
    throw new ProvenanceError('MALFORMED_PROVENANCE', `the npm publish attestation has predicate type ${statement.predicateType}`);
  }
  return statement;
}

function checkSameSubjects(provenance: Statement, publish: Statement): void {
  const key = (s: Statement): string =>
    JSON.stringify(s.subject.map((subject) => [subject.name, Object.entries(subject.digest).sort()]).sort());
  if (key(provenance) !== key(publish)) {
    throw new ProvenanceError('PROVENANCE_MISMATCH', 'the provenance and the npm publish attestation name different packages');
  }
}

interface NpmPackage {
  name: string;
  version: string;
}

/** `pkg:npm/%40scope/name@1.0.0` subjects. */
function packagesOf(statement: Statement): NpmPackage[] {
  const packages: NpmPackage[] = [];
  for (const { name } of statement.subject) {
    const match = /^pkg:npm\/(.+)@([^@/]+)$/.exec(name);
    if (!match) continue;
    try {
      packages.push({ name: decodeURIComponent(match[1] ?? ''), version: decodeURIComponent(match[2] ?? '') });
    } catch {
      throw new ProvenanceError('MALFORMED_PROVENANCE', `subject ${name} is not a valid npm package URL`);
    }
  }
  return packages;
}

function publishPredicatePackage(statement: Statement): NpmPackage[] {
  const predicate = statement.predicate as { name?: unknown; version?: unknown } | undefined;
  return typeof predicate?.name === 'string' && typeof predicate.version === 'string' ? [{ name: predicate.name, version: predicate.version }] : [];
}

function checkPackage(packages: readonly NpmPackage[], options: VerifyProvenanceOptions): void {
  if (packages.length === 0) throw new ProvenanceError('MALFORMED_PROVENANCE', 'the npm provenance names no package (pkg:npm/… subject)');
  for (const found of packages) {
    if (options.packageName !== undefined && found.name !== options.packageName) {
      throw new ProvenanceError('PACKAGE_MISMATCH', `the attestations are for package ${found.name}, expected ${options.packageName}`);
    }
    if (options.packageVersion !== undefined && found.version !== options.packageVersion) {
      throw new ProvenanceError('PACKAGE_MISMATCH', `the attestations are for version ${found.version}, expected ${options.packageVersion}`);
    }
  }
}

/**
 * npm registry signing keys: the registry's `/-/npm/v1/keys` document (`keys[{keyid, key}]`) or
 * the trusted-root-like form (`keys[{keyId, publicKey: {rawBytes}}]`); keys are base64 SPKI DER.
 */
export function parseNpmKeys(json: unknown): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const list = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new ProvenanceError('INVALID_OPTION', 'the npm keys file has no "keys" list');
  for (const entry of list as Array<Record<string, unknown>>) {
    const id = typeof entry.keyid === 'string' ? entry.keyid : entry.keyId;
    const publicKey = entry.publicKey as { rawBytes?: unknown } | undefined;
    const der = typeof entry.key === 'string' ? entry.key : publicKey?.rawBytes;
    if (typeof id !== 'string' || typeof der !== 'string') continue;
    try {
      keys.set(id, createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' }));
    } catch (err) {
      throw new ProvenanceError('INVALID_OPTION', `npm key ${id} is not a public key: ${errorMessage(err)}`, { cause: err });
    }
  }
  if (keys.size === 0) throw new ProvenanceError('INVALID_OPTION', 'the npm keys file holds no usable key');
  return keys;
}
