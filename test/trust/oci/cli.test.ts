/**
 * `palisade sign / verify / attest / verify-attestation` as a user runs them: real processes, a
 * cosign-format encrypted key with COSIGN_PASSWORD, a real docker-registry on 127.0.0.1, exit codes
 * and streams.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryClient } from '../../../src/image/registry/index.ts';
import { generateKeyPair, loadPrivateKey } from '../../../src/trust/keys.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage, sha256 } from '../../image/registry/helpers/images.ts';
import { PROVENANCE, plainClient } from './helpers.ts';
import { signLogged } from './logged.ts';
import { TestRekor } from '../test-rekor.ts';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..', '..');
const available = dockerRegistryAvailable();
const PASSWORD = 'correct horse';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

// Each case starts several processes: generous time on a busy machine.
describe.skipIf(!available)('palisade sign / verify / attest / verify-attestation', { timeout: 90_000 }, () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let dir: string;
  let counter = 0;

  async function palisade(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, COSIGN_PASSWORD: PASSWORD, DOCKER_CONFIG: dir, ...env };
    delete childEnv.PALISADE_PASSWORD;
    try {
      const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { env: childEnv, cwd: dir });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  async function image(): Promise<{ ref: string; repo: string; digest: string }> {
    const repo = `cli/app${++counter}`;
    const built = await buildImage({ layers: [{ 'id': `cli ${counter}\n` }] });
    await pushImage(client, repo, built, 'v1');
    return { ref: `${registry.host}/${repo}:v1`, repo, digest: built.manifestDigest };
  }

  beforeAll(async () => {
    registry = await startDockerRegistry();
    client = plainClient(registry.host);
    dir = await mkdtemp(join(tmpdir(), 'palisade-trust-cli-'));
    await writeFile(join(dir, 'config.json'), '{}');
    const pair = generateKeyPair(PASSWORD);
    await writeFile(join(dir, 'cosign.key'), pair.privateKeyPem);
    await writeFile(join(dir, 'cosign.pub'), pair.publicKeyPem);
    const stranger = generateKeyPair('');
    await writeFile(join(dir, 'other.pub'), stranger.publicKeyPem);
    await writeFile(join(dir, 'provenance.json'), JSON.stringify(PROVENANCE));
    await writeFile(join(dir, 'pass.yaml'), 'all:\n  - key: "{{ runDetails.builder.id }}"\n    operator: Equals\n    value: https://github.com/actions/runner/github-hosted\n');
    await writeFile(join(dir, 'fail.yaml'), 'expressions:\n  - "predicate.runDetails.builder.id == \'https://example.com/other\'"\n');
  }, 60_000);

  afterAll(async () => {
    await registry?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('shows help for every command', async () => {
    for (const command of ['sign', 'verify', 'attest', 'verify-attestation']) {
      const r = await palisade([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain('--key');
    }
  });

  it('signs in both formats and verifies, printing the payloads as cosign does', async () => {
    const { ref, digest } = await image();
    const v3 = await palisade(['sign', ref, '--key', 'cosign.key', '--insecure', '-a', 'env=prod']);
    expect(v3.code, v3.stderr).toBe(0);
    expect(v3.stdout).toBe('');
    expect(v3.stderr).toContain(`signed ${ref} (${digest})`);
    const legacy = await palisade(['sign', ref, '--key', 'cosign.key', '--allow-http-registry', '--new-bundle-format=false', '-a', 'env=prod', '--tlog-upload=false', '-y']);
    expect(legacy.code, legacy.stderr).toBe(0);

    const verified = await palisade(['verify', ref, '--key', 'cosign.pub', '--insecure-ignore-tlog', '--insecure', '-a', 'env=prod']);
    expect(verified.code, verified.stderr).toBe(0);
    const payloads = JSON.parse(verified.stdout) as { critical: { type: string; image: Record<string, string> }; optional: Record<string, string> }[];
    expect(payloads.map((p) => p.critical.type).sort()).toEqual(['cosign container image signature', 'https://sigstore.dev/cosign/sign/v1']);
    expect(payloads.every((p) => p.critical.image['docker-manifest-digest'] === digest && p.optional.env === 'prod')).toBe(true);
    expect(verified.stderr).toContain('The cosign claims were validated');

    const text = await palisade(['verify', ref, '--key', 'cosign.pub', '--insecure-ignore-tlog', '--insecure', '-o', 'text', '-q']);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stderr).toBe('');
  });

  it('fails with exit 1 and a named reason', async () => {
    const { ref } = await image();
    const none = await palisade(['verify', ref, '--key', 'cosign.pub', '--insecure-ignore-tlog', '--insecure']);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('reason: NO_SIGNATURES');

    expect((await palisade(['sign', ref, '--key', 'cosign.key', '--insecure'])).code).toBe(0);
    // As cosign verify --key does, a key signature needs a transparency-log entry: Palisade's own have none.
    const unlogged = await palisade(['verify', ref, '--key', 'cosign.pub', '--insecure']);
    expect(unlogged.code).toBe(1);
    expect(unlogged.stderr).toContain('no transparency log entry');
    expect(unlogged.stderr).toContain('reason: TLOG_ERROR');
    const wrongKey = await palisade(['verify', ref, '--key', 'other.pub', '--insecure-ignore-tlog', '--insecure']);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('reason: SIGNATURE_INVALID');
    const annotation = await palisade(['verify', ref, '--key', 'cosign.pub', '--insecure-ignore-tlog', '--insecure', '-a', 'env=prod']);
    expect(annotation.code).toBe(1);
    expect(annotation.stderr).toContain('reason: ANNOTATION_MISMATCH');
  });

  it('writes nothing when the password is wrong, and rejects bad input with exit 2', async () => {
    const { ref, repo, digest } = await image();
    const wrong = await palisade(['sign', ref, '--key', 'cosign.key', '--insecure'], { COSIGN_PASSWORD: 'wrong' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('wrong password');
    expect(await client.headManifest(repo, `sha256-${digest.slice(7)}`)).toBeUndefined();
    expect(await client.headManifest(repo, `sha256-${digest.slice(7)}.sig`)).toBeUndefined();

    expect((await palisade(['sign', ref, '--key', 'cosign.key', '--insecure', '-a', 'novalue'])).code).toBe(2);
    expect((await palisade(['sign', ref, '--key', 'missing.key', '--insecure'])).code).toBe(2);
    expect((await palisade(['verify', ref, '--key', 'cosign.key', '--insecure'])).code).toBe(2);
    expect((await palisade(['attest', ref, '--key', 'cosign.key', '--predicate', 'provenance.json', '--type', 'no such type', '--insecure'])).code).toBe(2);
  });

  it('attests and verifies attestations against a policy', async () => {
    const { ref, digest } = await image();
    const attested = await palisade(['attest', ref, '--key', 'cosign.key', '--predicate', 'provenance.json', '--type', 'slsaprovenance1', '--insecure']);
    expect(attested.code, attested.stderr).toBe(0);
    const legacy = await palisade(['attest', ref, '--key', 'cosign.key', '--predicate', 'provenance.json', '--type', 'slsaprovenance1', '--insecure', '--legacy-format']);
    expect(legacy.code, legacy.stderr).toBe(0);

    const pass = await palisade(['verify-attestation', ref, '--key', 'cosign.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance1', '--policy', 'pass.yaml', '--insecure']);
    expect(pass.code, pass.stderr).toBe(0);
    const envelopes = pass.stdout.trim().split('\n').map((line) => JSON.parse(line) as { payloadType: string; payload: string });
    expect(envelopes).toHaveLength(2);
    for (const e of envelopes) {
      const statement = JSON.parse(Buffer.from(e.payload, 'base64').toString()) as { subject: { digest: { sha256: string } }[]; predicateType: string };
      expect(e.payloadType).toBe('application/vnd.in-toto+json');
      expect(statement.subject[0]!.digest.sha256).toBe(digest.slice(7));
      expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    }

    const fail = await palisade(['verify-attestation', ref, '--key', 'cosign.pub', '--insecure-ignore-tlog', '--type', 'slsaprovenance1', '--policy', 'fail.yaml', '--insecure']);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain('reason: POLICY_ERROR');
    // cosign's default type is custom: these provenance attestations do not match it.
    const custom = await palisade(['verify-attestation', ref, '--key', 'cosign.pub', '--insecure-ignore-tlog', '--insecure']);
    expect(custom.code).toBe(1);
    expect(custom.stderr).toContain('reason: PREDICATE_TYPE_MISMATCH');
  });

  it('signs and verifies an oci: layout offline', async () => {
    const layout = join(dir, 'layout');
    const built = await buildImage({ layers: [{ id: 'layout\n' }] });
    await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
    for (const blob of [built.manifest, built.config, ...built.layers.map((l) => l.blob)]) await writeFile(join(layout, 'blobs', 'sha256', sha256(blob).slice(7)), blob);
    await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: built.mediaType, digest: built.manifestDigest, size: built.manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
    }));
    expect((await palisade(['sign', 'oci:layout:v1', '--key', 'cosign.key'])).code).toBe(0);
    expect((await palisade(['attest', 'oci:layout:v1', '--key', 'cosign.key', '--predicate', 'provenance.json'])).code).toBe(0);
    const verified = await palisade(['verify', 'oci:layout:v1', '--key', 'cosign.pub', '--insecure-ignore-tlog']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toHaveLength(1);
    const custom = await palisade(['verify-attestation', 'oci:layout:v1', '--key', 'cosign.pub', '--insecure-ignore-tlog', '--type', 'custom']);
    expect(custom.code, custom.stderr).toBe(0);
    const statement = JSON.parse(Buffer.from((JSON.parse(custom.stdout) as { payload: string }).payload, 'base64').toString()) as { predicate: { Data: string } };
    expect(JSON.parse(statement.predicate.Data)).toEqual(PROVENANCE);

    // A signature logged in a transparency log verifies without --insecure-ignore-tlog, against the log key of --trusted-root.
    const rekor = new TestRekor();
    await writeFile(join(dir, 'rekor-root.json'), JSON.stringify(rekor.rootJson));
    await signLogged(`oci:${layout}:v1`, loadPrivateKey(await readFile(join(dir, 'cosign.key'), 'utf8'), PASSWORD), rekor, { format: 'legacy' });
    const logged = await palisade(['verify', 'oci:layout:v1', '--key', 'cosign.pub', '--trusted-root', 'rekor-root.json']);
    expect(logged.code, logged.stderr).toBe(0);
    expect(JSON.parse(logged.stdout)).toHaveLength(1);
    expect(logged.stderr).toContain('Existence of the claims in the transparency log was verified offline');
  });
});
