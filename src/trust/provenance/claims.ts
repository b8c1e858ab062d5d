/**
 * What a SLSA provenance (v0.2 or v1) claims about a build, in one shape for the checks: the
 * builder, the trigger (the workflow's repository and ref), the source material and its commit,
 * the ref and branch the build ran on, and the workflow inputs.
 *
 * Where the fields live:
 *  - v0.2 (slsa-github-generator, npm CLI v0.2): trigger = invocation.configSource.uri (`git+…@ref`),
 *    material = materials[0]; ref/branch/inputs from invocation.environment: github_ref,
 *    github_event_payload (.base_ref for tag pushes, .release.target_commitish, .inputs), in the
 *    generators' lower-case spelling or the upper-case one of npm and the delegator builders.
 *  - v1 GitHub workflow build types (GitHub artifact attestations, npm CLI v1, BYOB delegators):
 *    trigger = externalParameters.workflow {repository, ref}, material = resolvedDependencies[0];
 *    the event payload, when recorded, in internalParameters.GITHUB_EVENT_PAYLOAD; inputs in
 *    externalParameters.inputs.
 *  - v1 container-based builder and generic build types: externalParameters.source
 *    (a ResourceDescriptor or a URI) as the trigger, resolvedDependencies[0] as the material.
 */
import { ProvenanceError } from './errors.ts';
import { SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1 } from './types.ts';
import { isRecord } from '../../core/json.ts';

export interface SourceClaim {
  /** As written: `git+https://github.com/org/repo@refs/tags/v1` or `https://github.com/org/repo`. */
  uri: string;
  /** The ref, from the URI's `@` part or a separate field. */
  ref?: string;
  digest?: Record<string, string>;
}

export interface ProvenanceClaims {
  predicateType: string;
  builderId: string;
  buildType?: string;
  /** The workflow (or config) that started the build. */
  trigger?: SourceClaim;
  /** The source code built. */
  material?: SourceClaim;
  /** The git ref the build ran on (`refs/tags/v1.2.3`, `refs/heads/main`). */
  ref?: string;
  /** For a tag build, the branch the tag was pushed from or released on. */
  baseRef?: string;
  eventName?: string;
  /** workflow_dispatch inputs, when recorded. */
  inputs?: Record<string, unknown>;
}

export const SUPPORTED_PREDICATES: readonly string[] = [SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1];

/** UNSUPPORTED_PREDICATE for other predicate types, MALFORMED_PROVENANCE when no builder id is found. */
export function readClaims(predicateType: string, predicate: unknown): ProvenanceClaims {
  if (!isRecord(predicate)) throw new ProvenanceError('MALFORMED_PROVENANCE', 'the provenance predicate is not a JSON object');
  if (predicateType === SLSA_PROVENANCE_V02) return readV02(predicate);
  if (predicateType === SLSA_PROVENANCE_V1) return readV1(predicate);
  throw new ProvenanceError(
    'UNSUPPORTED_PREDICATE',
    `predicate type ${predicateType} is not a SLSA provenance this verifier reads (${SUPPORTED_PREDICATES.join(', ')})`,
  );
}

function readV02(predicate: Record<string, unknown>): ProvenanceClaims {
  const builderId = str(obj(predicate.builder)?.id);
  if (!builderId) throw new ProvenanceError('MALFORMED_PROVENANCE', 'the v0.2 provenance has no builder.id');
  const invocation = obj(predicate.invocation);
  const configSource = obj(invocation?.configSource);
  const env = obj(invocation?.environment) ?? {};
  const claims: ProvenanceClaims = { predicateType: SLSA_PROVENANCE_V02, builderId };
  setIf(claims, 'buildType', str(predicate.buildType));
  setIf(claims, 'trigger', sourceClaim(configSource?.uri, undefined, configSource?.digest));
  const materials = Array.isArray(predicate.materials) ? predicate.materials : [];
  const first = obj(materials[0]);
  setIf(claims, 'material', sourceClaim(first?.uri, undefined, first?.digest));
  setIf(claims, 'ref', envValue(env, 'github_ref') ?? claims.trigger?.ref);
  setIf(claims, 'eventName', envValue(env, 'github_event_name'));
  const payload = obj(env.github_event_payload) ?? obj(env.GITHUB_EVENT_PAYLOAD);
  setIf(claims, 'baseRef', baseRefOf(payload));
  setIf(claims, 'inputs', obj(payload?.inputs));
  return claims;
}

