import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jsonLog } from '../../src/admission/log.ts';
import { AdmissionMetrics } from '../../src/admission/metrics.ts';
import { loadAdmissionPolicies } from '../../src/admission/policy-set.ts';
import { PolicyReloader, watchPaths } from '../../src/admission/reload.ts';
import { expandPaths } from '../../src/policy/engine/documents.ts';
import { startAdmissionServer, type AdmissionServer } from '../../src/admission/server.ts';
import { POD_CREATE } from '../policy/cel/helpers.ts';
import { decode, eventually, get, hasOpenssl, pod, post, review, selfSignedCertificate } from './https.ts';

/** A ValidatingPolicy denying Pods whose image has the given prefix. */
function denyImages(prefix: string): string {
  return `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: deny-images
spec:
${POD_CREATE}
  validations:
  - expression: "object.spec.containers.all(c, !c.image.startsWith('${prefix}'))"
    message: "images from ${prefix} are not allowed"
`;
}

/** A ConfigMap volume as the kubelet's AtomicWriter lays it out: `policy.yaml` → `..data/policy.yaml`, `..data` → `generation`. */
function mountConfigMap(prefix: string, generation: string, policy: string): string {
  const volume = mkdtempSync(prefix);
  mkdirSync(join(volume, generation));
  writeFileSync(join(volume, generation, 'policy.yaml'), policy);
  symlinkSync(generation, join(volume, '..data'));
  symlinkSync('..data/policy.yaml', join(volume, 'policy.yaml'));
  return volume;
}

/** The AtomicWriter's update: write generation `to`, swap `..data` to it by rename, remove `from`. */
function updateConfigMap(volume: string, from: string, to: string, policy: string): void {
  mkdirSync(join(volume, to));
  writeFileSync(join(volume, to, 'policy.yaml'), policy);
  symlinkSync(to, join(volume, '..data_tmp'));
  renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
  rmSync(join(volume, from), { recursive: true });
}

const BROKEN = `apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: deny-images
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  validations:
  - expression: "object.spec.containers.all(c, !c.image.startsWith("
`;

class LogLines {
  readonly lines: Record<string, unknown>[] = [];
  write(chunk: string): boolean {
    for (const line of chunk.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  }
}

describe.skipIf(!hasOpenssl)('policy reload while serving', () => {
  const tls = hasOpenssl ? selfSignedCertificate() : { cert: '', key: '' };
  let dir: string;
  let file: string;
  let reloader: PolicyReloader;
  let server: AdmissionServer;
  let log: LogLines;
  let metrics: AdmissionMetrics;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-reload-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    const sub = mkdtempSync(join(dir, 'case-'));
    file = join(sub, 'policy.yaml');
    writeFileSync(file, denyImages('evil.io/'));
    log = new LogLines();
    metrics = new AdmissionMetrics();
    reloader = new PolicyReloader({ paths: [sub], load: (paths) => loadAdmissionPolicies(paths), log: jsonLog(log as unknown as NodeJS.WritableStream), metrics, debounceMs: 30 });
    await reloader.load();
    await reloader.watch();
    server = await startAdmissionServer({ policies: [], policySource: reloader, ...tls, port: 0, host: '127.0.0.1', metrics });
  });

  afterEach(async () => {
    reloader.close();
    await server.close();
  });

  const allowed = async (image: string) => decode(await post(server.port, '/validate', review(`u-${image}`, pod('p', { image })))).response.allowed;

  it('serves the new policies after an edit, and /readyz names the new version', async () => {
    expect(await allowed('evil.io/app:1')).toBe(false);
    expect(await allowed('bad.io/app:1')).toBe(true);
    const before = (await get(server.port, '/readyz')).body;
    expect(before).toMatch(/^ok: 1 policies, version [0-9a-f]{12}\n$/);
    writeFileSync(file, denyImages('bad.io/'));
    await eventually(async () => (await allowed('bad.io/app:1')) === false, 5000, 'the edited policy');
    expect(await allowed('evil.io/app:1')).toBe(true);
    expect((await get(server.port, '/readyz')).body).not.toBe(before);
    expect(metrics.reloads.get({ result: 'success' })).toBe(1);
    expect(log.lines.at(-1)).toMatchObject({ level: 'info', msg: 'policies reloaded', policies: 1 });
  });

  it('keeps the last good set on a broken edit and logs why, as JSON', async () => {
    const version = reloader.current()?.version;
    writeFileSync(file, BROKEN);
    await eventually(() => metrics.reloads.get({ result: 'failure' }) === 1, 5000, 'the failed reload');
    expect(reloader.current()?.version).toBe(version);
    expect(await allowed('evil.io/app:1')).toBe(false);
    const entry = log.lines.find((l) => l.level === 'error');
    expect(entry).toMatchObject({ msg: 'policy reload failed; keeping the last good policy set', version, policies: 1 });
    expect(String(entry?.error)).toMatch(/policy\.yaml:\d+: spec\.validations\[0\]\.expression: /);
    expect(typeof entry?.time).toBe('string');
    // Fixing the file brings the new behaviour.
    writeFileSync(file, denyImages('bad.io/'));
    await eventually(async () => (await allowed('bad.io/app:1')) === false, 5000, 'the fixed policy');
  });

