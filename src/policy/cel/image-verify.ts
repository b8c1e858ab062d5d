/**
 * Image verification for ImageValidatingPolicies through the trust capability (src/trust/oci).
 *
 * CEL evaluation is synchronous and registries are not, so verification runs first: for every
 * ImageValidatingPolicy and resource, each image the policy selects is verified against each
 * attestor (signatures) and each attestation × attestor (attestations), and the outcomes are
 * kept. The CEL functions (`verifyImageSignatures`, `verifyAttestationSignatures`,
 * `extractPayload`, see image-policy.ts) then answer from these results.
 *
 * Attestors: `cosign.key.data` (PEM public keys) and `cosign.keyless` (identities: issuer and
 * subject, or their regexps) checked against the trusted root given in the options (offline: a
 * trusted_root.json; there is no TUF fetch here). `cosign.certificate`, `cosign.key.kms`,
 * `notary` and Kyverno's `expression`-valued attestors are unsupported: verifying with them is
 * an error naming the feature. Attestations: `intoto.type` and `referrer.type` give the predicate
 * type.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { TrustedRoot } from '../../trust/bundle/trusted-root.ts';
import { ImageVerificationError, verifyImageAttestations, verifyImageSignatures, type KeylessOptions } from '../../trust/oci/verify.ts';
import type { RegistryStoreOptions } from '../../trust/oci/store.ts';
import { wildcardMatch } from '../pattern/wildcard.ts';
import type { KubeResource } from '../types.ts';
import { CelEvalError, CelUnsupportedError } from './errors.ts';
import { setImageVerifier, type ImageVerifier } from './image-policy.ts';
import type { CelPolicySet } from './types.ts';

type Json = Record<string, unknown>;

export interface ImageVerificationOptions {
  /** Roots for keyless attestors (Fulcio CAs, Rekor and CT log keys). */
  trustedRoot?: TrustedRoot;
  registry?: RegistryStoreOptions;
}

/** An outcome per (image, attestor[, attestation]): verified, not verified, or an error to report. */
type Outcome = { verified: true; payload?: unknown } | { verified: false } | { error: Error };

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function podImages(object: Json): string[] {
  const spec = object.spec as Json | undefined;
  const podSpec = (object.kind === 'Pod' ? spec : ((spec?.template as Json | undefined)?.spec ?? (((spec?.jobTemplate as Json | undefined)?.spec as Json | undefined)?.template as Json | undefined)?.spec)) as Json | undefined;
  const out: string[] = [];
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of Array.isArray(podSpec?.[key]) ? (podSpec[key] as Json[]) : []) if (typeof c.image === 'string') out.push(c.image);
  }
  return out;
}

/** How an attestor verifies, or why it cannot. */
function verifierOptions(attestor: Json, options: ImageVerificationOptions): { publicKeys: KeyObject[]; keyless?: KeylessOptions } {
  const name = String(attestor.name ?? '');
  if (isRecord(attestor.notary)) throw new CelUnsupportedError('notary attestors', `attestor ${name}`);
  const cosign = isRecord(attestor.cosign) ? attestor.cosign : undefined;
  if (!cosign) throw new CelUnsupportedError('attestor without cosign settings', `attestor ${name}`);
  if (isRecord(cosign.key)) {
    if (typeof cosign.key.data !== 'string') throw new CelUnsupportedError('cosign.key without data (kms, secretRef, expression)', `attestor ${name}`);
    return { publicKeys: [createPublicKey(cosign.key.data)] };
  }
  if (isRecord(cosign.keyless)) {
    if (!options.trustedRoot) throw new CelUnsupportedError('cosign.keyless without a trusted root', `attestor ${name}`);
    const identity = (Array.isArray(cosign.keyless.identities) ? cosign.keyless.identities : []).find(isRecord) ?? {};
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const keyless: KeylessOptions = { trustedRoot: options.trustedRoot };
    const issuer = str(identity.issuer);
    const issuerRegexp = str(identity.issuerRegExp);
    const subject = str(identity.subject);
    const subjectRegexp = str(identity.subjectRegExp);
    if (issuer) keyless.issuer = issuer;
    if (issuerRegexp) keyless.issuerRegexp = issuerRegexp;
    if (subject) keyless.identity = subject;
    if (subjectRegexp) keyless.identityRegexp = subjectRegexp;
    if (isRecord(cosign.ctlog) && cosign.ctlog.insecureIgnoreTlog === true) keyless.ignoreTlog = true;
    return { publicKeys: [], keyless };
  }
  throw new CelUnsupportedError('cosign.certificate attestors', `attestor ${name}`);
}

