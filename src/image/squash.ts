/**
 * The squashed filesystem of an image: layers applied in order, the way a container runtime's
 * overlay would show them, as a FileTree the catalog runner reads from.
 *
 * Each layer is read in one pass (layers.ts) into a change set, then applied: first its whiteouts,
 * which only ever hide lower layers (`.wh.<name>` removes `<name>`, `.wh..wh..opq` empties the
 * directory), then its entries in tar order. Symlinks are kept as links and resolved at lookup
 * time, inside the image root (an absolute target starts at the image root, `..` stops there) and
 * at most 40 links deep (Linux's limit), so a loop ends as "not found". Hardlinks share the content
 * of the file they name. Every file remembers the layer that last wrote it.
 *
 * Only files `keep` selects have their content stored (content.ts); the rest are metadata.
 */
import { posix } from 'node:path';
import type { InputIssue, Location } from '../core/types.ts';
import type { CatalogInput } from '../sbom/catalog/cataloger.ts';
import { memoryInput, type FileTree } from '../sbom/catalog/tree.ts';
import { ContentStore, DEFAULT_LIMITS, type Content, type ContentLimits } from './content.ts';
import { layerLabel, readLayer, type LayerEntry } from './layers.ts';
import type { ImageSource, LayerRef } from './types.ts';

interface FileNode {
  kind: 'file';
  layer: number;
  size: number;
  content: Content;
}
interface LinkNode {
  kind: 'symlink';
  layer: number;
  target: string;
}
interface DirNode {
  kind: 'dir';
  layer: number;
  children: Map<string, TreeNode>;
}
interface OtherNode {
  kind: 'other';
  layer: number;
}
type TreeNode = FileNode | LinkNode | DirNode | OtherNode;

export interface SquashOptions {
  /** Root-relative paths whose content catalogers will read (their `wants`, plus companion files). */
  keep: (path: string) => boolean;
  limits?: Partial<ContentLimits>;
  /** Called after each layer (progress). */
  onLayer?: (layer: LayerRef, index: number) => void;
}

export interface SquashedImage {
  tree: FileTree;
  /** Entries that could not be applied (path traversal, dangling hardlinks), named by layer. */
  warnings: InputIssue[];
  /** Removes the spool file; call when cataloguing is done. */
  close(): Promise<void>;
}

/** Linux's MAXSYMLINKS. */
const MAX_LINKS = 40;
const ALWAYS_SKIPPED = new Set(['.git', '.hg', '.svn']);
const PARALLEL_LAYERS = 3;

