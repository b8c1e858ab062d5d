import { describe, expect, it } from 'vitest';
import { checkPodSecurity, LATEST_VERSION, resolveVersion } from '../../../src/policy/podsecurity/index.ts';
import { RuleError } from '../../../src/policy/types.ts';
import { baselinePod, containerSecurityContext, restrictedPod, spec, type Obj } from './helpers.ts';

/** The pod fixture's metadata and spec, as a pod template. */
function template(pod: Obj): Obj {
  return { metadata: { labels: { app: 'web' } }, spec: pod.spec };
}

function privilegedPod(): Obj {
  const pod = baselinePod();
  containerSecurityContext(pod).privileged = true;
  return pod;
}

describe('workload objects', () => {
  const cases: [string, (t: Obj) => Obj, string][] = [
    ['Deployment', (t) => ({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 1, template: t } }), 'spec.template.'],
    ['StatefulSet', (t) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template: t } }), 'spec.template.'],
    ['DaemonSet', (t) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template: t } }), 'spec.template.'],
    ['ReplicaSet', (t) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template: t } }), 'spec.template.'],
    ['ReplicationController', (t) => ({ apiVersion: 'v1', kind: 'ReplicationController', spec: { template: t } }), 'spec.template.'],
    ['Job', (t) => ({ apiVersion: 'batch/v1', kind: 'Job', spec: { template: t } }), 'spec.template.'],
    [
      'CronJob',
      (t) => ({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '* * * * *', jobTemplate: { spec: { template: t } } } }),
      'spec.jobTemplate.spec.template.',
    ],
    ['PodTemplate', (t) => ({ apiVersion: 'v1', kind: 'PodTemplate', template: t }), 'template.'],
  ];

  it.each(cases)('%s: checks the pod template and reports paths from the object', (_kind, wrap, prefix) => {
    expect(checkPodSecurity(wrap(template(restrictedPod())), 'restricted', 'latest').allowed).toBe(true);
    const result = checkPodSecurity(wrap(template(privilegedPod())), 'baseline', 'latest');
    expect(result.violations).toEqual([
      {
        check: 'privileged',
        control: 'Privileged Containers',
        message: 'privileged (container "container1" must not set securityContext.privileged=true)',
        paths: [`${prefix}spec.containers[0].securityContext.privileged`],
      },
    ]);
  });

  it('reads annotations from the template metadata', () => {
    const t = template(baselinePod());
    (t.metadata as Obj).annotations = { 'container.apparmor.security.beta.kubernetes.io/container1': 'unconfined' };
    const result = checkPodSecurity({ kind: 'Deployment', spec: { template: t } }, 'baseline', 'latest');
    expect(result.violations[0]?.paths).toEqual([
      'spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/container1]',
    ]);
  });

  it('recognises a workload of an unknown kind by its template', () => {
    const result = checkPodSecurity({ kind: 'Rollout', spec: { template: template(privilegedPod()) } }, 'baseline', 'latest');
    expect(result.violations[0]?.paths).toEqual(['spec.template.spec.containers[0].securityContext.privileged']);
  });

  it('rejects an object without a pod', () => {
    expect(() => checkPodSecurity({ kind: 'ConfigMap', data: {} }, 'baseline', 'latest')).toThrow(RuleError);
  });
});

describe('levels and versions', () => {
  it('allows anything at the privileged level', () => {
    const pod = privilegedPod();
    spec(pod).hostNetwork = true;
    expect(checkPodSecurity(pod, 'privileged', 'latest')).toEqual({ allowed: true, violations: [], version: LATEST_VERSION });
  });

  it('resolves latest, empty and future versions to the newest known one', () => {
    expect(LATEST_VERSION).toBe('v1.37');
    expect(resolveVersion('latest')).toBe(37);
    expect(resolveVersion('')).toBe(37);
    expect(resolveVersion('v1.99')).toBe(37);
    expect(resolveVersion('v2.0')).toBe(37);
    expect(resolveVersion('v1.25')).toBe(25);
    expect(resolveVersion('1.25')).toBe(25);
    expect(checkPodSecurity(baselinePod(), 'baseline', 'v1.50').version).toBe('v1.37');
    expect(checkPodSecurity(baselinePod(), 'baseline', 'v1.8').version).toBe('v1.8');
  });

  it('rejects versions before v1.0 and malformed ones', () => {
    for (const version of ['v0.9', 'v0.0', 'newest', 'v1', 'v1.x']) {
      expect(() => checkPodSecurity(baselinePod(), 'baseline', version), version).toThrow(RuleError);
    }
  });

  it('rejects an unknown level', () => {
    expect(() => checkPodSecurity(baselinePod(), 'strict' as 'baseline', 'latest')).toThrow(/unknown level/);
  });

  it('lists violations in admission order, one per check', () => {
    const pod = privilegedPod();
    spec(pod).hostIPC = true;
    delete (spec(pod).securityContext as Obj | undefined)?.runAsNonRoot;
    expect(checkPodSecurity(pod, 'restricted', 'latest').violations.map((v) => v.check)).toEqual([
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'hostNamespaces',
      'privileged',
      'runAsNonRoot',
      'seccompProfile_restricted',
    ]);
  });

  // Speed is measured in bench/policy.ts, not here.
  it('gives the same verdict on repeated checks of one pod object', () => {
    const pod = restrictedPod();
    const first = checkPodSecurity(pod, 'restricted', 'latest');
    for (let i = 0; i < 10; i++) expect(checkPodSecurity(pod, 'restricted', 'latest')).toEqual(first);
  });
});
