/**
 * `palisade key generate`, `palisade sign-blob`, `palisade verify-blob`: cosign's blob commands with
 * cosign's flag names, so pipelines port by changing the binary name. Offline: nothing is uploaded
 * to a transparency log and keyless bundles are checked against a trusted root file (default: the
 * shipped Sigstore public-good root). Nothing is written unless every step succeeded.
 */
import { existsSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { Command } from 'commander';
import { PalisadeError, errorMessage } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fs.ts';
import { decodeSignature, signBlob, verifyBlobSignature } from '../trust/blob.ts';
import { publicGoodTrustedRoot, readTrustedRoot, verifyBundle, type BundlePolicy, type TrustedRoot } from '../trust/bundle/index.ts';
import { TrustError } from '../trust/errors.ts';
import { generateKeyPair, loadPublicKey, signData } from '../trust/keys.ts';
import { contextFrom, type GlobalOptions } from './context.ts';
import { passwordFromEnv, promptPassword, readSigningKey } from './password.ts';
import { readInputFile } from './inputs.ts';

export function keyCommand(globals: () => GlobalOptions): Command {
  const key = new Command('key').description('Signing keys in cosign’s formats');
  key.addCommand(
    new Command('generate')
      .description(
        'Generate an ECDSA P-256 key pair: <prefix>.key (cosign’s encrypted format) and <prefix>.pub (PKIX PEM). ' +
          'Password from $PALISADE_PASSWORD or $COSIGN_PASSWORD (may be empty), else prompted on the terminal',
      )
      .option('--output-prefix <prefix>', 'file name prefix of the key pair', 'cosign')
      .option('-y, --yes', 'overwrite existing key files')
      .action(async (options: { outputPrefix: string; yes?: boolean }) => {
        const ctx = contextFrom(globals());
        const privatePath = `${options.outputPrefix}.key`;
        const publicPath = `${options.outputPrefix}.pub`;
        for (const path of [privatePath, publicPath]) {
          if (!options.yes && existsSync(path)) throw new PalisadeError('USAGE', `${path} already exists (pass --yes to overwrite it)`);
        }
        const pair = generateKeyPair(await newPassword());
        await write(privatePath, pair.privateKeyPem, 0o600);
        await write(publicPath, pair.publicKeyPem);
        ctx.log.info(`Private key written to ${privatePath}`);
        ctx.log.info(`Public key written to ${publicPath}`);
      }),
  );
  return key;
}

export function signBlobCommand(globals: () => GlobalOptions): Command {
  return new Command('sign-blob')
    .description('Sign a file with a key: prints the base64 signature; --bundle also writes a Sigstore bundle v0.3 (no transparency-log entry)')
    .argument('<file>', 'the file to sign')
    .requiredOption('--key <path>', 'private key (cosign encrypted, PKCS#8, SEC1 or PKCS#1 PEM)')
    .option('--output-signature <path>', 'write the base64 signature to this file instead of stdout')
    .option('--bundle <path>', 'write a Sigstore bundle (verify it with verify-blob --bundle --key --insecure-ignore-tlog)')
    .option('-y, --yes', 'accepted for cosign compatibility (nothing is uploaded)')
    .option('--tlog-upload [bool]', 'accepted for cosign compatibility: Palisade never uploads to a transparency log')
    .action(async (file: string, options: { key: string; outputSignature?: string; bundle?: string }) => {
      const ctx = contextFrom(globals());
      const data = await readInputFile(file, 'file');
      const key = await readSigningKey(options.key);
      // Everything is computed before anything is written.
      const signature = options.bundle ? signBlob(data, key) : { signature: signData(key, data), bundle: undefined };
      const b64 = signature.signature.toString('base64');
      if (signature.bundle && options.bundle) await write(options.bundle, JSON.stringify(signature.bundle) + '\n');
      if (options.outputSignature) await write(options.outputSignature, b64);
      else ctx.stdout.write(`${b64}\n`);
      if (options.outputSignature) ctx.log.info(`Signature written to ${options.outputSignature}`);
      if (options.bundle) ctx.log.info(`Bundle written to ${options.bundle}`);
    });
}

interface VerifyBlobOptions {
  key?: string;
  certificate?: string;
  signature?: string;
  bundle?: string;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string;
  insecureIgnoreTlog?: boolean;
}

export function verifyBlobCommand(globals: () => GlobalOptions): Command {
  return new Command('verify-blob')
    .description(
      'Verify a file’s signature: with --key and --signature (detached, base64) or --bundle (Sigstore bundle, key-based or keyless). ' +
        'Without either, <file>.sigstore.json or <file>.sigstore is used when present. Exit 1 when it does not verify',
    )
    .argument('<file>', 'the signed file')
    .option('--key <path>', 'public key (PKIX PEM) or certificate PEM of the signer')
    .option('--certificate <path>', 'the signing certificate (PEM); must match the one in --bundle')
    .option('--signature <path>', 'detached signature file (base64, as sign-blob writes it), or the base64 signature itself')
    .option('--bundle <path>', 'Sigstore bundle (v0.1–v0.3)')
    .option('--certificate-identity <san>', 'keyless: expected certificate identity (email or URI)')
    .option('--certificate-identity-regexp <re>', 'keyless: expected certificate identity, as a regular expression')
    .option('--certificate-oidc-issuer <url>', 'keyless: expected OIDC issuer')
    .option('--certificate-oidc-issuer-regexp <re>', 'keyless: expected OIDC issuer, as a regular expression')
    .option('--trusted-root <path>', 'Sigstore trusted_root.json (default: the public-good instance root shipped with Palisade)')
    .option('--insecure-ignore-tlog', 'accept bundles without a transparency-log entry (as Palisade’s own sign-blob --bundle writes)')
    .action(async (file: string, options: VerifyBlobOptions) => {
      const ctx = contextFrom(globals());
      const data = await readInputFile(file, 'file');
      const publicKey = options.key ? loadPublicKey((await readInputFile(options.key, 'key')).toString('utf8')) : undefined;
      const bundlePath = options.bundle ?? (options.signature ? undefined : discoverBundle(file));
      if (bundlePath) {
        const verified = verifyBundle(await readInputFile(bundlePath, 'bundle'), data, bundlePolicy(options, publicKey), trustedRoot(options));
        if (options.certificate) await checkCertificate(options.certificate, verified.signer.key);
      } else if (options.signature) {
        if (!publicKey) {
          throw new PalisadeError(
            'USAGE',
            'a detached signature needs --key; a certificate signature can only be verified offline from its bundle (--bundle), which carries the transparency-log proof',
          );
        }
        verifyBlobSignature(data, decodeSignature(await readSignature(options.signature)), publicKey);
      } else {
        throw new PalisadeError('USAGE', `no signature for ${file}: pass --signature or --bundle`);
      }
      ctx.log.info('Verified OK');
    });
}

function bundlePolicy(options: VerifyBlobOptions, publicKey: KeyObject | undefined): BundlePolicy {
  return {
    ...(publicKey && { publicKey }),
    ...(options.certificateIdentity !== undefined && { identity: options.certificateIdentity }),
    ...(options.certificateIdentityRegexp !== undefined && { identityRegexp: options.certificateIdentityRegexp }),
    ...(options.certificateOidcIssuer !== undefined && { issuer: options.certificateOidcIssuer }),
    ...(options.certificateOidcIssuerRegexp !== undefined && { issuerRegexp: options.certificateOidcIssuerRegexp }),
    ...(options.insecureIgnoreTlog && { ignoreTlog: true }),
  };
}

function trustedRoot(options: VerifyBlobOptions): TrustedRoot {
  return options.trustedRoot ? readTrustedRoot(options.trustedRoot) : publicGoodTrustedRoot();
}

/** `--certificate` with a bundle: the bundle's signer must be that certificate's key. */
async function checkCertificate(path: string, signerKey: KeyObject): Promise<void> {
  const expected = loadPublicKey((await readInputFile(path, 'certificate')).toString('utf8'));
  if (!expected.equals(signerKey)) throw new TrustError('KEY_MISMATCH', `the bundle is not signed by the certificate ${path}`);
}

/** The Sigstore client spec's discovery order for a bundle beside the artifact. */
function discoverBundle(file: string): string | undefined {
  return [`${file}.sigstore.json`, `${file}.sigstore`].find((candidate) => existsSync(candidate));
}

/** cosign's `--signature` is a path, or else the base64 signature itself. */
async function readSignature(value: string): Promise<Buffer> {
  if (existsSync(value)) return readInputFile(value, 'signature');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value.trim())) return Buffer.from(value.trim());
  throw new PalisadeError('INPUT_NOT_FOUND', `signature ${value}: no such file`);
}

async function newPassword(): Promise<string> {
  const fromEnv = passwordFromEnv();
  if (fromEnv !== undefined) return fromEnv;
  const first = await promptPassword('Enter password for private key: ');
  if (first === undefined) {
    throw new PalisadeError('USAGE', 'no terminal to ask for a password: set PALISADE_PASSWORD or COSIGN_PASSWORD (the empty string is allowed)');
  }
  if ((await promptPassword('Enter password for private key again: ')) !== first) throw new PalisadeError('USAGE', 'passwords do not match');
  return first;
}

async function write(path: string, data: string, mode?: number): Promise<void> {
  try {
    await writeFileAtomic(path, data, mode === undefined ? undefined : { mode });
  } catch (err) {
    throw new PalisadeError('INPUT_UNREADABLE', `cannot write ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