export async function squashImage(source: ImageSource, layers: readonly LayerRef[], options: SquashOptions): Promise<SquashedImage> {
  const store = new ContentStore({ ...DEFAULT_LIMITS, ...options.limits });
  const root: DirNode = { kind: 'dir', layer: -1, children: new Map() };
  const warnings: InputIssue[] = [];
  // Layers are read a few at a time (decompression runs on libuv's thread pool, downloads overlap)
  // and applied strictly in order as each one and all below it are done.
  const reads: (Promise<Changes> | undefined)[] = [];
  let started = 0;
  const startNext = () => {
    const index = started++;
    const read = readChanges(source, layers[index]!, index, options.keep, store, warnings);
    read.catch(() => {}); // observed below, in order; this only keeps a later layer's failure from going unhandled
    reads[index] = read;
  };
  try {
    while (started < Math.min(PARALLEL_LAYERS, layers.length)) startNext();
    for (const [index, layer] of layers.entries()) {
      const changes = await reads[index]!;
      reads[index] = undefined;
      if (started < layers.length) startNext();
      applyChanges(root, changes, index, layer, warnings);
      options.onLayer?.(layer, index);
    }
  } catch (err) {
    await Promise.allSettled(reads);
    await store.close();
    throw err;
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return {
    tree: squashedTree(root, layers, store, source, limits.maxFileBytes, warnings),
    warnings,
    close: () => store.close(),
  };
}

interface Changes {
  /** `name` undefined: the directory is opaque. */
  whiteouts: { dir: string; name?: string }[];
  entries: { entry: LayerEntry; content?: Content }[];
}

async function readChanges(
  source: ImageSource,
  layer: LayerRef,
  index: number,
  keep: (path: string) => boolean,
  store: ContentStore,
  warnings: InputIssue[],
): Promise<Changes> {
  const changes: Changes = { whiteouts: [], entries: [] };
  await readLayer(
    source,
    layer,
    index,
    async (entry, data) => {
      const dir = posix.dirname(entry.path);
      const name = posix.basename(entry.path);
      const parent = dir === '.' ? '' : dir;
      if (name === '.wh..wh..opq') {
        changes.whiteouts.push({ dir: parent });
      } else if (name.startsWith('.wh..wh.')) {
        // Other aufs metadata (.wh..wh.plnk, .wh..wh.aufs): not part of the filesystem.
      } else if (name.startsWith('.wh.')) {
        changes.whiteouts.push({ dir: parent, name: name.slice(4) });
      } else if (entry.type === 'file' && data) {
        const content: Content = keep(entry.path)
          ? await store.store(entry.size, data)
          : { kind: 'lazy', layer: index, member: entry.path, size: entry.size };
        changes.entries.push({ entry, content });
      } else {
        changes.entries.push({ entry });
      }
    },
    (message) => warnings.push({ path: layerLabel(layer, index), message }),
  );
  return changes;
}

function applyChanges(root: DirNode, changes: Changes, index: number, layer: LayerRef, warnings: InputIssue[]): void {
  for (const whiteout of changes.whiteouts) {
    const dir = lookup(root, whiteout.dir, true);
    if (dir?.node.kind !== 'dir') continue;
    if (whiteout.name === undefined) dir.node.children.clear();
    else dir.node.children.delete(whiteout.name);
  }
  for (const { entry, content } of changes.entries) {
    const parent = ensureDir(root, posix.dirname(entry.path), index);
    const name = posix.basename(entry.path);
    switch (entry.type) {
      case 'directory': {
        const existing = parent.children.get(name);
        if (existing?.kind === 'dir') existing.layer = index;
        else parent.children.set(name, { kind: 'dir', layer: index, children: new Map() });
        break;
      }
      case 'file':
        parent.children.set(name, { kind: 'file', layer: index, size: entry.size, content: content! });
        break;
      case 'symlink':
        parent.children.set(name, { kind: 'symlink', layer: index, target: entry.linkname! });
        break;
      case 'hardlink': {
        const target = lookup(root, entry.linkname!, false);
        if (target?.node.kind === 'file') {
          parent.children.set(name, { kind: 'file', layer: index, size: target.node.size, content: target.node.content });
        } else {
          warnings.push({ path: layerLabel(layer, index), message: `hardlink ${entry.path} names ${entry.linkname}, which is not a file in the image` });
        }
        break;
      }
      default:
        parent.children.set(name, { kind: 'other', layer: index });
    }
  }
}

/** The directory at `path`, created as needed; a symlinked directory is followed, anything else in the way replaced. */
function ensureDir(root: DirNode, path: string, layer: number): DirNode {
  let dir = root;
  if (path === '.' || path === '') return dir;
  const parts = path.split('/');
  for (const [i, name] of parts.entries()) {
    const child = dir.children.get(name);
    if (child?.kind === 'dir') {
      dir = child;
      continue;
    }
    if (child?.kind === 'symlink') {
      const followed = lookup(root, parts.slice(0, i + 1).join('/'), true);
      if (followed?.node.kind === 'dir') {
        dir = followed.node;
        continue;
      }
    }
    const created: DirNode = { kind: 'dir', layer, children: new Map() };
    dir.children.set(name, created);
    dir = created;
  }
  return dir;
}

/**
 * Resolves `path` from the image root, following symlinks in every component but the last
 * (and the last too when `followLast`). Returns the node and its real path.
 */
function lookup(root: DirNode, path: string, followLast: boolean): { node: TreeNode; path: string } | undefined {
  const pending = path.split('/').filter((p) => p !== '' && p !== '.').reverse();
  const stack: { name: string; node: DirNode }[] = [];
  let current: TreeNode = root;
  let links = 0;
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (current.kind !== 'dir') return undefined;
    if (name === '..') {
      // `..` of the root is the root, as in a chroot.
      current = stack.pop()?.node ?? root;
      continue;
    }
    const child: TreeNode | undefined = current.children.get(name);
    if (!child) return undefined;
    if (child.kind === 'symlink' && (pending.length > 0 || followLast)) {
      if (++links > MAX_LINKS) return undefined;
      if (child.target.startsWith('/')) {
        stack.length = 0;
        current = root;
      }
      for (const part of child.target.split('/').reverse()) if (part !== '' && part !== '.') pending.push(part);
      continue;
    }
    stack.push({ name, node: current });
    current = child;
  }
  return { node: current, path: stack.map((s) => s.name).join('/') };
}

