/**
 * Directory mode: the files under a root, as gitleaks' `dir` command finds them (regular files,
 * `.git` skipped, symbolic links not followed, empty files skipped), except that `.gitignore`
 * files (and `.git/info/exclude`) are honoured unless `noIgnore` is set. Paths are relative to the
 * root and `/`-separated. Reading a file yields the fragment to scan, or why it was skipped.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, join } from 'node:path';
import { isIgnored, parseIgnoreFile, type IgnoreFile } from './gitignore.ts';

export interface FileEntry {
  /** Relative to the scan root, `/`-separated. */
  path: string;
  absolute: string;
  /** In bytes, when the walk looked (see WalkOptions.sizesUntil); otherwise the reader learns it. */
  size?: number;
}

export interface WalkOptions {
  noIgnore?: boolean;
  /** Called for a directory or file that cannot be read; the walk goes on. */
  onError?: (path: string, message: string) => void;
  /** Called for each file listed, as the walk goes. */
  onFile?: (entry: FileEntry) => void;
  /**
   * Files are listed with their size (one stat each) until the sizes listed add up to this many
   * bytes, and without from then on (default: all with their size). A scan needs sizes to decide
   * whether a tree is worth several threads and to cut it into batches; past that, the stat of
   * each file was a third of walking a large tree, which comes before any scanning.
   */
  sizesUntil?: number;
}

export function walkFiles(root: string, options: WalkOptions = {}): FileEntry[] {
  const info = statSync(root);
  if (info.isFile()) return info.size > 0 ? [{ path: basename(root), absolute: root, size: info.size }] : [];
  const out: FileEntry[] = [];
  const rootIgnores: IgnoreFile[] = [];
  if (!options.noIgnore) {
    const exclude = readIfExists(join(root, '.git', 'info', 'exclude'));
    if (exclude !== undefined) rootIgnores.push(parseIgnoreFile(exclude, ''));
  }
  walkDir(root, '', rootIgnores, options, out, { bytes: 0 });
  return out;
}

