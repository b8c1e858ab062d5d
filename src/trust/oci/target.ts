/** Opening an image reference (registry or `oci:DIR[:tag]`) for signature work. */
import { PalisadeError } from '../../core/errors.ts';
import { parseImageReference, parseRegistryReference } from '../../image/reference.ts';
import { cachedStore, type DigestCache } from './cache.ts';
import { LayoutStore } from './layout-store.ts';
import { RegistryStore, type ArtifactStore, type RegistryStoreOptions } from './store.ts';

export interface TargetOptions {
  registry?: RegistryStoreOptions;
  /** Repository holding legacy `.sig`/`.att` tags when not the image's own. */
  signatureRepository?: string;
  cache?: DigestCache;
}

/** An image reference opened for signature work: where it lives and what digest it names. */
export interface ImageTarget {
  reference: string;
  /** The digest the reference pins (`repo@sha256:…`), which verification uses without asking the registry. */
  pinnedDigest: string | undefined;
  store: ArtifactStore;
  /** Where legacy tags are read and written. */
  legacyStore: ArtifactStore;
}

/** Opens a registry reference or `oci:DIR[:tag]`. */
export async function openImageTarget(reference: string, options: TargetOptions = {}): Promise<ImageTarget> {
  const parsed = parseImageReference(reference);
  let store: ArtifactStore;
  let legacyStore: ArtifactStore | undefined;
  if (parsed.kind === 'registry') {
    store = new RegistryStore(parsed, options.registry);
    if (options.signatureRepository !== undefined) {
      const repo = parseRegistryReference(options.signatureRepository);
      legacyStore = new RegistryStore(repo, repo.registry === parsed.registry ? { ...options.registry, client: (store as RegistryStore).client } : options.registry);
    }
  } else if (parsed.kind === 'oci') {
    store = await LayoutStore.open(parsed.spec);
  } else {
    throw new PalisadeError('USAGE', `${reference}: signatures are stored in registries and OCI layout directories (oci:DIR[:tag]), not in ${parsed.kind} images`);
  }
  if (options.cache !== undefined) {
    store = cachedStore(store, options.cache);
    if (legacyStore !== undefined) legacyStore = cachedStore(legacyStore, options.cache);
  }
  const pinnedDigest = parsed.kind === 'registry' ? parsed.digest : undefined;
  return { reference, pinnedDigest, store, legacyStore: legacyStore ?? store };
}

