/**
 * The built-in Kubernetes checks on self-contained fixtures: every check fires where it should,
 * at the line of the offending field (or its nearest existing parent), and a hardened workload
 * triggers none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Hit } from '../../../src/misconfig/check.ts';
import { checkManifests, PSS_CONTROLS } from '../../../src/misconfig/k8s/index.ts';
import { parseManifests, type Manifest } from '../../../src/misconfig/manifests.ts';
import { listChecks } from '../../../src/misconfig/scan.ts';
import { repoRoot } from '../../helpers/corpus.ts';

const fixtures = join(repoRoot, 'test/fixtures/misconfig/k8s');

function manifestsOf(...names: string[]): Manifest[] {
  return names.flatMap((n) => parseManifests(readFileSync(join(fixtures, n), 'utf8'), n).manifests);
}

function run(...names: string[]): Hit[] {
  const { hits, issues } = checkManifests(manifestsOf(...names));
  expect(issues).toEqual([]);
  return hits;
}

function yaml(text: string): Hit[] {
  const parsed = parseManifests(text, 'inline.yaml');
  expect(parsed.issues).toEqual([]);
  return checkManifests(parsed.manifests).hits;
}

/** `PAL-K8S-001@28` for each hit of the given check ids (all when none given), sorted. */
function located(hits: Hit[], ...ids: string[]): string[] {
  return hits
    .filter((h) => ids.length === 0 || ids.includes(h.check.id))
    .map((h) => `${h.check.id}@${h.line}`)
    .sort();
}

describe('a hardened workload', () => {
  it('triggers no check at all (SA opt-out, NetworkPolicy, probes, digest, restricted securityContext)', () => {
    expect(located(run('hardened.yaml'))).toEqual([]);
  });
});

describe('Pod Security Standards controls', () => {
  const hits = run('insecure-pod.yaml');

  it('report each violated control once, with its own id, at the offending field', () => {
    expect(located(hits, ...PSS_CONTROLS.map((c) => c.meta.id))).toEqual(
      [
        'PAL-K8S-001@28', // privileged: true
        'PAL-K8S-002@10', // hostNetwork (and hostPID, same finding)
        'PAL-K8S-003@37', // windowsOptions.hostProcess
        'PAL-K8S-004@39', // capabilities.add SYS_ADMIN
        'PAL-K8S-005@45', // hostPath
        'PAL-K8S-006@21', // hostPort
        'PAL-K8S-007@8', // AppArmor annotation
        'PAL-K8S-008@35', // seLinuxOptions.user
        'PAL-K8S-009@30', // procMount
        'PAL-K8S-010@33', // seccomp Unconfined
        'PAL-K8S-011@14', // sysctl name
        'PAL-K8S-012@24', // probe host
        'PAL-K8S-013@45', // hostPath is not a restricted volume type
        'PAL-K8S-014@31', // allowPrivilegeEscalation: true
        'PAL-K8S-015@27', // runAsNonRoot missing: its parent securityContext
        'PAL-K8S-016@29', // runAsUser: 0
        'PAL-K8S-017@33', // seccomp type
        'PAL-K8S-018@38', // capabilities.drop missing: its parent capabilities
      ].sort(),
    );
  });

  it('word findings as pod-security admission does, and name the object', () => {
    const privileged = hits.find((h) => h.check.id === 'PAL-K8S-001')!;
    expect(privileged.message).toBe('privileged (container "app" must not set securityContext.privileged=true)');
    expect(privileged.object).toEqual({ kind: 'Pod', name: 'everything-wrong', namespace: 'default' });
    expect(privileged.field).toBe('spec.containers[0].securityContext.privileged');
    expect(hits.find((h) => h.check.id === 'PAL-K8S-002')!.message).toContain('hostNetwork=true, hostPID=true');
  });

  it('map paths under pod templates of every controller (Deployment, DaemonSet, CronJob)', () => {
    const w = run('workloads.yaml');
    expect(located(w, 'PAL-K8S-005', 'PAL-K8S-015')).toEqual(['PAL-K8S-005@27', 'PAL-K8S-015@16', 'PAL-K8S-015@48', 'PAL-K8S-015@64']);
  });

  it('cover workload kinds only', () => {
    expect(located(yaml('apiVersion: v1\nkind: PodTemplate\ntemplate:\n  spec:\n    hostNetwork: true\n'))).toEqual([]);
  });
});

describe('image references', () => {
  it('flag :latest and untagged images (a registry port is not a tag), not digests', () => {
    expect(located(run('workloads.yaml'), 'PAL-K8S-019')).toEqual(['PAL-K8S-019@17', 'PAL-K8S-019@65']);
    expect(located(run('insecure-pod.yaml'), 'PAL-K8S-019')).toEqual(['PAL-K8S-019@18']);
    const pinnedLatest = yaml('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: nginx:latest@sha256:abc\n');
    expect(located(pinnedLatest, 'PAL-K8S-019', 'PAL-K8S-020')).toEqual([]);
  });

  it('flag images without a digest (policy), in init containers too', () => {
    expect(located(run('workloads.yaml'), 'PAL-K8S-020')).toEqual(['PAL-K8S-020@17', 'PAL-K8S-020@49', 'PAL-K8S-020@65']);
  });
});

