/** `palisade db`: build, refresh and inspect the vulnerability database. */
import { Command, Option } from 'commander';
import type { Logger } from '../core/log.ts';
import { renderColumns } from '../report/columns.ts';
import { importOsv, type ImportReport } from '../vuln/db/import.ts';
import { resolveDbPath } from '../vuln/db/paths.ts';
import { openVulnDb, type VulnDbStatus } from '../vuln/db/store.ts';
import { DEFAULT_ECOSYSTEMS, DEFAULT_SOURCE, updateDb, type UpdateProgress } from '../vuln/db/update.ts';
import { contextFrom, type GlobalOptions } from './context.ts';
import { collectList } from './output.ts';

const DB_OPTION_HELP = 'database file (default: $PALISADE_DB, else $XDG_CACHE_HOME/palisade/vuln.db or ~/.cache/palisade/vuln.db)';
/** `db status` suggests an update when the data is older than this. */
const STALE_AFTER_MS = 7 * 24 * 3600 * 1000;

export function dbCommand(globals: () => GlobalOptions): Command {
  const db = new Command('db').description('Manage the vulnerability database (OSV advisories in a local SQLite file)');

  db.addCommand(
    new Command('import')
      .description('Import OSV records from directories (*.json, *.zip, recursively), JSON files or all.zip archives; works offline')
      .argument('<inputs...>', 'directories, .json files or .zip archives')
      .option('--db <path>', DB_OPTION_HELP)
      .action(async (inputs: string[], options: { db?: string }) => {
        const ctx = contextFrom(globals());
        const path = resolveDbPath(options.db);
        const report = await importOsv(path, inputs, { log: ctx.log });
        ctx.log.info(`${path}: ${summary(report)}`);
      }),
  );

  db.addCommand(
    new Command('update')
      .description(`Download OSV exports (<source>/<ECOSYSTEM>/all.zip) and import them; only changed exports are downloaded`)
      .option('--ecosystems <list>', `OSV ecosystems, comma-separated (default: ${DEFAULT_ECOSYSTEMS.join(',')})`, collectList)
      .option('--source <url>', 'base URL of the OSV export (a mirror)', DEFAULT_SOURCE)
      .option('--db <path>', DB_OPTION_HELP)
      .action(async (options: { ecosystems?: string[]; source: string; db?: string }) => {
        const ctx = contextFrom(globals());
        const path = resolveDbPath(options.db);
        const bar = process.stderr.isTTY && !globals().quiet ? progressLine(process.stderr) : undefined;
        const log = bar ? bar.wrap(ctx.log) : ctx.log;
        try {
          const report = await updateDb(path, {
            ...(options.ecosystems && { ecosystems: options.ecosystems }),
            source: options.source,
            log,
            ...(bar && { progress: bar.update }),
          });
          const unchanged = report.ecosystems.filter((e) => e.status === 'unchanged').length;
          log.info(`${path}: ${summary(report.import)}${unchanged > 0 ? `; ${unchanged} ecosystem(s) unchanged` : ''}`);
        } finally {
          bar?.clear();
        }
      }),
  );

  db.addCommand(
    new Command('status')
      .description('Show schema version, advisory counts per ecosystem and the age of the data')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
      .option('--db <path>', DB_OPTION_HELP)
      .action((options: { format: 'table' | 'json'; db?: string }) => {
        const ctx = contextFrom(globals());
        const store = openVulnDb(resolveDbPath(options.db));
        try {
          const status = store.status();
          ctx.stdout.write(options.format === 'json' ? JSON.stringify(status, null, 2) + '\n' : renderStatus(status));
        } finally {
          store.close();
        }
      }),
  );

  for (const sub of db.commands) sub.exitOverride();
  return db;
}

function summary(r: ImportReport): string {
  const parts = [`${r.imported} imported`, `${r.updated} updated`, `${r.skipped} unchanged or older`, `${r.withdrawn} withdrawn`];
  if (r.malformed > 0) parts.push(`${r.malformed} unreadable (skipped)`);
  return parts.join(', ');
}

export function renderStatus(s: VulnDbStatus): string {
  const lines = [
    `database     ${s.path}`,
    `schema       ${s.schemaVersion}`,
    `size         ${megabytes(s.sizeBytes)}`,
    `created      ${s.created ?? 'unknown'}`,
    `last update  ${s.lastUpdate ? `${s.lastUpdate} (${age(s.ageMs ?? 0)} ago)` : 'never'}`,
    `advisories   ${s.advisories}`,
  ];
  if ((s.ageMs ?? 0) > STALE_AFTER_MS) lines.push('note         the data is more than a week old: run `palisade db update`');
  const feeds = new Map(s.feeds.map((f) => [f.ecosystem, f]));
  const rows = Object.entries(s.byEcosystem).map(([ecosystem, n]) => [ecosystem, String(n), feeds.get(ecosystem)?.checked ?? 'imported']);
  return `${lines.join('\n')}\n\n${renderColumns(['ECOSYSTEM', 'ADVISORIES', 'LAST CHECKED'], rows)}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function age(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

/** A one-line download indicator on a TTY, redrawn at most every 100 ms. */
function progressLine(stream: NodeJS.WriteStream) {
  let shown = false;
  let lastDraw = 0;
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    update(p: UpdateProgress) {
      const now = Date.now();
      if (now - lastDraw < 100 && p.received !== p.total) return;
      lastDraw = now;
      const of = p.total ? ` / ${megabytes(p.total)} (${Math.floor((100 * p.received) / p.total)}%)` : '';
      stream.write(`\r\x1b[K${p.ecosystem}: ${megabytes(p.received)}${of}`);
      shown = true;
    },
    clear,
    /** A logger that erases the progress line before writing, so lines do not interleave. */
    wrap(log: Logger): Logger {
      return {
        warn: (m) => (clear(), log.warn(m)),
        info: (m) => (clear(), log.info(m)),
        debug: (m) => (clear(), log.debug(m)),
        error: (m) => (clear(), log.error(m)),
      };
    },
  };
}
