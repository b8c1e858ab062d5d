/** Shared pieces of the verifyImages tests (engine and webhook): policies, Pods, a forged signature. */
import type { KeyObject } from 'node:crypto';
import { stringify } from 'yaml';
import type { RegistryClient } from '../../../src/image/registry/index.ts';
import { parsePolicies } from '../../../src/policy/engine/load.ts';
import type { Policy } from '../../../src/policy/engine/types.ts';
import { publicKeyPem } from '../../../src/trust/keys.ts';
import { json, sha256 } from '../../image/registry/helpers/images.ts';

/** A ClusterPolicy with one verifyImages rule on Pods (autogen off); `entry` is the verifyImages[0] entry. */
export function verifyImagesPolicy(name: string, entry: Record<string, unknown>, spec: Record<string, unknown> = {}): Policy {
  const doc = {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name, annotations: { 'pod-policies.kyverno.io/autogen-controllers': 'none' } },
    spec: {
      validationFailureAction: 'Enforce',
      background: false,
      ...spec,
      rules: [{ name: 'verify', match: { any: [{ resources: { kinds: ['Pod'] } }] }, verifyImages: [entry] }],
    },
  };
  const [policy] = parsePolicies(stringify(doc), `${name}.yaml`).policies;
  if (!policy) throw new Error('no policy');
  return policy;
}

/**
 * An attestor set with one key entry per key (count: all, Kyverno's default). Palisade signs
 * offline, without a transparency-log entry: the entry says so, as a Kyverno user's would.
 */
export function keyAttestors(...keys: KeyObject[]): Record<string, unknown>[] {
  return [{ entries: [{ keys: { publicKeys: keys.map((k) => publicKeyPem(k)).join(''), ...UNLOGGED } }] }];
}

/** `rekor.ignoreTlog: true`, for attestors of signatures made offline by `palisade sign`. */
export const UNLOGGED = { rekor: { ignoreTlog: true } } as const;

export function pod(name: string, images: string[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'apps' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * Replaces the payload of a legacy signature (`sha256-<hex>.sig`) with one claiming an extra
 * annotation, keeping the original signature: what an attacker with registry write access does.
 */
export async function forgeLegacySignature(client: RegistryClient, repository: string, digest: string): Promise<void> {
  const tag = `sha256-${digest.slice(7)}.sig`;
  const manifest = JSON.parse(Buffer.from((await client.getManifest(repository, tag)).body).toString('utf8')) as { layers: { digest: string; size: number }[] };
  const layer = manifest.layers[0]!;
  const original = Buffer.from(await client.getBlobBytes(repository, layer.digest)).toString();
  const forged = Buffer.from(original.replace('"optional":null', '"optional":{"approved":"yes"}'));
  if (forged.equals(Buffer.from(original))) throw new Error('nothing forged');
  await client.putBlob(repository, forged);
  manifest.layers[0] = { ...layer, digest: sha256(forged), size: forged.length };
  await client.putManifest(repository, tag, OCI_MANIFEST, json(manifest));
}