function squashedTree(
  root: DirNode,
  layers: readonly LayerRef[],
  store: ContentStore,
  source: ImageSource,
  maxFileBytes: number,
  warnings: InputIssue[],
): FileTree {
  const fileAt = (path: string): FileNode | undefined => {
    const found = lookup(root, path, true);
    return found?.node.kind === 'file' ? found.node : undefined;
  };

  const read = async (node: FileNode, maxBytes = Infinity): Promise<Buffer | undefined> => {
    const content = node.content;
    if (content.kind === 'skipped') return undefined;
    if (content.kind === 'lazy') return readLazily(source, layers, content, maxFileBytes);
    return store.read(content, maxBytes);
  };

  const sibling = (from: string) => async (relative: string) => {
    // Resolved as the process inside the container would: `..` stops at the root.
    const target = posix.normalize(`/${posix.dirname(from)}/${relative}`).slice(1);
    const node = fileAt(target);
    return node ? (await read(node))?.toString('utf8') : undefined;
  };

  return {
    async list(wants, skipDirs) {
      const skip = new Set(skipDirs.map((d) => d.replace(/\/+$/, '')));
      const files: string[] = [];
      const issues: InputIssue[] = [...warnings];
      const visit = (dir: DirNode, prefix: string) => {
        for (const name of [...dir.children.keys()].sort()) {
          const node = dir.children.get(name)!;
          const path = prefix === '' ? name : `${prefix}/${name}`;
          if (node.kind === 'dir') {
            if (!ALWAYS_SKIPPED.has(name) && !skip.has(name) && !skip.has(path)) visit(node, path);
            continue;
          }
          if ((node.kind !== 'file' && node.kind !== 'symlink') || !wants(path)) continue;
          // A symlink counts when it leads to a regular file, as in a directory walk.
          const file = node.kind === 'file' ? node : fileAt(path);
          if (!file) continue;
          if (file.content.kind === 'skipped') issues.push({ path, message: `not catalogued: ${file.content.reason}` });
          else files.push(path);
        }
      };
      visit(root, '');
      return { files, issues };
    },
    async size(path) {
      const node = fileAt(path);
      if (!node) throw fileMissing(path);
      return node.size;
    },
    input(path): CatalogInput {
      const node = fileAt(path);
      if (node?.content.kind === 'memory') return { ...memoryInput(path, node.content.data, () => undefined), sibling: sibling(path) };
      const bytes = async () => {
        const data = node && (await read(node));
        if (!data) throw fileMissing(path);
        return data;
      };
      return {
        path,
        bytes,
        text: async () => (await bytes()).toString('utf8'),
        head: async (n) => (node?.content.kind === 'spool' ? store.read(node.content, n) : (await bytes()).subarray(0, n)),
        sibling: sibling(path),
      };
    },
    layerOf(path): Location['layer'] {
      const node = fileAt(path);
      const layer = node ? layers[node.layer] : undefined;
      if (!layer) return undefined;
      return { digest: layer.digest, diffId: layer.diffId, ...(layer.createdBy !== undefined && { createdBy: layer.createdBy }) };
    },
  };
}

function fileMissing(path: string): NodeJS.ErrnoException {
  // Shaped like an fs error so the runner reports it as an unreadable input.
  return Object.assign(new Error(`${path}: no such file in the image`), { code: 'ENOENT', syscall: 'open', path });
}

/** Content not kept during the first pass: stream its layer again and stop at the entry. */
async function readLazily(
  source: ImageSource,
  layers: readonly LayerRef[],
  content: Extract<Content, { kind: 'lazy' }>,
  maxFileBytes: number,
): Promise<Buffer | undefined> {
  const layer = layers[content.layer];
  if (!layer || content.size > maxFileBytes) return undefined;
  let found: Buffer | undefined;
  await readLayer(source, layer, content.layer, async (entry, data) => {
    if (entry.path !== content.member || !data) return true;
    const chunks: Buffer[] = [];
    for await (const chunk of data) chunks.push(chunk);
    found = Buffer.concat(chunks);
    return false;
  });
  return found;
}
