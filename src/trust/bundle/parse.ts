/**
 * Sigstore bundles (protobuf-specs Bundle, proto3 JSON) v0.1–v0.3, checked once at the boundary:
 * the media type must be one we know (an unknown version is refused rather than guessed at), then
 * @sigstore/bundle validates the version's required fields (v0.1 inclusion promises, v0.2+
 * inclusion proofs, v0.3 single certificate).
 */
import { ValidationError, bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { errorMessage } from '../../core/errors.ts';
import { TrustError } from '../errors.ts';
import { jsonObjectInput } from '../json-input.ts';

import { BUNDLE_MEDIA_TYPES } from './media-types.ts';

export type { Bundle } from '@sigstore/bundle';

/** A bundle from JSON text, bytes or a parsed value; MALFORMED_BUNDLE names what is wrong. */
export function parseBundle(input: unknown): Bundle {
  const json = jsonObjectInput(input, 'MALFORMED_BUNDLE', 'the bundle');
  const mediaType = json.mediaType;
  if (typeof mediaType !== 'string' || !BUNDLE_MEDIA_TYPES.includes(mediaType)) {
    throw new TrustError(
      'MALFORMED_BUNDLE',
      `unsupported bundle media type ${JSON.stringify(mediaType) ?? '(none)'} (supported: Sigstore bundle v0.1, v0.2, v0.3)`,
    );
  }
  try {
    return bundleFromJSON(json);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new TrustError('MALFORMED_BUNDLE', `malformed bundle: missing or invalid ${err.fields.join(', ')}`, { cause: err });
    }
    throw new TrustError('MALFORMED_BUNDLE', `malformed bundle: ${errorMessage(err)}`, { cause: err });
  }
}
