/**
 * Runs the verifications verifyImages rules and ImageValidatingPolicies ask for
 * (verify-images-spec.ts requests; src/policy/cel/image-attestors.ts maps the latter's attestors)
 * through Palisade's trust capability (src/trust/oci), and serves their outcomes to the engine:
 *
 * - `key` attestors: the PEM public key (verify-images-spec.ts checked `signatureAlgorithm`), and,
 *   as in Kyverno and cosign, a transparency-log entry unless `rekor.ignoreTlog`: the Rekor SET of
 *   a legacy layer or a bundle's tlog entries, checked offline against the trusted root's log
 *   keys (src/trust/tlog, src/trust/bundle);
 * - `keyless` attestors: identity (subject or subjectRegExp; a subject or issuer with `*` or `?` is a wildcard)
 *   and issuer against an offline trusted root (the one given, else the public-good root shipped with
 *   Palisade; `roots` replaces its certificate authorities): certificate chain, SCTs, transparency
 *   log (unless `rekor.ignoreTlog`), timestamps;
 * - `certificates` attestors: the certificate's key, after checking the certificate chains to
 *   `certChain` when one is given (src/trust/certificate-chain.ts, shared with ImageValidatingPolicies);
 *   the transparency log as for keys, the entry dated within the certificate's validity;
 * - `digest` requests resolve a tag (for mutateDigest without attestors).
 *
 * A session asks once per distinct request (identical images of one resource, or of several
 * resources, are verified once) and shares a VerificationCache across sessions, so a server
 * reuses verified material, coalesces concurrent verifications and bounds each by a deadline;
 * ImageValidatingPolicies ask one request at a time (`outcome`), through the same cache.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { parseCertificates, signingCertificate } from '../../trust/certificate-chain.ts';
import { TrustError } from '../../trust/errors.ts';
import { publicGoodTrustedRoot, type TrustedRoot } from '../../trust/bundle/index.ts';
import { loadPublicKey } from '../../trust/keys.ts';
import { DigestCache } from '../../trust/oci/cache.ts';
import type { RegistryStoreOptions } from '../../trust/oci/store.ts';
import { mapLimit } from '../../trust/oci/discover.ts';
import { openImageTarget } from '../../trust/oci/target.ts';
import { VerificationCache } from '../../trust/oci/verification-cache.ts';
import { ImageVerificationError, verifyImageAttestations, verifyImageSignatures, type CertificateValidity, type KeylessOptions, type VerifyImageOptions } from '../../trust/oci/verify.ts';
import { containsWildcard, wildcardRegexp } from '../pattern/wildcard.ts';
import type { ImageVerificationResults } from './verify-images.ts';
import { requestKey, type Attestor, type ImageVerificationOutcome, type ImageVerificationRequest, type VerifiedStatement } from './verify-images-spec.ts';

/** What a verified request yields. */
export interface VerifiedImage {
  digest: string;
  statements?: VerifiedStatement[];
}

/** Roughly the bytes a verified image holds in a cache (its statements' JSON). */
export function verifiedImageSize(value: VerifiedImage): number {
  return value.digest.length + (value.statements ? JSON.stringify(value.statements).length : 0);
}

export interface ImageVerifierOptions {
  /** Registry access (plain HTTP, credentials, timeouts). */
  registry?: RegistryStoreOptions;
  /** Roots for keyless attestors and Rekor keys for every attestor's log entries; default the Sigstore public-good root shipped with Palisade. */
  trustedRoot?: TrustedRoot;
  /** Outcomes shared across sessions (a server's); default one private to this verifier, 60 s deadline. */
  cache?: VerificationCache<VerifiedImage>;
  /** Registry reads by digest to share with the caller's own reads; default one private to this verifier. */
  digests?: DigestCache;
}

/** Distinct keyless.roots kept compiled; policies share a handful in practice. */
export const MAX_COMPILED_ROOTS = 64;

/** Verifies image verification requests through src/trust/oci. */
export class TrustImageVerifier {
  readonly #options: ImageVerifierOptions;
  readonly #cache: VerificationCache<VerifiedImage>;
  /** Signature manifests and blobs by digest, shared by all requests (N attestors cost one fetch). */
  readonly #digests: DigestCache;
  /**
   * Trusted roots with a policy's keyless.roots, kept: decoding a root's certificates costs
   * milliseconds. Keyed by the PEM text, so bounded (MAX_COMPILED_ROOTS, least recently used
   * dropped): a server that sees many policies over time must not keep every root it ever saw.
   */
  readonly #rooted = new Map<string, TrustedRoot>();

  constructor(options: ImageVerifierOptions = {}) {
    this.#options = options;
    this.#cache = options.cache ?? new VerificationCache<VerifiedImage>({ deadlineMs: 60_000, sizeOf: verifiedImageSize });
    this.#digests = options.digests ?? new DigestCache();
  }