describe('policy checks (Kyverno policies run by the engine)', () => {
  const w = run('workloads.yaml');

  it('runtime socket: the hostPath path line', () => {
    expect(located(w, 'PAL-K8S-028')).toEqual(['PAL-K8S-028@28']);
    const hit = w.find((h) => h.check.id === 'PAL-K8S-028')!;
    expect(hit.value).toBe('path=/var/run/docker.sock');
    expect(hit.field).toBe('spec.template.spec.volumes[1].hostPath.path');
    expect(located(run('hardened.yaml', 'insecure-pod.yaml'), 'PAL-K8S-028')).toEqual([]); // hostPath /etc is not a socket
  });

  it('requests and memory limit: the container (resources missing)', () => {
    expect(located(w, 'PAL-K8S-022', 'PAL-K8S-023')).toEqual([
      'PAL-K8S-022@19', 'PAL-K8S-022@48', 'PAL-K8S-022@64', 'PAL-K8S-023@19', 'PAL-K8S-023@48', 'PAL-K8S-023@64',
    ]);
    const cpuOnly = yaml(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: a:1
      resources:
        requests: {cpu: 100m}
        limits: {cpu: 200m}
`);
    // memory request missing: the requests line; memory limit missing: the limits line.
    expect(located(cpuOnly, 'PAL-K8S-022', 'PAL-K8S-023')).toEqual(['PAL-K8S-022@9', 'PAL-K8S-023@10']);
  });

  it('probes: long-running workloads only (not Jobs or CronJobs)', () => {
    expect(located(w, 'PAL-K8S-026', 'PAL-K8S-027')).toEqual(['PAL-K8S-026@19', 'PAL-K8S-027@19']);
    // The insecure pod has a liveness probe but no readiness probe.
    expect(located(run('insecure-pod.yaml'), 'PAL-K8S-026', 'PAL-K8S-027')).toEqual(['PAL-K8S-027@17']);
  });

  it('read-only root filesystem: the securityContext field or its parent', () => {
    expect(located(run('insecure-pod.yaml'), 'PAL-K8S-021')).toEqual(['PAL-K8S-021@27']);
    expect(located(w, 'PAL-K8S-021')).toEqual(['PAL-K8S-021@16', 'PAL-K8S-021@48', 'PAL-K8S-021@64']);
  });

  it('default namespace: explicit default only (an unset namespace is decided at apply time)', () => {
    expect(located(run('insecure-pod.yaml'), 'PAL-K8S-025')).toEqual(['PAL-K8S-025@6']);
    expect(located(yaml('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a:1}]}\n'), 'PAL-K8S-025')).toEqual([]);
    // A Deployment's own namespace, not its template's.
    expect(located(yaml('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: default\nspec:\n  template:\n    spec: {containers: [{name: a, image: a:1}]}\n'), 'PAL-K8S-025')).toEqual(['PAL-K8S-025@5']);
  });

  it('NodePort services: the type line; LoadBalancer and ClusterIP pass', () => {
    expect(located(run('config.yaml'), 'PAL-K8S-029')).toEqual(['PAL-K8S-029@25']);
  });

  it('cluster-admin bindings: the roleRef name line, for ClusterRoleBindings and RoleBindings', () => {
    expect(located(run('rbac.yaml'), 'PAL-K8S-032')).toEqual(['PAL-K8S-032@26']);
    const rb = yaml('apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: x}\nroleRef:\n  kind: ClusterRole\n  name: cluster-admin\n');
    expect(located(rb)).toEqual(['PAL-K8S-032@6']);
  });
});

describe('service account tokens', () => {
  it('flag pods that mount the token, unless the pod or its ServiceAccount (in the input) opts out', () => {
    // DaemonSet: explicit true at pod level wins over the ServiceAccount's false; Job and CronJob use "default".
    expect(located(run('workloads.yaml'), 'PAL-K8S-024')).toEqual(['PAL-K8S-024@13', 'PAL-K8S-024@45', 'PAL-K8S-024@61']);
    const messages = run('workloads.yaml').filter((h) => h.check.id === 'PAL-K8S-024').map((h) => h.message);
    expect(messages).toContain('the pod mounts the token of service account "builder"');
  });

  it('an opted-out ServiceAccount in another namespace does not count', () => {
    const other = yaml(`apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: a}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: b}
spec:
  containers: [{name: c, image: c:1}]
`);
    expect(located(other, 'PAL-K8S-024')).toEqual(['PAL-K8S-024@9']);
  });
});

describe('RBAC wildcards', () => {
  const hits = run('rbac.yaml');

  it('flag wildcard verbs on resources and wildcard resources, at the list line', () => {
    expect(located(hits, 'PAL-K8S-030', 'PAL-K8S-031')).toEqual(['PAL-K8S-030@8', 'PAL-K8S-031@10']);
    expect(hits.find((h) => h.check.id === 'PAL-K8S-030')!.message).toBe('rule 0 allows every verb on pods, services');
  });

  it('leave aggregated roles, explicit verbs and non-resource URLs alone', () => {
    expect(hits.filter((h) => h.object.name === 'aggregate')).toEqual([]);
    expect(located(run('hardened.yaml'), 'PAL-K8S-030', 'PAL-K8S-031')).toEqual([]);
  });
});

describe('credentials', () => {
  it('ConfigMaps: secret keys with literal values, NAME=value lines, private keys; not references or empty values', () => {
    const hits = run('config.yaml');
    expect(located(hits, 'PAL-K8S-033')).toEqual(['PAL-K8S-033@12', 'PAL-K8S-033@7', 'PAL-K8S-033@9']);
    expect(hits.filter((h) => h.check.id === 'PAL-K8S-033').map((h) => h.message)).toEqual([
      'key "password" holds a literal secret',
      'key "app.env" holds a literal secret (REDIS_PASSWORD)',
      'key "cert-pem" holds a private key',
    ]);
    // Evidence never shows the secret itself.
    for (const h of hits) expect(h.value ?? '').not.toMatch(/supersecret|abcd1234/);
    expect(located(run('hardened.yaml'), 'PAL-K8S-033')).toEqual([]);
  });

  it('container env: literal values of secret-named variables and known token formats; not $(VAR) or valueFrom', () => {
    expect(located(run('workloads.yaml'), 'PAL-K8S-034')).toEqual(['PAL-K8S-034@68']);
    const pod = run('insecure-pod.yaml').find((h) => h.check.id === 'PAL-K8S-034')!;
    expect(pod.line).toBe(42);
    expect(pod.message).toBe('container "app" env GITHUB_TOKEN holds a GitHub token');
    expect(pod.value).toBe('GITHUB_TOKEN=ghp****');
  });
});

describe('NetworkPolicy per namespace', () => {
  it('one finding per namespace with workloads and no policy, on its first workload', () => {
    const hits = run('workloads.yaml');
    expect(located(hits, 'PAL-K8S-035')).toEqual(['PAL-K8S-035@5']);
    const hit = hits.find((h) => h.check.id === 'PAL-K8S-035')!;
    expect(hit.object).toEqual({ kind: 'Namespace', name: 'ci' });
    expect(hit.message).toBe('namespace "ci" has 2 workloads and no NetworkPolicy in the scanned manifests');
  });

  it('any NetworkPolicy in the input set covers its namespace; a cluster-wide policy covers all', () => {
    expect(located(run('hardened.yaml'), 'PAL-K8S-035')).toEqual([]);
    const clusterWide = 'apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: all}\n---\n';
    expect(located(yaml(`${clusterWide}${readFileSync(join(fixtures, 'insecure-pod.yaml'), 'utf8')}`), 'PAL-K8S-035')).toEqual([]);
  });
});

describe('the check catalogue', () => {
  const checks = listChecks();

  it('has unique, stable ids with metadata for every check', () => {
    const ids = checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('PAL-K8S-'))).toEqual(Array.from({ length: 35 }, (_, i) => `PAL-K8S-${String(i + 1).padStart(3, '0')}`));
    for (const c of checks) {
      expect(c.title, c.id).not.toBe('');
      expect(c.description.length, c.id).toBeGreaterThan(20);
      expect(c.remediation.length, c.id).toBeGreaterThan(10);
      expect(c.references.length, c.id).toBeGreaterThan(0);
      for (const r of c.references) expect(URL.canParse(r), r).toBe(true);
    }
  });

  it('says which checks are Kyverno policies', () => {
    const policies = checks.filter((c) => c.implementation === 'policy').map((c) => c.id);
    expect(policies).toEqual(['PAL-K8S-020', 'PAL-K8S-021', 'PAL-K8S-022', 'PAL-K8S-023', 'PAL-K8S-025', 'PAL-K8S-026', 'PAL-K8S-027', 'PAL-K8S-028', 'PAL-K8S-029', 'PAL-K8S-032']);
    expect(checks.find((c) => c.id === 'PAL-K8S-021')).toMatchObject({ severity: 'MEDIUM', trivy: ['KSV-0014'] });
  });

  it('is documented in docs/misconfig.md, row by row', () => {
    const doc = readFileSync(join(repoRoot, 'docs/misconfig.md'), 'utf8');
    for (const c of checks) {
      const row = `| ${c.id} | ${c.severity} | ${c.title} | ${c.implementation === 'policy' ? 'Kyverno policy' : 'TypeScript'} | ${c.trivy.join(', ')} |`;
      expect(doc, c.id).toContain(row);
    }
  });

  it('maps to Trivy ids where the check is the same', () => {
    expect(checks.find((c) => c.id === 'PAL-K8S-014')!.trivy).toEqual(['KSV-0001']);
    expect(checks.find((c) => c.id === 'PAL-K8S-001')!.trivy).toEqual(['KSV-0017']);
    expect(checks.find((c) => c.id === 'PAL-DF-002')!.trivy).toEqual(['DS-0001']);
  });
});
