/**
 * Cataloguing a container image: open the source the reference names, resolve its manifest for
 * the platform, squash its layers into one filesystem (keeping the content of the files the
 * catalogers want) and run the ordinary catalog runner over it. OS package catalogers need
 * nothing special: they read their databases like any file and the OS release files through
 * `sibling()`, which is why those are kept too.
 */
import { existsSync } from 'node:fs';
import { PalisadeError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import type { Cataloger } from '../sbom/catalog/cataloger.ts';
import { baseName } from '../sbom/catalog/cataloger.ts';
import { ALL_CATALOGERS } from '../sbom/catalog/index.ts';
import { catalogTree, type CatalogReport } from '../sbom/catalog/run.ts';
import type { ContentLimits } from './content.ts';
import { layerRefs } from './layers.ts';
import { formatPlatform, parsePlatform } from './platform.ts';
import { formatRegistryReference, hasImagePrefix, isRegistryReference, parseImageReference } from './reference.ts';
import { openRegistryImage, type OpenRegistryImageOptions } from './registry/index.ts';
import { openDockerArchive } from './sources/docker-archive.ts';
import { openOciArchive, openOciDirectory, type LocalSourceOptions } from './sources/oci-layout.ts';
import { rootfsTree } from './sources/rootfs.ts';
import { squashImage } from './squash.ts';
import { PackageURL } from 'packageurl-js';
import type { ImageSource } from './types.ts';

export interface ImageScanOptions {
  /** `os/arch[/variant]`; indexes default to linux/amd64, single images are taken as they are. */
  platform?: string;
  catalogers?: readonly Cataloger[];
  skipDirs?: string[];
  log?: Logger;
  /** Memory and spool limits for file contents (defaults in content.ts). */
  limits?: Partial<ContentLimits>;
  /** Registry options (`insecure`, timeouts, credentials file). */
  registry?: Omit<OpenRegistryImageOptions, 'platform' | 'log'>;
}

/**
 * Files catalogers read through `sibling()` rather than `wants`: the OS release files (for the
 * distro of OS packages) and the manifests lockfile catalogers read beside the lockfile.
 */
const COMPANION_FILES = /^(?:etc\/(?:os-release|lsb-release|debian_version|alpine-release|[a-z]+-release|apk\/repositories)|usr\/lib\/os-release)$/;
const COMPANION_NAMES = new Set(['package.json', 'go.sum', 'composer.json', 'pyproject.toml', 'pom.xml']);

/** True when `target` names an image rather than a path: a transport prefix, or a registry reference that is not a file. */
export function isImageReference(target: string): boolean {
  return hasImagePrefix(target) || (!existsSync(target) && isRegistryReference(target));
}

/** Opens the image `ref` names (local layouts and archives, or a registry). */
export async function openImage(ref: string, options: Pick<ImageScanOptions, 'platform' | 'log' | 'registry'> = {}): Promise<ImageSource> {
  const parsed = parseImageReference(ref);
  const local: LocalSourceOptions = options.platform !== undefined ? { platform: parsePlatform(options.platform) } : {};
  switch (parsed.kind) {
    case 'docker-archive':
      return openDockerArchive(ref, parsed.spec, local);
    case 'oci-archive':
      return openOciArchive(ref, parsed.spec, local);
    case 'oci':
      return openOciDirectory(ref, parsed.spec, local);
    case 'rootfs':
      throw new PalisadeError('USAGE', `${ref}: a root filesystem has no manifest or layers; catalogImage reads it directly`);
    case 'registry':
      return openRegistryImage(ref, {
        ...options.registry,
        ...(options.platform !== undefined && { platform: options.platform }),
        ...(options.log && { log: options.log }),
      });
  }
}

export async function catalogImage(ref: string, options: ImageScanOptions = {}): Promise<CatalogReport> {
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  const log = options.log ?? silentLogger;
  const runOptions = { catalogers, ...(options.skipDirs && { skipDirs: options.skipDirs }) };
  const parsed = parseImageReference(ref);
  if (parsed.kind === 'rootfs') {
    return catalogTree(await rootfsTree(parsed.spec, ref), { kind: 'rootfs', name: ref }, runOptions);
  }

  const source = await openImage(ref, options);
  try {
    const image = await source.manifest();
    const layers = layerRefs(image.manifest, image.config, ref);
    log.info(`${ref}: image ${image.digest}, ${layers.length} layer(s)`);
    const wants = (path: string) => catalogers.some((c) => c.wants(path));
    const squashed = await squashImage(source, layers, {
      keep: (path) => wants(path) || COMPANION_FILES.test(path) || COMPANION_NAMES.has(baseName(path)),
      ...(options.limits && { limits: options.limits }),
      onLayer: (layer, i) => log.debug(`${ref}: read layer ${i + 1}/${layers.length} ${layer.digest}`),
    });
    try {
      const config = image.config;
      const metadata: Record<string, string> = {
        digest: image.digest,
        imageId: image.configDigest,
        layers: JSON.stringify(layers.map((l) => ({ digest: l.digest, diffId: l.diffId, ...(l.createdBy !== undefined && { createdBy: l.createdBy }) }))),
      };
      if (parsed.kind === 'registry') metadata.reference = formatRegistryReference(parsed);
      metadata.purl = imagePurl(parsed, image.digest, config.architecture);
      if (config.os) metadata.os = config.os;
      if (config.architecture) {
        metadata.architecture = config.architecture;
        metadata.platform = formatPlatform({ os: config.os ?? 'unknown', architecture: config.architecture, ...(config.variant && { variant: config.variant }) });
      }
      if (config.variant) metadata.variant = config.variant;
      if (image.manifest.mediaType) metadata.mediaType = image.manifest.mediaType;
      return await catalogTree(squashed.tree, { kind: 'image', name: ref, metadata }, runOptions);
    } finally {
      await squashed.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * The image's package URL (purl type `oci`): the last repository segment as the name, the manifest
 * digest as the version, and `repository_url`/`tag` for registry images, as Trivy and Syft write it.
 */
function imagePurl(parsed: ReturnType<typeof parseImageReference>, digest: string, architecture: string | undefined): string {
  const qualifiers: Record<string, string> = {};
  let name = 'image';
  if (parsed.kind === 'registry') {
    name = parsed.repository.split('/').at(-1)!;
    qualifiers.repository_url = `${parsed.registry}/${parsed.repository}`;
    if (parsed.tag !== undefined) qualifiers.tag = parsed.tag;
  } else {
    // A local archive or layout: name it after the file or directory (without an extension or :tag).
    const path = parsed.spec.split(':')[0] ?? '';
    name = (path.split('/').filter(Boolean).at(-1) ?? 'image').replace(/\.(tar|tar\.gz|tgz)$/, '').toLowerCase() || 'image';
  }
  if (architecture) qualifiers.arch = architecture;
  return new PackageURL('oci', undefined, name, digest, qualifiers, undefined).toString();
}