  /**
   * The outcome of one request through the shared cache: verified material reused for its TTL,
   * identical concurrent requests coalesced (ImageValidatingPolicies, which judge the material
   * themselves and need no session). `waiter` is the caller's deadline: the verification stops
   * once every caller waiting for it has given up.
   */
  outcome(request: ImageVerificationRequest, waiter?: AbortSignal): Promise<ImageVerificationOutcome> {
    return this.#cache.get(requestKey(request), (signal) => this.verify(request, signal), waiter);
  }

  /** A session for one evaluation (one admission request, one `policy apply` run). */
  session(): ImageVerificationSession {
    return new ImageVerificationSession(this.#cache, (request, signal) => this.verify(request, signal));
  }

  /**
   * Runs one request; throws ImageVerificationError when the image does not verify. `signal`
   * (the verification's deadline) cancels its registry requests.
   */
  async verify(request: ImageVerificationRequest, signal?: AbortSignal): Promise<VerifiedImage> {
    const registry: RegistryStoreOptions = { ...this.#options.registry, ...(request.insecure && { insecure: true }), ...(signal && { signal }) };
    if (request.kind === 'digest') {
      const target = await openImageTarget(request.image, { registry, cache: this.#digests });
      return { digest: target.pinnedDigest ?? (await target.store.resolve()).digest };
    }
    const repository = request.attestor.repository ?? request.repository;
    const options: VerifyImageOptions = {
      ...this.#attestorOptions(request.attestor, request.image),
      registry,
      cache: this.#digests,
      detectMovedTag: false,
      ...(repository !== undefined && { signatureRepository: repository }),
      ...(request.bundlesOnly && { formats: ['bundle'] as const }),
    };
    if (request.kind === 'signature') {
      const annotations = request.attestor.annotations ?? request.annotations;
      const result = await verifyImageSignatures(request.image, { ...options, ...(annotations && { annotations }) });
      return { digest: result.digest };
    }
    const result = await verifyImageAttestations(request.image, {
      ...options,
      ...(request.predicateType !== undefined && { predicateType: request.predicateType }),
      ...(request.annotations && { annotations: request.annotations }),
    });
    return { digest: result.digest, statements: result.verified.map((v) => ({ predicateType: v.predicateType, predicate: v.statement.predicate })) };
  }

  #withRoots(base: TrustedRoot, roots: string): TrustedRoot {
    let root = this.#rooted.get(roots);
    if (root === undefined) {
      root = withRoots(base, roots);
      const oldest = this.#rooted.keys().next();
      if (this.#rooted.size >= MAX_COMPILED_ROOTS && !oldest.done) this.#rooted.delete(oldest.value);
    } else {
      this.#rooted.delete(roots);
    }
    // (Re-)inserted last: Map order is the recency order, so the least recently used goes first.
    this.#rooted.set(roots, root);
    return root;
  }

  #attestorOptions(attestor: Attestor, image: string): Pick<VerifyImageOptions, 'publicKeys' | 'keyless' | 'ignoreTlog' | 'trustedRoot' | 'keyValidity'> {
    // Key signatures' log entries are checked against the same root's Rekor keys as keyless ones.
    const log = { trustedRoot: this.#options.trustedRoot ?? publicGoodTrustedRoot(), ...(attestor.ignoreTlog && { ignoreTlog: true }) };
    switch (attestor.kind) {
      case 'key':
        return { publicKeys: [loadPublicKey(attestor.publicKey)], ...log };
      case 'certificate': {
        const { key, validity } = certificateAttestor(attestor.cert, attestor.certChain, image);
        return { publicKeys: [key], keyValidity: [validity], ...log };
      }
      case 'keyless':
        return { publicKeys: [], keyless: this.#keyless(attestor) };
    }
  }

  #keyless(attestor: Extract<Attestor, { kind: 'keyless' }>): KeylessOptions {
    const base = this.#options.trustedRoot ?? publicGoodTrustedRoot();
    const options: KeylessOptions = { trustedRoot: attestor.roots === undefined ? base : this.#withRoots(base, attestor.roots) };
    if (attestor.subject !== undefined) {
      if (containsWildcard(attestor.subject)) options.identityRegexp = wildcardRegexp(attestor.subject);
      else options.identity = attestor.subject;
    }
    if (attestor.subjectRegExp !== undefined) options.identityRegexp = attestor.subjectRegExp;
    if (attestor.issuer !== undefined) {
      if (containsWildcard(attestor.issuer)) options.issuerRegexp = wildcardRegexp(attestor.issuer);
      else options.issuer = attestor.issuer;
    }
    if (attestor.issuerRegExp !== undefined) options.issuerRegexp = attestor.issuerRegExp;
    if (attestor.ignoreTlog) options.ignoreTlog = true;
    return options;
  }
}

/**
 * A trusted root whose certificate authority is `roots` (Kyverno's keyless.roots: PEM certificates,
 * the self-signed anchor and any intermediates) in place of the root's Fulcio CAs; the
 * transparency and CT logs stay those of the root.
 */
function withRoots(root: TrustedRoot, pem: string): TrustedRoot {
  const certificates = parseCertificates(pem, 'keyless.roots');
  // The chain runs from the certificate nearest the signer to the anchor, which comes last.
  certificates.sort((a, b) => Number(a.subject === a.issuer) - Number(b.subject === b.issuer));
  const anchor = certificates[certificates.length - 1]!;
  return {
    ...root,
    certificateAuthorities: [
      {
        subject: { organization: '', commonName: anchor.subject },
        uri: '',
        operator: '',
        certChain: { certificates: certificates.map((c) => ({ rawBytes: c.raw })) },
        validFor: { start: new Date(Math.min(...certificates.map((c) => Date.parse(c.validFrom)))) },
      },
    ],
  };
}

/**
 * The certificate's public key, once it is shown to chain to `certChain` (when given; see
 * src/trust/certificate-chain.ts), and when it is valid: its signatures must have been logged then
 * (cosign's CheckExpiry). A certificate outside the chain is a verification failure of the
 * attestor, not an error.
 */
function certificateAttestor(certPem: string, chainPem: string | undefined, image: string): { key: KeyObject; validity: CertificateValidity } {
  let leaf: X509Certificate;
  try {
    leaf = signingCertificate(certPem, chainPem);
  } catch (err) {
    if (!(err instanceof TrustError) || err.reason !== 'CERTIFICATE_ERROR') throw err;
    throw new ImageVerificationError('CERTIFICATE_ERROR', err.message, { reference: image, digest: '', verified: [], rejected: [], skipped: [] });
  }
  return { key: leaf.publicKey, validity: { notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo) } };
}

/**
 * The outcomes of one evaluation. The engine asks (`outcome`); what is not known yet is queued;
 * `verifyQueued` runs the queue (each distinct request once, through the shared cache).
 */
export class ImageVerificationSession implements ImageVerificationResults {
  readonly #cache: VerificationCache<VerifiedImage>;
  readonly #verify: (request: ImageVerificationRequest, signal: AbortSignal) => Promise<VerifiedImage>;
  readonly #known = new Map<string, ImageVerificationOutcome>();
  readonly #queued = new Map<string, ImageVerificationRequest>();

  constructor(cache: VerificationCache<VerifiedImage>, verify: (request: ImageVerificationRequest, signal: AbortSignal) => Promise<VerifiedImage>) {
    this.#cache = cache;
    this.#verify = verify;
  }

  outcome(request: ImageVerificationRequest): ImageVerificationOutcome | undefined {
    const key = requestKey(request);
    let known = this.#known.get(key);
    if (known === undefined) {
      known = uncached(request) ? undefined : this.#cache.peek(key);
      if (known === undefined) this.#queued.set(key, request);
      else this.#known.set(key, known);
    }
    return known;
  }

  /** Whether the last evaluation asked for outcomes not known yet. */
  get pending(): boolean {
    return this.#queued.size > 0;
  }

  async verifyQueued(): Promise<void> {
    const queued = [...this.#queued];
    this.#queued.clear();
    // Bounded: `policy apply` over many resources must not open a connection per image at once.
    const outcomes = await mapLimit(queued, MAX_CONCURRENT, ([key, request]) =>
      uncached(request) ? this.#cache.verifyUncached((signal) => this.#verify(request, signal)) : this.#cache.get(key, (signal) => this.#verify(request, signal)),
    );
    queued.forEach(([key, request], i) => {
      const outcome = outcomes[i]!;
      this.#known.set(key, outcome);
      // What holds for a tag holds for the digest it resolved to: the webhook's /validate then sees
      // the pinned reference /mutate wrote, and finds it verified without another registry round.
      if (outcome.status === 'verified' && !uncached(request)) {
        const pinned = pinnedRequest(request, outcome.digest);
        if (pinned) this.#cache.remember(requestKey(pinned), { digest: outcome.digest, ...(outcome.statements && { statements: [...outcome.statements] }) });
      }
    });
  }
}

/** The request for the image pinned to `digest` (`registry/path@digest`), or undefined when it already names a digest. */
function pinnedRequest(request: ImageVerificationRequest, digest: string): ImageVerificationRequest | undefined {
  if (request.image.includes('@')) return undefined;
  return { ...request, image: `${request.image.replace(/:[^:/]+$/, '')}@${digest}` };
}

/** Verifications run at once per session (a Pod rarely needs more, so admission waits one round). */
const MAX_CONCURRENT = 16;

/** A rule with `useCache: false` verifies on every evaluation. */
function uncached(request: ImageVerificationRequest): boolean {
  return request.kind !== 'digest' && request.useCache === false;
}

/**
 * Verification rounds. A rule asks for everything it needs in one evaluation (signatures,
 * attestations, or the digest of a tag), so one round suffices; the bound only guards against a loop.
 */
const MAX_ROUNDS = 2;

/**
 * Evaluates with image verification: runs `evaluate`, verifies what it asked for, and evaluates
 * again until every outcome it needs is known (verify first, then decide synchronously).
 */
export async function evaluateWithImageVerification<T>(session: ImageVerificationSession, evaluate: (results: ImageVerificationResults) => T): Promise<T> {
  let result = evaluate(session);
  for (let round = 0; session.pending && round < MAX_ROUNDS; round++) {
    await session.verifyQueued();
    result = evaluate(session);
  }
  return result;
}
