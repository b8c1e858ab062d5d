/**
 * `palisade provenance generate|verify` through main(): CI variables in, statement or envelope out,
 * verification results on stdout, reasons on stderr, exit codes 0 / 1 (does not verify) / 2 (bad input).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { repoRoot } from '../helpers/corpus.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-provenance-'));
const CLEARED = ['GITHUB_ACTIONS', 'GITLAB_CI', 'PALISADE_PASSWORD', 'COSIGN_PASSWORD'];
const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_REF: 'refs/tags/v1.4.2',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/tags/v1.4.2',
  GITHUB_RUN_ID: '99',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_EVENT_NAME: 'push',
  RUNNER_ENVIRONMENT: 'github-hosted',
};

writeFileSync(join(dir, 'app.bin'), 'the artifact\n');
writeFileSync(join(dir, 'other.bin'), 'another artifact\n');
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
writeFileSync(join(dir, 'signing.key'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
writeFileSync(join(dir, 'signing.pub'), publicKey.export({ format: 'pem', type: 'spki' }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `palisade ...args` in the temp directory with only `env` as CI variables. */
async function palisade(args: string[], env: Record<string, string> = {}) {
  const saved = [...CLEARED, ...Object.keys(env)].map((k) => [k, process.env[k]] as const);
  for (const k of CLEARED) delete process.env[k];
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

describe('palisade provenance generate', () => {
  it('writes an unsigned SLSA v1 statement from GitHub Actions variables', async () => {
    const { code, stdout, stderr } = await palisade(['provenance', 'generate', '--subject', 'app.bin'], GITHUB);
    expect(code, stderr).toBe(0);
    const statement = JSON.parse(stdout) as { predicateType: string; subject: unknown; predicate: { buildDefinition: { externalParameters: unknown } } };
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.subject).toEqual([{ name: 'app.bin', digest: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } }]);
    expect(statement.predicate.buildDefinition.externalParameters).toEqual({
      workflow: { ref: 'refs/tags/v1.4.2', repository: 'https://github.com/acme/app', path: '.github/workflows/release.yml' },
    });
  });

  it('signs with --sign --key, and the envelope verifies with the public key', async () => {
    const generated = await palisade(['provenance', 'generate', '--subject', 'app.bin', '--sign', '--key', 'signing.key', '-o', 'app.intoto.json'], GITHUB);
    expect(generated.code, generated.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'app.intoto.json'), 'utf8'))).toMatchObject({ payloadType: 'application/vnd.in-toto+json' });
    const args = ['provenance', 'verify', '--provenance', 'app.intoto.json', '--artifact', 'app.bin', '--key', 'signing.pub', '--source-uri', 'github.com/acme/app'];
    const verified = await palisade([...args, '--source-versioned-tag', 'v1.4']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      verified: true,
      builderId: 'https://github.com/actions/runner/github-hosted',
      source: { repository: 'https://github.com/acme/app', ref: 'refs/tags/v1.4.2' },
      signature: { method: 'key' },
    });
    expect(verified.stderr).toMatch(/PASSED/);

    const printed = await palisade([...args, '--print-provenance']);
    expect(JSON.parse(printed.stdout)).toMatchObject({ _type: 'https://in-toto.io/Statement/v1' });

    const failed = await palisade([...args.slice(0, -2), '--source-uri', 'github.com/acme/other']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/reason: SOURCE_MISMATCH/);

    const otherArtifact = await palisade([...args.slice(0, 5), 'other.bin', ...args.slice(6)]);
    expect(otherArtifact.code).toBe(1);
    expect(otherArtifact.stderr).toMatch(/reason: DIGEST_MISMATCH/);
  });

  it('exits 2 outside CI without --builder-id, and for --sign without --key', async () => {
    const outside = await palisade(['provenance', 'generate', '--subject', 'app.bin']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/reason: INVALID_OPTION/);
    expect((await palisade(['provenance', 'generate', '--subject', 'app.bin', '--sign'], GITHUB)).code).toBe(2);
    const flags = await palisade(['provenance', 'generate', '--subject', 'app.bin', '--builder-id', 'https://ci.example/builder', '--source-uri', 'github.com/acme/app']);
    expect(flags.code, flags.stderr).toBe(0);
    expect(JSON.parse(flags.stdout)).toMatchObject({ predicate: { runDetails: { builder: { id: 'https://ci.example/builder' } } } });
  });
});

describe('palisade provenance verify', () => {
  it('refuses an unsigned statement unless --allow-unsigned', async () => {
    const generated = await palisade(['provenance', 'generate', '--subject', 'app.bin', '-o', 'unsigned.json'], GITHUB);
    expect(generated.code).toBe(0);
    const refused = await palisade(['provenance', 'verify', '--provenance', 'unsigned.json', '--artifact', 'app.bin']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/reason: SIGNATURE_INVALID/);
    const allowed = await palisade(['provenance', 'verify', '--provenance', 'unsigned.json', '--artifact', 'app.bin', '--allow-unsigned']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/warning: no --source-uri/);
  });

  it('verifies slsa-github-generator provenance keylessly against the shipped trusted root', async () => {
    const provenance = join(repoRoot, 'test/fixtures/provenance/generic-annotated-tag.intoto.jsonl');
    const args = ['provenance', 'verify', '--provenance', provenance, '--digest', 'sha256:482ce8c8f7e867da3a3c05a9aee637703e17470ed1cf882a9e5b405e8f82619d'];
    const ok = await palisade([...args, '--source-uri', 'github.com/asraa/slsa-on-github-test', '--source-tag', 'v1.5.0']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/warning: signing time not proven/);
    const branch = await palisade([...args, '--source-uri', 'github.com/asraa/slsa-on-github-test', '--source-branch', 'main']);
    expect(branch.code).toBe(1);
    expect(branch.stderr).toMatch(/reason: INVALID_REF/);
  });

  it('exits 2 for bad input', async () => {
    writeFileSync(join(dir, 'junk.json'), '{"not": "provenance"}');
    const junk = await palisade(['provenance', 'verify', '--provenance', 'junk.json', '--artifact', 'app.bin']);
    expect(junk.code).toBe(2);
    expect(junk.stderr).toMatch(/reason: MALFORMED_PROVENANCE/);
    expect((await palisade(['provenance', 'verify', '--provenance', 'junk.json'])).code).toBe(2);
    expect((await palisade(['provenance', 'verify', '--provenance', 'missing.json', '--artifact', 'app.bin'])).code).toBe(2);
    expect((await palisade(['provenance', 'verify', '--provenance', 'junk.json', '--digest', 'nothex'])).code).toBe(2);
    const both = await palisade(['provenance', 'verify', '--provenance', 'junk.json', '--artifact', 'app.bin', '--source-tag', 'v1', '--source-versioned-tag', 'v1']);
    expect(both.code).toBe(2);
  });
});
