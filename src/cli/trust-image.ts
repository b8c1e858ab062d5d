/**
 * `palisade sign`, `verify`, `attest`, `verify-attestation`: image signatures and attestations,
 * cosign-compatible, with cosign's flag names so pipelines port by renaming the binary. Images are
 * registry references or `oci:DIR[:tag]` layouts. Signing writes the cosign v3 bundle format unless
 * `--legacy-format` (or cosign's `--new-bundle-format=false`); verification reads both.
 *
 * stdout carries what cosign prints there (verified payloads as JSON); the summary goes to stderr.
 * A failed verification exits 1 and names its reason (NO_SIGNATURES, SIGNATURE_INVALID,
 * DIGEST_MISMATCH, TAG_MOVED, ANNOTATION_MISMATCH, SUBJECT_MISMATCH, PREDICATE_TYPE_MISMATCH,
 * TLOG_ERROR, POLICY_ERROR).
 *
 * As `cosign verify --key` does, verification requires a transparency-log entry for key-based
 * signatures too (checked offline against the Rekor keys of `--trusted-root`); Palisade signs
 * offline and writes none, so its own signatures verify with `--insecure-ignore-tlog`, in Palisade
 * and in cosign alike.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { publicGoodTrustedRoot, readTrustedRoot, type TrustedRoot } from '../trust/bundle/index.ts';
import { resolvePredicateType } from '../trust/intoto.ts';
import { loadAttestationPolicy } from '../trust/oci/policy.ts';
import { attestImage, signImage, type SignImageOptions } from '../trust/oci/sign.ts';
import type { RegistryStoreOptions } from '../trust/oci/store.ts';
import { ImageVerificationError, verifyImageAttestations, verifyImageSignatures, type KeylessOptions, type VerifyImageOptions } from '../trust/oci/verify.ts';
import { contextFrom, ExitRequest, type CliContext, type GlobalOptions } from './context.ts';
import { readSigningKey } from './password.ts';
import { readPublicKeys } from './inputs.ts';

interface RegistryFlags {
  insecure?: boolean;
  allowHttpRegistry?: boolean;
}

interface SignFlags extends RegistryFlags {
  key: string;
  annotations: string[];
  legacyFormat?: boolean;
  newBundleFormat?: string;
  signContainerIdentity?: string;
  tlogUpload?: string;
}

interface AttestFlags extends SignFlags {
  predicate: string;
  type: string;
}

interface VerifyFlags extends RegistryFlags {
  key: string[];
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  insecureIgnoreTlog?: boolean;
  annotations: string[];
  output: 'json' | 'text';
  skipReferenceCheck?: boolean;
}

interface VerifyAttestationFlags extends VerifyFlags {
  type: string;
  policy?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function registryFlags(command: Command): Command {
  return command
    .option('--insecure', 'allow a plain-HTTP registry (loopback hosts only)')
    .addOption(new Option('--allow-http-registry', 'cosign spelling of --insecure').hideHelp());
}

function signingFlags(command: Command): Command {
  return registryFlags(
    command
      .requiredOption('--key <path>', 'private key (cosign encrypted PEM or PKCS#8/SEC1/PKCS#1); password from PALISADE_PASSWORD or COSIGN_PASSWORD, else prompted')
      .option('--legacy-format', 'store as cosign ≤ 2 does: sha256-<hex>.sig / .att tags instead of a v3 bundle referrer')
      .addOption(new Option('--new-bundle-format <bool>', 'cosign spelling: false means --legacy-format').hideHelp())
      .option('--sign-container-identity <repo>', 'the docker-reference a legacy signature names (default: the image repository)')
      .addOption(new Option('--tlog-upload <bool>', 'accepted for cosign compatibility; Palisade never uploads to a transparency log').hideHelp())
      .addOption(new Option('-y, --yes', 'accepted for cosign compatibility').hideHelp()),
  );
}

export function signCommand(globals: () => GlobalOptions): Command {
  return signingFlags(
    new Command('sign')
      .description('Sign container images (registry references or oci:DIR[:tag]) with a key, as cosign sign does')
      .argument('<images...>', 'images to sign; tags are resolved to digests and the digest is signed')
      .option('-a, --annotations <key=value>', 'signed annotation (repeatable)', collect, []),
  ).action(async (images: string[], flags: SignFlags) => {
    const ctx = contextFrom(globals());
    const options = await signingOptions(ctx, flags);
    for (const image of images) {
      const result = await signImage(image, options);
      ctx.log.info(
        result.written
          ? `signed ${image} (${result.digest}) → ${result.location}`
          : `${image} (${result.digest}) already carries this signature; nothing written`,
      );
    }
  });
}

export function attestCommand(globals: () => GlobalOptions): Command {
  return signingFlags(
    new Command('attest')
      .description('Attach a signed in-toto attestation to container images, as cosign attest does')
      .argument('<images...>', 'images to attest')
      .requiredOption('--predicate <file>', 'the predicate (JSON; any content for --type custom)')
      .option('--type <type>', 'predicate type: slsaprovenance1|slsaprovenance|cyclonedx|spdxjson|vuln|openvex|custom or a URI', 'custom'),
  ).action(async (images: string[], flags: AttestFlags) => {
    const ctx = contextFrom(globals());
    const predicateType = resolvePredicateType(flags.type);
    const predicate = await readPredicate(flags.predicate, flags.type);
    const options = await signingOptions(ctx, flags);
    for (const image of images) {
      const result = await attestImage(image, { ...options, predicateType, predicate });
      ctx.log.info(`attested ${image} (${result.digest}) with ${predicateType} → ${result.location}`);
    }
  });
}

export function verifyCommand(globals: () => GlobalOptions): Command {
  return verifyFlags(
    new Command('verify')
      .description('Verify the signatures of container images, both cosign formats, as cosign verify does')
      .argument('<images...>', 'images to verify'),
  ).action(async (images: string[], flags: VerifyFlags) => {
    const ctx = contextFrom(globals());
    const options = await verifyOptions(ctx, flags);
    for (const image of images) {
      const result = await guard(ctx, () => verifyImageSignatures(image, options));
      ctx.log.info(
        `\nVerification for ${image} --\nThe following checks were performed on each of these signatures:\n` +
          `  - The cosign claims were validated\n${tlogCheckLine(options)}  - The signatures were verified against ${options.keyless ? 'the specified key or certificate identity' : 'the specified public key'}\n`,
      );
      if (flags.output === 'text') {
        for (const v of result.verified) ctx.stdout.write(`${image}@${result.digest} ${v.format} ${v.location}\n`);
      } else {
        ctx.stdout.write(`${JSON.stringify(result.verified.map((v) => v.payload))}\n`);
      }
    }
  });
}

export function verifyAttestationCommand(globals: () => GlobalOptions): Command {
  return verifyFlags(
    new Command('verify-attestation')
      .description('Verify the attestations of container images (signature, subject digest, predicate type, policy), as cosign verify-attestation does')
      .argument('<images...>', 'images to verify')
      .option('--type <type>', 'predicate type the attestations must have (cosign shorthand or URI)', 'custom')
      .option('--policy <file>', 'conditions over the predicate: Kyverno-style any/all with {{ JMESPath }}, or `expressions:` of JMESPath booleans'),
  ).action(async (images: string[], flags: VerifyAttestationFlags) => {
    const ctx = contextFrom(globals());
    const options = await verifyOptions(ctx, flags);
    const predicateType = resolvePredicateType(flags.type);
    const policy = flags.policy === undefined ? undefined : await loadAttestationPolicy(flags.policy);
    for (const image of images) {
      const result = await guard(ctx, () => verifyImageAttestations(image, { ...options, predicateType, ...(policy && { policy }) }));
      ctx.log.info(
        `\nVerification for ${image} --\nThe following checks were performed on each of these attestations:\n` +
          `${tlogCheckLine(options)}  - The signatures were verified against the specified public key\n  - The statement subject is ${result.digest}\n` +
          `  - The predicate type is ${predicateType}\n${policy ? `  - The policy ${policy.source} holds\n` : ''}`,
      );
      for (const v of result.verified) {
        ctx.stdout.write(flags.output === 'text' ? `${image}@${result.digest} ${v.format} ${v.predicateType} ${v.location}\n` : `${JSON.stringify(v.envelope)}\n`);
      }
    }
  });
}

/** cosign's summary line for the log check, when one was made. */
function tlogCheckLine(options: VerifyImageOptions): string {
  return options.ignoreTlog ? '' : '  - Existence of the claims in the transparency log was verified offline\n';
}

