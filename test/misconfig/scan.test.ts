import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PalisadeError } from '../../src/core/errors.ts';
import { isDockerfileName, scanMisconfig } from '../../src/misconfig/scan.ts';
import { repoRoot } from '../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/misconfig');
const tmp = mkdtempSync(join(tmpdir(), 'palisade-misconfig-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  mkdirSync(join(tmp, rel, '..'), { recursive: true });
  writeFileSync(join(tmp, rel), text);
}

describe('scanMisconfig', () => {
  it('scans every manifest and Dockerfile of a directory, reporting root-relative file:line', async () => {
    const r = await scanMisconfig(fixtures);
    expect(r.target).toEqual({ kind: 'dir', name: fixtures });
    expect(r.misconfig!.files).toEqual([
      'dockerfile/Containerfile',
      'dockerfile/Dockerfile.hardened',
      'dockerfile/Dockerfile.insecure',
      'dockerfile/heredoc.Dockerfile',
      'k8s/config.yaml',
      'k8s/hardened.yaml',
      'k8s/insecure-pod.yaml',
      'k8s/invalid.yaml',
      'k8s/list.yaml',
      'k8s/pod.json',
      'k8s/rbac.yaml',
      'k8s/workloads.yaml',
    ]);
    expect(r.misconfig!.objects).toBe(25);
    const privileged = r.findings.find((f) => f.id === 'PAL-K8S-001' && f.location?.path === 'k8s/insecure-pod.yaml')!;
    expect(privileged).toMatchObject({
      kind: 'misconfig',
      severity: 'HIGH',
      title: 'Privileged container',
      target: fixtures,
      location: { path: 'k8s/insecure-pod.yaml', line: 28 },
      evidence: 'Pod default/everything-wrong: privileged (container "app" must not set securityContext.privileged=true)',
    });
    expect(privileged.misconfig).toMatchObject({
      type: 'kubernetes',
      aliases: ['KSV-0017', 'AVD-KSV-0017', 'KSV017'],
      object: { kind: 'Pod', namespace: 'default', name: 'everything-wrong' },
      field: 'spec.containers[0].securityContext.privileged',
    });
    const root = r.findings.find((f) => f.id === 'PAL-DF-001')!;
    expect(root).toMatchObject({ location: { path: 'dockerfile/Dockerfile.insecure', line: 15 }, evidence: 'Stage base: USER root' });
    expect(root.misconfig).toMatchObject({ type: 'dockerfile', aliases: ['DS-0002', 'AVD-DS-0002', 'DS002'], object: { kind: 'Stage', name: 'base' } });
  });

  it('sorts findings by file and line, and reports broken manifests as issues', async () => {
    const r = await scanMisconfig(fixtures);
    const keys = r.findings.map((f) => [f.location!.path, f.location!.line!] as const);
    const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    expect(keys).toEqual(sorted);
    expect(r.incomplete).toEqual([{ path: 'k8s/invalid.yaml', line: 13, message: expect.stringMatching(/^invalid YAML/) }]);
    expect(r.packagesScanned).toBe(0);
  });

  it('skips node_modules and --skip-dirs, by name or by path', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a, securityContext: {privileged: true}}]}\n';
    write('walk/node_modules/pkg/pod.yaml', pod);
    write('walk/vendor/pod.yaml', pod);
    write('walk/deploy/generated/pod.yaml', pod);
    write('walk/deploy/pod.yaml', pod);
    write('walk/.git/pod.yaml', pod);
    const all = await scanMisconfig(join(tmp, 'walk'));
    expect(all.misconfig!.files).toEqual(['deploy/generated/pod.yaml', 'deploy/pod.yaml', 'vendor/pod.yaml']);
    const skipped = await scanMisconfig(join(tmp, 'walk'), { skipDirs: ['vendor', 'deploy/generated'] });
    expect(skipped.misconfig!.files).toEqual(['deploy/pod.yaml']);
  });

  it('scans a single manifest or Dockerfile, with paths as given', async () => {
    const file = join(fixtures, 'k8s/rbac.yaml');
    const r = await scanMisconfig(file);
    expect(r.target).toEqual({ kind: 'file', name: file });
    expect(r.findings.map((f) => `${f.id}@${f.location!.line}`)).toEqual(['PAL-K8S-030@8', 'PAL-K8S-031@10', 'PAL-K8S-032@26']);
    expect(r.findings[0]!.location!.path).toBe(file);
    const df = await scanMisconfig(join(fixtures, 'dockerfile/Dockerfile.hardened'));
    expect(df.findings).toEqual([]);
    expect(df.misconfig!.files).toHaveLength(1);
  });

  it('turns an unparsable Dockerfile into an issue with its line', async () => {
    write('bad/Dockerfile', 'FROM alpine:3\nRUNN make\n');
    const r = await scanMisconfig(join(tmp, 'bad'));
    expect(r.incomplete).toEqual([{ path: 'Dockerfile', line: 2, message: 'Dockerfile: unknown instruction: RUNN' }]);
    expect(r.misconfig!.files).toEqual([]);
  });

  it('skips configuration files over the size limit with an issue', async () => {
    write('big/pod.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: "${'a'.repeat(2000)}"\n`);
    const r = await scanMisconfig(join(tmp, 'big'), { maxFileBytes: 1000 });
    expect(r.incomplete).toEqual([{ path: 'pod.yaml', message: expect.stringMatching(/larger than the 1000-byte limit/) }]);
  });

  it('rejects missing inputs and files it cannot check', async () => {
    await expect(scanMisconfig(join(tmp, 'absent'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    write('notes.txt', 'hello');
    const err = await scanMisconfig(join(tmp, 'notes.txt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PalisadeError);
    expect((err as PalisadeError).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('recognises Dockerfile names', () => {
    for (const name of ['Dockerfile', 'dockerfile', 'Dockerfile.prod', 'api.Dockerfile', 'Containerfile', 'build/Containerfile.ubi']) expect(isDockerfileName(name), name).toBe(true);
    for (const name of ['Dockerfile.dockerignore', 'Dockerfile.md', 'MyDockerfile', 'dockerfiles/README', 'docker-compose.yml']) expect(isDockerfileName(name), name).toBe(false);
  });
});
