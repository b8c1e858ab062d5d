/**
 * The vulnerability database: OSV records in one SQLite file (built-in `node:sqlite`).
 *
 * Tables
 * - `meta(key, value)`: schema_version, created, last_update (ISO 8601).
 * - `feeds(ecosystem, source, etag, last_modified, checked)`: per-ecosystem download state
 *   for conditional requests (`db update`).
 * - `advisories(n, id, modified, published, withdrawn, record)`: one row per OSV id. `id` is
 *   UNIQUE; `n` is the row number the index tables refer to (following an integer key measured
 *   ~15% faster than a text key on lookups that return many records). `record` is the
 *   validated record (see readOsvRecord) as JSON: TEXT when small, a deflate-raw BLOB from
 *   COMPRESS_FROM bytes on (the column's storage class says which). A withdrawn advisory is
 *   kept only as a tombstone (`withdrawn` set, empty `record`, no index rows), so that an
 *   older copy imported later cannot bring it back.
 * - `affected(ecosystem, name, advisory, ecosystem_full, original_name)`: the lookup index,
 *   a WITHOUT ROWID table keyed by (base ecosystem, normalised name, …), so a lookup is one
 *   range scan of the primary key.
 * - `aliases(alias, advisory, upstream)`: `aliases` and (upstream = 1) `upstream` ids.
 *
 * The file is stamped with PRAGMA application_id and user_version (schema version), so a
 * foreign SQLite file or a newer schema is recognised before anything reads or writes it.
 * Writers never modify the real file: they work on a temporary copy that replaces it by
 * rename only when everything succeeded (rewriteAtomically).
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import type { OsvRecord } from '../osv/record.ts';
import { ecosystemBase, normalizePackageName } from './names.ts';

export const SCHEMA_VERSION = 1;
/** "PALV" — marks the file as a Palisade vulnerability database. */
const APPLICATION_ID = 0x50414c56;
const SQLITE_MAGIC = 'SQLite format 3\0';
/**
 * Records of this size and up are stored deflated. Most OSV records are 1–2 KB, where each
 * inflate call (~20 µs fixed cost) would double the time to read a record; the big ones (long
 * `versions` lists, distro records) shrink 3–5×. On the OSV corpus: all plain 12.6 MB, this
 * threshold 10.1 MB, all deflated 6.4 MB but lookups returning records ~2× slower.
 */
const COMPRESS_FROM = 2048;
/** Largest memory map for reading (SQLite maps at most the file's size). */
const MMAP_BYTES = 1024 * 1024 * 1024;
/** Records per write transaction. */
const BATCH_SIZE = 2000;
/**
 * Parsed records kept per open database, so that lookups sharing advisories (binary packages
 * of one source package, one package in several SBOM locations) parse each record once.
 * Bounded: ~10,000 records are tens of MB.
 */