/** The four commands, for main.ts. */
export function trustImageCommands(globals: () => GlobalOptions): Command[] {
  return [signCommand(globals), verifyCommand(globals), attestCommand(globals), verifyAttestationCommand(globals)];
}

function verifyFlags(command: Command): Command {
  return registryFlags(
    command
      .option('--key <path>', 'public key (PKIX PEM) or certificate; repeatable, any one may verify', collect, [])
      .option('--certificate-identity <san>', 'keyless bundles: expected certificate identity (email or URI)')
      .option('--certificate-identity-regexp <re>', 'keyless bundles: expected certificate identity, as a regular expression')
      .option('--certificate-oidc-issuer <url>', 'keyless bundles: expected OIDC issuer')
      .option('--certificate-oidc-issuer-regexp <re>', 'keyless bundles: expected OIDC issuer, as a regular expression')
      .option('--trusted-root <path>', 'Sigstore trusted_root.json: Fulcio CAs for keyless bundles, Rekor keys for log entries (default: the public-good root shipped with Palisade)')
      .option('--insecure-ignore-tlog', 'accept signatures without a verified transparency-log entry (as Palisade’s own sign writes them)')
      .option('-a, --annotations <key=value>', 'annotation every accepted signature must carry (repeatable)', collect, [])
      .addOption(new Option('-o, --output <format>', 'what stdout carries').choices(['json', 'text']).default('json'))
      .option('--skip-reference-check', 'accept legacy signatures whose docker-reference names another repository (mirrors, proxies)'),
  );
}

