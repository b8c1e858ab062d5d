/**
 * Finding the signatures and attestations of a digest, in every place cosign puts them:
 *
 * 1. OCI 1.1 referrers (the referrers API, else the `sha256-<hex>` fallback index). Every listed
 *    manifest is fetched and judged by its layer: exactly one layer whose media type starts with
 *    `application/vnd.dev.sigstore.bundle` makes a bundle candidate. The index entry's
 *    `artifactType` is never used to filter — cosign 3 writes `application/vnd.oci.empty.v1+json`
 *    there in fallback indexes, and verifiers that filter on it find nothing (kyverno#16664).
 *    Whether a bundle is a signature or an attestation is the predicate type of its statement
 *    (`https://sigstore.dev/cosign/sign/v1` for signatures).
 * 2. The legacy tags `sha256-<hex>.sig` (simple-signing layers) and `.att` (DSSE layers), in the
 *    image's repository or in an alternate signature repository (cosign's COSIGN_REPOSITORY).
 *
 * Listing failures (network, authentication) propagate: "no signatures" must never stand in for
 * "could not look". A single unreadable referrer is skipped with a note instead.
 */
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import type { Descriptor } from '../../image/types.ts';
import { parseArtifactManifest } from './objects.ts';
import type { ArtifactStore } from './store.ts';
import { ANNOTATIONS, BUNDLE_MEDIA_PREFIX, COSIGN_SIGN_PREDICATE, MEDIA, signatureTag, type ArtifactKind, type SignatureFormat } from './types.ts';

export interface Candidate {
  format: SignatureFormat;
  kind: ArtifactKind;
  /** Where it was found, for messages: `…:sha256-….sig layer 1`, `referrer sha256:…`. */
  location: string;
  /** The layer blob: a simple-signing payload, a DSSE envelope, or a bundle (bytes as stored). */
  content: Uint8Array;
  /** Annotations of the layer descriptor (legacy: signature, certificate, predicateType). */
  layerAnnotations: Record<string, string>;
  /** Annotations of the manifest (v3: bundle predicate type, creation time). */
  manifestAnnotations: Record<string, string>;
  /** Digest of the manifest that holds it. */
  manifestDigest: string;
}

export interface Discovery {
  candidates: Candidate[];
  /** Referrers that are not Sigstore bundles, or could not be read: not counted, reported in debug output. */
  skipped: string[];
}

export interface DiscoverOptions {
  formats?: readonly SignatureFormat[];
  /** Where legacy `.sig`/`.att` tags live when not beside the image. */
  legacyStore?: ArtifactStore;
}

/** Parallel manifest fetches: enough to hide latency, few enough not to trip rate limits. */
const CONCURRENCY = 8;

export async function discover(store: ArtifactStore, digest: string, kind: ArtifactKind, options: DiscoverOptions = {}): Promise<Discovery> {
  const formats = options.formats ?? ['bundle', 'legacy'];
  const result: Discovery = { candidates: [], skipped: [] };
  const [bundles, legacy] = await Promise.all([
    formats.includes('bundle') ? discoverBundles(store, digest, kind, result.skipped) : [],
    formats.includes('legacy') ? discoverLegacy(options.legacyStore ?? store, digest, kind, result.skipped) : [],
  ]);
  result.candidates.push(...bundles, ...legacy);
  return result;
}

async function discoverBundles(store: ArtifactStore, digest: string, kind: ArtifactKind, skipped: string[]): Promise<Candidate[]> {
  const referrers = await store.referrers(digest);
  const found = await mapLimit(referrers, CONCURRENCY, async (entry) => {
    try {
      return await bundleCandidate(store, entry);
    } catch (err) {
      // A registry that cannot be reached must not pass for a referrer that is not there.
      if (err instanceof PalisadeError && err.code === 'NETWORK') throw err;
      skipped.push(`referrer ${entry.digest}: ${errorMessage(err)}`);
      return undefined;
    }
  });
  const candidates: Candidate[] = [];
  for (const [i, candidate] of found.entries()) {
    if (candidate === undefined) continue;
    if (candidate === 'not-a-bundle') skipped.push(`referrer ${referrers[i]!.digest}: not a Sigstore bundle`);
    else if (candidate.kind === kind) candidates.push(candidate);
  }
  return candidates;
}

async function bundleCandidate(store: ArtifactStore, entry: Descriptor): Promise<Candidate | 'not-a-bundle' | undefined> {
  const manifest = await store.manifest(entry.digest);
  if (manifest === undefined) throw new Error('listed but missing from the repository');
  const parsed = parseArtifactManifest(manifest.body, `referrer ${entry.digest}`);
  const bundleLayers = parsed.layers.filter((l) => l.mediaType.startsWith(BUNDLE_MEDIA_PREFIX));
  if (bundleLayers.length !== 1 || parsed.layers.length !== 1) return 'not-a-bundle';
  const layer = bundleLayers[0]!;
  const content = await store.blob(layer.digest);
  const manifestAnnotations = parsed.annotations ?? {};
  return {
    format: 'bundle',
    kind: bundleKind(content, manifestAnnotations),
    location: `${store.name}@${entry.digest} (referrer)`,
    content,
    layerAnnotations: layer.annotations ?? {},
    manifestAnnotations,
    manifestDigest: manifest.digest,
  };
}

/**
 * A bundle is a signature when its statement's predicate type is cosign's sign/v1. An unreadable
 * bundle goes by the manifest annotation, else counts as a signature, so that it shows up as an
 * invalid one instead of vanishing.
 */
function bundleKind(content: Uint8Array, annotations: Record<string, string>): ArtifactKind {
  let predicateType = annotations[ANNOTATIONS.bundlePredicateType];
  try {
    const bundle = JSON.parse(Buffer.from(content).toString('utf8')) as { dsseEnvelope?: { payload?: unknown } };
    const payload = bundle.dsseEnvelope?.payload;
    if (typeof payload === 'string') {
      const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicateType?: unknown };
      if (typeof statement.predicateType === 'string') predicateType = statement.predicateType;
    }
  } catch {
    // Judged by the annotation; verification reports what is wrong with it.
  }
  return predicateType === undefined || predicateType === COSIGN_SIGN_PREDICATE ? 'signature' : 'attestation';
}

async function discoverLegacy(store: ArtifactStore, digest: string, kind: ArtifactKind, skipped: string[]): Promise<Candidate[]> {
  const tag = signatureTag(digest, kind === 'signature' ? 'sig' : 'att');
  const manifest = await store.manifest(tag);
  if (manifest === undefined) return [];
  const parsed = parseArtifactManifest(manifest.body, `${store.name}:${tag}`);
  const mediaType = kind === 'signature' ? MEDIA.simpleSigning : MEDIA.dsseEnvelope;
  const layers = parsed.layers.map((layer, i) => ({ layer, i })).filter(({ layer }) => layer.mediaType === mediaType);
  const found = await mapLimit(layers, CONCURRENCY, async ({ layer, i }): Promise<Candidate | undefined> => {
    const location = `${store.name}:${tag} layer ${i + 1}`;
    let content: Uint8Array;
    try {
      content = await store.blob(layer.digest);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      skipped.push(`${location}: blob ${layer.digest} is missing`);
      return undefined;
    }
    return {
      format: 'legacy',
      kind,
      location,
      content,
      layerAnnotations: layer.annotations ?? {},
      manifestAnnotations: parsed.annotations ?? {},
      manifestDigest: manifest.digest,
    };
  });
  return found.filter((c) => c !== undefined);
}

function isNotFound(err: unknown): boolean {
  return err instanceof PalisadeError && err.code === 'INPUT_NOT_FOUND';
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