function predicateType(attestation: Json): string | undefined {
  const intoto = isRecord(attestation.intoto) ? attestation.intoto : isRecord(attestation.referrer) ? attestation.referrer : undefined;
  return typeof intoto?.type === 'string' ? intoto.type : undefined;
}

async function attempt(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { verified: true, payload: await run() };
  } catch (err) {
    if (err instanceof ImageVerificationError) return { verified: false };
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

function key(...parts: string[]): string {
  return parts.join('\u0000');
}

/**
 * Verifies what the ImageValidatingPolicies of `set` may ask about the images of `resources`, and
 * installs the answers for the CEL functions. Call before evaluating; `clear` removes them.
 */
export async function prepareImageVerification(set: CelPolicySet, resources: readonly KubeResource[], options: ImageVerificationOptions = {}): Promise<{ clear(): void }> {
  const outcomes = new Map<string, Outcome>();
  const attestorsByName = new Map<string, Json>();
  const attestationsByName = new Map<string, Json>();
  for (const policy of set.policies.filter((p) => p.kind.endsWith('ImageValidatingPolicy'))) {
    const rules = policy.rules[0]?.images;
    if (!rules) continue;
    for (const a of rules.attestors) attestorsByName.set(String(a.name), a);
    for (const a of rules.attestations) attestationsByName.set(String(a.name), a);
    const images = new Set(resources.flatMap((r) => podImages(r.object)).filter((i) => rules.globs.length === 0 || rules.globs.some((g) => wildcardMatch(g, i)) || rules.expressions.length > 0));
    for (const image of images) {
      for (const attestor of rules.attestors) {
        const name = String(attestor.name);
        let how: ReturnType<typeof verifierOptions>;
        try {
          how = verifierOptions(attestor, options);
        } catch (err) {
          outcomes.set(key('sig', image, name), { error: err as Error });
          continue;
        }
        const common = { ...how, ...(options.registry && { registry: options.registry }) };
        outcomes.set(key('sig', image, name), await attempt(() => verifyImageSignatures(image, common)));
        for (const attestation of rules.attestations) {
          const type = predicateType(attestation);
          outcomes.set(
            key('att', image, String(attestation.name), name),
            await attempt(async () => (await verifyImageAttestations(image, { ...common, ...(type && { predicateType: type }) })).verified[0]?.statement.predicate),
          );
        }
      }
    }
  }
  const lookup = (k: string, what: string): Outcome => {
    const o = outcomes.get(k);
    if (!o) throw new CelEvalError(`${what}: not verified ahead of evaluation`);
    if ('error' in o) throw o.error;
    return o;
  };
  const verifier: ImageVerifier = {
    verifySignatures(image, attestors) {
      return attestors.filter((a) => (lookup(key('sig', image, String(a.name)), `verifyImageSignatures(${image})`) as { verified: boolean }).verified).length;
    },
    verifyAttestations(image, attestation, attestors) {
      return attestors.filter((a) => (lookup(key('att', image, String(attestation.name), String(a.name)), `verifyAttestationSignatures(${image})`) as { verified: boolean }).verified).length;
    },
    extractPayload(image, attestation) {
      for (const attestor of attestorsByName.keys()) {
        const o = outcomes.get(key('att', image, String(attestation.name), attestor));
        if (o && 'verified' in o && o.verified) return o.payload;
      }
      if (!attestationsByName.has(String(attestation.name))) throw new CelEvalError(`extractPayload: unknown attestation ${String(attestation.name)}`);
      throw new CelEvalError(`extractPayload: no verified ${String(attestation.name)} attestation for ${image}`);
    },
  };
  setImageVerifier(verifier);
  return { clear: () => setImageVerifier(undefined) };
}
