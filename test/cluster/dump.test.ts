/** Offline dumps: List/multi-doc/JSON input, coverage by kind or file name, defaults, redaction, duplicates. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDump } from '../../src/cluster/dump.ts';
import { digestOfImageId } from '../../src/cluster/inventory.ts';
import { parseManifests } from '../../src/misconfig/manifests.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-dump-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadDump', () => {
  it('reads multi-document YAML and JSON Lists, with the line each object starts at', async () => {
    const d = join(dir, 'mixed');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(d);
    writeFileSync(join(d, 'objects.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n  namespace: x\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: x\ndata:\n  token: c2VjcmV0\n');
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'x' } }, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p2' } }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } }] };
    writeFileSync(join(d, 'pods.json'), JSON.stringify(list, null, 4));
    writeFileSync(join(d, 'networkpolicies.yaml'), 'apiVersion: v1\nitems: []\nkind: List\n');
    writeFileSync(join(d, 'README.md'), '# not read');
    const snap = await loadDump(d);
    expect(snap.objects.map((o) => `${o.kind} ${o.namespace}/${o.name} ${o.path}:${o.line}`)).toEqual([
      'ServiceAccount x/a objects.yaml:1',
      'Secret x/s objects.yaml:7',
      'Pod x/p1 pods.json:5',
      'Pod default/p2 pods.json:13',
    ]);
    // Secret values are dropped on reading; keys stay.
    expect(snap.objects[1]!.object.data).toEqual({ token: '' });
    expect(snap.unknownKinds).toEqual(new Map([['Node', 1]]));
    expect(snap.coverage.get('pods')).toEqual({ resource: 'pods', status: 'ok', count: 2 });
    expect(snap.coverage.get('networkpolicies')).toEqual({ resource: 'networkpolicies', status: 'ok', count: 0 });
    expect(snap.coverage.get('roles')?.status).toBe('absent');
    expect(snap.issues.map((i) => i.message)).toEqual(['1 namespaced object names no namespace: taken to be in "default", where the API server would put it']);
    expect(snap.source).toEqual({ kind: 'dump', path: d, files: 3 });
  });

  it('reads large YAML Lists with the fast reader, each item at the line of its dash', async () => {
    const items = Array.from({ length: 400 }, (_, i) => `  - apiVersion: v1\n    kind: ServiceAccount\n    metadata:\n      name: sa-${i}\n      namespace: team\n      annotations:\n        note: "${'x'.repeat(200)}"\n`);
    const text = `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n${items.join('')}`;
    expect(text.length).toBeGreaterThan(64 * 1024);
    const f = join(dir, 'serviceaccounts.yaml');
    writeFileSync(f, text);
    const snap = await loadDump(f);
    expect(snap.objects).toHaveLength(400);
    expect(snap.objects.slice(0, 2).map((o) => `${o.name} ${o.line}`)).toEqual(['sa-0 6', 'sa-1 13']);
    expect(snap.objects[399]!.line).toBe(6 + 399 * 7);
    expect(snap.objects[0]!.lineOf('metadata.annotations')).toBe(6);
  });

  it('reads large YAML Lists the fast reader leaves to js-yaml (flow mappings), each item still at the line of its dash', async () => {
    const items = Array.from({ length: 400 }, (_, i) => `  - apiVersion: v1\n    kind: ServiceAccount\n    metadata: {name: sa-${i}, namespace: team}\n    # ${'x'.repeat(200)}\n`);
    const text = `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n\n${items.join('')}`;
    expect(text.length).toBeGreaterThan(64 * 1024);
    const f = join(dir, 'serviceaccounts-flow.yaml');
    writeFileSync(f, text);
    const snap = await loadDump(f);
    expect(snap.objects).toHaveLength(400);
    expect(snap.objects.slice(0, 2).map((o) => `${o.name} ${o.line}`)).toEqual(['sa-0 7', 'sa-1 11']);
    expect(snap.objects[399]!.line).toBe(7 + 399 * 4);
  });

  it('reads kubectl YAML with the block reader, keeping the lines the manifest reader gives', async () => {
    const text = 'apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    namespace: x\n  spec:\n    containers:\n    - image: nginx\n      name: web\n      securityContext:\n        privileged: true\nkind: List\nmetadata:\n  resourceVersion: ""\n';
    const f = join(dir, 'pods.yaml');
    writeFileSync(f, text);
    const [pod] = (await loadDump(f)).objects;
    const [reference] = parseManifests(text, f).manifests;
    expect(pod!.line).toBe(3);
    for (const field of ['spec.containers[0].securityContext.privileged', 'spec.containers[0].image', 'spec.containers[0].resources.limits', 'metadata', 'nope']) {
      expect(pod!.lineOf(field), field).toBe(reference!.lineOf(field));
    }
    expect(pod!.lineOf('spec.containers[0].securityContext.privileged')).toBe(13);
  });

  it('keeps the first of duplicated objects and says so', async () => {
    const f = join(dir, 'dup.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  namespace: ignored\n');
    const snap = await loadDump(f);
    expect(snap.objects).toHaveLength(1);
    expect(snap.objects[0]!.namespace).toBeUndefined();
    expect(snap.issues[0]).toEqual({ path: f, line: 6, message: 'Namespace a appears twice in the dump: the first one is audited' });
  });

  it('fails clearly on a missing path', async () => {
    await expect(loadDump(join(dir, 'nope'))).rejects.toThrow(/cannot read the dump/);
  });
});

describe('digestOfImageId', () => {
  it('takes repository digests from the forms runtimes report, not bare image ids', () => {
    const d = `sha256:${'b'.repeat(64)}`;
    expect(digestOfImageId(`docker-pullable://nginx@${d}`)).toBe(d);
    expect(digestOfImageId(`docker.io/library/nginx@${d}`)).toBe(d);
    expect(digestOfImageId(d)).toBeUndefined();
  });
});
