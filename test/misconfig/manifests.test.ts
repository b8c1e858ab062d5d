import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFieldPath, parseFieldPath } from '../../src/misconfig/field-path.ts';
import { describeManifest, parseManifests } from '../../src/misconfig/manifests.ts';
import { repoRoot } from '../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/misconfig/k8s');
const load = (name: string) => parseManifests(readFileSync(join(fixtures, name), 'utf8'), name);

describe('field paths', () => {
  it('parses dotted paths with indexes and bracketed keys', () => {
    expect(parseFieldPath('spec.template.spec.containers[0].securityContext.privileged')).toEqual([
      'spec', 'template', 'spec', 'containers', 0, 'securityContext', 'privileged',
    ]);
    expect(parseFieldPath('metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]')).toEqual([
      'metadata', 'annotations', 'container.apparmor.security.beta.kubernetes.io/app',
    ]);
  });

  it('parses the slashed paths Kyverno reports', () => {
    expect(parseFieldPath('/spec/template/spec/containers/0/image/')).toEqual(['spec', 'template', 'spec', 'containers', 0, 'image']);
    expect(parseFieldPath('/')).toEqual([]);
  });

  it('formats one canonical spelling, numeric keys quoted apart from indexes', () => {
    expect(formatFieldPath(['data', 'app.env'])).toBe('data[app.env]');
    expect(formatFieldPath(['data', '3'])).toBe('data["3"]');
    expect(formatFieldPath(['items', 3, 'kind'])).toBe('items[3].kind');
    expect(parseFieldPath(formatFieldPath(['data', '3']))).toEqual(['data', '3']);
  });
});

describe('parseManifests', () => {
  it('reads every document of a multi-document file with its start line', () => {
    const { manifests, issues } = load('hardened.yaml');
    expect(issues).toEqual([]);
    expect(manifests.map((m) => `${m.kind}@${m.line}`)).toEqual([
      'ServiceAccount@2', 'Deployment@9', 'Service@57', 'NetworkPolicy@68', 'ConfigMap@77', 'Role@91', 'RoleBinding@101',
    ]);
    expect(describeManifest(manifests[1]!)).toBe('Deployment shop/api');
  });

  it('maps field paths to lines, falling back to the nearest existing parent', () => {
    const deployment = load('hardened.yaml').manifests[1]!;
    expect(deployment.lineOf('spec.template.spec.containers[0].image')).toBe(29);
    expect(deployment.lineOf('spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem')).toBe(49);
    // Missing field: the parent that exists (securityContext) is the line to edit.
    expect(deployment.lineOf('spec.template.spec.containers[0].securityContext.runAsGroup')).toBe(47);
    expect(deployment.lineOf(['spec', 'template', 'spec', 'containers', 0, 'env', 1, 'valueFrom'])).toBe(36);
    expect(deployment.lineOf('nothing.here')).toBe(deployment.line);
  });

  it('flattens List kinds (List and <Kind>List) into their items, with lines relative to each item', () => {
    const { manifests } = load('list.yaml');
    expect(manifests.map((m) => `${m.kind} ${m.name}@${m.line}`)).toEqual(['Pod first@6', 'Pod second@15', 'Service svc@30']);
    expect(manifests[1]!.lineOf('spec.containers[0].securityContext.privileged')).toBe(25);
  });

  it('reads JSON manifests with lines', () => {
    const { manifests } = load('pod.json');
    expect(manifests).toHaveLength(1);
    expect(manifests[0]!.namespace).toBe('team-b');
    expect(manifests[0]!.lineOf('spec.containers[0].securityContext.privileged')).toBe(10);
  });

  it('maps lines the same way when the full parser reads the file (flow collections): the last of duplicate keys counts, as in the value', () => {
    const text = [
      'apiVersion: v1', // 1
      'kind: Pod',
      'metadata: {name: dup, labels: {app: web}}',
      'spec:',
      '  containers:', // 5
      '  - name: first',
      '    securityContext: {privileged: true}',
      '  containers:',
      '  - name: second',
      '    image: nginx', // 10
      '  -',
      '  volumes: [{name: data, emptyDir: {}}]',
      '',
    ].join('\n');
    const [pod] = parseManifests(text, 'dup.yaml').manifests;
    expect((pod!.object.spec as { containers: unknown[] }).containers).toEqual([{ name: 'second', image: 'nginx' }, null]);
    expect(pod!.lineOf('metadata.labels.app')).toBe(3);
    expect(pod!.lineOf('spec.containers[0].image')).toBe(10);
    // The first `containers` is not the value: its securityContext is not found, its container (the last one's) is.
    expect(pod!.lineOf('spec.containers[0].securityContext.privileged')).toBe(9);
    // An empty item: the line of its dash.
    expect(pod!.lineOf('spec.containers[1].name')).toBe(11);
    expect(pod!.lineOf(['spec', 'volumes', 0, 'emptyDir'])).toBe(12);
    expect(pod!.lineOf('spec.volumes[3]')).toBe(12);
    expect(pod!.lineOf('spec.nothing')).toBe(4);
  });

  it('reports invalid YAML in a manifest with its line, and keeps the valid documents', () => {
    const { manifests, issues } = load('invalid.yaml');
    expect(manifests.map((m) => m.name)).toEqual(['ok']);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'invalid.yaml', line: 13 });
    expect(issues[0]!.message).toMatch(/^invalid YAML: Flow sequence/);
    expect(issues[0]!.message).not.toMatch(/at line/);
  });

  it('skips YAML that is not Kubernetes silently, even when broken', () => {
    expect(load('workflow.yaml')).toEqual({ manifests: [], issues: [] });
    expect(load('compose.yaml')).toEqual({ manifests: [], issues: [] });
    expect(parseManifests('a: [unclosed\nkind: x', 'notes.yaml')).toEqual({ manifests: [], issues: [] });
    expect(parseManifests('- just\n- a list\n', 'list.yaml').manifests).toEqual([]);
  });

  it('skips JSON that is not a Kubernetes object before parsing it as YAML', () => {
    const schema = JSON.stringify({ $schema: 'x', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' } } });
    expect(parseManifests(schema, 'schema.json')).toEqual({ manifests: [], issues: [] });
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }] }, null, 2);
    expect(parseManifests(list, 'list.json').manifests.map((m) => `${m.kind} ${m.name}@${m.line}`)).toEqual(['Namespace a@5']);
  });

  it('skips Helm templates (not YAML until rendered) without an issue', () => {
    const r = load('chart/templates/deployment.yaml');
    expect(r).toMatchObject({ manifests: [], issues: [], template: true });
  });

  it('keeps a document without a name, and skips objects without apiVersion or kind', () => {
    const r = parseManifests('apiVersion: v1\nkind: Namespace\n---\nkind: Pod\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ""\n', 'x.yaml');
    expect(r.manifests.map((m) => [m.kind, m.name])).toEqual([['Namespace', '']]);
  });

  it('does not expand YAML alias bombs', () => {
    const bomb = ['apiVersion: v1', 'kind: ConfigMap', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 12; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    const r = parseManifests(bomb.join('\n'), 'bomb.yaml');
    expect(r.manifests).toEqual([]);
    expect(r.issues[0]!.message).toMatch(/invalid YAML/);
  });
});
