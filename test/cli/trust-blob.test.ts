/**
 * `palisade key generate`, `sign-blob`, `verify-blob` as a user runs them: through main() (the
 * real wiring, exit codes and error printing) in a temporary directory, passwords from the
 * environment, exit codes 0 / 1 (does not verify) / 2 (bad input); one real process checks that
 * the exit code reaches the shell.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parsePem } from '../../src/trust/pem.ts';
import { repoRoot } from '../helpers/corpus.ts';
import { fixturePath } from '../trust/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-trust-blob-'));
const PASSWORD_VARS = ['PALISADE_PASSWORD', 'COSIGN_PASSWORD'];

/** Runs `palisade ...args` in-process; relative paths in `args` are taken from the temp directory. */
async function palisade(args: string[], env: Record<string, string> = {}) {
  const saved = PASSWORD_VARS.map((k) => [k, process.env[k]] as const);
  for (const k of PASSWORD_VARS) delete process.env[k];
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    const code = await main(['node', 'palisade', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.chdir(cwd);
    out.mockRestore();
    err.mockRestore();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

beforeAll(async () => {
  writeFileSync(join(dir, 'artifact.txt'), 'hello from palisade\n');
  writeFileSync(join(dir, 'other.txt'), 'something else\n');
  const generated = await palisade(['key', 'generate'], { PALISADE_PASSWORD: 'correct horse' });
  expect(generated.code, generated.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('palisade key generate', () => {
  it('writes cosign.key (mode 600, cosign’s encrypted format) and cosign.pub', () => {
    expect(statSync(join(dir, 'cosign.key')).mode & 0o777).toBe(0o600);
    const [block] = parsePem(readFileSync(join(dir, 'cosign.key'), 'utf8'));
    expect(block?.label).toBe('ENCRYPTED SIGSTORE PRIVATE KEY');
    expect(JSON.parse(block!.der.toString()).kdf.params).toEqual({ N: 65536, r: 8, p: 1 });
    expect(readFileSync(join(dir, 'cosign.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('refuses to overwrite without --yes, and honours --output-prefix and COSIGN_PASSWORD', async () => {
    const again = await palisade(['key', 'generate'], { PALISADE_PASSWORD: 'x' });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/cosign\.key already exists/);
    const other = await palisade(['key', 'generate', '--output-prefix', 'release'], { COSIGN_PASSWORD: '' });
    expect(other.code, other.stderr).toBe(0);
    expect(existsSync(join(dir, 'release.key')) && existsSync(join(dir, 'release.pub'))).toBe(true);
  });

  it('without a terminal or a password variable, says how to give one', async () => {
    const r = await palisade(['key', 'generate', '--output-prefix', 'nopw']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PALISADE_PASSWORD or COSIGN_PASSWORD/);
    expect(existsSync(join(dir, 'nopw.key'))).toBe(false);
  });
});

describe('palisade sign-blob / verify-blob', () => {
  const pw = { PALISADE_PASSWORD: 'correct horse' };

  it('prints a base64 signature that verify-blob accepts, and rejects for another file with exit 1', async () => {
    const signed = await palisade(['sign-blob', 'artifact.txt', '--key', 'cosign.key'], pw);
    expect(signed.code, signed.stderr).toBe(0);
    const sig = signed.stdout.trim();
    expect(Buffer.from(sig, 'base64')[0]).toBe(0x30); // DER ECDSA
    writeFileSync(join(dir, 'artifact.sig'), sig);
    const ok = await palisade(['verify-blob', 'artifact.txt', '--key', 'cosign.pub', '--signature', 'artifact.sig']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/Verified OK/);
    const inline = await palisade(['verify-blob', 'artifact.txt', '--key', 'cosign.pub', '--signature', sig]);
    expect(inline.code, inline.stderr).toBe(0);
    const bad = await palisade(['verify-blob', 'other.txt', '--key', 'cosign.pub', '--signature', 'artifact.sig']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/does not verify/);
  });

  it('writes --output-signature and a v0.3 --bundle, verified with --insecure-ignore-tlog (and found beside the file)', async () => {
    const signed = await palisade(
      ['sign-blob', 'artifact.txt', '--key', 'cosign.key', '--output-signature', 'out.sig', '--bundle', 'artifact.txt.sigstore.json', '--yes'],
      pw,
    );
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toBe('');
    const bundle = JSON.parse(readFileSync(join(dir, 'artifact.txt.sigstore.json'), 'utf8')) as { mediaType: string; messageSignature: { signature: string } };
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.messageSignature.signature).toBe(readFileSync(join(dir, 'out.sig'), 'utf8'));

    const noTlog = await palisade(['verify-blob', 'artifact.txt', '--key', 'cosign.pub', '--bundle', 'artifact.txt.sigstore.json']);
    expect(noTlog.code).toBe(1);
    expect(noTlog.stderr).toMatch(/--insecure-ignore-tlog/);
    const ok = await palisade(['verify-blob', 'artifact.txt', '--key', 'cosign.pub', '--bundle', 'artifact.txt.sigstore.json', '--insecure-ignore-tlog']);
    expect(ok.code, ok.stderr).toBe(0);
    const discovered = await palisade(['verify-blob', 'artifact.txt', '--key', 'cosign.pub', '--insecure-ignore-tlog']);
    expect(discovered.code, discovered.stderr).toBe(0);
    const wrongKey = await palisade(['verify-blob', 'artifact.txt', '--key', 'release.pub', '--insecure-ignore-tlog']);
    expect(wrongKey.code).toBe(1);
  });

  it('verifies a keyless bundle against the shipped public-good root, with identity and issuer', async () => {
    const args = ['verify-blob', fixturePath('conformance-a.txt'), '--bundle', fixturePath('conformance-happy-path-v0.3.sigstore.json')];
    const ok = await palisade([
      ...args,
      '--certificate-identity-regexp',
      '^https://github\\.com/sigstore-conformance/',
      '--certificate-oidc-issuer',
      'https://token.actions.githubusercontent.com',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = await palisade([...args, '--certificate-identity', 'me@example.com', '--certificate-oidc-issuer', 'https://token.actions.githubusercontent.com']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/me@example\.com/);
    const missing = await palisade(args);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--certificate-identity/);
  });

  it('fails with exit 2 and writes nothing for a wrong password, and for malformed inputs', async () => {
    const wrong = await palisade(['sign-blob', 'artifact.txt', '--key', 'cosign.key', '--bundle', 'never.json', '--output-signature', 'never.sig'], {
      PALISADE_PASSWORD: 'battery staple',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/wrong password/);
    expect(readdirSync(dir).filter((f) => f.startsWith('never'))).toEqual([]);

    writeFileSync(join(dir, 'junk.json'), '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}');
    const badBundle = await palisade(['verify-blob', 'artifact.txt', '--key', 'cosign.pub', '--bundle', 'junk.json']);
    expect(badBundle.code).toBe(2);
    expect(badBundle.stderr).toMatch(/malformed bundle/);
    const badKey = await palisade(['verify-blob', 'artifact.txt', '--key', 'artifact.txt', '--signature', 'artifact.sig']);
    expect(badKey.code).toBe(2);
    const missingFile = await palisade(['verify-blob', 'absent.txt', '--key', 'cosign.pub', '--signature', 'artifact.sig']);
    expect(missingFile.code).toBe(2);
    const certOnly = await palisade(['verify-blob', 'artifact.txt', '--certificate', fixturePath('fulcio-leaf.crt'), '--signature', 'artifact.sig']);
    expect(certOnly.code).toBe(2);
    expect(certOnly.stderr).toMatch(/--bundle/);
    for (const r of [wrong, badBundle, badKey, missingFile, certOnly]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits non-zero from a real process without a stack trace', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'src/cli/main.ts'), 'verify-blob', 'other.txt', '--key', 'cosign.pub', '--signature', 'artifact.sig'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: the signature does not verify/);
  });
});
