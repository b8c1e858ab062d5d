/**
 * The `palisade` command line. Commands live one per file; this file wires them up and owns the
 * process: exit codes and how errors are shown.
 */
import module from 'node:module';
import { Command, CommanderError } from 'commander';
import { PalisadeError, ExitCode, errorMessage } from '../core/errors.ts';
import { TOOL_VERSION } from '../core/version.ts';
import { ExitRequest, type GlobalOptions } from './context.ts';
type Globals = () => GlobalOptions;

/**
 * Every command, by the names it answers to, and how to build it. Command modules are imported
 * only when needed: each pulls in its whole capability (SQLite, crypto, the policy engine…), and
 * loading all of them cost every run about half a second before any work began.
 */
const COMMANDS: { names: string[]; load: (globals: Globals) => Promise<Command[]>; prestart?: (args: string[]) => Promise<void> }[] = [
  { names: ['sbom'], load: async (g) => [(await import('./sbom.ts')).sbomCommand(g)] },
  { names: ['db'], load: async (g) => [(await import('./db.ts')).dbCommand(g)] },
  { names: ['ci'], load: async (g) => [(await import('./ci.ts')).ciCommand(g)] },
  { names: ['scan'], load: async (g) => [(await import('./scan.ts')).scanCommand(g)] },
  {
    names: ['secrets'],
    // A directory scan of a large tree wants a worker thread: started before the scanner loads,
    // one is ready sooner (secrets/spawn.ts; ~5% of a 100 MB scan). Modes that never use one skip it.
    prestart: async (args) => {
      if (!args.some((a) => ['--git', '--staged', '--uncommitted', '-', '-h', '--help'].includes(a))) (await import('../secrets/spawn.ts')).prestartScanWorker();
    },
    load: async (g) => [(await import('./secrets.ts')).secretsCommand(g)],
  },
  {
    names: ['key', 'sign-blob', 'verify-blob'],
    load: async (g) => {
      const m = await import('./trust-blob.ts');
      return [m.keyCommand(g), m.signBlobCommand(g), m.verifyBlobCommand(g)];
    },
  },
  { names: ['sign', 'verify', 'attest', 'verify-attestation'], load: async (g) => (await import('./trust-image.ts')).trustImageCommands(g) },
  { names: ['provenance'], load: async (g) => [(await import('./provenance.ts')).provenanceCommand(g)] },
  { names: ['runtime'], load: async (g) => [(await import('./runtime.ts')).runtimeCommand(g)] },
  { names: ['policy'], load: async (g) => [(await import('./policy.ts')).policyCommand(g)] },
  { names: ['cluster'], load: async (g) => [(await import('./cluster.ts')).clusterCommand(g)] },
  { names: ['admission'], load: async (g) => [(await import('./admission.ts')).admissionCommand(g)] },
];

const EXIT_CODES_HELP = `
Exit codes:
  0  success (and no findings passed the filters, unless --exit-code says otherwise)
  N  the value of --exit-code when findings pass the filters
  1  failed policy tests or verifications
  2  usage or input error (also: --strict and an input could not be read)
  3  internal error (run with --debug for details)
`;

/**
 * The program with the command `argv` names, or with every command when it names none (help,
 * version, a typo: commander then lists them all).
 */
export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('palisade')
    .description('Supply-chain security for Kubernetes: SBOMs, vulnerabilities, policies, signatures, admission, runtime')
    .version(TOOL_VERSION, '-v, --version')
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .option('--debug', 'verbose logs and stack traces for internal errors')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  const globals = () => program.opts<GlobalOptions>();
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  const named = COMMANDS.find((c) => name !== undefined && c.names.includes(name));
  const versionOnly = name === undefined && argv.some((a) => a === '-v' || a === '--version');
  await named?.prestart?.(argv.slice(2));
  for (const entry of named ? [named] : versionOnly ? [] : COMMANDS) {
    for (const command of await entry.load(globals)) program.addCommand(command);
  }
  overrideExits(program);
  return program;
}

/** Commander must throw instead of exiting, at every level of subcommands, so main() owns the exit code. */
function overrideExits(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) overrideExits(sub);
}

export async function main(argv: string[]): Promise<number> {
  let program: Command;
  try {
    program = await buildProgram(argv);
  } catch (err) {
    return handleError(err, argv.includes('--debug'));
  }
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    return handleError(err, argv.includes('--debug'));
  }
}

function handleError(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    // Help and version "errors" are successful exits; commander has already printed the message.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  if (err instanceof ExitRequest) return err.code;
  if (err instanceof PalisadeError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (debug && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    return err.exitCode;
  }
  process.stderr.write(`internal error: ${errorMessage(err)}\n`);
  if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('run again with --debug for details\n');
  return ExitCode.internal;
}

/** Runs this process's command line and sets its exit code (the entry point of bin/palisade.js and of this module). */
export async function runCli(): Promise<void> {
  // `palisade scan … | head`: the reader went away; stop quietly like other Unix tools.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await main(process.argv);
}

if (import.meta.main) {
  // Compiled code of the command modules (imported below, on demand) is cached on disk between
  // runs: start-up is most of a pre-commit hook's time.
  module.enableCompileCache?.();
  await runCli();
}