  it('follows files replaced by rename (editors, ConfigMap mounts)', async () => {
    const temp = join(dir, 'staged.yaml');
    writeFileSync(temp, denyImages('bad.io/'));
    renameSync(temp, file);
    await eventually(async () => (await allowed('bad.io/app:1')) === false, 5000, 'the renamed-in policy');
  });

  /** A reloader of `paths` logging to the test's log, with a short debounce. */
  const reloaderOf = (paths: string[]) => new PolicyReloader({ paths, load: (p) => loadAdmissionPolicies(p), log: jsonLog(log as unknown as NodeJS.WritableStream), debounceMs: 30 });

  it('follows a ConfigMap volume update (timestamped directory swapped behind the ..data symlink)', async () => {
    // The layout and the update sequence of the kubelet's AtomicWriter.
    const volume = mountConfigMap(join(dir, 'configmap-'), '..2026_11_26_00_00_00.1', denyImages('evil.io/'));
    // Read through the stable symlink only, never the timestamped internals.
    expect(await expandPaths([volume])).toEqual([join(volume, 'policy.yaml')]);
    const mounted = reloaderOf([volume]);
    const first = await mounted.load();
    expect(first.count).toBe(1);
    await mounted.watch();
    const local = await startAdmissionServer({ policies: [], policySource: mounted, ...tls, port: 0, host: '127.0.0.1' });
    try {
      const allowedHere = async (image: string) => decode(await post(local.port, '/validate', review(`cm-${image}`, pod('p', { image })))).response.allowed;
      expect(await allowedHere('bad.io/app:1')).toBe(true);
      updateConfigMap(volume, '..2026_11_26_00_00_00.1', '..2026_11_26_00_01_00.2', denyImages('bad.io/'));
      await eventually(async () => (await allowedHere('bad.io/app:1')) === false, 5000, 'the updated ConfigMap');
      expect(await allowedHere('evil.io/app:1')).toBe(true);
      expect(mounted.current()?.count).toBe(1);
    } finally {
      mounted.close();
      await local.close();
    }
  });

  it('follows a ConfigMap update when --policies names the mounted file itself', async () => {
    const volume = mountConfigMap(join(dir, 'configmap-file-'), '..t1', denyImages('evil.io/'));
    const mounted = reloaderOf([join(volume, 'policy.yaml')]);
    const first = await mounted.load();
    await mounted.watch();
    try {
      updateConfigMap(volume, '..t1', '..t2', denyImages('bad.io/'));
      // Only ..data changed in the directory: the file's own name never appears in the events.
      await eventually(() => mounted.current()?.version !== first.version, 5000, 'the reload of the mounted file');
    } finally {
      mounted.close();
    }
  });

  it('answers every request with one whole set while reloads run concurrently', async () => {
    let stop = false;
    const seen = new Set<string>();
    const traffic = (async () => {
      let i = 0;
      while (!stop) {
        const reply = await post(server.port, '/validate', review(`c-${i++}`, pod('p', { image: 'evil.io/app:1' })));
        const doc = decode(reply);
        seen.add(doc.response.allowed ? 'allowed' : (doc.response.status?.message ?? ''));
      }
    })();
    for (let round = 0; round < 6; round++) {
      writeFileSync(file, round % 2 === 0 ? denyImages('bad.io/') : denyImages('evil.io/'));
      await Promise.all([reloader.reload(), reloader.reload(), reloader.reload()]);
    }
    writeFileSync(file, denyImages('evil.io/'));
    await reloader.reload();
    await eventually(async () => (await allowed('evil.io/app:1')) === false, 5000, 'the final set');
    stop = true;
    await traffic;
    // Only the two whole-set behaviours were ever observed: never an error or a half-loaded set.
    for (const s of seen) expect(['allowed', 'policy deny-images: images from evil.io/ are not allowed']).toContain(s);
    expect(metrics.reloads.get({ result: 'failure' })).toBe(0);
  });
});

describe('watchPaths', () => {
  const root = mkdtempSync(join(tmpdir(), 'palisade-watch-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('sets up one watcher per directory, whatever the paths repeat or contain', async () => {
    const tree = join(root, 'tree');
    mkdirSync(join(tree, 'nested'), { recursive: true });
    writeFileSync(join(tree, 'a.yaml'), denyImages('a.io/'));
    const flat = join(root, 'flat');
    mkdirSync(flat);
    for (const name of ['b.yaml', 'c.yaml', 'other.yaml']) writeFileSync(join(flat, name), denyImages(`${name}/`));
    let changes = 0;
    const watchers = await watchPaths(
      // The tree twice (once spelled differently), a file and a directory inside it; two files of one directory.
      [tree, `${tree}/.`, join(tree, 'a.yaml'), join(tree, 'nested'), join(flat, 'b.yaml'), join(flat, 'c.yaml')],
      () => changes++,
      () => undefined,
    );
    try {
      expect(watchers).toHaveLength(2);
      // The shared directory watcher still tells the named files from the others.
      writeFileSync(join(flat, 'other.yaml'), denyImages('x/'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(changes).toBe(0);
      writeFileSync(join(flat, 'c.yaml'), denyImages('y/'));
      await eventually(() => changes > 0, 5000, 'the change of a named file');
      changes = 0;
      writeFileSync(join(tree, 'nested', 'd.yaml'), denyImages('z/'));
      await eventually(() => changes > 0, 5000, 'the change inside the watched tree');
    } finally {
      for (const w of watchers) w.close();
    }
  });
});
