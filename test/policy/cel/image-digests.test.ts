/**
 * ImageValidatingPolicy digest pinning without a registry: which container images are pinned (as
 * written, each with its own error) and which are left alone.
 */
import { describe, expect, it } from 'vitest';
import { containerImageFields, pinImageDigests } from '../../../src/policy/cel/image-digests.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

const deployment = (containers: Record<string, unknown>[], initContainers: Record<string, unknown>[] = []) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { template: { spec: { containers, initContainers } } },
});

describe('containerImageFields', () => {
  it('lists the images of a Pod template as written, with their pointers, also of containers sharing a name', () => {
    const object = deployment([{ name: 'app', image: 'nginx' }, { name: 'app', image: 'ghcr.io/org/app:v1' }], [{ name: 'init', image: 'busybox:1' }]);
    expect(containerImageFields(object)).toEqual([
      { field: 'containers', pointer: '/spec/template/spec/containers/0/image', image: 'nginx' },
      { field: 'containers', pointer: '/spec/template/spec/containers/1/image', image: 'ghcr.io/org/app:v1' },
      { field: 'initContainers', pointer: '/spec/template/spec/initContainers/0/image', image: 'busybox:1' },
    ]);
  });
});

describe('pinImageDigests', () => {
  const resolve = (image: string) => {
    if (image.startsWith('unreachable.example/')) throw new Error('no answer');
    return OTHER;
  };

  it('pins selected tags as written, leaves digests and unselected images alone, and gives each failure its own error', () => {
    const object = deployment([
      { name: 'a', image: 'nginx' },
      { name: 'b', image: `ghcr.io/org/app@${DIGEST}` },
      { name: 'c', image: 'skipped.example/app:v1' },
      { name: 'd', image: 'unreachable.example/app:v1' },
      { name: 'f', image: 'ghcr.io/org/app:v2' },
    ]);
    const { pins, errors } = pinImageDigests(object, (image) => !image.startsWith('skipped.example/'), resolve);
    expect(pins.map((p) => [p.pointer, p.pinned])).toEqual([
      ['/spec/template/spec/containers/0/image', `nginx@${OTHER}`],
      ['/spec/template/spec/containers/4/image', `ghcr.io/org/app:v2@${OTHER}`],
    ]);
    expect(errors).toEqual([{ image: 'unreachable.example/app:v1', message: 'no answer' }]);
  });
});
