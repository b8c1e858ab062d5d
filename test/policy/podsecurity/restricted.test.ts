import { describe, expect, it } from 'vitest';
import { checkPodSecurity } from '../../../src/policy/podsecurity/index.ts';
import {
  allSecurityContexts,
  containerSecurityContext,
  fixture,
  podSecurityContext,
  restrictedPod,
  spec,
  type Obj,
} from './helpers.ts';

function restricted(pod: Obj, version = 'latest') {
  return checkPodSecurity(pod, 'restricted', version);
}

function checksFailing(pod: Obj, version = 'latest'): string[] {
  return restricted(pod, version).violations.map((v) => v.check);
}

describe('restricted level', () => {
  it('allows the compliant pod at every version', () => {
    for (let minor = 0; minor <= 37; minor++) expect(restricted(restrictedPod(), `v1.${minor}`).allowed).toBe(true);
  });

  it('includes the baseline checks', () => {
    const pod = restrictedPod();
    spec(pod).hostPID = true;
    expect(checksFailing(pod)).toEqual(['hostNamespaces']);
  });

  describe('volume types', () => {
    it('allows the nine inline sources and a volume with none (defaulted to emptyDir)', () => {
      const pod = restrictedPod();
      spec(pod).volumes = [
        { name: 'default' },
        { name: 'a', configMap: { name: 'c' } },
        { name: 'b', csi: { driver: 'd' } },
        { name: 'c', downwardAPI: {} },
        { name: 'd', emptyDir: {} },
        { name: 'e', ephemeral: {} },
        { name: 'f', image: { reference: 'r' } },
        { name: 'g', persistentVolumeClaim: { claimName: 'p' } },
        { name: 'h', projected: { sources: [] } },
        { name: 'i', secret: { secretName: 's' } },
      ];
      expect(restricted(pod).allowed).toBe(true);
    });

    it('forbids the others, hostPath included, in place of the baseline hostPath check', () => {
      const pod = restrictedPod();
      spec(pod).volumes = [
        { name: 'host', hostPath: { path: '/' } },
        { name: 'ok', emptyDir: {} },
        { name: 'share', nfs: { server: 's', path: '/' } },
        { name: 'repo', gitRepo: { repository: 'r' } },
      ];
      expect(restricted(pod).violations).toEqual([
        {
          check: 'restrictedVolumes',
          control: 'Volume Types',
          message: 'restricted volume types (volumes "host", "share", "repo" use restricted volume types "gitRepo", "hostPath", "nfs")',
          paths: ['spec.volumes[0].hostPath', 'spec.volumes[2].nfs', 'spec.volumes[3].gitRepo'],
        },
      ]);
    });
  });

  describe('privilege escalation', () => {
    it('requires allowPrivilegeEscalation=false from v1.8', () => {
      const pod = restrictedPod();
      delete containerSecurityContext(pod).allowPrivilegeEscalation;
      containerSecurityContext(pod, 0, 'initContainers').allowPrivilegeEscalation = true;
      expect(restricted(pod, 'v1.7').allowed).toBe(true);
      const [violation] = restricted(pod, 'v1.8').violations;
      expect(violation?.message).toBe(
        'allowPrivilegeEscalation != false (containers "initcontainer1", "container1" must set securityContext.allowPrivilegeEscalation=false)',
      );
    });

    it('exempts Windows pods from v1.25', () => {
      const pod = fixture('restricted-base-windows.yaml');
      expect(checksFailing(pod, 'v1.24')).toEqual(['allowPrivilegeEscalation', 'capabilities_restricted', 'seccompProfile_restricted']);
      expect(restricted(pod, 'v1.25').allowed).toBe(true);
      (spec(pod).os as Obj).name = 'linux';
      expect(restricted(pod, 'v1.25').allowed).toBe(false);
    });
  });

  describe('running as non-root', () => {
    it('accepts runAsNonRoot=true on the pod or on every container', () => {
      const pod = restrictedPod();
      delete podSecurityContext(pod).runAsNonRoot;
      for (const sc of allSecurityContexts(pod)) sc.runAsNonRoot = true;
      expect(restricted(pod).allowed).toBe(true);
      delete containerSecurityContext(pod).runAsNonRoot;
      const [violation] = restricted(pod).violations;
      expect(violation?.message).toBe('runAsNonRoot != true (pod or container "container1" must set securityContext.runAsNonRoot=true)');
      expect(violation?.paths).toEqual(['spec.containers[0].securityContext.runAsNonRoot']);
    });

    it('forbids an explicit false even under a pod-level true', () => {
      const pod = restrictedPod();
      containerSecurityContext(pod, 0, 'initContainers').runAsNonRoot = false;
      expect(restricted(pod).violations[0]?.message).toBe(
        'runAsNonRoot != true (container "initcontainer1" must not set securityContext.runAsNonRoot=false)',
      );
    });

    it('forbids runAsUser=0 from v1.23', () => {
      const pod = restrictedPod();
      podSecurityContext(pod).runAsUser = 0;
      containerSecurityContext(pod).runAsUser = 1000;
      expect(restricted(pod, 'v1.22').allowed).toBe(true);
      expect(restricted(pod, 'v1.23').violations).toEqual([
        {
          check: 'runAsUser',
          control: 'Running as Non-root user',
          message: 'runAsUser=0 (pod must not set runAsUser=0)',
          paths: ['spec.securityContext.runAsUser'],
        },
      ]);
    });

    it('skips both checks for user-namespaced pods from v1.35', () => {
      const pod = restrictedPod();
      spec(pod).hostUsers = false;
      podSecurityContext(pod).runAsNonRoot = false;
      podSecurityContext(pod).runAsUser = 0;
      expect(checksFailing(pod, 'v1.34')).toEqual(['runAsNonRoot', 'runAsUser']);
      expect(restricted(pod, 'v1.35').allowed).toBe(true);
    });
  });

  describe('seccomp', () => {
    it('requires RuntimeDefault or Localhost on the pod or every container from v1.19', () => {
      const pod = restrictedPod();
      delete podSecurityContext(pod).seccompProfile;
      containerSecurityContext(pod).seccompProfile = { type: 'Localhost', localhostProfile: 'p.json' };
      expect(restricted(pod, 'v1.18').allowed).toBe(true);
      const [violation] = restricted(pod, 'v1.19').violations;
      expect(violation?.message).toBe(
        'seccompProfile (pod or container "initcontainer1" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
      );
      expect(violation?.paths).toEqual(['spec.initContainers[0].securityContext.seccompProfile.type']);
    });

    it('replaces the baseline seccomp check and reports explicit bad types first', () => {
      const pod = restrictedPod();
      containerSecurityContext(pod).seccompProfile = { type: 'Unconfined' };
      expect(restricted(pod).violations).toEqual([
        {
          check: 'seccompProfile_restricted',
          control: 'Seccomp',
          message: 'seccompProfile (container "container1" must not set securityContext.seccompProfile.type to "Unconfined")',
          paths: ['spec.containers[0].securityContext.seccompProfile.type'],
        },
      ]);
      // Before v1.19 the baseline (annotation) form applies at the restricted level too.
      expect(checksFailing(pod, 'v1.18')).toEqual([]);
    });
  });

  describe('capabilities', () => {
    it('requires drop ALL and allows adding only NET_BIND_SERVICE from v1.22', () => {
      const pod = fixture('restricted-fail-capabilities.yaml');
      expect(checksFailing(pod, 'v1.21')).toEqual([]);
      expect(restricted(pod, 'v1.22').violations).toEqual([
        {
          check: 'capabilities_restricted',
          control: 'Capabilities',
          message:
            'unrestricted capabilities (containers "initcontainer1", "container1" must not include "AUDIT_WRITE", "CHOWN", ' +
            '"DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT" ' +
            'in securityContext.capabilities.add)',
          paths: ['spec.initContainers[0].securityContext.capabilities.add', 'spec.containers[0].securityContext.capabilities.add'],
        },
      ]);
    });

    it('words missing drops and forbidden adds together', () => {
      const pod = restrictedPod();
      containerSecurityContext(pod).capabilities = { drop: ['NET_RAW'], add: ['NET_BIND_SERVICE', 'SYS_ADMIN'] };
      delete containerSecurityContext(pod, 0, 'initContainers').capabilities;
      expect(restricted(pod).violations[0]?.message).toBe(
        'unrestricted capabilities (containers "initcontainer1", "container1" must set securityContext.capabilities.drop=["ALL"]; ' +
          'container "container1" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
      );
    });

    it('applies the baseline allow-list before v1.22', () => {
      const pod = restrictedPod();
      containerSecurityContext(pod).capabilities = { add: ['NET_RAW'] };
      expect(checksFailing(pod, 'v1.21')).toEqual(['capabilities_baseline']);
    });

    it('exempts Windows pods from v1.25, overriding the baseline check as admission does', () => {
      const pod = fixture('restricted-base-windows.yaml');
      containerSecurityContext(pod).capabilities = { add: ['NET_RAW'] };
      expect(restricted(pod, 'v1.25').allowed).toBe(true);
      expect(checkPodSecurity(pod, 'baseline', 'v1.25').allowed).toBe(false);
    });
  });

  it('keeps procMount Default even in a user namespace from v1.35', () => {
    const pod = restrictedPod();
    spec(pod).hostUsers = false;
    containerSecurityContext(pod).procMount = 'Unmasked';
    expect(checksFailing(pod, 'v1.34')).toEqual(['procMount']);
    expect(restricted(pod, 'v1.35').violations.map((v) => [v.check, v.control, v.message])).toEqual([
      ['procMount_restricted', '/proc Mount Type', 'procMount (container "container1" must not set securityContext.procMount to "Unmasked")'],
    ]);
    expect(checkPodSecurity(pod, 'baseline', 'v1.35').allowed).toBe(true);
  });
});
