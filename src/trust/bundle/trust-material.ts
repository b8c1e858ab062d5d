/**
 * A trusted root decoded into @sigstore/verify's TrustMaterial (log keys, CAs, TSAs), once per
 * root: decoding its certificates and keys costs milliseconds, and a verifier (admission) reuses
 * one root for every request. Shared by Sigstore bundle verification and the transparency-log
 * checks of cosign's legacy signatures (src/trust/tlog).
 */
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';

const trustMaterials = new WeakMap<TrustedRoot, TrustMaterial>();

export function trustMaterial(root: TrustedRoot): TrustMaterial {
  let material = trustMaterials.get(root);
  if (!material) {
    material = toTrustMaterial(root);
    trustMaterials.set(root, material);
  }
  return material;
}
