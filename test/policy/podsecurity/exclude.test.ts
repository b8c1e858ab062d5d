import { describe, expect, it } from 'vitest';
import { checkPodSecurity, type PodSecurityExclusion } from '../../../src/policy/podsecurity/index.ts';
import { RuleError } from '../../../src/policy/types.ts';
import {
  baselinePod,
  container,
  containerSecurityContext,
  podSecurityContext,
  restrictedPod,
  spec,
  type Obj,
} from './helpers.ts';

function check(pod: Obj, level: 'baseline' | 'restricted', exclude: PodSecurityExclusion[]) {
  return checkPodSecurity(pod, level, 'latest', { exclude });
}

/** A baseline pod whose two containers run different images. */
function twoImages(): Obj {
  const pod = baselinePod();
  container(pod, 0, 'initContainers').image = 'ghcr.io/acme/init:1.0';
  container(pod).image = 'docker.io/library/nginx:1.27';
  return pod;
}

describe('podSecurity exclusions', () => {
  it('exempts a pod-level control by name', () => {
    const pod = baselinePod();
    Object.assign(spec(pod), { hostNetwork: true, hostPID: true });
    expect(check(pod, 'baseline', [{ controlName: 'Host Namespaces' }]).allowed).toBe(true);
    expect(check(pod, 'baseline', [{ controlName: 'Sysctls' }]).allowed).toBe(false);
  });

  it('exempts container-level findings only for containers whose image matches', () => {
    const pod = twoImages();
    for (const sc of [containerSecurityContext(pod, 0, 'initContainers'), containerSecurityContext(pod)]) sc.privileged = true;
    const result = check(pod, 'baseline', [{ controlName: 'Privileged Containers', images: ['docker.io/library/nginx:*'] }]);
    expect(result.violations).toEqual([
      {
        check: 'privileged',
        control: 'Privileged Containers',
        message: 'privileged (container "initcontainer1" must not set securityContext.privileged=true)',
        paths: ['spec.initContainers[0].securityContext.privileged'],
      },
    ]);
    const both = check(pod, 'baseline', [{ controlName: 'Privileged Containers', images: ['*nginx*', 'ghcr.io/acme/ini?:*'] }]);
    expect(both.allowed).toBe(true);
  });

  it('does not let an image-less exclusion exempt container fields, nor an image exclusion pod fields', () => {
    const pod = twoImages();
    podSecurityContext(pod).seccompProfile = { type: 'Unconfined' };
    containerSecurityContext(pod).seccompProfile = { type: 'Unconfined' };
    const podOnly = check(pod, 'baseline', [{ controlName: 'Seccomp' }]);
    expect(podOnly.violations.map((v) => v.paths)).toEqual([['spec.containers[0].securityContext.seccompProfile.type']]);
    const imageOnly = check(pod, 'baseline', [{ controlName: 'Seccomp', images: ['*'] }]);
    expect(imageOnly.violations.map((v) => v.paths)).toEqual([['spec.securityContext.seccompProfile.type']]);
    const both = check(pod, 'baseline', [{ controlName: 'Seccomp' }, { controlName: 'Seccomp', images: ['*'] }]);
    expect(both.allowed).toBe(true);
  });

  it('narrows an exclusion to a restricted field and its values', () => {
    const pod = twoImages();
    containerSecurityContext(pod).capabilities = { add: ['NET_ADMIN', 'SYS_TIME'] };
    const capabilities = {
      controlName: 'Capabilities',
      images: ['docker.io/library/nginx*'],
      restrictedField: 'spec.containers[*].securityContext.capabilities.add',
    };
    expect(check(pod, 'baseline', [{ ...capabilities, values: ['NET_ADMIN'] }]).violations[0]?.message).toBe(
      'non-default capabilities (container "container1" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)',
    );
    expect(check(pod, 'baseline', [{ ...capabilities, values: ['NET_ADMIN', 'SYS_*'] }]).allowed).toBe(true);
    // The field of init containers is spelt differently.
    const wrongField = { ...capabilities, restrictedField: 'spec.initContainers[*].securityContext.capabilities.add' };
    expect(check(pod, 'baseline', [wrongField]).allowed).toBe(false);
  });

  it('matches hostPath volumes by path and host ports by number', () => {
    const pod = twoImages();
    spec(pod).volumes = [
      { name: 'sys', hostPath: { path: '/sys' } },
      { name: 'root', hostPath: { path: '/' } },
    ];
    container(pod).ports = [{ containerPort: 8080, hostPort: 8080 }];
    const result = check(pod, 'baseline', [
      { controlName: 'HostPath Volumes', restrictedField: 'spec.volumes[*].hostPath', values: ['/sys', '/var/lib/*'] },
      {
        controlName: 'Host Ports',
        images: ['*nginx*'],
        restrictedField: 'spec.containers[*].ports[*].hostPort',
        values: ['8080'],
      },
    ]);
    expect(result.violations.map((v) => v.message)).toEqual(['hostPath volumes (volume "root")']);
  });

  it('matches booleans as text', () => {
    const pod = baselinePod();
    spec(pod).hostNetwork = true;
    const exclusion = { controlName: 'Host Namespaces', restrictedField: 'spec.hostNetwork' };
    expect(check(pod, 'baseline', [{ ...exclusion, values: ['false'] }]).allowed).toBe(false);
    expect(check(pod, 'baseline', [{ ...exclusion, values: ['true'] }]).allowed).toBe(true);
  });

  it('covers a missing required field whatever the values say, as Kyverno does', () => {
    const pod = restrictedPod();
    delete containerSecurityContext(pod).allowPrivilegeEscalation;
    const result = check(pod, 'restricted', [
      {
        controlName: 'Privilege Escalation',
        images: ['registry.k8s.io/pause'],
        restrictedField: 'spec.containers[*].securityContext.allowPrivilegeEscalation',
        values: ['true'],
      },
    ]);
    expect(result.allowed).toBe(true);
  });

  it('maps both the baseline and restricted checks of a control', () => {
    const pod = restrictedPod();
    containerSecurityContext(pod).capabilities = { add: ['NET_RAW'] };
    expect(checkPodSecurity(pod, 'restricted', 'v1.21', { exclude: [{ controlName: 'Capabilities', images: ['*'] }] }).allowed).toBe(true);
    expect(check(pod, 'restricted', [{ controlName: 'Capabilities', images: ['*'] }]).allowed).toBe(true);
  });

  it('exempts restricted-only controls and leaves the others', () => {
    const pod = restrictedPod();
    delete podSecurityContext(pod).runAsNonRoot;
    podSecurityContext(pod).runAsUser = 0;
    spec(pod).volumes = [{ name: 'v', hostPath: { path: '/' } }];
    const result = check(pod, 'restricted', [
      { controlName: 'Running as Non-root', images: ['*'] },
      { controlName: 'Running as Non-root user' },
      // At the restricted level a hostPath volume breaks Volume Types, not HostPath Volumes.
      { controlName: 'HostPath Volumes' },
    ]);
    expect(result.violations.map((v) => v.control)).toEqual(['Volume Types']);
  });

  it('rejects an unknown control name', () => {
    expect(() => check(baselinePod(), 'baseline', [{ controlName: 'Privileged' }])).toThrow(RuleError);
  });
});
