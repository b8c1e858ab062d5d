/** ImageValidatingPolicies for the webhook tests. */
import { SIGNED_BY_CI, imagePolicy, keyAttestor } from '../policy/cel/helpers.ts';

/**
 * Denies Pods (CREATE) whose images matching `glob` carry no signature by the key `pem`
 * (attestor `ci`); `failurePolicy` decides what a registry that cannot be read does.
 */
export function signedImagesPolicy(name: string, glob: string, pem: string, failurePolicy: 'Fail' | 'Ignore' = 'Fail'): string {
  return imagePolicy(name, glob, `${keyAttestor(pem)}\n${SIGNED_BY_CI}`, `  failurePolicy: ${failurePolicy}\n`);
}
