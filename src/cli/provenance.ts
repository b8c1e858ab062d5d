/**
 * `palisade provenance generate|verify`: SLSA provenance.
 *
 * generate writes an unsigned in-toto Statement v1 with a SLSA Provenance v1 predicate for the
 * subjects (files by sha256, images by manifest digest), described from the CI environment
 * (GitHub Actions, GitLab CI) and flags; `--sign --key` wraps it in a DSSE envelope instead.
 * Attaching it to an image is `palisade attest --type slsaprovenance1`.
 *
 * verify checks a provenance (Sigstore bundle, DSSE envelope or JSON lines of them, in-toto
 * statement, npm attestations, gcloud's Cloud Build output) the way slsa-verifier does. stdout
 * carries the verification result (JSON) or, with --print-provenance, the verified statement; a
 * failed check exits 1 and names its reason (SIGNATURE_INVALID, DIGEST_MISMATCH, UNTRUSTED_BUILDER,
 * BUILDER_MISMATCH, SOURCE_MISMATCH, REF_MISMATCH, INVALID_REF, INPUTS_MISMATCH, PACKAGE_MISMATCH,
 * PROVENANCE_MISMATCH), unreadable input exits 2 (MALFORMED_PROVENANCE, UNSUPPORTED_PREDICATE,
 * INVALID_OPTION).
 */
import type { KeyObject } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { publicGoodTrustedRoot, readTrustedRoot } from '../trust/bundle/index.ts';
import { signEnvelope } from '../trust/dsse.ts';
import { INTOTO_PAYLOAD_TYPE } from '../trust/intoto.ts';
import { loadPublicKey } from '../trust/keys.ts';
import {
  buildProvenanceStatement,
  detectCi,
  isProvenanceError,
  parseNpmKeys,
  resolveSubjects,
  sha256File,
  verifyProvenance,
  type DigestSet,
  type ProvenanceVerification,
  type VerifyProvenanceOptions,
} from '../trust/provenance/index.ts';
import { contextFrom, ExitRequest, type CliContext, type GlobalOptions } from './context.ts';
import { emit } from './output.ts';
import { readSigningKey } from './password.ts';
import { readInputFile } from './inputs.ts';

interface GenerateFlags {
  subject: string[];
  output?: string;
  builderId?: string;
  sourceUri?: string;
  sourceDigest?: string;
  buildType?: string;
  invocationId?: string;
  sign?: boolean;
  key?: string;
  insecure?: boolean;
}

