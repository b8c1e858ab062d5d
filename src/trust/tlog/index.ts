/** Transparency-log (Rekor) entries of cosign signatures, checked offline against a trusted root. */
export { checkEntryBody, checkEntryKey } from './entry-body.ts';
export type { LoggedSignature } from './entry-body.ts';
export { verifyRekorBundle } from './rekor-bundle.ts';
export type { LogEntryProof } from './rekor-bundle.ts';
