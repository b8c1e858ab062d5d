import { describe, expect, it } from 'vitest';
import { checkPodSecurity } from '../../../src/policy/podsecurity/index.ts';
import {
  allSecurityContexts,
  annotate,
  baselinePod,
  container,
  containerSecurityContext,
  fixture,
  podSecurityContext,
  spec,
  type Obj,
} from './helpers.ts';

function baseline(pod: Obj, version = 'latest') {
  return checkPodSecurity(pod, 'baseline', version);
}

describe('baseline level', () => {
  it('allows the minimal pod at every version', () => {
    for (let minor = 0; minor <= 37; minor++) expect(baseline(baselinePod(), `v1.${minor}`).allowed).toBe(true);
  });

  it('forbids windowsOptions.hostProcess=true on the pod and on containers', () => {
    const pod = baselinePod();
    podSecurityContext(pod).windowsOptions = { hostProcess: true };
    containerSecurityContext(pod).windowsOptions = { hostProcess: true };
    const result = baseline(pod);
    expect(result.violations).toEqual([
      {
        check: 'windowsHostProcess',
        control: 'HostProcess',
        message:
          'hostProcess (pod and container "container1" must not set securityContext.windowsOptions.hostProcess=true)',
        paths: ['spec.securityContext.windowsOptions.hostProcess', 'spec.containers[0].securityContext.windowsOptions.hostProcess'],
      },
    ]);
    podSecurityContext(pod).windowsOptions = { hostProcess: false };
    containerSecurityContext(pod).windowsOptions = {};
    expect(baseline(pod).allowed).toBe(true);
  });

  it('forbids host namespaces, naming each', () => {
    const pod = baselinePod();
    Object.assign(spec(pod), { hostNetwork: true, hostPID: true, hostIPC: false });
    expect(baseline(pod).violations).toEqual([
      {
        check: 'hostNamespaces',
        control: 'Host Namespaces',
        message: 'host namespaces (hostNetwork=true, hostPID=true)',
        paths: ['spec.hostNetwork', 'spec.hostPID'],
      },
    ]);
  });

  it('forbids privileged containers of every kind', () => {
    const pod = baselinePod();
    spec(pod).ephemeralContainers = [{ name: 'debugger', image: 'busybox', securityContext: { privileged: true } }];
    containerSecurityContext(pod, 0, 'initContainers').privileged = true;
    containerSecurityContext(pod).privileged = false;
    const [violation] = baseline(pod).violations;
    expect(violation?.message).toBe(
      'privileged (containers "initcontainer1", "debugger" must not set securityContext.privileged=true)',
    );
    expect(violation?.paths).toEqual([
      'spec.initContainers[0].securityContext.privileged',
      'spec.ephemeralContainers[0].securityContext.privileged',
    ]);
  });

  it('allows only the default capability set to be added', () => {
    const pod = baselinePod();
    containerSecurityContext(pod).capabilities = { add: ['CHOWN', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL'] };
    expect(baseline(pod).allowed).toBe(true);
    containerSecurityContext(pod).capabilities = { add: ['NET_RAW', 'CHOWN', 'CAP_SYS_ADMIN'], drop: ['ALL'] };
    expect(baseline(pod).violations.map((v) => v.message)).toEqual([
      'non-default capabilities (container "container1" must not include "CAP_SYS_ADMIN", "NET_RAW" in securityContext.capabilities.add)',
    ]);
  });

  it('forbids hostPath volumes, and only those', () => {
    const pod = baselinePod();
    spec(pod).volumes = [
      { name: 'scratch', emptyDir: {} },
      { name: 'docker', hostPath: { path: '/var/run/docker.sock' } },
      { name: 'data', nfs: { server: 'nfs', path: '/' } },
      { name: 'nulled', hostPath: null },
    ];
    expect(baseline(pod).violations).toEqual([
      { check: 'hostPathVolumes', control: 'HostPath Volumes', message: 'hostPath volumes (volume "docker")', paths: ['spec.volumes[1].hostPath'] },
    ]);
  });

  it('forbids non-zero host ports', () => {
    const pod = baselinePod();
    container(pod).ports = [{ containerPort: 80, hostPort: 0 }, { containerPort: 8080 }];
    expect(baseline(pod).allowed).toBe(true);
    container(pod).ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 443, hostPort: 443 }];
    const [violation] = baseline(pod).violations;
    expect(violation?.message).toBe('hostPort (container "container1" uses hostPorts 443, 8080)');
    expect(violation?.paths).toEqual(['spec.containers[0].ports[0].hostPort', 'spec.containers[0].ports[1].hostPort']);
  });

  describe('AppArmor', () => {
    it('forbids annotations other than runtime/default and localhost/*, whatever the container name', () => {
      const pod = annotate(baselinePod(), {
        'container.apparmor.security.beta.kubernetes.io/container1': 'runtime/default',
        'container.apparmor.security.beta.kubernetes.io/initcontainer1': 'localhost/profile',
        'container.apparmor.security.beta.kubernetes.io/ghost': '',
      });
      expect(baseline(pod).allowed).toBe(true);
      annotate(pod, { 'container.apparmor.security.beta.kubernetes.io/ghost': 'unconfined' });
      expect(baseline(pod, 'v1.0').violations.map((v) => v.message)).toEqual([
        'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/ghost="unconfined"")',
      ]);
    });

    it('checks the appArmorProfile field at every version (admission amended its 1.0 rule in place)', () => {
      const pod = baselinePod();
      podSecurityContext(pod).appArmorProfile = { type: 'RuntimeDefault' };
      containerSecurityContext(pod).appArmorProfile = { type: 'Localhost', localhostProfile: 'p' };
      expect(baseline(pod, 'v1.0').allowed).toBe(true);
      containerSecurityContext(pod).appArmorProfile = { type: 'Unconfined' };
      for (const version of ['v1.0', 'v1.29', 'latest']) {
        expect(baseline(pod, version).violations.map((v) => v.message)).toEqual([
          'forbidden AppArmor profile (container "container1" must not set AppArmor profile type to "Unconfined")',
        ]);
      }
    });
  });

  describe('SELinux', () => {
    it('allows the container types, container_engine_t only from v1.31', () => {
      const pod = baselinePod();
      podSecurityContext(pod).seLinuxOptions = { type: 'container_t', level: 's0:c1,c2' };
      containerSecurityContext(pod).seLinuxOptions = { type: 'container_engine_t' };
      expect(baseline(pod, 'v1.31').allowed).toBe(true);
      expect(baseline(pod, 'v1.30').violations.map((v) => v.message)).toEqual([
        'seLinuxOptions (container "container1" set forbidden securityContext.seLinuxOptions: type "container_engine_t")',
      ]);
    });

    it('forbids user and role anywhere', () => {
      const pod = baselinePod();
      podSecurityContext(pod).seLinuxOptions = { user: 'system_u' };
      containerSecurityContext(pod, 0, 'initContainers').seLinuxOptions = { role: 'sysadm_r', type: 'spc_t' };
      const [violation] = baseline(pod).violations;
      expect(violation?.message).toBe(
        'seLinuxOptions (pod and container "initcontainer1" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set)',
      );
      expect(violation?.paths).toEqual([
        'spec.securityContext.seLinuxOptions.user',
        'spec.initContainers[0].securityContext.seLinuxOptions.type',
        'spec.initContainers[0].securityContext.seLinuxOptions.role',
      ]);
    });
  });

  describe('/proc mount type', () => {
    it('forbids anything but Default', () => {
      const pod = baselinePod();
      containerSecurityContext(pod).procMount = 'Default';
      expect(baseline(pod).allowed).toBe(true);
      containerSecurityContext(pod).procMount = 'Unmasked';
      expect(baseline(pod).violations.map((v) => v.message)).toEqual([
        'procMount (container "container1" must not set securityContext.procMount to "Unmasked")',
      ]);
    });

    it('relaxes for user-namespaced pods (hostUsers: false) from v1.35 only', () => {
      const pod = baselinePod();
      spec(pod).hostUsers = false;
      containerSecurityContext(pod).procMount = 'Unmasked';
      expect(baseline(pod, 'v1.34').allowed).toBe(false);
      expect(baseline(pod, 'v1.35').allowed).toBe(true);
      spec(pod).hostUsers = true;
      expect(baseline(pod, 'v1.35').allowed).toBe(false);
    });
  });

  describe('seccomp', () => {
    it('reads the alpha annotations before v1.19', () => {
      const pod = fixture('baseline-v1.0-pass-seccomp-annotations.yaml');
      expect(baseline(pod, 'v1.18').allowed).toBe(true);
      annotate(pod, {
        'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
        'container.seccomp.security.alpha.kubernetes.io/initcontainer1': 'docker/default',
        // No such container: admission only reads the annotations of containers the pod has.
        'container.seccomp.security.alpha.kubernetes.io/ghost': 'unconfined',
      });
      const [violation] = baseline(pod, 'v1.18').violations;
      expect(violation?.message).toBe('seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")');
      expect(violation?.paths).toEqual(['metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]']);
      // From v1.19 the annotations are no longer read.
      expect(baseline(pod, 'v1.19').allowed).toBe(true);
    });

    it('forbids the Unconfined type from v1.19, on the pod and on containers', () => {
      const pod = baselinePod();
      podSecurityContext(pod).seccompProfile = { type: 'Unconfined' };
      containerSecurityContext(pod).seccompProfile = { type: 'RuntimeDefault' };
      containerSecurityContext(pod, 0, 'initContainers').seccompProfile = { type: 'Unconfined' };
      expect(baseline(pod, 'v1.18').allowed).toBe(true);
      expect(baseline(pod, 'v1.19').violations.map((v) => v.message)).toEqual([
        'seccompProfile (pod and container "initcontainer1" must not set securityContext.seccompProfile.type to "Unconfined")',
      ]);
    });
  });

  describe('sysctls', () => {
    const gates: [string, number][] = [
      ['net.ipv4.ip_local_port_range', 0],
      ['net.ipv4.ip_local_reserved_ports', 27],
      ['net.ipv4.tcp_keepalive_time', 29],
      ['net.ipv4.tcp_fin_timeout', 29],
      ['net.ipv4.tcp_keepalive_intvl', 29],
      ['net.ipv4.tcp_keepalive_probes', 29],
      ['net.ipv4.tcp_rmem', 32],
      ['net.ipv4.tcp_wmem', 32],
      ['net.ipv4.tcp_slow_start_after_idle', 37],
      ['net.ipv4.tcp_notsent_lowat', 37],
    ];

    it.each(gates)('%s is safe from v1.%i', (name, since) => {
      const pod = baselinePod();
      podSecurityContext(pod).sysctls = [{ name, value: '1' }];
      expect(baseline(pod, `v1.${since}`).allowed).toBe(true);
      if (since > 0) {
        expect(baseline(pod, `v1.${since - 1}`).violations).toEqual([
          { check: 'sysctls', control: 'Sysctls', message: `forbidden sysctls (${name})`, paths: ['spec.securityContext.sysctls[0].name'] },
        ]);
      }
    });

    it('lists every unsafe sysctl in order', () => {
      const pod = baselinePod();
      podSecurityContext(pod).sysctls = [
        { name: 'kernel.msgmax', value: '1' },
        { name: 'kernel.shm_rmid_forced', value: '1' },
        { name: 'net.core.somaxconn', value: '1' },
      ];
      expect(baseline(pod).violations[0]?.message).toBe('forbidden sysctls (kernel.msgmax, net.core.somaxconn)');
    });
  });

  it('forbids probe and lifecycle hosts from v1.34 only', () => {
    const pod = baselinePod();
    Object.assign(container(pod), {
      livenessProbe: { httpGet: { port: 80, host: '' } },
      readinessProbe: { tcpSocket: { port: 80 } },
    });
    expect(baseline(pod).allowed).toBe(true);
    Object.assign(container(pod), {
      startupProbe: { httpGet: { port: 80, host: '169.254.169.254' } },
      lifecycle: { preStop: { tcpSocket: { port: 80, host: 'example.com' } } },
    });
    expect(baseline(pod, 'v1.33').allowed).toBe(true);
    const [violation] = baseline(pod, 'v1.34').violations;
    expect(violation?.message).toBe(
      'probe or lifecycle host (container "container1" uses probe or lifecycle hosts "169.254.169.254", "example.com")',
    );
    expect(violation?.paths).toEqual([
      'spec.containers[0].startupProbe.httpGet.host',
      'spec.containers[0].lifecycle.preStop.tcpSocket.host',
    ]);
  });

  it('does not apply restricted checks', () => {
    const pod = baselinePod();
    spec(pod).volumes = [{ name: 'nfs', nfs: { server: 's', path: '/' } }];
    for (const sc of allSecurityContexts(pod)) Object.assign(sc, { runAsUser: 0, allowPrivilegeEscalation: true });
    expect(baseline(pod).allowed).toBe(true);
  });
});
