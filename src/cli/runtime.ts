/**
 * `palisade runtime`: Falco-compatible runtime detection.
 *
 * - `validate -r RULES...` loads rules files (layered in the order given) and reports every error
 *   and warning with Falco's codes; `--json` prints Falco's `falco_load_results` shape. Exit 1 when
 *   a file does not load.
 * - `check -r RULES... [--events FILE|-]` (also `replay FILE -r RULES...`) evaluates recorded
 *   events: Kubernetes audit events (JSON lines, Event/EventList documents) and syscall-style
 *   JSON lines (Falco field names, Falco JSON alerts, Tetragon exports). Alerts go to stdout (text
 *   or `--json`), a file, a webhook; a summary goes to stderr.
 * - `serve -r RULES... --listen [HOST]:PORT` receives audit webhook batches (HTTPS with
 *   `--tls-cert/--tls-key`) and alerts as they come.
 * - `fields [--source S]` lists the fields rules can use.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { renderColumns } from '../report/columns.ts';
import {
  AuditWebhookServer,
  CODE_DESCRIPTIONS,
  defaultRegistry,
  FileSink,
  formatLoadMessage,
  loadRulesFiles,
  makeAlert,
  newCounters,
  parsePriority,
  PRIORITIES,
  RateLimiter,
  readEvents,
  RuntimeEngine,
  StreamSink,
  WebhookSink,
  type Alert,
  type AlertFormat,
  type AlertOptions,
  type AlertSink,
  type EngineOptions,
  type LoadMessage,
  type LoadResult,
  type Priority,
  type SourceChoice,
} from '../runtime/index.ts';
import { contextFrom, ExitRequest, type CliContext, type GlobalOptions } from './context.ts';

interface EngineFlags {
  rules: string[];
  minPriority?: string;
  allMatches?: boolean;
  disableRule: string[];
  disableTag: string[];
  enableTag: string[];
}

interface OutputFlags {
  json?: boolean;
  outputFile?: string;
  webhook?: string;
  rateLimit?: string;
  burst?: string;
  timeIso8601?: boolean;
  hostname?: string;
}

interface CheckFlags extends EngineFlags, OutputFlags {
  events?: string;
  source: string;
  exitCode: string;
}

interface ServeFlags extends EngineFlags, OutputFlags {
  listen?: string;
  port?: string;
  endpoint: string;
  tlsCert?: string;
  tlsKey?: string;
  maxQueueMb: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function runtimeCommand(globals: () => GlobalOptions): Command {
  const runtime = new Command('runtime').description('Falco-compatible runtime detection over Kubernetes audit events and recorded syscall event streams');

  runtime
    .command('validate')
    .description('load rules files (layered in order) and report errors and warnings with Falco codes')
    .requiredOption('-r, --rules <files...>', 'rules files or directories (.yaml/.yml), in load order')
    .option('--json', "print Falco's falco_load_results JSON")
    .action(async (flags: { rules: string[]; json?: boolean }) => {
      const ctx = contextFrom(globals());
      const result = await loadRulesFiles(flags.rules);
      if (flags.json) ctx.stdout.write(`${JSON.stringify(loadResultsJson(result), null, 2)}\n`);
      else ctx.stdout.write(loadResultsText(result));
      if (!result.ok) throw new ExitRequest(1, 'rules files do not load');
    });

  const check = engineOptions(outputOptions(runtime.command('check')))
    .description('evaluate recorded events (audit logs, syscall-style JSON lines) against rules')
    .option('-e, --events <file>', "events file, '-' for stdin", '-')
    .addOption(new Option('--source <source>', 'event source of the input').choices(['auto', 'k8s_audit', 'syscall']).default('auto'))
    .option('--exit-code <code>', 'exit code when alerts fire', '0')
    .action(async (flags: CheckFlags) => runCheck(contextFrom(globals()), flags));

  engineOptions(outputOptions(runtime.command('replay')))
    .description(`like check, with the events file as argument (${check.name()} --events FILE)`)
    .argument('<file>', "events file, '-' for stdin")
    .addOption(new Option('--source <source>', 'event source of the input').choices(['auto', 'k8s_audit', 'syscall']).default('auto'))
    .option('--exit-code <code>', 'exit code when alerts fire', '0')
    .action(async (file: string, flags: CheckFlags) => runCheck(contextFrom(globals()), { ...flags, events: file }));

  engineOptions(outputOptions(runtime.command('serve')))
    .description('receive Kubernetes audit webhook batches (EventList) over HTTP(S) and alert on them')
    .option('--listen <address>', "HOST:PORT, ':PORT' for all interfaces")
    .option('--port <port>', "shorthand for --listen :PORT")
    .option('--endpoint <path>', 'webhook path', '/k8s-audit')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key of the certificate')
    .option('--max-queue-mb <n>', 'bodies waiting to be processed before requests get 503', '64')
    .action(async (flags: ServeFlags) => runServe(contextFrom(globals()), flags));

  runtime
    .command('fields')
    .description('list the fields conditions and outputs can use')
    .addOption(new Option('--source <source>', 'event source').choices(defaultRegistry.sources()))
    .action((flags: { source?: string }) => {
      const ctx = contextFrom(globals());
      const rows: string[][] = [];
      for (const source of flags.source ? [flags.source] : defaultRegistry.sources()) {
        for (const { def, className } of defaultRegistry.fields(source)) {
          const arg = def.arg ? `${def.arg.kind}${def.arg.required ? '' : '?'}` : '';
          rows.push([source, className, def.name, `${def.type}${def.list ? ' (list)' : ''}`, arg, def.desc]);
        }
      }
      ctx.stdout.write(renderColumns(['SOURCE', 'CLASS', 'FIELD', 'TYPE', 'ARG', 'DESCRIPTION'], rows));
    });
  return runtime;
}

function engineOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-r, --rules <files...>', 'rules files or directories (.yaml/.yml), in load order')
    .addOption(new Option('--min-priority <priority>', 'run only rules at least this severe').choices([...PRIORITIES.map((p) => p.toLowerCase()), 'info']))
    .option('--all-matches', "report every matching rule (Falco's rule_matching: all); default: the first")
    .option('--disable-rule <name>', 'disable rules whose name contains this (with *: whose whole name matches); repeatable', collect, [])
    .option('--disable-tag <tag>', 'disable rules with this tag; repeatable', collect, [])
    .option('--enable-tag <tag>', 'run only rules with one of these tags; repeatable', collect, []);
}

function outputOptions(cmd: Command): Command {
  return cmd
    .option('--json', "alerts as JSON lines (Falco's json_output schema)")
    .option('--output-file <file>', 'also append alerts to this file')
    .option('--webhook <url>', 'also POST each alert as JSON to this URL (Falcosidekick-compatible)')
    .option('--rate-limit <perSecond>', 'at most this many alerts per second per rule (token bucket)')
    .option('--burst <n>', 'burst size of the rate limit', '10')
    .option('--time-iso8601', 'ISO 8601 times in text alerts')
    .option('--hostname <name>', 'hostname in JSON alerts (default: this host)');
}

async function loadEngine(ctx: CliContext, flags: EngineFlags): Promise<RuntimeEngine> {
  const result = await loadRulesFiles(flags.rules);
  for (const w of result.warnings) ctx.log.debug(formatLoadMessage(w));
  if (!result.ok || !result.ruleset) {
    for (const e of result.errors) ctx.log.error(formatLoadMessage(e));
    throw new PalisadeError('PARSE_ERROR', `rules files do not load (${result.errors.length} error${result.errors.length === 1 ? '' : 's'}); see \`palisade runtime validate\``);
  }
  const options: EngineOptions = {
    ruleMatching: flags.allMatches ? 'all' : 'first',
    disabledRules: flags.disableRule,
    disabledTags: flags.disableTag,
  };
  if (flags.enableTag.length > 0) options.enabledTags = flags.enableTag;
  if (flags.minPriority) options.minPriority = parsePriority(flags.minPriority) as Priority;
  const engine = new RuntimeEngine(result.ruleset, options);
  const active = engine.activeRules();
  const bySource = new Map<string, number>();
  for (const r of active) bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
  const skipped = result.ruleset.skipped.length;
  ctx.log.info(
    `loaded ${active.length} rules (${[...bySource].map(([s, n]) => `${s}: ${n}`).join(', ') || 'none'})` +
      `${skipped ? `, skipped ${skipped} of unsupported sources` : ''}${result.warnings.length ? `, ${result.warnings.length} warnings` : ''}`,
  );
  return engine;
}

interface AlertOutput {
  emit(alert: Alert): void;
  close(): Promise<void>;
  rateLimited(): number;
  failed(): number;
}

function alertOutput(ctx: CliContext, flags: OutputFlags): AlertOutput {
  const format: AlertFormat = flags.json ? 'json' : 'text';
  const sinks: AlertSink[] = [new StreamSink(ctx.stdout, format)];
  if (flags.outputFile) sinks.push(new FileSink(flags.outputFile, format));
  if (flags.webhook) {
    try {
      new URL(flags.webhook);
    } catch {
      throw new PalisadeError('USAGE', `--webhook: '${flags.webhook}' is not a URL`);
    }
    sinks.push(new WebhookSink(flags.webhook));
  }
  let limiter: RateLimiter | undefined;
  if (flags.rateLimit !== undefined) {
    const rate = Number(flags.rateLimit);
    const burst = Number(flags.burst ?? 10);
    if (!(rate > 0) || !(burst >= 1)) throw new PalisadeError('USAGE', '--rate-limit and --burst must be positive numbers');
    limiter = new RateLimiter(rate, burst);
  }
  return {
    emit(alert) {
      if (limiter && !limiter.allow(alert.rule)) return;
      for (const s of sinks) s.write(alert);
    },
    async close() {
      await Promise.all(sinks.map((s) => s.close()));
    },
    rateLimited: () => [...(limiter?.dropped.values() ?? [])].reduce((a, b) => a + b, 0),
    failed: () => sinks.reduce((a, s) => a + s.failed, 0),
  };
}

function alertOptions(flags: OutputFlags): AlertOptions {
  const options: AlertOptions = { timeFormat: flags.timeIso8601 ? 'iso' : 'clock' };
  if (flags.hostname) options.hostname = flags.hostname;
  return options;
}

async function runCheck(ctx: CliContext, flags: CheckFlags): Promise<void> {
  const exitCode = Number(flags.exitCode);
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) throw new PalisadeError('USAGE', `--exit-code: '${flags.exitCode}' is not an exit code`);
  const engine = await loadEngine(ctx, flags);
  const out = alertOutput(ctx, flags);
  const options = alertOptions(flags);
  const counters = newCounters();
  const fromStdin = flags.events === undefined || flags.events === '-';
  if (fromStdin && process.stdin.isTTY) ctx.log.info('reading events from stdin (end with Ctrl-D)');
  const input = fromStdin ? process.stdin : createReadStream(flags.events!);
  let alerts = 0;
  try {
    for await (const evt of readEvents(input, counters, { source: flags.source as SourceChoice })) {
      for (const rule of engine.evaluate(evt)) {
        alerts++;
        out.emit(makeAlert(rule, evt, options));
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new PalisadeError('INPUT_NOT_FOUND', `cannot read events: ${errorMessage(err)}`, { cause: err });
    }
    throw err;
  } finally {
    await out.close();
  }
  const skipped = counters.malformed + counters.invalid + counters.oversized;
  ctx.log.info(`events: ${counters.events} evaluated${skipped ? `, ${skipped} skipped (not JSON: ${counters.malformed}, not an event: ${counters.invalid}, oversized: ${counters.oversized})` : ''}; alerts: ${alerts}`);
  for (const [rule, n] of [...engine.stats.byRule].sort((a, b) => b[1] - a[1])) ctx.log.info(`  ${rule}: ${n}`);
  if (out.rateLimited() > 0) ctx.log.warn(`${out.rateLimited()} alerts dropped by the rate limit`);
  if (out.failed() > 0) ctx.log.warn(`${out.failed()} alerts could not be delivered`);
  if (alerts > 0 && exitCode !== 0) throw new ExitRequest(exitCode, `${alerts} alerts`);
}

/** `:9765`, `9765`, `127.0.0.1:9765`, `[::1]:9765` → host (undefined: all interfaces) and port. */
export function parseListen(text: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new PalisadeError('USAGE', `--listen: '${text}' is not HOST:PORT`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

async function runServe(ctx: CliContext, flags: ServeFlags): Promise<void> {
  if (!flags.listen && flags.port === undefined) throw new PalisadeError('USAGE', 'serve needs --listen HOST:PORT or --port N');
  const listen = parseListen(flags.listen ?? `:${flags.port}`);
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new PalisadeError('USAGE', '--tls-cert and --tls-key go together');
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (flags.tlsCert && flags.tlsKey) {
    try {
      tls = { cert: readFileSync(flags.tlsCert), key: readFileSync(flags.tlsKey) };
    } catch (err) {
      throw new PalisadeError('INPUT_NOT_FOUND', `cannot read TLS files: ${errorMessage(err)}`, { cause: err });
    }
  }
  const maxQueueMb = Number(flags.maxQueueMb);
  if (!(maxQueueMb > 0)) throw new PalisadeError('USAGE', '--max-queue-mb must be a positive number');
  const engine = await loadEngine(ctx, flags);
  const out = alertOutput(ctx, flags);
  const server = new AuditWebhookServer({
    engine,
    onAlert: (a) => out.emit(a),
    port: listen.port,
    endpoint: flags.endpoint,
    maxQueueBytes: maxQueueMb * 1024 * 1024,
    alertOptions: alertOptions(flags),
    ...(listen.host ? { host: listen.host } : {}),
    ...(tls ? { tls } : {}),
  });
  let address;
  try {
    address = await server.listen();
  } catch (err) {
    throw new PalisadeError('USAGE', `cannot listen on ${flags.listen ?? `:${flags.port}`}: ${errorMessage(err)}`, { cause: err });
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  ctx.log.info(`listening on ${tls ? 'https' : 'http'}://${host}:${address.port}${flags.endpoint}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  await out.close();
  const r = server.stats.read;
  ctx.log.info(`stopped: ${server.stats.batches} batches, ${r.events} events, ${engine.stats.matches} alerts, ${server.stats.droppedBatches} batches refused (queue full)`);
}

// ── validation output ─────────────────────────────────────────────────────

function loadResultsText(result: LoadResult): string {
  const lines: string[] = [];
  for (const f of result.files) {
    lines.push(`${f.name}: ${f.ok ? 'Ok' : 'Invalid'}`);
    for (const e of f.errors) lines.push(`  error: ${formatLoadMessage(e)}`);
    for (const w of f.warnings) lines.push(`  warning: ${formatLoadMessage(w)}`);
  }
  const rules = result.ruleset ? [...result.ruleset.sources.values()].map((s) => `${s.source}: ${s.rules.length}`).join(', ') : '';
  lines.push(`${result.ok ? 'Ok' : 'Invalid'}: ${result.errors.length} errors, ${result.warnings.length} warnings${rules ? `; rules ${rules}` : ''}`);
  return `${lines.join('\n')}\n`;
}

function messageJson(m: LoadMessage) {
  const position: Record<string, unknown> = { name: m.file };
  if (m.line !== undefined) position.line = m.line;
  if (m.column !== undefined) position.column = m.column;
  return {
    code: m.code,
    codedesc: CODE_DESCRIPTIONS[m.code],
    message: m.message,
    context: { locations: [{ item_type: m.itemType, item_name: m.itemName, position }] },
  };
}

/** Falco's `falco -V --json` layout. */
function loadResultsJson(result: LoadResult) {
  return {
    falco_load_results: result.files.map((f) => ({
      name: f.name,
      successful: f.ok,
      errors: f.errors.map(messageJson),
      warnings: f.warnings.map(messageJson),
    })),
  };
}