const RECORD_CACHE_SIZE = 10_000;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE feeds (
  ecosystem TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  checked TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE advisories (
  n INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  modified TEXT NOT NULL,
  published TEXT,
  withdrawn TEXT,
  record NOT NULL
);
CREATE TABLE affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  advisory INTEGER NOT NULL,
  ecosystem_full TEXT NOT NULL,
  original_name TEXT NOT NULL,
  PRIMARY KEY (ecosystem, name, advisory, ecosystem_full, original_name)
) WITHOUT ROWID;
CREATE INDEX affected_by_advisory ON affected (advisory);
CREATE TABLE aliases (
  alias TEXT NOT NULL,
  advisory INTEGER NOT NULL,
  upstream INTEGER NOT NULL,
  PRIMARY KEY (alias, advisory)
) WITHOUT ROWID;
CREATE INDEX aliases_by_advisory ON aliases (advisory);
`;

export interface FeedState {
  /** OSV ecosystem the feed covers (`npm`, `Debian`). */
  ecosystem: string;
  /** URL it was fetched from. */
  source: string;
  etag?: string;
  lastModified?: string;
  /** When it was last checked successfully (ISO 8601), whether or not it had changed. */
  checked: string;
}

export interface VulnDbStatus {
  path: string;
  schemaVersion: number;
  sizeBytes: number;
  created?: string;
  lastUpdate?: string;
  /** Milliseconds since lastUpdate. */
  ageMs?: number;
  /** Advisories that can be matched. */
  advisories: number;
  /** Withdrawn advisories remembered so that older copies stay out. */
  withdrawn: number;
  /** Advisories per base ecosystem (an advisory affecting two ecosystems counts in both). */
  byEcosystem: Record<string, number>;
  feeds: FeedState[];
}

export interface VulnDb {
  readonly path: string;
  /**
   * Advisories with an affected package of this name in this ecosystem. `ecosystem` may be a
   * base (`Debian`) or suffixed (`Debian:12`) name: either way every release of the base
   * ecosystem is returned and the matcher filters the release. Sorted by id. The returned
   * records are shared with later calls: treat them as read-only.
   */
  advisoriesFor(ecosystem: string, name: string): OsvRecord[];
  /** One advisory by its OSV id. */
  advisory(id: string): OsvRecord | undefined;
  /** Ids of the advisories that list `alias` (e.g. a CVE) in `aliases` or `upstream`. */
  idsForAlias(alias: string): string[];
  status(): VulnDbStatus;
  close(): void;
}

/**
 * Opens an existing database. Fails with PalisadeError DB_MISSING when there is no file, and
 * DB_CORRUPT (leaving the file untouched) when it is not a SQLite file, another program's
 * SQLite file, damaged, or written by a newer Palisade.
 */
export function openVulnDb(path: string, options: { readonly?: boolean } = {}): VulnDb {
  if (!existsSync(path)) {
    throw new PalisadeError(
      'DB_MISSING',
      `no vulnerability database at ${path}. Get one with \`palisade db update\` (downloads OSV data) or ` +
        '`palisade db import <dir|zip>` (OSV JSON files or all.zip archives, works offline), ' +
        'or point --db / PALISADE_DB at an existing database.',
    );
  }
  const db = openChecked(path, options.readonly ?? true);
  // Reading through a memory map saves a pread() per page (~15% on lookups). Mapping is only
  // unsafe when the file is truncated in place, and writers here replace it by rename instead.
  db.exec(`PRAGMA mmap_size = ${MMAP_BYTES}`);
  return new Reader(path, db);
}

function corrupt(path: string, reason: string, cause?: unknown): PalisadeError {
  return new PalisadeError(
    'DB_CORRUPT',
    `${path} is not a usable Palisade vulnerability database: ${reason}. The file was left untouched; ` +
      'move or delete it and run `palisade db update` (download) or `palisade db import <dir|zip>` (offline), ' +
      'or use another path with --db.',
    cause === undefined ? undefined : { cause },
  );
}

/** SQLite's primary result codes for a damaged or foreign file. */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

function isCorruption(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  return typeof code === 'number' && ((code & 0xff) === SQLITE_CORRUPT || (code & 0xff) === SQLITE_NOTADB);
}

/** Runs `fn`, turning SQLite's "corrupt"/"not a database" errors into DB_CORRUPT. */
function guarded<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isCorruption(err)) throw corrupt(path, errorMessage(err), err);
    throw err;
  }
}

type SchemaCheck = { ok: true } | { ok: false; reason: string; replaceable: boolean };

