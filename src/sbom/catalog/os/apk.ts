/**
 * Alpine (and Wolfi, Chainguard) packages installed by apk: `lib/apk/db/installed`
 * (`usr/lib/apk/db/installed` on newer layouts). One record per package, records separated by
 * blank lines, each line a one-letter field: `P` name, `V` version, `A` architecture, `o` origin
 * (the source package advisories are written for), `L` license, `D` dependencies, `p` what the
 * package provides (`so:libc.musl-x86_64.so.1=1`, `cmd:sh=…`, `/bin/sh`).
 */
import { ParseError } from '../../../core/errors.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import type { Cataloger, CatalogInput, CatalogResult } from '../cataloger.ts';
import { osContext, type OsContext } from './os-context.ts';

const INSTALLED = /(?:^|\/)((?:usr\/)?lib\/apk\/db\/installed)$/;

export const apkCataloger: Cataloger = {
  name: 'os/apk',
  ecosystem: 'Alpine',
  wants: (path) => INSTALLED.test(path),
  catalog: catalogApk,
};

interface ApkRecord {
  /** Line of the `P:` field, else of the record's first line. */
  line: number;
  fields: Map<string, string[]>;
}

/** Records of `X:value` lines; any other non-blank line means the file is not an apk database. */
function parseRecords(text: string): ApkRecord[] {
  const records: ApkRecord[] = [];
  let current: ApkRecord | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') {
      current = undefined;
      continue;
    }
    if (raw.length < 2 || raw[1] !== ':' || !/[A-Za-z]/.test(raw[0]!)) {
      throw new ParseError(`expected "X:value", found ${JSON.stringify(raw.slice(0, 40))}`, i + 1);
    }
    if (!current) {
      current = { line: i + 1, fields: new Map() };
      records.push(current);
    }
    const key = raw[0]!;
    if (key === 'P') current.line = i + 1;
    current.fields.set(key, [...(current.fields.get(key) ?? []), raw.slice(2)]);
  }
  return records;
}

interface Entry {
  pkg: Package;
  depends: string[];
  provides: string[];
}

async function catalogApk(input: CatalogInput): Promise<CatalogResult> {
  const text = await input.text();
  if (text.includes('\0')) throw new ParseError('not an apk installed database: binary content');
  const records = parseRecords(text);
  const ctx = await osContext(input, 'apk', INSTALLED.exec(input.path)![1]!);
  const issues: InputIssue[] = [...ctx.issues];
  const entries: Entry[] = [];
  for (const record of records) {
    const name = first(record, 'P');
    if (!name) {
      issues.push({ path: input.path, line: record.line, message: 'skipped a record without a package name (P:)' });
      continue;
    }
    entries.push(toEntry(input, ctx, name, record));
  }
  resolveDependencies(entries);
  return { packages: entries.map((e) => e.pkg), issues };
}

function first(record: ApkRecord, key: string): string | undefined {
  return record.fields.get(key)?.[0]?.trim() || undefined;
}

function toEntry(input: CatalogInput, ctx: OsContext, name: string, record: ApkRecord): Entry {
  const version = first(record, 'V');
  const arch = first(record, 'A');
  const license = first(record, 'L');
  const pkg: Package = {
    name,
    ...(version && { version }),
    ecosystem: ctx.ecosystem,
    purl: ctx.purl(name, version, arch ? { arch } : {}),
    locations: [{ path: input.path, line: record.line }],
    scope: 'required',
    ...(license && { licenses: [license] }),
    // Subpackages share their origin's version (one APKBUILD builds them all).
    source: { name: first(record, 'o') ?? name, ...(version && { version }) },
    ...(ctx.distro && { distro: ctx.distro }),
  };
  const tokens = (key: string) => (record.fields.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
  return { pkg, depends: tokens('D'), provides: tokens('p').map(dropConstraint) };
}

/** `so:libc.musl-x86_64.so.1=1` → `so:libc.musl-x86_64.so.1`; `musl>=1.2` → `musl`. */
function dropConstraint(token: string): string {
  return token.replace(/[<>=~].*$/, '');
}

/**
 * `D:` names packages or things they provide; `!name` is a conflict, not a dependency. Each
 * resolves to the installed package of that name, else to the one providing it.
 */
function resolveDependencies(entries: Entry[]): void {
  const byName = new Map<string, Entry>();
  const providers = new Map<string, Entry>();
  for (const e of entries) {
    byName.set(e.pkg.name, e);
    for (const p of e.provides) if (!providers.has(p)) providers.set(p, e);
  }
  for (const e of entries) {
    const deps = new Set<string>();
    for (const token of e.depends) {
      if (token.startsWith('!')) continue;
      const wanted = dropConstraint(token);
      const target = byName.get(wanted) ?? providers.get(wanted);
      if (target && target !== e) deps.add(target.pkg.purl);
    }
    if (deps.size > 0) e.pkg.dependsOn = [...deps].sort();
  }
}
