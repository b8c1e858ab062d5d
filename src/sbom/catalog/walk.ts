/**
 * Walks a directory tree and yields the files some cataloger wants. Symlinked directories are
 * not followed (a link loop cannot hang the walk); symlinked files are read. Unreadable
 * directories become issues, never exceptions.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputIssue } from '../../core/types.ts';
import { errorMessage } from '../../core/errors.ts';

export interface WalkOptions {
  /** Directory names or root-relative paths not to descend into. */
  skipDirs: string[];
  /** Called with each root-relative path; return true to collect the file. */
  wants(path: string): boolean;
}

/** Never useful to catalog and often huge. */
const ALWAYS_SKIPPED = new Set(['.git', '.hg', '.svn']);

export async function walk(root: string, options: WalkOptions): Promise<{ files: string[]; issues: InputIssue[] }> {
  const files: string[] = [];
  const issues: InputIssue[] = [];
  const skip = new Set(options.skipDirs.map((d) => d.replace(/\/+$/, '')));

  async function visit(rel: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(rel === '' ? root : join(root, rel), { withFileTypes: true });
    } catch (err) {
      issues.push({ path: rel || '.', message: `cannot read directory: ${errorMessage(err)}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const entry of entries) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!ALWAYS_SKIPPED.has(entry.name) && !skip.has(entry.name) && !skip.has(path)) subdirs.push(path);
      } else if (entry.isFile()) {
        if (options.wants(path)) files.push(path);
      } else if (entry.isSymbolicLink() && options.wants(path)) {
        // Only a link to a regular file is catalogued; a loop or a dangling link is reported.
        try {
          const target = await stat(join(root, path));
          if (target.isFile()) files.push(path);
        } catch (err) {
          issues.push({ path, message: `cannot follow symlink: ${errorMessage(err)}` });
        }
      }
    }
    for (const dir of subdirs) await visit(dir);
  }

  await visit('');
  return { files, issues };
}
