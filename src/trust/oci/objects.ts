/**
 * The registry objects cosign writes, built as go-containerregistry marshals them (field order of
 * the Go structs, maps with sorted keys):
 *
 * - legacy: an OCI image manifest whose layers are the signed payloads (one per signature, with the
 *   signature in the layer's annotations) and whose config is the image config go-containerregistry
 *   derives from those layers (empty platform, one history entry and one diff_id per layer);
 * - v3: a referrer manifest — `artifactType` and config `artifactType` the bundle media type, the
 *   empty config `{}` (`application/vnd.oci.empty.v1+json`), the bundle as the only layer, the
 *   signed image as `subject`, and the annotations `dev.sigstore.bundle.content`,
 *   `dev.sigstore.bundle.predicateType` and `org.opencontainers.image.created`.
 */
import { sha256Digest } from '../../image/digest.ts';
import type { Descriptor } from '../../image/types.ts';
import { TrustError } from '../errors.ts';
import { GoMap, goMarshal } from './gojson.ts';
import { ANNOTATIONS, EMPTY_JSON, MEDIA, type ArtifactManifest } from './types.ts';

export interface LayerContent {
  bytes: Uint8Array;
  mediaType: string;
  annotations: Record<string, string>;
}

export interface BuiltManifest {
  body: Uint8Array;
  /** Blobs the manifest needs that the caller must upload: config and new layers. */
  blobs: Uint8Array[];
}

/** go-containerregistry's zero time, which its empty image config carries. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A Go v1.Descriptor: mediaType, size, digest, annotations (sorted), artifactType. */
function descriptor(d: Descriptor & { artifactType?: string }): Record<string, unknown> {
  return {
    mediaType: d.mediaType,
    size: d.size,
    digest: d.digest,
    annotations: d.annotations !== undefined && Object.keys(d.annotations).length > 0 ? new GoMap(d.annotations) : undefined,
    artifactType: d.artifactType,
  };
}

/**
 * The legacy `.sig`/`.att` manifest with `layer` appended to what `existing` holds (cosign appends:
 * every signature of a digest lives in one manifest). Existing layers are kept as they are.
 */
export function appendLegacyLayer(existing: ArtifactManifest | undefined, layer: LayerContent): BuiltManifest {
  const layers: Descriptor[] = [...(existing?.layers ?? [])];
  layers.push({ mediaType: layer.mediaType, size: layer.bytes.length, digest: sha256Digest(layer.bytes), annotations: layer.annotations });
  const config = goMarshal({
    architecture: '',
    created: ZERO_TIME,
    history: layers.map(() => ({ created: ZERO_TIME })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  });
  const body = goMarshal({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: descriptor({ mediaType: MEDIA.ociConfig, size: config.length, digest: sha256Digest(config) }),
    layers: layers.map(descriptor),
  });
  return { body, blobs: [config, layer.bytes] };
}

/** The cosign v3 referrer manifest carrying `bundle` for the image `subject`. */
export function bundleReferrerManifest(subject: Descriptor, bundle: Uint8Array, predicateType: string, created: Date): BuiltManifest {
  const body = goMarshal({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: descriptor({ mediaType: MEDIA.ociEmpty, size: EMPTY_JSON.length, digest: sha256Digest(EMPTY_JSON), artifactType: MEDIA.bundleV03 }),
    layers: [descriptor({ mediaType: MEDIA.bundleV03, size: bundle.length, digest: sha256Digest(bundle) })],
    annotations: new GoMap({
      [ANNOTATIONS.bundleContent]: 'dsse-envelope',
      [ANNOTATIONS.bundlePredicateType]: predicateType,
      [ANNOTATIONS.created]: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }),
    subject: descriptor({ mediaType: subject.mediaType, size: subject.size, digest: subject.digest }),
    artifactType: MEDIA.bundleV03,
  });
  return { body, blobs: [EMPTY_JSON, bundle] };
}

/** Parses a stored manifest; MALFORMED_SIGNATURE when it is not an image manifest. */
export function parseArtifactManifest(body: Uint8Array, what: string): ArtifactManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new TrustError('MALFORMED_SIGNATURE', `${what} is not JSON`);
  }
  const manifest = value as Partial<ArtifactManifest> | null;
  if (manifest === null || typeof manifest !== 'object' || !Array.isArray(manifest.layers) || typeof manifest.config !== 'object') {
    throw new TrustError('MALFORMED_SIGNATURE', `${what} is not an image manifest (no config or layers)`);
  }
  const layers = manifest.layers.filter(
    (l): l is Descriptor => typeof l === 'object' && l !== null && typeof l.digest === 'string' && typeof l.mediaType === 'string',
  );
  return { ...(manifest as ArtifactManifest), layers };
}