function readV1(predicate: Record<string, unknown>): ProvenanceClaims {
  const definition = obj(predicate.buildDefinition);
  const builderId = str(obj(obj(predicate.runDetails)?.builder)?.id);
  if (!builderId) throw new ProvenanceError('MALFORMED_PROVENANCE', 'the v1 provenance has no runDetails.builder.id');
  const external = obj(definition?.externalParameters) ?? {};
  const internal = obj(definition?.internalParameters) ?? {};
  const claims: ProvenanceClaims = { predicateType: SLSA_PROVENANCE_V1, builderId };
  setIf(claims, 'buildType', str(definition?.buildType));

  const workflow = obj(external.workflow);
  const source = external.source;
  const trigger = workflow
    ? sourceClaim(workflow.repository, workflow.ref)
    : typeof source === 'string'
      ? sourceClaim(source)
      : sourceClaim(obj(source)?.uri, undefined, obj(source)?.digest);
  setIf(claims, 'trigger', trigger);
  const dependencies = Array.isArray(definition?.resolvedDependencies) ? definition.resolvedDependencies : [];
  const first = obj(dependencies[0]);
  setIf(claims, 'material', sourceClaim(first?.uri, undefined, first?.digest));

  const github = obj(internal.github);
  setIf(claims, 'ref', str(internal.GITHUB_REF) ?? trigger?.ref);
  setIf(claims, 'eventName', str(github?.event_name) ?? str(internal.GITHUB_EVENT_NAME));
  const payload = obj(internal.GITHUB_EVENT_PAYLOAD) ?? obj(github?.event_payload);
  setIf(claims, 'baseRef', baseRefOf(payload));
  setIf(claims, 'inputs', obj(external.inputs) ?? obj(payload?.inputs));
  return claims;
}

/** The branch a tag build belongs to: a push event's base_ref, a release's target branch. */
function baseRefOf(payload: Record<string, unknown> | undefined): string | undefined {
  if (!payload) return undefined;
  const base = str(payload.base_ref);
  if (base) return base;
  const target = str(obj(payload.release)?.target_commitish);
  if (!target) return undefined;
  return target.startsWith('refs/') ? target : `refs/heads/${target}`;
}

function sourceClaim(uri: unknown, ref?: unknown, digest?: unknown): SourceClaim | undefined {
  const text = str(uri);
  if (!text) return undefined;
  const claim: SourceClaim = { uri: text };
  const explicit = str(ref);
  const at = text.indexOf('@', text.indexOf('://') + 3);
  if (explicit) claim.ref = explicit;
  else if (at !== -1 && text.indexOf('/', text.indexOf('://') + 3) < at) claim.ref = text.slice(at + 1);
  const digests = obj(digest);
  if (digests) {
    const set: Record<string, string> = {};
    for (const [alg, hex] of Object.entries(digests)) if (typeof hex === 'string') set[alg] = hex;
    claim.digest = set;
  }
  return claim;
}

/** The generators write `github_ref`; npm and the delegators `GITHUB_REF`. */
function envValue(env: Record<string, unknown>, name: string): string | undefined {
  return str(env[name]) ?? str(env[name.toUpperCase()]);
}

function setIf<K extends keyof ProvenanceClaims>(claims: ProvenanceClaims, key: K, value: ProvenanceClaims[K] | undefined): void {
  if (value !== undefined) claims[key] = value;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

