/**
 * The image model shared by every image source (docker-archive, OCI layout, OCI archive, registry)
 * and the layered filesystem. Field names follow the OCI image spec
 * (https://github.com/opencontainers/image-spec: manifest.md, image-index.md, config.md); Docker's
 * v2 schema 2 manifests and configs use the same names, so one model reads both.
 */
import type { Readable } from 'node:stream';

/** OCI and Docker media types Palisade reads. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A content descriptor: what a manifest or an index points at. */
export interface Descriptor {
  mediaType: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  /** Index entries only: the platform of the image the entry points at. */
  platform?: Platform;
  urls?: string[];
  /** OCI 1.1: the artifact type of what the entry points at (signatures, SBOMs, attestations). */
  artifactType?: string;
}

/** An image manifest (OCI or Docker v2 schema 2): one config and the layers, lowest first. */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image index (OCI) or manifest list (Docker): one manifest per platform, or nested indexes. */
export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True for history steps that produced no layer (ENV, CMD, LABEL …). */
  empty_layer?: boolean;
}

/** The image configuration JSON (OCI config / Docker image JSON); only the fields Palisade uses. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, object>;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
}

/** One layer of an image, in the order it is applied (lowest first). */
export interface LayerRef {
  /** Digest of the stored (possibly compressed) blob. */
  digest: string;
  /** Digest of the uncompressed tar (the config's `rootfs.diff_ids` entry). */
  diffId: string;
  mediaType: string;
  /** Size of the stored blob in bytes. */
  size: number;
  /** The history step that made the layer (`RUN apt-get install …`), when the config records it. */
  createdBy?: string;
}

export interface ResolvedImage {
  /**
   * Digest of the image manifest (for an index, of the manifest selected for the platform). For a
   * legacy `docker save` archive, which holds no manifest, the config digest (Docker's image ID).
   */
  digest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  configDigest: string;
}

/**
 * Where an image comes from. Local sources and the registry client implement it; the layered
 * filesystem and `catalogImage` only use this interface.
 */
export interface ImageSource {
  /** What the user named (`oci:./dir:v1`, `alpine`, …). */
  readonly reference: string;
  /**
   * The resolved manifest (platform already selected for indexes), its digest, the config and its
   * digest. Sources verify the manifest and config bytes against their digests where one is known.
   */
  manifest(): Promise<ResolvedImage>;
  /**
   * A layer blob as a Node.js Readable of its stored (compressed) bytes. Callers verify the digest
   * while reading (src/image/layers.ts does), so sources need not buffer or hash it. A source whose
   * transport yields a web ReadableStream converts it with `Readable.fromWeb`.
   */
  openBlob(digest: string): Promise<Readable>;
  /**
   * True when `openBlob` streams already fail on a digest (or size) mismatch — the registry client
   * verifies every blob for all its callers — so that readers do not hash the bytes a second time.
   */
  readonly verifiesBlobs?: boolean;
  /** Releases file handles and temporary files. Safe to call twice. */
  close(): Promise<void>;
}
