/**
 * Go executables: the build information the Go linker embeds (what `go version -m` prints): the
 * Go release, the main module and every module compiled in, with `replace` directives applied.
 *
 * Layout (Go ≥ 1.18, https://pkg.go.dev/debug/buildinfo): a 32-byte header at the start of the
 * `.go.buildinfo` data — the 14-byte magic `\xff Go buildinf:`, the pointer size, a flags byte,
 * padding — then, when flag 0x2 ("inline strings") is set, the Go version and the module info as
 * two uvarint-length-prefixed strings. The module info is wrapped in two 16-byte sentinels and
 * holds tab-separated lines: `path`, `mod` (main module), `dep`, `=>` (replacement of the line
 * before) and `build`. Older binaries store two pointers instead, which would need the
 * executable's segment map to follow: they are reported as unsupported.
 *
 * Binaries have no fixed file name, so `wants` accepts any file without a text-like extension and
 * `catalog` returns nothing for files that are not ELF, PE or Mach-O executables.
 */
import type { Package } from '../../../core/types.ts';
import type { Cataloger } from '../cataloger.ts';
import { goReleaseVersion, isModulePath, isModuleVersion, modulePackage, stdlibPackage } from './modules.ts';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const FLAG_INLINE_STRINGS = 0x2;
const KNOWN_FLAGS = 0x3;
const SENTINEL_SIZE = 16;

/** Directories whose extensionless files are scripts and data, not shipped executables. */
const SKIPPED_DIRS = new Set(['node_modules', 'bower_components', '__pycache__', '.git', '.hg', '.svn']);
const EXECUTABLE_EXTENSIONS = new Set(['exe', 'bin']);

export const goBinaryCataloger: Cataloger = {
  name: 'go/binary',
  ecosystem: 'Go',
  wants: mayBeExecutable,
  async catalog(input) {
    // Most candidates are extensionless text files: look at the magic number before reading it all.
    if (!isExecutable(await input.head(4))) return { packages: [] };
    const data = await input.bytes();
    const found = findBuildInfo(data);
    if (found.kind === 'none') return { packages: [] };
    if (found.kind !== 'inline') {
      const message =
        found.kind === 'pointers'
          ? 'Go build info in the pre-1.18 pointer format is not supported; modules of this binary are not listed'
          : 'Go build info marker found but its content could not be decoded';
      return { packages: [], issues: [{ path: input.path, message }] };
    }
    const packages = modulePackages(found.modinfo, input.path);
    const stdlib = goReleaseVersion(found.goVersion);
    if (stdlib) return { packages: [...packages, stdlibPackage(stdlib, { path: input.path })] };
    const message = `unrecognised Go version \`${found.goVersion}\`; stdlib not listed`;
    return { packages, issues: [{ path: input.path, message }] };
  },
};

/**
 * Path-only guess: files without an extension (or `.exe`/`.bin`) outside dependency and VCS
 * directories. A dotted version in the name (`kubectl-1.28.2`, `tool_0.4.1_linux_amd64`) is not
 * an extension; shared libraries (`.so.N`) are left out.
 */
function mayBeExecutable(path: string): boolean {
  const segments = path.split('/');
  if (segments.slice(0, -1).some((s) => SKIPPED_DIRS.has(s))) return false;
  const name = segments[segments.length - 1]!;
  if (name === '' || name.startsWith('.') || name.includes('.so.')) return false;
  const ext = /\.([A-Za-z][A-Za-z0-9]*)$/.exec(name)?.[1];
  return ext === undefined || EXECUTABLE_EXTENSIONS.has(ext.toLowerCase());
}

/** ELF, PE (`MZ`) or Mach-O (32/64-bit either byte order, and universal binaries). */
function isExecutable(data: Buffer): boolean {
  if (data.length < 4) return false;
  const head = data.readUInt32BE(0);
  return (
    head === 0x7f454c46 ||
    (data[0] === 0x4d && data[1] === 0x5a) ||
    head === 0xfeedface ||
    head === 0xfeedfacf ||
    head === 0xcefaedfe ||
    head === 0xcffaedfe ||
    head === 0xcafebabe
  );
}

