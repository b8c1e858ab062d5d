/**
 * Java archives: JAR, WAR, EAR, PAR and Jenkins plugins (JPI/HPI), all ZIP files
 * (https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT,
 * https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html).
 *
 * What an archive is:
 * 1. every `META-INF/maven/<group>/<artifact>/pom.properties` (Maven writes one per module it
 *    packs, so a shaded jar lists each module it swallowed);
 * 2. else its manifest's main section: Jenkins plugins name themselves (`Group-Id`, `Short-Name`,
 *    `Plugin-Version`); other jars by the file name when it reads `artifact-1.2.3.jar` (the
 *    repository layout), else `Implementation-Title`, `Bundle-SymbolicName` or
 *    `Specification-Title`, versioned by `Implementation-Version`, `Bundle-Version` or
 *    `Specification-Version`; the group comes from `Implementation-Vendor-Id` when given;
 * 3. else the file name alone.
 * An archive inside an archive (`WEB-INF/lib/x.jar`, `BOOT-INF/lib/x.jar`, `lib/x.jar`, a WAR in
 * an EAR) is read the same way and located as `outer.war!WEB-INF/lib/x.jar`.
 *
 * Archives are read with the project's ZIP reader (src/core/zip.ts; zip64, a launcher script
 * prepended to the archive, sizes and CRCs checked), inflating only the entries above. Depth,
 * entry counts and inflated bytes are capped per scanned file, so a zip bomb, overlapping
 * entries or deep nesting cost bounded time and memory.
 */
import { PackageURL } from 'packageurl-js';
import { ParseError } from '../../../core/errors.ts';
import { openZip, ZipError, type ZipEntry } from '../../../core/zip.ts';
import { makePurl } from '../../../core/purl.ts';
import type { InputIssue, Package } from '../../../core/types.ts';
import { baseName, type CatalogInput, type CatalogResult, type Cataloger } from '../cataloger.ts';

const ARCHIVE_EXTENSION = /\.(jar|war|ear|par|jpi|hpi)$/i;
const POM_PROPERTIES = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.properties$/;
const MANIFEST = 'META-INF/MANIFEST.MF';

/** Archives inside archives, below the scanned file (an EAR's WAR's jars are depth 2). */
const MAX_DEPTH = 4;
/** Archives read per scanned file, nested ones included. */
const MAX_ARCHIVES = 10_000;
/** Central directory entries read per scanned file. */
const MAX_ENTRIES = 4_000_000;
/** One manifest or pom.properties, inflated. */
const MAX_METADATA_BYTES = 1 << 20;
/** One nested archive, inflated. */
const MAX_NESTED_BYTES = 512 << 20;
/** Everything inflated for one scanned file. */
const MAX_INFLATED_BYTES = 1024 << 20;

/** What one scanned file may still spend. */
interface Budget {
  archives: number;
  entries: number;
  inflated: number;
}

interface Identity {
  groupId?: string;
  artifactId: string;
  version?: string;
}

export const archiveCataloger: Cataloger = {
  name: 'java/archive',
  ecosystem: 'Maven',
  wants: (path) => ARCHIVE_EXTENSION.test(path),
  catalog: catalogArchiveFile,
};

async function catalogArchiveFile(input: CatalogInput): Promise<CatalogResult> {
  const budget: Budget = { archives: MAX_ARCHIVES, entries: MAX_ENTRIES, inflated: MAX_INFLATED_BYTES };
  const packages: Package[] = [];
  const issues: InputIssue[] = [];
  readArchive(await input.bytes(), { path: input.path, fileName: baseName(input.path), depth: 0 }, budget, packages, issues);
  return { packages, ...(issues.length > 0 && { issues }) };
}

/** Where an archive is: its location path, its own file name, and how deep it is nested. */
interface Place {
  path: string;
  fileName: string;
  depth: number;
}

/** Identify one archive and recurse into the archives it holds. Throws ParseError when it is no ZIP. */
function readArchive(zip: Buffer, place: Place, budget: Budget, packages: Package[], issues: InputIssue[]): void {
  const { path, depth } = place;
  if (--budget.archives < 0) {
    if (budget.archives === -1) issues.push({ path, message: `more than ${MAX_ARCHIVES} nested archives; the rest were not read` });
    return;
  }
  const { entries, truncated } = readCentralDirectory(
    zip,
    (name) => POM_PROPERTIES.test(name) || name === MANIFEST || isNestedArchive(name),
    budget,
  );
  // Reported once, by the archive that ran the budget out; later ones are cut silently.
  if (truncated && budget.entries === -1) {
    issues.push({ path, message: `more than ${MAX_ENTRIES} ZIP entries; the rest were not read` });
  }

  const readText = (entry: ZipEntry): string => {
    try {
      return readEntry(entry, MAX_METADATA_BYTES, budget).toString('utf8');
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      issues.push({ path, message: err.message });
      return '';
    }
  };
  for (const identity of identify(entries, place.fileName, readText)) packages.push(toPackage(identity, path));

  for (const entry of entries.filter((e) => isNestedArchive(e.name))) {
    const nestedPath = `${path}!${entry.name}`;
    if (depth + 1 > MAX_DEPTH) {
      issues.push({ path: nestedPath, message: `archives nested deeper than ${MAX_DEPTH} levels are not read` });
      continue;
    }
    try {
      const nested = readEntry(entry, MAX_NESTED_BYTES, budget);
      readArchive(nested, { path: nestedPath, fileName: baseName(entry.name), depth: depth + 1 }, budget, packages, issues);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      issues.push({ path: nestedPath, message: `not read: ${err.message}` });
    }
  }
}

