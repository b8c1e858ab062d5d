/**
 * The `palisade` command line. Commands live one per file; this file wires them up and owns the
 * process: exit codes and how errors are shown.
 */
import { Command, CommanderError } from 'commander';
import { PalisadeError, ExitCode, errorMessage } from '../core/errors.ts';
import { TOOL_VERSION } from '../core/version.ts';
import { ExitRequest, type GlobalOptions } from './context.ts';
import { sbomCommand } from './sbom.ts';
import { dbCommand } from './db.ts';
import { ciCommand } from './ci.ts';
import { scanCommand } from './scan.ts';
import { secretsCommand } from './secrets.ts';
import { keyCommand, signBlobCommand, verifyBlobCommand } from './trust-blob.ts';
import { trustImageCommands } from './trust-image.ts';
import { provenanceCommand } from './provenance.ts';
import { runtimeCommand } from './runtime.ts';
import { policyCommand } from './policy.ts';
import { clusterCommand } from './cluster.ts';
import { admissionCommand } from './admission.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0  success (and no findings passed the filters, unless --exit-code says otherwise)
  N  the value of --exit-code when findings pass the filters
  1  failed policy tests or verifications
  2  usage or input error (also: --strict and an input could not be read)
  3  internal error (run with --debug for details)
`;

export function buildProgram(): Command {
  const program = new Command('palisade')
    .description('Supply-chain security for Kubernetes: SBOMs, vulnerabilities, policies, signatures, admission, runtime')
    .version(TOOL_VERSION, '-v, --version')
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .option('--debug', 'verbose logs and stack traces for internal errors')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  const globals = () => program.opts<GlobalOptions>();
  program.addCommand(sbomCommand(globals));
  program.addCommand(dbCommand(globals));
  program.addCommand(ciCommand(globals));
  program.addCommand(scanCommand(globals));
  program.addCommand(secretsCommand(globals));
  program.addCommand(keyCommand(globals));
  program.addCommand(signBlobCommand(globals));
  program.addCommand(verifyBlobCommand(globals));
  for (const command of trustImageCommands(globals)) program.addCommand(command);
  program.addCommand(provenanceCommand(globals));
  program.addCommand(runtimeCommand(globals));
  program.addCommand(policyCommand(globals));
  program.addCommand(clusterCommand(globals));
  program.addCommand(admissionCommand(globals));
  overrideExits(program);
  return program;
}

/** Commander must throw instead of exiting, at every level of subcommands, so main() owns the exit code. */
function overrideExits(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) overrideExits(sub);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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

if (import.meta.main) {
  // `palisade scan … | head`: the reader went away; stop quietly like other Unix tools.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await main(process.argv);
}