function walkDir(absolute: string, rel: string, ignores: IgnoreFile[], options: WalkOptions, out: FileEntry[], listed: { bytes: number }): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(absolute, { withFileTypes: true });
  } catch (err) {
    options.onError?.(rel || '.', (err as Error).message);
    return;
  }
  let active = ignores;
  if (!options.noIgnore && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
    const text = readIfExists(join(absolute, '.gitignore'));
    if (text !== undefined) active = [...ignores, parseIgnoreFile(text, rel)];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
    const childAbs = join(absolute, e.name);
    if (e.isDirectory()) {
      if (e.name === '.git') continue;
      if (!options.noIgnore && isIgnored(active, childRel, true)) continue;
      walkDir(childAbs, childRel, active, options, out, listed);
    } else if (e.isFile()) {
      if (!options.noIgnore && isIgnored(active, childRel, false)) continue;
      const entry: FileEntry = { path: childRel, absolute: childAbs };
      if (options.sizesUntil === undefined || listed.bytes < options.sizesUntil) {
        try {
          entry.size = statSync(childAbs).size;
        } catch (err) {
          options.onError?.(childRel, (err as Error).message);
          continue;
        }
        if (entry.size === 0) continue;
        listed.bytes += entry.size;
      }
      out.push(entry);
      options.onFile?.(entry);
    }
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export type ReadResult =
  | { kind: 'text'; text: string; bytes: Uint8Array }
  | { kind: 'binary' }
  | { kind: 'too-large'; size: number }
  /** A file listed without its size that turned out empty (gitleaks skips empty files). */
  | { kind: 'empty' }
  | { kind: 'error'; message: string };

/** How many leading bytes decide whether a file is binary (as git does, a NUL in the first 8000). */
const SNIFF_BYTES = 8000;
/** Files up to this size are read in one call, binary or not. */
const WHOLE_READ_BYTES = 256 * 1024;

/**
 * Reads files to scan into one buffer that grows as needed and is reused, so that scanning a tree
 * does not allocate (and collect) a buffer per file: the bytes of a result are valid until the
 * next read. Binary files (a NUL byte or a known binary signature at the start) and files above
 * `maxBytes` are not read; invalid UTF-8 is decoded with replacement characters. A file is opened
 * once and, when small, read in one call.
 */
export class FileReader {
  #buffer = Buffer.allocUnsafe(64 * 1024);

  read(entry: FileEntry, maxBytes: number): ReadResult {
    if (maxBytes > 0 && entry.size !== undefined && entry.size > maxBytes) return { kind: 'too-large', size: entry.size };
    let bytes: Buffer;
    try {
      const fd = openSync(entry.absolute, 'r');
      try {
        // One byte more than listed, to notice a file that has grown since.
        if (entry.size !== undefined && this.#buffer.length < entry.size + 1) this.#buffer = Buffer.allocUnsafe(entry.size + 1);
        let buffer = this.#buffer;
        // A small file is read whole at once (each system call counts: most files are small);
        // a large one has its head looked at first, so that a large binary is not read. A file
        // listed without its size is read into the buffer as it is; one that fills it is looked
        // at (fstat) before the rest is read.
        const whole = entry.size === undefined || entry.size <= WHOLE_READ_BYTES;
        // Unsized, at most one byte over the limit is read before the size is looked at.
        const asked = entry.size === undefined ? (maxBytes > 0 ? Math.min(buffer.length, maxBytes + 1) : buffer.length) : whole ? entry.size + 1 : Math.min(SNIFF_BYTES, buffer.length);
        let length = readSync(fd, buffer, 0, asked, 0);
        if (length === 0 && entry.size === undefined) return { kind: 'empty' };
        // Fewer bytes than asked for, of a regular file read whole, is all of it; otherwise read on to the end.
        let complete = whole && length < asked;
        // Too large before binary, as for a file whose size was listed.
        const size = !complete && entry.size === undefined ? fstatSync(fd).size : undefined;
        if (size !== undefined && maxBytes > 0 && size > maxBytes) return { kind: 'too-large', size };
        if (looksBinary(buffer.subarray(0, Math.min(length, SNIFF_BYTES)))) return { kind: 'binary' };
        if (size !== undefined && buffer.length < size + 1) {
          const grown = Buffer.allocUnsafe(size + 1);
          buffer.copy(grown, 0, 0, length);
          this.#buffer = buffer = grown;
        }
        while (!complete) {
          if (length === buffer.length) {
            // The file has grown since it was listed: read to its end, as readFileSync would.
            const grown = Buffer.allocUnsafe(buffer.length * 2);
            buffer.copy(grown, 0, 0, length);
            this.#buffer = buffer = grown;
          }
          const n = readSync(fd, buffer, length, buffer.length - length, length);
          if (n === 0) complete = true;
          length += n;
          // Grown past the limit (a log written to while it is scanned): skipped as too large, not read on for ever.
          if (maxBytes > 0 && length > maxBytes) return { kind: 'too-large', size: length };
        }
        bytes = buffer.subarray(0, length);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      return { kind: 'error', message: (err as Error).message };
    }
    return { kind: 'text', text: bytes.toString('utf8'), bytes };
  }
}

const BINARY_SIGNATURES: readonly number[][] = [
  [0x50, 0x4b, 0x03, 0x04], // zip, jar, docx, apk
  [0x1f, 0x8b], // gzip
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x42, 0x5a, 0x68], // bzip2
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0x25, 0x50, 0x44, 0x46], // pdf
  [0x7f, 0x45, 0x4c, 0x46], // ELF
  [0x89, 0x50, 0x4e, 0x47], // png
  [0xff, 0xd8, 0xff], // jpeg
  [0x47, 0x49, 0x46, 0x38], // gif
  [0xca, 0xfe, 0xba, 0xbe], // Mach-O fat, Java class
  [0x4d, 0x5a], // PE (exe, dll)
  [0x00, 0x61, 0x73, 0x6d], // wasm
];

export function looksBinary(head: Uint8Array): boolean {
  for (const sig of BINARY_SIGNATURES) {
    if (head.length >= sig.length && sig.every((b, i) => head[i] === b)) {
      // "MZ" also starts ordinary text; require the PE layout's NULs to call it binary.
      if (sig[0] === 0x4d && sig[1] === 0x5a && !head.subarray(0, 64).includes(0)) continue;
      return true;
    }
  }
  return head.includes(0);
}
