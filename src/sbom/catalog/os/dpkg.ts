/**
 * Debian packages installed by dpkg: `var/lib/dpkg/status`, and the one-file-per-package
 * `var/lib/dpkg/status.d/<name>` of distroless images. Both are RFC 822 style stanzas ("deb822"):
 * `Field: value` lines, continuation lines starting with a space or tab, stanzas separated by
 * blank lines.
 *
 * Advisories for Debian and Ubuntu are written per source package, so every package carries its
 * source (`Source: name` or `Source: name (version)`; without the field the source is the binary
 * package itself). Licenses come from machine-readable `usr/share/doc/<package>/copyright` files
 * where the system has them.
 */
import { ParseError } from '../../../core/errors.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import type { Cataloger, CatalogInput, CatalogResult } from '../cataloger.ts';
import { osContext, type OsContext } from './os-context.ts';

/** The status file, or one file of status.d (not the `.md5sums` lists stored beside them). */
const STATUS = /(?:^|\/)(var\/lib\/dpkg\/(?:status|status\.d\/[^/]+))$/;

export const dpkgCataloger: Cataloger = {
  name: 'os/dpkg',
  ecosystem: 'Debian',
  wants: (path) => STATUS.test(path) && !path.endsWith('.md5sums'),
  catalog: catalogDpkg,
};

export interface Stanza {
  /** Line of the stanza's first field. */
  line: number;
  /** Field names lowercased (deb822 field names are case-insensitive); continuation lines joined with `\n`. */
  fields: Map<string, string>;
}

/**
 * Splits deb822 text into stanzas. A line that is neither a field, a continuation nor blank
 * means the file is not deb822 at all.
 */
export function parseStanzas(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Stanza | undefined;
  let lastField: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') {
      current = undefined;
      continue;
    }
    if (raw.startsWith(' ') || raw.startsWith('\t')) {
      if (!current || !lastField) throw new ParseError('continuation line outside a field', i + 1);
      current.fields.set(lastField, `${current.fields.get(lastField)}\n${raw.trim()}`);
      continue;
    }
    const m = /^([^\s:]+):[ \t]*(.*)$/.exec(raw);
    if (!m) throw new ParseError(`expected "Field: value", found ${JSON.stringify(raw.slice(0, 40))}`, i + 1);
    if (!current) {
      current = { line: i + 1, fields: new Map() };
      stanzas.push(current);
    }
    lastField = m[1]!.toLowerCase();
    current.fields.set(lastField, m[2]!.trimEnd());
  }
  return stanzas;
}

interface Entry {
  pkg: Package;
  arch?: string;
  /** Depends and Pre-Depends: each group lists its alternatives in order. */
  depends: string[][];
  provides: string[];
}

async function catalogDpkg(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  if (text.includes('\0')) throw new ParseError('not a dpkg status file: binary content');
  const stanzas = parseStanzas(text);
  const ctx = await osContext(input, 'dpkg', STATUS.exec(input.path)![1]!);
  const issues: InputIssue[] = [...ctx.issues];
  const entries: Entry[] = [];
  for (const stanza of stanzas) {
    const name = stanza.fields.get('package');
    if (!name) {
      issues.push({ path: input.path, line: stanza.line, message: 'skipped a stanza without a Package field' });
      continue;
    }
    // status.d files have no Status: everything in them is installed.
    const status = stanza.fields.get('status');
    if (status !== undefined && !isInstalled(status)) continue;
    entries.push(toEntry(input, ctx, name, stanza));
  }
  resolveDependencies(entries);
  await addLicenses(ctx, entries);
  return { packages: entries.map((e) => e.pkg), issues };
}

/**
 * `Status: <want> <flag> <state>`. Installed packages, including held ones (`hold ok installed`)
 * and configured packages waiting for triggers; removed packages keep `config-files` stanzas.
 */
function isInstalled(status: string): boolean {
  const [, flag, state] = status.split(/\s+/);
  return flag === 'ok' && (state === 'installed' || state === 'triggers-pending' || state === 'triggers-awaited');
}

