import { describe, expect, it } from 'vitest';
import { applyStrategicMerge } from '../../../src/policy/engine/strategic-merge.ts';
import { matchPattern } from '../../../src/policy/pattern/validate.ts';

const matches = (resource: unknown, pattern: unknown) => matchPattern(resource, pattern).status === 'pass';
const smp = (resource: unknown, patch: unknown) => applyStrategicMerge(resource, patch, matches);

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }] },
      { name: 'sidecar', image: 'busybox' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  },
};

describe('applyStrategicMerge', () => {
  it('merges maps, deletes on null, merges lists by name and appends new elements', () => {
    const out = smp(pod, {
      metadata: { labels: { team: 'a', app: null } },
      spec: {
        containers: [{ name: 'nginx', env: [{ name: 'B', value: '2' }] }, { name: 'proxy', image: 'envoy' }],
        volumes: [{ name: 'cache', emptyDir: {} }],
      },
    }) as typeof pod;
    expect(out.metadata.labels).toEqual({ team: 'a' });
    expect(out.spec.containers).toEqual([
      { name: 'nginx', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
      { name: 'sidecar', image: 'busybox' },
      { name: 'proxy', image: 'envoy' },
    ]);
    expect(out.spec.volumes.map((v) => v.name)).toEqual(['data', 'cache']);
    expect(pod.metadata.labels).toEqual({ app: 'web' });
  });

  it('replaces lists without a merge key and honours $patch directives', () => {
    const out = smp({ spec: { args: ['a', 'b'], containers: [{ name: 'x' }, { name: 'y' }] } }, {
      spec: { args: ['c'], containers: [{ name: 'x', $patch: 'delete' }] },
    });
    expect(out).toEqual({ spec: { args: ['c'], containers: [{ name: 'y' }] } });
  });

  it('adds +() keys only when absent', () => {
    const out = smp(pod, { metadata: { labels: { '+(app)': 'other', '+(tier)': 'front' } } }) as typeof pod;
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('applies a conditional list element to every matching resource element', () => {
    const out = smp(pod, {
      spec: { containers: [{ '(image)': 'nginx*', securityContext: { runAsNonRoot: true } }] },
    }) as { spec: { containers: Record<string, unknown>[] } };
    expect(out.spec.containers[0]).toMatchObject({ name: 'nginx', securityContext: { runAsNonRoot: true } });
    expect(out.spec.containers[1]).toEqual({ name: 'sidecar', image: 'busybox' });
  });

  it('leaves the resource alone when a conditional anchor on a map does not hold', () => {
    expect(smp(pod, { metadata: { '(name)': 'api', labels: { x: 'y' } } })).toEqual(pod);
    const out = smp(pod, { metadata: { '(name)': 'web', labels: { x: 'y' } } }) as typeof pod;
    expect(out.metadata.labels).toEqual({ app: 'web', x: 'y' });
  });

  it('skips the whole patch when a global anchor fails', () => {
    const patch = { spec: { containers: [{ '<(image)': 'nginx*' }], '+(hostNetwork)': false }, metadata: { labels: { checked: 'yes' } } };
    const notNginx = { ...pod, spec: { containers: [{ name: 'x', image: 'redis' }] } };
    expect(smp(notNginx, patch)).toEqual(notNginx);
    expect((smp(pod, patch) as typeof pod).metadata.labels).toEqual({ app: 'web', checked: 'yes' });
  });

  it('drops conditional elements when the resource list is absent', () => {
    const out = smp({ spec: { containers: [{ name: 'a' }] } }, { spec: { initContainers: [{ '(name)': '*', env: [{ name: 'X', value: '1' }] }] } });
    expect(out).toEqual({ spec: { containers: [{ name: 'a' }] } });
  });
});
