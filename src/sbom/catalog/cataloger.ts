/**
 * The cataloger contract (one per package format, after osv-scalibr's extractors):
 * the walker finds files, a cataloger says which ones it wants by path alone, and
 * parses one file at a time. Catalogers never traverse the filesystem themselves; when a
 * format needs a sibling (go.sum, a parent pom, package.json next to yarn.lock) it asks the
 * input for it.
 */
import type { Ecosystem, Package, InputIssue } from '../../core/types.ts';

export interface CatalogInput {
  /** Path relative to the scan root, `/`-separated; this is what locations report. */
  path: string;
  /** The file's content as text (UTF-8). */
  text(): Promise<string>;
  /** The file's raw bytes (binaries, archives). */
  bytes(): Promise<Buffer>;
  /** At most the first `n` bytes, without reading the rest: a cheap magic-number check. */
  head(n: number): Promise<Buffer>;
  /**
   * Read another file by a path relative to this file's directory (`../pom.xml`, `go.sum`).
   * Resolves to undefined when it does not exist or cannot be read; never outside the scan root.
   */
  sibling(relativePath: string): Promise<string | undefined>;
}

export interface CatalogResult {
  packages: Package[];
  /** Problems that did not stop the parse (a line skipped, an entry without a version). */
  issues?: InputIssue[];
}

export interface Cataloger {
  /** Stable name, e.g. `javascript/package-lock`; used by `--catalogers` and in debug logs. */
  readonly name: string;
  readonly ecosystem: Ecosystem;
  /** Cheap test on the relative path alone (no I/O). */
  wants(path: string): boolean;
  /** Parse one file. Throw ParseError (with a line if known) when the file cannot be understood. */
  catalog(input: CatalogInput): Promise<CatalogResult>;
}

/** Last path segment of a `/`-separated path. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}
