/**
 * What catalogers read from: a tree of files, either a directory on disk or the squashed
 * filesystem of a container image. The runner only lists and reads through this interface, so
 * every cataloger works the same on source trees and images.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { dirname, join, normalize, posix, sep } from 'node:path';
import type { InputIssue, Location } from '../../core/types.ts';
import type { CatalogInput } from './cataloger.ts';
import { walk } from './walk.ts';

export interface FileTree {
  /** Regular files some cataloger wants (root-relative, `/`-separated), and problems met listing them. */
  list(wants: (path: string) => boolean, skipDirs: readonly string[]): Promise<{ files: string[]; issues: InputIssue[] }>;
  /** Size in bytes of a listed file. */
  size(path: string): Promise<number>;
  /** A CatalogInput for a listed file; `sibling()` resolves within the tree only. */
  input(path: string): CatalogInput;
  /** For image trees: the layer that put the file in the squashed filesystem. */
  layerOf?(path: string): Location['layer'];
}

/** A directory on disk. */
export function directoryTree(root: string): FileTree {
  return {
    list: (wants, skipDirs) => walk(root, { wants, skipDirs: [...skipDirs] }),
    size: async (path) => (await stat(join(root, path))).size,
    input: (path) => fileInput(root, path),
  };
}

/** A CatalogInput over a real file under `root` (also what tests use). */
export function fileInput(root: string, path: string): CatalogInput {
  const absolute = join(root, path);
  let cached: Buffer | undefined;
  const bytes = async () => (cached ??= await readFile(absolute));
  const head = async (n: number) => {
    if (cached) return cached.subarray(0, n);
    const handle = await open(absolute, 'r');
    try {
      const buffer = Buffer.alloc(n);
      const { bytesRead } = await handle.read(buffer, 0, n, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  };
  return {
    path,
    bytes,
    head,
    text: async () => (await bytes()).toString('utf8'),
    sibling: async (relative) => {
      const target = normalize(join(dirname(absolute), relative));
      if (target !== root && !target.startsWith(root + sep)) return undefined;
      try {
        return await readFile(target, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * A CatalogInput over bytes held in memory (image layers, archives). `siblings` reads another
 * file of the same tree by its root-relative path, undefined when absent.
 */
export function memoryInput(path: string, data: Buffer, siblings: (path: string) => Buffer | undefined): CatalogInput {
  return {
    path,
    bytes: async () => data,
    head: async (n) => data.subarray(0, n),
    text: async () => data.toString('utf8'),
    sibling: async (relative) => {
      const target = posix.normalize(posix.join(posix.dirname(path), relative));
      if (target.startsWith('../') || target === '..') return undefined;
      return siblings(target)?.toString('utf8');
    },
  };
}
