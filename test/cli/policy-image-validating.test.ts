/**
 * `palisade policy apply --registry --insecure` with an ImageValidatingPolicy against Debian's
 * docker-registry: a tag is pinned to its verified digest in the printed resource (table and
 * JSON), and without --registry the tag fails verifyDigest.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitRequest } from '../../src/cli/context.ts';
import { policyCommand } from '../../src/cli/policy.ts';
import { signImage } from '../../src/trust/oci/sign.ts';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../image/registry/helpers/docker-registry.ts';
import { buildImage, pushImage } from '../image/registry/helpers/images.ts';
import { SIGNED_BY_CI, imagePolicy, keyAttestor } from '../policy/cel/helpers.ts';
import { REGISTRY_OPTIONS, p256, plainClient } from '../trust/oci/helpers.ts';

const available = dockerRegistryAvailable();

describe.skipIf(!available)('palisade policy apply with an ImageValidatingPolicy', () => {
  let registry: RunningRegistry;
  let dir: string;
  let image: string;
  let digest: string;
  let stdout: string;

  beforeAll(async () => {
    registry = await startDockerRegistry();
    dir = await mkdtemp(join(tmpdir(), 'palisade-cli-ivpol-'));
    const built = await buildImage({ layers: [{ 'app/id': 'cli\n' }] });
    await pushImage(plainClient(registry.host), 'team/app', built, 'v1');
    image = `${registry.host}/team/app:v1`;
    digest = built.manifestDigest;
    const keys = p256();
    await signImage(image, { privateKey: keys.privateKey, registry: REGISTRY_OPTIONS });
    await writeFile(
      join(dir, 'policy.yaml'),
      imagePolicy('signed', `${registry.host}/*`, `${keyAttestor(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString())}\n${SIGNED_BY_CI}`),
    );
    await writeFile(
      join(dir, 'kyverno-test.yaml'),
      'apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n  name: signed\npolicies: [policy.yaml]\nresources: [pod.yaml]\nresults:\n- isImageValidatingPolicy: true\n  kind: Pod\n  policy: signed\n  resources: [app]\n  result: pass\n',
    );
    await writeFile(join(dir, 'pod.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: default\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`);
  });

  afterAll(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    return () => vi.restoreAllMocks();
  });

  const run = async (...args: string[]): Promise<number> => {
    try {
      await policyCommand(() => ({ quiet: true })).parseAsync(['apply', join(dir, 'policy.yaml'), '-r', join(dir, 'pod.yaml'), ...args], { from: 'user' });
      return 0;
    } catch (err) {
      if (err instanceof ExitRequest) return err.code;
      throw err;
    }
  };

  it('prints the Pod pinned to the verified digest', async () => {
    expect(await run('--registry', '--insecure')).toBe(0);
    expect(stdout).toContain('mutate policy signed applied to default/Pod/app:');
    expect(stdout).toContain(`image: ${image}@${digest}`);
    expect(stdout).toMatch(/pass: 1, fail: 0, warn: 0, error: 0, skip: 0\n$/);
  });

  it('lists the pinned Pod under patchedResources in JSON', async () => {
    expect(await run('--registry', '--insecure', '--format', 'json')).toBe(0);
    const doc = JSON.parse(stdout) as { patchedResources: { spec: { containers: { image: string }[] } }[] };
    expect(doc.patchedResources[0]!.spec.containers[0]!.image).toBe(`${image}@${digest}`);
  });

  it('policy test --registry verifies the kyverno-test.yaml suite; offline the tag fails verifyDigest', async () => {
    const test = async (...args: string[]) => {
      try {
        await policyCommand(() => ({ quiet: true })).parseAsync(['test', dir, ...args], { from: 'user' });
        return 0;
      } catch (err) {
        if (err instanceof ExitRequest) return err.code;
        throw err;
      }
    };
    expect(await test('--registry', '--insecure')).toBe(0);
    stdout = '';
    expect(await test('--detailed-results')).toBe(1);
    expect(stdout).toContain(`image ${image} does not have a digest`);
  });

  it('without --registry the tag is not pinned and fails verifyDigest (exit 1)', async () => {
    expect(await run()).toBe(1);
    expect(stdout).toContain(`1. signed: image ${image} does not have a digest`);
  });
});