/** Validates the header, application id and schema version of an open database. */
function checkSchema(db: DatabaseSync): SchemaCheck {
  const appId = Number((db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id);
  const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (appId !== APPLICATION_ID) {
    const tables = Number((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n);
    return { ok: false, reason: tables === 0 ? 'it is an empty SQLite database' : 'it is a SQLite database of another program', replaceable: false };
  }
  if (version > SCHEMA_VERSION) {
    return { ok: false, reason: `it has schema version ${version}, newer than this Palisade understands (${SCHEMA_VERSION}); upgrade Palisade`, replaceable: false };
  }
  if (version < SCHEMA_VERSION) return { ok: false, reason: `it has the old schema version ${version}`, replaceable: true };
  return { ok: true };
}

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}

function openChecked(path: string, readOnly: boolean): DatabaseSync {
  const st = statSync(path);
  if (!st.isFile()) throw corrupt(path, 'it is not a regular file');
  if (st.size === 0) throw corrupt(path, 'the file is empty');
  if (readHeader(path) !== SQLITE_MAGIC) throw corrupt(path, 'it is not a SQLite file');
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly, timeout: 5000 });
  } catch (err) {
    throw corrupt(path, errorMessage(err), err);
  }
  try {
    const check = guarded(path, () => checkSchema(db));
    if (!check.ok) throw corrupt(path, check.reason);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function decodeRecord(value: unknown): OsvRecord {
  const text = typeof value === 'string' ? value : inflateRawSync(value as Uint8Array).toString('utf8');
  return JSON.parse(text) as OsvRecord;
}

function encodeRecord(record: OsvRecord): string | Buffer {
  const text = JSON.stringify(record);
  return text.length >= COMPRESS_FROM ? deflateRawSync(text) : text;
}

class Reader implements VulnDb {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #cache = new Map<string, OsvRecord>();

  constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  #stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  advisoriesFor(ecosystem: string, name: string): OsvRecord[] {
    return guarded(this.path, () => {
      // One statement per lookup: per-row statement calls cost more than the rows themselves.
      const rows = this.#stmt(
        'SELECT id, record FROM advisories WHERE n IN (SELECT advisory FROM affected WHERE ecosystem = ? AND name = ?) AND withdrawn IS NULL',
      ).all(ecosystemBase(ecosystem), normalizePackageName(ecosystem, name)) as { id: string; record: unknown }[];
      // Sorted here rather than by SQL: ORDER BY id would add a sort step to every lookup.
      if (rows.length > 1) rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return rows.map((row) => this.#cache.get(row.id) ?? this.#remember(row.id, this.#decode(row.id, row.record)));
    });
  }

  advisory(id: string): OsvRecord | undefined {
    return guarded(this.path, () => this.#load(id));
  }

  #load(id: string): OsvRecord | undefined {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const row = this.#stmt('SELECT record FROM advisories WHERE id = ? AND withdrawn IS NULL').get(id) as { record: unknown } | undefined;
    return row ? this.#remember(id, this.#decode(id, row.record)) : undefined;
  }

  #decode(id: string, value: unknown): OsvRecord {
    try {
      return decodeRecord(value);
    } catch (err) {
      throw corrupt(this.path, `advisory ${id} cannot be decoded (${errorMessage(err)})`, err);
    }
  }

  #remember(id: string, record: OsvRecord): OsvRecord {
    // Clearing when full is crude but cheap; the cache only saves re-parsing within one scan.
    if (this.#cache.size >= RECORD_CACHE_SIZE) this.#cache.clear();
    this.#cache.set(id, record);
    return record;
  }

  idsForAlias(alias: string): string[] {
    return guarded(this.path, () =>
      (
        this.#stmt(
          'SELECT a.id FROM aliases s JOIN advisories a ON a.n = s.advisory WHERE s.alias = ? AND a.withdrawn IS NULL ORDER BY a.id',
        ).all(alias) as { id: string }[]
      ).map((r) => r.id),
    );
  }

  status(): VulnDbStatus {
    return guarded(this.path, () => {
      const meta = readMeta(this.#db);
      const byEcosystem: Record<string, number> = {};
      for (const row of this.#db
        .prepare('SELECT ecosystem, count(DISTINCT advisory) AS n FROM affected GROUP BY ecosystem ORDER BY ecosystem')
        .all() as { ecosystem: string; n: number }[]) {
        byEcosystem[row.ecosystem] = Number(row.n);
      }
      const lastUpdate = meta.get('last_update');
      const status: VulnDbStatus = {
        path: this.path,
        schemaVersion: Number(meta.get('schema_version') ?? SCHEMA_VERSION),
        sizeBytes: statSync(this.path).size,
        advisories: Number((this.#db.prepare('SELECT count(*) AS n FROM advisories WHERE withdrawn IS NULL').get() as { n: number }).n),
        withdrawn: Number((this.#db.prepare('SELECT count(*) AS n FROM advisories WHERE withdrawn IS NOT NULL').get() as { n: number }).n),
        byEcosystem,
        feeds: readFeeds(this.#db),
      };
      const created = meta.get('created');
      if (created) status.created = created;
      if (lastUpdate) {
        status.lastUpdate = lastUpdate;
        const t = Date.parse(lastUpdate);
        if (Number.isFinite(t)) status.ageMs = Math.max(0, Date.now() - t);
      }
      return status;
    });
  }

  close(): void {
    this.#statements.clear();
    this.#cache.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

function readMeta(db: DatabaseSync): Map<string, string> {
  return new Map((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
}

function readFeeds(db: DatabaseSync): FeedState[] {
  return (
    db.prepare('SELECT ecosystem, source, etag, last_modified, checked FROM feeds ORDER BY ecosystem').all() as {
      ecosystem: string;
      source: string;
      etag: string | null;
      last_modified: string | null;
      checked: string;
    }[]
  ).map((r) => ({
    ecosystem: r.ecosystem,
    source: r.source,
    checked: r.checked,
    ...(r.etag !== null && { etag: r.etag }),
    ...(r.last_modified !== null && { lastModified: r.last_modified }),
  }));
}

// ─── Writing ────────────────────────────────────────────────────────────────────────────────

/** What `put` did with a record. */
export type PutOutcome = 'imported' | 'updated' | 'skipped' | 'withdrawn';

export interface StoreWriter {
  /**
   * Stores a validated record. Newest `modified` wins: a record not newer than the stored copy
   * (or withdrawal) is skipped. A withdrawn record replaces the stored copy by a tombstone.
   */
  put(record: OsvRecord): PutOutcome;
  feed(ecosystem: string): FeedState | undefined;
  setFeed(feed: FeedState): void;
}

/** Compares two RFC 3339 timestamps; unparsable ones fall back to string order. */
function isNewer(candidate: string, stored: string): boolean {
  const a = Date.parse(candidate);
  const b = Date.parse(stored);
  if (Number.isFinite(a) && Number.isFinite(b)) return a > b;
  return candidate > stored;
}

class Writer implements StoreWriter {
  readonly #db: DatabaseSync;
  readonly #s: Record<
    'stored' | 'insertAdvisory' | 'updateAdvisory' | 'deleteAffected' | 'deleteAliases' | 'insertAffected' | 'insertAlias',
    StatementSync
  >;
  #pending = 0;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#s = {
      stored: db.prepare('SELECT n, modified, withdrawn FROM advisories WHERE id = ?'),
      insertAdvisory: db.prepare('INSERT INTO advisories (id, modified, published, withdrawn, record) VALUES (?, ?, ?, ?, ?)'),
      updateAdvisory: db.prepare('UPDATE advisories SET modified = ?, published = ?, withdrawn = ?, record = ? WHERE n = ?'),
      deleteAffected: db.prepare('DELETE FROM affected WHERE advisory = ?'),
      deleteAliases: db.prepare('DELETE FROM aliases WHERE advisory = ?'),
      insertAffected: db.prepare(
        'INSERT OR IGNORE INTO affected (ecosystem, name, advisory, ecosystem_full, original_name) VALUES (?, ?, ?, ?, ?)',
      ),
      insertAlias: db.prepare('INSERT OR IGNORE INTO aliases (alias, advisory, upstream) VALUES (?, ?, ?)'),
    };
  }

  put(record: OsvRecord): PutOutcome {
    if (this.#pending === 0) this.#db.exec('BEGIN');
    const outcome = this.#put(record);
    if (++this.#pending >= BATCH_SIZE) this.flush();
    return outcome;
  }

  #put(record: OsvRecord): PutOutcome {
    const stored = this.#s.stored.get(record.id) as { n: number | bigint; modified: string; withdrawn: string | null } | undefined;
    if (stored && !isNewer(record.modified, stored.modified)) return 'skipped';
    // A withdrawn record leaves a tombstone: no record text, no index rows.
    const text = record.withdrawn ? '' : encodeRecord(record);
    let n: number | bigint;
    if (stored) {
      n = stored.n;
      this.#s.deleteAffected.run(n);
      this.#s.deleteAliases.run(n);
      this.#s.updateAdvisory.run(record.modified, record.published ?? null, record.withdrawn ?? null, text, n);
    } else {
      n = this.#s.insertAdvisory.run(record.id, record.modified, record.published ?? null, record.withdrawn ?? null, text).lastInsertRowid;
    }
    if (record.withdrawn) return 'withdrawn';
    for (const a of record.affected) {
      if (!a.package) continue;
      const full = a.package.ecosystem.trim();
      this.#s.insertAffected.run(ecosystemBase(full), normalizePackageName(full, a.package.name), n, full, a.package.name);
    }
    for (const alias of record.aliases) this.#s.insertAlias.run(alias, n, 0);
    for (const alias of record.upstream) this.#s.insertAlias.run(alias, n, 1);
    return stored && stored.withdrawn === null ? 'updated' : 'imported';
  }

  /** Commits the open batch. */
  flush(): void {
    if (this.#pending > 0) this.#db.exec('COMMIT');
    this.#pending = 0;
  }

  feed(ecosystem: string): FeedState | undefined {
    return readFeeds(this.#db).find((f) => f.ecosystem === ecosystem);
  }

  setFeed(feed: FeedState): void {
    this.flush();
    this.#db
      .prepare('INSERT OR REPLACE INTO feeds (ecosystem, source, etag, last_modified, checked) VALUES (?, ?, ?, ?, ?)')
      .run(feed.ecosystem, feed.source, feed.etag ?? null, feed.lastModified ?? null, feed.checked);
  }

  finish(): void {
    this.flush();
    setMeta(this.#db, 'last_update', new Date().toISOString());
    this.#db.exec('PRAGMA optimize');
  }
}

function setMeta(db: DatabaseSync, key: string, value: string): void {
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
}

function createSchema(db: DatabaseSync): void {
  db.exec('BEGIN');
  db.exec(SCHEMA);
  setMeta(db, 'schema_version', String(SCHEMA_VERSION));
  setMeta(db, 'created', new Date().toISOString());
  db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  db.exec('COMMIT');
}

/**
 * What to start a rewrite from: the existing database, or nothing (missing, empty file, or our
 * own database with an old schema, which is rebuilt). Anything else is refused untouched.
 */
function startingPoint(path: string): 'copy' | 'fresh' {
  if (!existsSync(path)) return 'fresh';
  const st = statSync(path);
  if (st.isFile() && st.size === 0) return 'fresh';
  if (!st.isFile()) throw corrupt(path, 'it is not a regular file');
  if (readHeader(path) !== SQLITE_MAGIC) throw corrupt(path, 'it is not a SQLite file');
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
  } catch (err) {
    throw corrupt(path, errorMessage(err), err);
  }
  try {
    const check = guarded(path, () => checkSchema(db));
    if (check.ok) return 'copy';
    if (check.replaceable) return 'fresh';
    throw corrupt(path, check.reason);
  } finally {
    db.close();
  }
}

const TEMP_PATTERN = /^\.(.+)\.(\d+)\.\d+\.tmp(-journal|-download)?$/;

/**
 * A private temporary path beside the database (same filesystem, so rename is atomic), named
 * so that removeStaleTemps can recognise it once its process is gone.
 */
export function tempPathFor(path: string, suffix: '' | '-download' = ''): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp${suffix}`);
}

/** Removes temporary copies left by writers that were killed (their process is gone). */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const base = basename(path);
  for (const name of readdirSync(dir)) {
    const m = TEMP_PATTERN.exec(name);
    if (!m || m[1] !== base) continue;
    const pid = Number(m[2]);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') {
        try {
          unlinkSync(join(dir, name));
        } catch {
          // Another writer may have removed it first.
        }
      }
    }
  }
}

/**
 * Modifies the database at `path` atomically: `work` writes to a temporary copy in the same
 * directory, which then replaces the file by rename. If `work` throws (or the process dies),
 * the existing database is unchanged. Creates the database and its directory when missing.
 */
export async function rewriteAtomically<T>(path: string, work: (writer: StoreWriter) => Promise<T> | T): Promise<T> {
  const start = startingPoint(path);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(path);
  const tmp = tempPathFor(path);
  let db: DatabaseSync | undefined;
  try {
    if (start === 'copy') copyFileSync(path, tmp);
    db = new DatabaseSync(tmp);
    // The copy is private and thrown away on failure: durability comes from fsync + rename.
    db.exec('PRAGMA journal_mode = MEMORY');
    db.exec('PRAGMA synchronous = OFF');
    if (start === 'fresh') createSchema(db);
    const writer = new Writer(db);
    const result = await guardedAsync(path, () => work(writer));
    guarded(path, () => writer.finish());
    db.close();
    db = undefined;
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return result;
  } finally {
    if (db?.isOpen) db.close();
    for (const leftover of [tmp, `${tmp}-journal`]) {
      try {
        unlinkSync(leftover);
      } catch {
        // Already renamed into place, or never created.
      }
    }
  }
}

async function guardedAsync<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isCorruption(err)) throw corrupt(path, errorMessage(err), err);
    throw err;
  }
}