type BuildInfo =
  | { kind: 'inline'; goVersion: string; modinfo: string }
  | { kind: 'pointers' }
  | { kind: 'garbled' }
  | { kind: 'none' };

/**
 * Try every occurrence of the magic: a binary that reads build info itself (a scanner, the go
 * command) also carries the magic as a string constant, which fails the header checks.
 */
function findBuildInfo(data: Buffer): BuildInfo {
  let fallback: BuildInfo = { kind: 'none' };
  for (let at = data.indexOf(MAGIC); at !== -1; at = data.indexOf(MAGIC, at + 1)) {
    if (at + HEADER_SIZE > data.length) continue;
    const pointerSize = data[at + MAGIC.length]!;
    const flags = data[at + MAGIC.length + 1]!;
    if ((pointerSize !== 4 && pointerSize !== 8) || (flags & ~KNOWN_FLAGS) !== 0) continue;
    if ((flags & FLAG_INLINE_STRINGS) === 0) {
      fallback = { kind: 'pointers' };
      continue;
    }
    const version = readString(data, at + HEADER_SIZE);
    const modinfo = version && readString(data, version.end);
    const goVersion = version && data.toString('utf8', version.start, version.end);
    if (!modinfo || !goVersion || !/^(go\d|devel)/.test(goVersion)) {
      if (fallback.kind === 'none') fallback = { kind: 'garbled' };
      continue;
    }
    return { kind: 'inline', goVersion, modinfo: unwrapModinfo(data, modinfo.start, modinfo.end) };
  }
  return fallback;
}

/** A uvarint length followed by that many bytes; undefined when it runs past the end. */
function readString(data: Buffer, offset: number): { start: number; end: number } | undefined {
  let length = 0;
  let shift = 1;
  for (let i = offset; i < data.length && i < offset + 10; i++) {
    const byte = data[i]!;
    length += (byte & 0x7f) * shift;
    if (byte < 0x80) {
      const end = i + 1 + length;
      return end <= data.length ? { start: i + 1, end } : undefined;
    }
    shift *= 128;
  }
  return undefined;
}

/** Strip the 16-byte sentinels around the module info (present when it ends with a line). */
function unwrapModinfo(data: Buffer, start: number, end: number): string {
  if (end - start >= 2 * SENTINEL_SIZE + 1 && data[end - SENTINEL_SIZE - 1] === 0x0a) {
    return data.toString('utf8', start + SENTINEL_SIZE, end - SENTINEL_SIZE);
  }
  return data.toString('utf8', start, end);
}

interface Module {
  path: string;
  version: string;
  replace?: Module;
}

function modulePackages(modinfo: string, path: string): Package[] {
  let main: Module | undefined;
  const deps: Module[] = [];
  let last: Module | undefined;
  for (const line of modinfo.split('\n')) {
    const [kind, modPath = '', version = ''] = line.split('\t');
    if (kind === 'mod') last = main = { path: modPath, version };
    else if (kind === 'dep') deps.push((last = { path: modPath, version }));
    else if (kind === '=>' && last) last.replace = { path: modPath, version };
  }
  const packages = new Map<string, Package>();
  // A main module built from a checkout without a version tag says `(devel)`: nothing to match.
  for (const mod of main ? [main, ...deps] : deps) {
    const used = mod.replace ?? mod;
    if (!isRegistryModule(used)) continue;
    // Two modules replaced by the same fork are one package.
    const pkg = modulePackage(used.path, used.version, { path });
    if (!packages.has(pkg.purl)) packages.set(pkg.purl, pkg);
  }
  return [...packages.values()];
}

/** Local-directory replacements and unversioned builds (version `(devel)` or none) have no registry identity. */
function isRegistryModule(mod: Module): boolean {
  return isModulePath(mod.path) && isModuleVersion(mod.version);
}
