/**
 * Provenance verification failures. Each check slsa-verifier makes has its own reason, so callers,
 * tests and scripts branch on the reason (which check failed), never on the message. Bad input
 * (exit 2) is told apart from a provenance that was understood and does not verify (exit 1), as
 * TrustError does for signatures.
 */
import { ExitCode, PalisadeError } from '../../core/errors.ts';

/** The provenance (or an option) could not be read or used: exit 2. */
export type ProvenanceInputFailure =
  /** Not an envelope, bundle, statement or attestation list we know, or a predicate without the fields a check needs. */
  | 'MALFORMED_PROVENANCE'
  /** The statement's predicate type is not a SLSA provenance (v0.1, v0.2, v1) we can check. */
  | 'UNSUPPORTED_PREDICATE'
  /** A required option is missing or malformed (source URI, semver tag, digest, builder id). */
  | 'INVALID_OPTION';

/** The provenance was understood and does not verify: exit 1. */
export type ProvenanceVerificationFailure =
  /** No signature verifies: bad DSSE signature, certificate chain, transparency-log entry or missing signing material. */
  | 'SIGNATURE_INVALID'
  /** No subject of the provenance has the artifact's digest. */
  | 'DIGEST_MISMATCH'
  /** The builder is not the one asked for (`--builder-id`), or is not a kind of builder we can verify. */
  | 'BUILDER_MISMATCH'
  /** The signer or builder is not a trusted builder (slsa-verifier: untrusted reusable workflow). */
  | 'UNTRUSTED_BUILDER'
  /** The source repository is not the one asked for. */
  | 'SOURCE_MISMATCH'
  /** The tag, versioned tag or branch is not the one asked for. */
  | 'REF_MISMATCH'
  /** The ref is not of the kind asked for (a branch when a tag is asked, no branch for a tag, a builder not pinned to a release tag). */
  | 'INVALID_REF'
  /** `--build-workflow-input` values differ from the provenance's workflow inputs. */
  | 'INPUTS_MISMATCH'
  /** npm: the package name or version differs from the publish attestation. */
  | 'PACKAGE_MISMATCH'
  /** The unsigned copy of a statement differs from the signed one (Google Cloud Build). */
  | 'PROVENANCE_MISMATCH';

export type ProvenanceFailure = ProvenanceInputFailure | ProvenanceVerificationFailure;

const INPUT_FAILURES: ReadonlySet<ProvenanceFailure> = new Set<ProvenanceInputFailure>([
  'MALFORMED_PROVENANCE',
  'UNSUPPORTED_PREDICATE',
  'INVALID_OPTION',
]);

export class ProvenanceError extends PalisadeError {
  readonly reason: ProvenanceFailure;

  constructor(reason: ProvenanceFailure, message: string, options?: { cause?: unknown }) {
    const input = INPUT_FAILURES.has(reason);
    super(input ? 'PARSE_ERROR' : 'VERIFICATION_FAILED', message, {
      ...(options?.cause !== undefined && { cause: options.cause }),
      exitCode: input ? ExitCode.usage : ExitCode.failed,
    });
    this.name = 'ProvenanceError';
    this.reason = reason;
  }
}

export function isProvenanceError(err: unknown, reason?: ProvenanceFailure): err is ProvenanceError {
  return err instanceof ProvenanceError && (reason === undefined || err.reason === reason);
}
