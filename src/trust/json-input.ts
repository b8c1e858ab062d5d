/**
 * The documents src/trust reads (Sigstore bundles, DSSE envelopes, in-toto statements) arrive as
 * JSON text, bytes or an already parsed value; each must be a JSON object before its fields are
 * checked.
 */
import { isRecord } from '../core/json.ts';
import { TrustError, type TrustInputFailure } from './errors.ts';

/** The JSON object `input` holds; otherwise a TrustError with `reason`, naming the document (`the DSSE envelope`). */
export function jsonObjectInput(input: unknown, reason: TrustInputFailure, document: string): Record<string, unknown> {
  let value = input;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    try {
      value = JSON.parse(Buffer.from(value).toString('utf8'));
    } catch {
      throw new TrustError(reason, `${document} is not valid JSON`);
    }
  }
  if (!isRecord(value)) throw new TrustError(reason, `${document} is not a JSON object`);
  return value;
}