function isNestedArchive(name: string): boolean {
  return ARCHIVE_EXTENSION.test(name) && !name.endsWith('/');
}

function identify(entries: ZipEntry[], fileName: string, readText: (entry: ZipEntry) => string): Identity[] {
  const fromPoms = entries.flatMap((entry) => {
    const match = POM_PROPERTIES.exec(entry.name);
    if (!match) return [];
    const properties = parseProperties(readText(entry));
    return [
      {
        groupId: properties.get('groupId') || match[1]!,
        artifactId: properties.get('artifactId') || match[2]!,
        ...(properties.get('version') && { version: properties.get('version') }),
      },
    ];
  });
  if (fromPoms.length > 0) return fromPoms;
  const manifestEntry = entries.find((e) => e.name === MANIFEST);
  const manifest = manifestEntry ? parseManifest(readText(manifestEntry)) : new Map<string, string>();
  return [identityFromManifest(manifest, fileName)];
}

function identityFromManifest(manifest: Map<string, string>, fileName: string): Identity {
  const groupId = manifest.get('Group-Id') ?? manifest.get('Implementation-Vendor-Id');
  const identity = (artifactId: string, version: string | undefined): Identity => ({
    artifactId,
    ...(groupId && { groupId }),
    ...(version && { version }),
  });
  const shortName = manifest.get('Short-Name');
  if (shortName) return identity(shortName, manifest.get('Plugin-Version'));

  const fromFile = splitFileName(fileName);
  const title = ['Implementation-Title', 'Bundle-SymbolicName', 'Specification-Title']
    .map((key) => manifest.get(key)?.split(';')[0]?.trim())
    .find((value) => value !== undefined && /^[\w.-]+$/.test(value));
  const version =
    manifest.get('Implementation-Version') ??
    manifest.get('Bundle-Version') ??
    manifest.get('Specification-Version') ??
    fromFile.version;
  return identity(fromFile.version !== undefined ? fromFile.artifactId : (title ?? fromFile.artifactId), version);
}

/**
 * `artifact-1.2.3.jar` → artifact, 1.2.3. The version starts at the last hyphen followed by
 * digits and a dot (`log4j-1.2-api-2.17.1`, `aapt2-8.3.0-10880808-linux`), else at the last
 * hyphen followed by a digit (`javax.inject-1`).
 */
function splitFileName(fileName: string): { artifactId: string; version?: string } {
  const stem = fileName.replace(ARCHIVE_EXTENSION, '');
  const at = [...stem.matchAll(/-(?=\d+\.)/g)].at(-1) ?? [...stem.matchAll(/-(?=\d)/g)].at(-1);
  if (at === undefined || at.index === 0) return { artifactId: stem };
  return { artifactId: stem.slice(0, at.index), version: stem.slice(at.index + 1) };
}

function toPackage(identity: Identity, path: string): Package {
  const { groupId, artifactId, version } = identity;
  const name = groupId ? `${groupId}:${artifactId}` : artifactId;
  return {
    name,
    ...(version !== undefined && { version }),
    ecosystem: 'Maven',
    // Without a group there is no Maven coordinate: keep what is known under a generic purl.
    purl: groupId
      ? makePurl('Maven', name, version)
      : new PackageURL('generic', undefined, artifactId, version, undefined, undefined).toString(),
    locations: [{ path }],
    scope: 'required',
  };
}

/** Java properties, the subset Maven writes: `key=value` / `key: value`, `#` and `!` comments. */
function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.search(/[=:]/);
    if (at > 0) properties.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return properties;
}

/** The manifest's main section (up to the first blank line); a line starting with a space continues the previous one. */
function parseManifest(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') break;
    if (line.startsWith(' ') && last !== undefined) {
      attributes.set(last, attributes.get(last)! + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    attributes.set(last, line.slice(colon + 1).replace(/^ /, ''));
  }
  for (const [key, value] of attributes) attributes.set(key, value.trim());
  return attributes;
}

// ZIP structures (APPNOTE 4.3): signatures and fixed header sizes.

/** Central directory entries whose names `keep` accepts, each counted against the entry budget. */
function readCentralDirectory(
  zip: Buffer,
  keep: (name: string) => boolean,
  budget: Budget,
): { entries: ZipEntry[]; truncated: boolean } {
  const entries: ZipEntry[] = [];
  try {
    const archive = openZip(zip, { allowPrepended: true, maxEntries: Number.MAX_SAFE_INTEGER, maxEntrySize: MAX_NESTED_BYTES });
    for (const entry of archive.entries()) {
      if (--budget.entries < 0) return { entries, truncated: true };
      if (keep(entry.name)) entries.push(entry);
    }
  } catch (err) {
    throw asParseError(err);
  }
  return { entries, truncated: false };
}

/** An entry's content, inflated within `limit` and what the scanned file may still inflate. */
function readEntry(entry: ZipEntry, limit: number, budget: Budget): Buffer {
  const allowed = Math.min(limit, budget.inflated);
  if (entry.size > allowed) throw new ParseError(`ZIP entry ${entry.name} is larger than ${allowed} bytes`);
  try {
    const data = entry.read(allowed);
    budget.inflated -= data.length;
    return data;
  } catch (err) {
    throw asParseError(err);
  }
}

/** The ZIP reader's errors are a bad file to this cataloger: an issue, never a crash. */
function asParseError(err: unknown): unknown {
  return err instanceof ZipError ? new ParseError(`corrupt ZIP archive: ${err.message}`) : err;
}
