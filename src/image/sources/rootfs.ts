/**
 * `rootfs:DIR`: an unpacked root filesystem (a container's `/`, a chroot). It is a directory tree,
 * except that symlinks belong to the image, not the host: `etc/os-release -> /usr/lib/os-release`
 * must read DIR/usr/lib/os-release, never the host's file. Paths are therefore resolved one
 * component at a time inside DIR (absolute targets restart at DIR, `..` stops there), at most 40
 * links deep.
 */
import { lstat, readlink, stat } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { PalisadeError } from '../../core/errors.ts';
import { directoryTree, fileInput, type FileTree } from '../../sbom/catalog/tree.ts';

const MAX_LINKS = 40;

export async function rootfsTree(dir: string, reference: string): Promise<FileTree> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new PalisadeError('INPUT_NOT_FOUND', `${reference}: ${dir} is not a directory`);
  const plain = directoryTree(root);
  const real = (path: string) => resolveInRoot(root, path);

  return {
    async list(wants, skipDirs) {
      const listed = await plain.list(wants, skipDirs);
      // The walk follows file symlinks on the host; keep only those that lead to a file inside the root.
      const files: string[] = [];
      for (const path of listed.files) {
        const target = await real(path);
        if (target !== undefined && (await lstat(join(root, target))).isFile()) files.push(path);
      }
      return { files, issues: listed.issues };
    },
    async size(path) {
      const target = await real(path);
      if (target === undefined) throw Object.assign(new Error(`${path}: not found in ${reference}`), { code: 'ENOENT', syscall: 'stat' });
      return (await lstat(join(root, target))).size;
    },
    input(path) {
      const located = real(path);
      const input = {
        path,
        bytes: async () => fileInput(root, (await located) ?? path).bytes(),
        head: async (n: number) => fileInput(root, (await located) ?? path).head(n),
        text: async () => (await input.bytes()).toString('utf8'),
        sibling: async (relative: string) => {
          const target = await real(posix.normalize(`/${posix.dirname(path)}/${relative}`).slice(1));
          return target === undefined ? undefined : fileInput(root, target).text().catch(() => undefined);
        },
      };
      return input;
    },
  };
}

/** The real root-relative path of `path` inside `root`, following symlinks within the root; undefined if absent. */
export async function resolveInRoot(root: string, path: string): Promise<string | undefined> {
  const pending = path.split('/').filter((p) => p !== '' && p !== '.').reverse();
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name === '..') {
      done.pop();
      continue;
    }
    const candidate = [...done, name].join('/');
    const info = await lstat(join(root, candidate)).catch(() => undefined);
    if (!info) return undefined;
    if (info.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = await readlink(join(root, candidate));
      if (target.startsWith('/')) done.length = 0;
      for (const part of target.split('/').reverse()) if (part !== '' && part !== '.') pending.push(part);
      continue;
    }
    if (pending.length > 0 && !info.isDirectory()) return undefined;
    done.push(name);
  }
  return done.join('/');
}