function toEntry(input: CatalogInput, ctx: OsContext, name: string, stanza: Stanza): Entry {
  const f = stanza.fields;
  const version = f.get('version') || undefined;
  const arch = f.get('architecture') || undefined;
  const pkg: Package = {
    name,
    ...(version && { version }),
    ecosystem: ctx.ecosystem,
    purl: ctx.purl(name, version, arch ? { arch } : {}),
    locations: [{ path: input.path, line: stanza.line }],
    scope: 'required',
    source: sourceOf(f.get('source'), name, version),
    ...(ctx.distro && { distro: ctx.distro }),
  };
  return {
    pkg,
    ...(arch && { arch }),
    depends: [...relations(f.get('pre-depends')), ...relations(f.get('depends'))],
    provides: relations(f.get('provides')).flat(),
  };
}

/** `Source: util-linux (2.38.1-5)`: a binNMU or a differently versioned binary names its source's version. */
function sourceOf(field: string | undefined, name: string, version: string | undefined): { name: string; version?: string } {
  const m = field ? /^(\S+)(?:\s*\(([^)]+)\))?/.exec(field.trim()) : null;
  const sourceVersion = m?.[2]?.trim() || version;
  return { name: m?.[1] ?? name, ...(sourceVersion && { version: sourceVersion }) };
}

/**
 * A relationship field (`libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, perl:any`) as groups
 * of package names: version constraints, architecture qualifiers and `[arch]`/`<profile>`
 * restrictions dropped.
 */
function relations(field: string | undefined): string[][] {
  if (!field) return [];
  return field
    .split(',')
    .map((group) =>
      group
        .split('|')
        .map((alt) => alt.replace(/\([^)]*\)|\[[^\]]*\]|<[^>]*>/g, '').trim().split(':')[0]!.trim())
        .filter((alt) => alt !== ''),
    )
    .filter((group) => group.length > 0);
}

/**
 * Each dependency group resolves to its first alternative that is installed, by package name or
 * else through a package that Provides it; an installed package of the same architecture is
 * preferred when several share a name (multi-arch).
 */
function resolveDependencies(entries: Entry[]): void {
  const byName = new Map<string, Entry[]>();
  const providers = new Map<string, Entry[]>();
  for (const e of entries) {
    byName.set(e.pkg.name, [...(byName.get(e.pkg.name) ?? []), e]);
    for (const p of e.provides) providers.set(p, [...(providers.get(p) ?? []), e]);
  }
  for (const e of entries) {
    const deps = new Set<string>();
    for (const group of e.depends) {
      for (const alt of group) {
        const candidates = byName.get(alt) ?? providers.get(alt);
        if (!candidates) continue;
        const target = candidates.find((c) => c.arch === e.arch) ?? candidates.find((c) => c.arch === 'all') ?? candidates[0]!;
        if (target !== e) deps.add(target.pkg.purl);
        break;
      }
    }
    if (deps.size > 0) e.pkg.dependsOn = [...deps].sort();
  }
}

/**
 * Licenses from machine-readable copyright files (DEP-5: a `Format:` header, then `License:`
 * fields). Free-text copyright files are not classified.
 */
async function addLicenses(ctx: OsContext, entries: Entry[]): Promise<void> {
  // A few reads at a time: a desktop system has thousands of packages, more than the open files allowed.
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const pkg = entries[next++]!.pkg;
      // Only names dpkg allows, so a crafted name cannot point the read elsewhere.
      if (!/^[a-z0-9][a-z0-9+.-]*$/.test(pkg.name)) continue;
      const text = await ctx.readFromRoot(`usr/share/doc/${pkg.name}/copyright`);
      if (!text || !/^Format:/.test(text.trimStart())) continue;
      const licenses = new Set<string>();
      for (const m of text.matchAll(/^License:[ \t]*(\S[^\r\n]*)/gm)) licenses.add(m[1]!.trim());
      if (licenses.size > 0) pkg.licenses = [...licenses];
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
