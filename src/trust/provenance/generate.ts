/**
 * `palisade provenance generate`: an unsigned in-toto Statement v1 with a SLSA Provenance v1
 * predicate for some subjects, from the CI environment (ci.ts) with flags taking precedence.
 * Signing and attaching it is `palisade attest --type slsaprovenance1`'s job.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '../../core/log.ts';
import { isRegistryReference, parseRegistryReference } from '../../image/reference.ts';
import { RegistryClient } from '../../image/registry/index.ts';
import { buildStatement, type Statement, type Subject } from '../intoto.ts';
import { describeBuild, type BuildDescription, type Environment } from './ci.ts';
import { ProvenanceError } from './errors.ts';
import { normalizeSourceUri } from './source.ts';
import { SLSA_PROVENANCE_V1, type ProvenanceV1 } from './types.ts';

export interface GenerateOptions {
  /** Where CI variables are read from (default: none, so only flags count). */
  env?: Environment;
  builderId?: string;
  /** `git+https://host/org/repo@refs/…`, `https://host/org/repo` or `host/org/repo`. */
  sourceUri?: string;
  /** The source commit: `sha1:<hex>` or `gitCommit:<hex>` (both recorded as gitCommit), or `<alg>:<hex>`. */
  sourceDigest?: string;
  buildType?: string;
  invocationId?: string;
  startedOn?: Date;
  /** Default: now (the provenance is written once the build is done). */
  finishedOn?: Date;
}

/** The SLSA v1 predicate; INVALID_OPTION when no builder id is known (outside CI without --builder-id). */
export function buildProvenancePredicate(options: GenerateOptions = {}): ProvenanceV1 {
  const build = describeBuild(options.env ?? {});
  applySource(build, options);
  const builderId = options.builderId ?? build.builder?.id;
  if (!builderId) {
    throw new ProvenanceError('INVALID_OPTION', 'no CI environment detected (GitHub Actions, GitLab CI): pass --builder-id to say who built the subjects');
  }
  const builder: ProvenanceV1['runDetails']['builder'] = { id: builderId };
  // A builder named by flag is another builder: the detected one's version does not describe it.
  if (options.builderId === undefined && build.builder?.version) builder.version = build.builder.version;

  const metadata: NonNullable<ProvenanceV1['runDetails']['metadata']> = {};
  const invocationId = options.invocationId ?? build.invocationId;
  if (invocationId) metadata.invocationId = invocationId;
  const startedOn = options.startedOn?.toISOString() ?? build.startedOn;
  if (startedOn) metadata.startedOn = startedOn;
  metadata.finishedOn = (options.finishedOn ?? new Date()).toISOString();

  const buildDefinition: ProvenanceV1['buildDefinition'] = {
    buildType: options.buildType ?? build.buildType,
    externalParameters: build.externalParameters,
  };
  if (build.internalParameters) buildDefinition.internalParameters = build.internalParameters;
  if (build.resolvedDependencies.length > 0) buildDefinition.resolvedDependencies = build.resolvedDependencies;
  return { buildDefinition, runDetails: { builder, metadata } };
}

/** The unsigned statement: subjects plus the predicate. */
export function buildProvenanceStatement(subjects: readonly Subject[], options: GenerateOptions = {}): Statement {
  if (subjects.length === 0) throw new ProvenanceError('INVALID_OPTION', 'provenance needs at least one subject');
  return buildStatement(subjects, SLSA_PROVENANCE_V1, buildProvenancePredicate(options));
}

/** --source-uri / --source-digest replace what CI said about the source. */
function applySource(build: BuildDescription, options: GenerateOptions): void {
  let source = build.resolvedDependencies[0];
  if (options.sourceUri !== undefined) {
    const { repository, ref } = normalizeSourceUri(options.sourceUri);
    source = { uri: `git+${repository}${ref ? `@${ref}` : ''}` };
    const workflow = build.externalParameters.workflow as Record<string, unknown> | undefined;
    if (workflow) {
      workflow.repository = repository;
      if (ref) workflow.ref = ref;
      else delete workflow.ref;
    }
  }
  if (options.sourceDigest !== undefined) {
    if (!source) throw new ProvenanceError('INVALID_OPTION', '--source-digest needs a source: pass --source-uri too');
    source = { ...source, digest: sourceDigest(options.sourceDigest) };
  }
  if (!source) return;
  build.resolvedDependencies = [source, ...build.resolvedDependencies.slice(1)];
  // Outside CI the source is the only external parameter a generic build type can name.
  if (build.platform === 'none') build.externalParameters = { source: { ...source } };
}

function sourceDigest(value: string): Record<string, string> {
  const match = /^([A-Za-z0-9_-]+):([0-9a-fA-F]+)$/.exec(value);
  if (!match) throw new ProvenanceError('INVALID_OPTION', `--source-digest "${value}" is not algorithm:hex (e.g. sha1:<commit>)`);
  const [, algorithm = '', hex = ''] = match;
  // A git commit id is a SHA-1, but in-toto's digest set names it gitCommit.
  const name = algorithm === 'sha1' || algorithm === 'gitCommit' ? 'gitCommit' : algorithm.toLowerCase();
  return { [name]: hex.toLowerCase() };
}

/** A file subject: its base name (as GitHub's attest-build-provenance names it) and sha256. */
export async function fileSubject(path: string): Promise<Subject> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new ProvenanceError('INVALID_OPTION', `subject ${path} is not a readable file`);
  return { name: basename(path), digest: { sha256: await sha256File(path) } };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}


export interface ImageSubjectOptions {
  /** Plain HTTP (loopback registries only). */
  insecure?: boolean;
  log?: Logger;
  /** The registry client to ask (tests); default: a RegistryClient for the reference's registry. */
  client?: (registry: string) => Pick<RegistryClient, 'headManifest'>;
}

/**
 * An image subject: `registry/repository` (as cosign and GitHub name image subjects) and the
 * manifest digest — pinned in the reference, or resolved with a HEAD request for the tag.
 */
export async function imageSubject(reference: string, options: ImageSubjectOptions = {}): Promise<Subject> {
  const ref = parseRegistryReference(reference);
  const name = `${ref.registry}/${ref.repository}`;
  let digest = ref.digest;
  if (digest === undefined) {
    const client = options.client?.(ref.registry) ?? new RegistryClient({ registry: ref.registry, insecure: options.insecure ?? false, ...(options.log && { log: options.log }) });
    const head = await client.headManifest(ref.repository, ref.tag ?? 'latest');
    if (!head) throw new ProvenanceError('INVALID_OPTION', `image ${reference} not found in its registry`);
    digest = head.digest;
  }
  const colon = digest.indexOf(':');
  return { name, digest: { [digest.slice(0, colon)]: digest.slice(colon + 1).toLowerCase() } };
}

/** Files by path, image references otherwise (a path that exists is always a file). */
export async function resolveSubjects(targets: readonly string[], options: ImageSubjectOptions = {}): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info) subjects.push(await fileSubject(target));
    else if (isRegistryReference(target)) subjects.push(await imageSubject(target, options));
    else throw new ProvenanceError('INVALID_OPTION', `subject ${target} is neither a file nor an image reference`);
  }
  return subjects;
}