interface VerifyFlags {
  provenance: string;
  artifact: string[];
  digest: string[];
  sourceUri?: string;
  sourceTag?: string;
  sourceBranch?: string;
  sourceVersionedTag?: string;
  builderId?: string;
  buildWorkflowInput: string[];
  packageName?: string;
  packageVersion?: string;
  key: string[];
  trustedRoot?: string;
  npmKeys?: string;
  gcbKeys?: string;
  allowUnsigned?: boolean;
  printProvenance?: boolean;
  output?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function provenanceCommand(globals: () => GlobalOptions): Command {
  return new Command('provenance')
    .description('SLSA provenance: generate it in CI, verify it like slsa-verifier')
    .addCommand(generateCommand(globals))
    .addCommand(verifyCommand(globals));
}

function generateCommand(globals: () => GlobalOptions): Command {
  return new Command('generate')
    .description('Write an in-toto statement with a SLSA v1 provenance predicate for the subjects, from the CI environment (GitHub Actions, GitLab CI) and flags')
    .requiredOption('--subject <file|image>', 'a file (sha256) or an image reference (manifest digest); repeatable', collect, [])
    .option('-o, --output <file>', 'write the statement (or envelope) to a file instead of stdout')
    .option('--builder-id <uri>', 'runDetails.builder.id (required outside CI)')
    .option('--source-uri <uri>', 'the source repository: git+https://host/org/repo@ref, https://host/org/repo or host/org/repo')
    .option('--source-digest <alg:hex>', 'the source commit: sha1:<commit> (recorded as gitCommit)')
    .option('--build-type <uri>', 'buildDefinition.buildType (default: the CI platform\'s)')
    .option('--invocation-id <id>', 'runDetails.metadata.invocationId (default: the CI run URL)')
    .option('--sign', 'sign the statement: write a DSSE envelope (needs --key)')
    .option('--key <path>', 'private key for --sign (cosign encrypted PEM or PKCS#8/SEC1); password from PALISADE_PASSWORD or COSIGN_PASSWORD')
    .option('--insecure', 'resolve image subjects over plain HTTP (loopback registries only)')
    .addHelpText(
      'after',
      '\nTo sign and attach the statement to an image instead: palisade attest IMAGE --type slsaprovenance1 --predicate <(jq .predicate statement.json)\n',
    )
    .action(async (flags: GenerateFlags) => {
      const ctx = contextFrom(globals());
      if (flags.sign && !flags.key) throw new PalisadeError('USAGE', '--sign needs --key');
      if (flags.key && !flags.sign) throw new PalisadeError('USAGE', '--key signs only with --sign');
      await guard(ctx, async () => {
        const key = flags.sign && flags.key ? await readSigningKey(flags.key) : undefined;
        const subjects = await resolveSubjects(flags.subject, { insecure: flags.insecure ?? false, log: ctx.log });
        const statement = buildProvenanceStatement(subjects, {
          env: process.env,
          ...pick(flags, ['builderId', 'sourceUri', 'sourceDigest', 'buildType', 'invocationId']),
        });
        const payload = Buffer.from(JSON.stringify(statement));
        const document = key ? signEnvelope(INTOTO_PAYLOAD_TYPE, payload, key) : statement;
        await emit(ctx, `${JSON.stringify(document, null, 2)}\n`, flags.output);
        ctx.log.info(`provenance for ${subjects.length} subject(s), from ${detectCi(process.env) ?? 'flags (no CI detected)'}${key ? ', signed' : ', unsigned'}`);
      });
    });
}

function verifyCommand(globals: () => GlobalOptions): Command {
  return new Command('verify')
    .description('Verify a SLSA provenance like slsa-verifier: signature, subject digest, builder, source repository and ref')
    .requiredOption('--provenance <file>', 'Sigstore bundle, DSSE envelope (or .intoto.jsonl lines), in-toto statement, npm attestations or gcloud provenance JSON')
    .option('--artifact <file>', 'the artifact the provenance must be for (repeatable)', collect, [])
    .option('--digest <alg:hex>', 'the artifact by digest, e.g. sha256:<hex> (repeatable)', collect, [])
    .option('--source-uri <uri>', 'expected source repository, e.g. github.com/org/repo')
    .addOption(new Option('--source-tag <tag>', 'expected git tag (exact)').conflicts('sourceVersionedTag'))
    .option('--source-versioned-tag <vX[.Y[.Z]]>', 'expected semantic version tag: the parts given must match')
    .option('--source-branch <branch>', 'expected branch (for tag builds: the branch the tag was pushed from)')
    .option('--builder-id <id>', 'expected builder id (name[@version]); required for builders outside the trusted list and for npm')
    .option('--build-workflow-input <name=value>', 'expected workflow_dispatch input (repeatable)', collect, [])
    .option('--package-name <name>', 'npm: expected package name')
    .option('--package-version <version>', 'npm: expected package version')
    .option('--key <path>', 'public key of a key-signed provenance (repeatable)', collect, [])
    .option('--trusted-root <path>', 'Sigstore trusted_root.json for keyless provenance (default: the public-good root shipped with Palisade)')
    .option('--npm-keys <path>', "npm registry keys (registry.npmjs.org/-/npm/v1/keys) to check npm's publish attestation")
    .option('--gcb-keys <dir>', "Google Cloud Build's public keys, one <region>.key PEM per region (as slsa-verifier ships them)")
    .option('--allow-unsigned', 'accept a bare (unsigned) in-toto statement')
    .option('--print-provenance', 'print the verified statement instead of the verification result')
    .option('-o, --output <file>', 'write the output to a file instead of stdout')
    .action(async (flags: VerifyFlags) => {
      const ctx = contextFrom(globals());
      await guard(ctx, async () => {
        const options = await verifyOptions(flags);
        if (options.sourceUri === undefined) ctx.log.warn('no --source-uri: the source repository is not checked');
        const input = await readInputFile(flags.provenance, 'provenance');
        const result = await verifyProvenance(input, options);
        for (const limitation of result.signature.limitations) ctx.log.warn(limitation);
        const output = flags.printProvenance ? result.statement : summary(result);
        await emit(ctx, `${JSON.stringify(output, null, 2)}\n`, flags.output);
        ctx.log.info(
          `PASSED: SLSA provenance verified (builder ${result.builderId}${result.source ? `, source ${result.source.repository}${result.source.ref ? `@${result.source.ref}` : ''}` : ''})`,
        );
      });
    });
}

async function verifyOptions(flags: VerifyFlags): Promise<VerifyProvenanceOptions> {
  const artifacts: DigestSet[] = flags.digest.map(parseDigest);
  for (const path of flags.artifact) {
    artifacts.push({ sha256: await sha256File(path).catch((err: unknown) => {
      throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the artifact ${path}: ${errorMessage(err)}`);
    }) });
  }
  if (artifacts.length === 0) throw new PalisadeError('USAGE', 'give the artifact: --artifact FILE or --digest sha256:<hex>');
  const keys: KeyObject[] = [];
  for (const path of flags.key) keys.push(loadPublicKey((await readInputFile(path, 'key')).toString('utf8')));
  const options: VerifyProvenanceOptions = {
    artifacts,
    ...pick(flags, ['sourceUri', 'sourceTag', 'sourceBranch', 'sourceVersionedTag', 'builderId', 'packageName', 'packageVersion']),
    trustedRoot: flags.trustedRoot !== undefined ? readTrustedRoot(flags.trustedRoot) : publicGoodTrustedRoot(),
  };
  if (keys.length > 0) options.keys = keys;
  if (flags.allowUnsigned) options.allowUnsigned = true;
  if (flags.buildWorkflowInput.length > 0) options.workflowInputs = parseInputs(flags.buildWorkflowInput);
  if (flags.npmKeys !== undefined) options.npmKeys = parseNpmKeys(parseJson(await readInputFile(flags.npmKeys, 'npm keys'), flags.npmKeys));
  if (flags.gcbKeys !== undefined) options.gcbKeys = await readGcbKeys(flags.gcbKeys);
  return options;
}

/** What verified, without the statement (--print-provenance prints that). */
function summary(result: ProvenanceVerification): Record<string, unknown> {
  return {
    verified: true,
    predicateType: result.predicateType,
    builderId: result.builderId,
    ...(result.buildType !== undefined && { buildType: result.buildType }),
    ...(result.source !== undefined && { source: result.source }),
    signature: result.signature,
    subjects: result.subjects,
  };
}

function parseDigest(value: string): DigestSet {
  const match = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(value);
  if (!match) throw new PalisadeError('USAGE', `--digest ${value}: expected algorithm:hex, e.g. sha256:<hex>`);
  return { [match[1]!]: match[2]!.toLowerCase() };
}

function parseInputs(entries: readonly string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new PalisadeError('USAGE', `--build-workflow-input ${entry}: expected name=value`);
    inputs[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return inputs;
}

/** A directory of `<name>.key` PEM files: the name is the region or global key the keyid names. */
async function readGcbKeys(dir: string): Promise<Map<string, KeyObject>> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.key'));
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the Cloud Build keys directory ${dir}: ${errorMessage(err)}`);
  }
  const keys = new Map<string, KeyObject>();
  for (const file of files) keys.set(file.slice(0, -'.key'.length), loadPublicKey((await readInputFile(join(dir, file), 'key')).toString('utf8')));
  if (keys.size === 0) throw new PalisadeError('INPUT_NOT_FOUND', `no <region>.key files in ${dir}`);
  return keys;
}

function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new PalisadeError('PARSE_ERROR', `${path} is not JSON: ${errorMessage(err)}`);
  }
}

/** A provenance failure: its message and reason on stderr, its exit code (other errors go to main()). */
async function guard(ctx: CliContext, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!isProvenanceError(err)) throw err;
    ctx.log.error(`${err.message}\nreason: ${err.reason}`);
    throw new ExitRequest(err.exitCode, err.reason);
  }
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}
