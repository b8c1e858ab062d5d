/**
 * An image in a registry as an ImageSource: the reference resolved to one platform's manifest,
 * its config, and its layers streamed on demand — every byte checked against its digest.
 */
import type { Readable } from 'node:stream';
import { silentLogger } from '../../core/log.ts';
import type { Logger } from '../../core/log.ts';
import { DEFAULT_PLATFORM, formatPlatform, normalizePlatform, parsePlatform, platformMatches, selectPlatform } from '../platform.ts';
import { formatRegistryReference, parseRegistryReference } from '../reference.ts';
import type { RegistryReference } from '../reference.ts';
import { MEDIA_TYPES } from '../types.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, ImageSource, Platform, ResolvedImage } from '../types.ts';
import { RegistryClient } from './client.ts';
import type { RegistryClientOptions } from './client.ts';
import { RegistryError } from './errors.ts';

export interface OpenRegistryImageOptions {
  /** `os/arch[/variant]`; default linux/amd64. */
  platform?: string;
  /** Plain HTTP, for registries on loopback addresses. */
  insecure?: boolean;
  /** Allow `insecure` for a non-loopback registry. */
  forceInsecure?: boolean;
  timeoutMs?: number;
  retries?: number;
  dockerConfigPath?: string;
  log?: Logger;
  /** Test hooks and tuning passed through to the client (backoff, explicit credentials). */
  client?: Pick<RegistryClientOptions, 'backoffMs' | 'maxRetryAfterMs' | 'credentials'>;
}

const SCHEMA1_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
/** An index pointing at an index is allowed; deeper nesting is not something real images do. */
const MAX_INDEX_DEPTH = 4;
const MAX_CONFIG_BYTES = 8 << 20;

/** Opens `ref` (`[host[:port]/]repo[:tag][@digest]`) in its registry; nothing is fetched until manifest(). */
export async function openRegistryImage(ref: string, options: OpenRegistryImageOptions = {}): Promise<ImageSource> {
  const parsed = parseRegistryReference(ref);
  const wanted = options.platform !== undefined ? parsePlatform(options.platform) : DEFAULT_PLATFORM;
  const client = new RegistryClient({
    registry: parsed.registry,
    ...pick(options, ['insecure', 'forceInsecure', 'timeoutMs', 'retries', 'dockerConfigPath', 'log']),
    ...options.client,
  });
  return new RegistryImage(ref, parsed, client, wanted, options.platform !== undefined, options.log ?? silentLogger);
}

class RegistryImage implements ImageSource {
  readonly reference: string;
  /** RegistryClient.getBlob fails the stream on a digest or size mismatch. */
  readonly verifiesBlobs = true;
  readonly #ref: RegistryReference;
  readonly #client: RegistryClient;
  readonly #platform: Platform;
  readonly #platformGiven: boolean;
  readonly #log: Logger;
  #resolved: Promise<ResolvedImage> | undefined;
  readonly #sizes = new Map<string, number>();
  readonly #open = new Set<Readable>();

  constructor(reference: string, ref: RegistryReference, client: RegistryClient, platform: Platform, platformGiven: boolean, log: Logger) {
    this.reference = reference;
    this.#ref = ref;
    this.#client = client;
    this.#platform = platform;
    this.#platformGiven = platformGiven;
    this.#log = log;
  }

  manifest(): Promise<ResolvedImage> {
    this.#resolved ??= this.#resolve();
    return this.#resolved;
  }