function registryOptions(ctx: CliContext, flags: RegistryFlags): RegistryStoreOptions {
  return { insecure: Boolean(flags.insecure || flags.allowHttpRegistry), log: ctx.log };
}

async function signingOptions(ctx: CliContext, flags: SignFlags): Promise<SignImageOptions> {
  if (flags.tlogUpload !== undefined && parseBool(flags.tlogUpload, '--tlog-upload')) {
    ctx.log.warn('--tlog-upload: Palisade does not upload to a transparency log; verify with --insecure-ignore-tlog (palisade verify or cosign verify)');
  }
  const legacy = flags.legacyFormat === true || (flags.newBundleFormat !== undefined && !parseBool(flags.newBundleFormat, '--new-bundle-format'));
  return {
    privateKey: await readSigningKey(flags.key),
    annotations: parseAnnotations(flags.annotations),
    format: legacy ? 'legacy' : 'bundle',
    registry: registryOptions(ctx, flags),
    ...(flags.signContainerIdentity !== undefined && { identity: flags.signContainerIdentity }),
    ...(process.env.COSIGN_REPOSITORY !== undefined && legacy && { signatureRepository: process.env.COSIGN_REPOSITORY }),
  };
}

async function verifyOptions(ctx: CliContext, flags: VerifyFlags): Promise<VerifyImageOptions> {
  const publicKeys = await readPublicKeys(flags.key);
  const trustedRoot = flags.trustedRoot !== undefined ? readTrustedRoot(flags.trustedRoot) : publicGoodTrustedRoot();
  const keyless = keylessOptions(flags, trustedRoot);
  if (publicKeys.length === 0 && keyless === undefined) {
    throw new PalisadeError('USAGE', 'pass --key, or --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] for keyless signatures');
  }
  if (flags.insecureIgnoreTlog) ctx.log.warn('--insecure-ignore-tlog: signatures are accepted without a transparency-log entry');
  return {
    publicKeys,
    ...(keyless && { keyless }),
    trustedRoot,
    ...(flags.insecureIgnoreTlog && { ignoreTlog: true }),
    annotations: parseAnnotations(flags.annotations),
    registry: registryOptions(ctx, flags),
    ...(flags.skipReferenceCheck && { expectedReference: false as const }),
    ...(process.env.COSIGN_REPOSITORY !== undefined && { signatureRepository: process.env.COSIGN_REPOSITORY }),
  };
}

function keylessOptions(flags: VerifyFlags, trustedRoot: TrustedRoot): KeylessOptions | undefined {
  const identity = flags.certificateIdentity ?? flags.certificateIdentityRegexp;
  const issuer = flags.certificateOidcIssuer ?? flags.certificateOidcIssuerRegexp;
  if (identity === undefined && issuer === undefined) return undefined;
  if (identity === undefined || issuer === undefined) {
    throw new PalisadeError('USAGE', 'keyless verification needs both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]');
  }
  return {
    trustedRoot,
    ...(flags.certificateIdentity !== undefined && { identity: flags.certificateIdentity }),
    ...(flags.certificateIdentityRegexp !== undefined && { identityRegexp: flags.certificateIdentityRegexp }),
    ...(flags.certificateOidcIssuer !== undefined && { issuer: flags.certificateOidcIssuer }),
    ...(flags.certificateOidcIssuerRegexp !== undefined && { issuerRegexp: flags.certificateOidcIssuerRegexp }),
    ...(flags.insecureIgnoreTlog && { ignoreTlog: true }),
  };
}

/** A failed verification: its message and reason on stderr, exit 1 (other errors go to main()). */
async function guard<T>(ctx: CliContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ImageVerificationError)) throw err;
    ctx.log.error(`${err.message}\nreason: ${err.failure}`);
    throw new ExitRequest(err.exitCode, err.failure);
  }
}

function parseAnnotations(list: string[] = []): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const entry of list) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new PalisadeError('USAGE', `-a ${entry}: expected key=value`);
    annotations[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return annotations;
}

function parseBool(value: string, flag: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new PalisadeError('USAGE', `${flag} ${value}: expected true or false`);
}

/**
 * The predicate as cosign builds it: `custom` wraps the file's text as `{Data, Timestamp}`; the
 * other types take the file as JSON.
 */
async function readPredicate(path: string, type: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PalisadeError('INPUT_NOT_FOUND', `cannot read the predicate ${path}: ${errorMessage(err)}`);
  }
  if (type === 'custom') return { Data: text, Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PalisadeError('PARSE_ERROR', `${path}: a ${type} predicate must be JSON: ${errorMessage(err)}`);
  }
}