  async openBlob(digest: string): Promise<Readable> {
    const size = this.#sizes.get(digest);
    const stream = await this.#client.getBlob(this.#ref.repository, digest, size === undefined ? {} : { size });
    this.#open.add(stream);
    stream.once('close', () => this.#open.delete(stream));
    return stream;
  }

  /** Abandons downloads still in progress (their connections close); safe to call twice. */
  async close(): Promise<void> {
    for (const stream of this.#open) stream.destroy();
    this.#open.clear();
  }

  async #resolve(): Promise<ResolvedImage> {
    const name = formatRegistryReference(this.#ref);
    const repository = this.#ref.repository;
    // A digest pins the content; a tag next to it is only a label.
    let reference = this.#ref.digest ?? this.#ref.tag ?? 'latest';
    for (let depth = 0; ; depth++) {
      const { digest, mediaType, body } = await this.#client.getManifest(repository, reference);
      const json = parseManifestJson(body, name);
      const type = mediaType !== '' ? mediaType : guessMediaType(json);
      if (SCHEMA1_TYPES.has(type) || json['schemaVersion'] === 1) {
        throw new RegistryError(
          'unsupported',
          `${name} is stored as a Docker image manifest v2 schema 1, which is deprecated and not supported; ` +
            're-push the image with a current docker, buildah or skopeo to convert it',
        );
      }
      if (INDEX_TYPES.has(type)) {
        if (depth >= MAX_INDEX_DEPTH) throw new RegistryError('unsupported', `${name}: image indexes nested too deep`);
        const chosen = selectPlatform(indexManifests(json, name), this.#platform, name);
        this.#log.debug(`${name}: platform ${formatPlatform(this.#platform)} → ${chosen.digest}`);
        reference = chosen.digest;
        continue;
      }
      if (!IMAGE_TYPES.has(type)) {
        throw new RegistryError(
          'unsupported',
          `${name} is not a container image (manifest media type "${type || 'unknown'}")`,
        );
      }
      const manifest = imageManifest(json, type, name);
      for (const layer of manifest.layers) this.#sizes.set(layer.digest, layer.size);
      const configBytes = await this.#client.getBlobBytes(repository, manifest.config.digest, MAX_CONFIG_BYTES);
      const config = parseManifestJson(configBytes, `${name} config`) as ImageConfig;
      this.#checkPlatform(config, name);
      return { digest, manifest, config, configDigest: manifest.config.digest };
    }
  }

  /** A single-platform image that is not what --platform asked for is scanned, with a warning (as docker does). */
  #checkPlatform(config: ImageConfig, name: string): void {
    if (!this.#platformGiven || config.os === undefined || config.architecture === undefined) return;
    const actual: Platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
    if (!platformMatches(this.#platform, actual)) {
      this.#log.warn(
        `${name} is a single-platform image for ${formatPlatform(normalizePlatform(actual))}, ` +
          `not the requested ${formatPlatform(this.#platform)}`,
      );
    }
  }
}

function pick<T extends object, K extends keyof T>(object: T, keys: K[]): Partial<Pick<T, K>> {
  const result: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) result[key] = object[key];
  return result;
}

function parseManifestJson(body: Uint8Array, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new RegistryError('invalid-response', `${what}: the registry sent a manifest that is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RegistryError('invalid-response', `${what}: the manifest is not a JSON object`);
  }
  return json as Record<string, unknown>;
}

/** For registries that send neither a mediaType field nor a usable Content-Type. */
function guessMediaType(json: Record<string, unknown>): string {
  if (Array.isArray(json['manifests'])) return MEDIA_TYPES.ociIndex;
  if (Array.isArray(json['layers'])) return MEDIA_TYPES.ociManifest;
  return '';
}

function isDescriptor(value: unknown): value is Descriptor {
  const d = value as Descriptor | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.mediaType === 'string' &&
    typeof d.digest === 'string' &&
    typeof d.size === 'number' &&
    Number.isSafeInteger(d.size) &&
    d.size >= 0
  );
}

function indexManifests(json: Record<string, unknown>, name: string): Descriptor[] {
  const index = json as unknown as ImageIndex;
  if (!Array.isArray(index.manifests) || !index.manifests.every(isDescriptor)) {
    throw new RegistryError('invalid-response', `${name}: the image index has malformed "manifests" entries`);
  }
  return index.manifests;
}

function imageManifest(json: Record<string, unknown>, mediaType: string, name: string): ImageManifest {
  const manifest = json as unknown as ImageManifest;
  if (!isDescriptor(manifest.config) || !Array.isArray(manifest.layers) || !manifest.layers.every(isDescriptor)) {
    throw new RegistryError('invalid-response', `${name}: the image manifest lacks a valid config or layer list`);
  }
  return { ...manifest, mediaType };
}
