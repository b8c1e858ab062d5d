import { describe, expect, it } from 'vitest';
import { matchAnyPattern, matchPattern, patternAnchorError } from '../../../src/policy/pattern/validate.ts';
import { RuleError } from '../../../src/policy/types.ts';

type Status = 'pass' | 'fail' | 'skip';

/** [name, pattern, resource, expected status, expected path (when it matters)] */
type Case = [string, unknown, unknown, Status, string?];

function check([, pattern, resource, status, path]: Case): void {
  const r = matchPattern(resource, pattern);
  expect(r.status, r.reason).toBe(status);
  if (path !== undefined) expect(r.path).toBe(path);
}

const pod = (containers: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'nginx' } },
  spec: { containers, ...extra },
});

describe('matchPattern: maps, scalars and paths', () => {
  it.each<Case>([
    ['equal map passes', { spec: { hostNetwork: false } }, { spec: { hostNetwork: false } }, 'pass', ''],
    ['scalar mismatch reports the leaf path', { spec: { hostNetwork: false } }, { spec: { hostNetwork: true } }, 'fail', '/spec/hostNetwork/'],
    ['missing map fails at the map', { spec: { securityContext: { runAsNonRoot: true } } }, { spec: {} }, 'fail', '/spec/securityContext/'],
    ['map pattern against a scalar fails', { metadata: { labels: { a: 'b' } } }, { metadata: { labels: 'x' } }, 'fail', '/metadata/labels/'],
    ['array pattern against a map fails', { spec: { containers: [{ name: '*' }] } }, { spec: { containers: {} } }, 'fail', '/spec/containers/'],
    ['"*" requires a present non-null value, empty allowed', { metadata: { name: '*' } }, { metadata: { name: '' } }, 'pass'],
    ['"*" on a missing key fails at the parent path', { metadata: { labels: { app: '*' } } }, { metadata: { labels: {} } }, 'fail', '/metadata/labels/'],
    ['"*" on a null value fails', { spec: { containers: [{ name: '*', livenessProbe: '*' }] } }, pod([{ name: 'a', livenessProbe: null }]), 'fail', '/spec/containers/0/'],
    ['"*" accepts a map value', { spec: { containers: [{ name: '*', livenessProbe: '*' }] } }, pod([{ name: 'a', livenessProbe: { periodSeconds: 11 } }]), 'pass'],
    ['"*" accepts an int value', { spec: { containers: [{ livenessProbe: { periodSeconds: '*' } }] } }, pod([{ livenessProbe: { periodSeconds: 11 } }]), 'pass'],
    ['"*" accepts an array value', { spec: { containers: '*' } }, pod([{ name: 'a' }]), 'pass'],
    ['"?*" rejects an empty string', { metadata: { labels: { app: '?*' } } }, { metadata: { labels: { app: '' } } }, 'fail', '/metadata/labels/app/'],
    ['"?*" rejects a missing key', { metadata: { labels: { team: '?*' } } }, { metadata: { labels: { app: 'x' } } }, 'fail', '/metadata/labels/team/'],
    ['null accepts a missing key', { spec: { containers: [{ name: '*', livenessProbe: null }] } }, pod([{ name: 'a' }]), 'pass'],
    ['null accepts an explicit null', { spec: { containers: [{ name: '*', livenessProbe: null }] } }, pod([{ name: 'a', livenessProbe: null }]), 'pass'],
    ['null rejects a map', { spec: { containers: [{ livenessProbe: null }] } }, pod([{ livenessProbe: {} }]), 'fail'],
    ['"" does not accept a missing key', { spec: { serviceAccountName: '' } }, { spec: {} }, 'fail'],
    ['cpu string against "<4|8"', { spec: { containers: [{ resources: { requests: { cpu: '<4|8' } } }] } }, pod([{ resources: { requests: { cpu: '8' } } }]), 'pass'],
    ['memory quantity limits', { spec: { containers: [{ resources: { limits: { memory: '<=1Gi' } } }] } }, pod([{ resources: { limits: { memory: '2Gi' } } }]), 'fail', '/spec/containers/0/resources/limits/memory/'],
    ['missing quantity counts as 0', { spec: { containers: [{ resources: { limits: { memory: '<1Gi' } } }] } }, pod([{ resources: { limits: {} } }]), 'pass'],
    ['scalar pattern against an array checks every element', { spec: { args: '!--privileged' } }, { spec: { args: ['--a', '--privileged'] } }, 'fail', '/spec/args/'],
    ['scalar pattern against an empty array passes', { spec: { args: '!--privileged' } }, { spec: { args: [] } }, 'pass'],
    ['unknown pattern type fails', { spec: { x: () => 1 } }, { spec: { x: 1 } }, 'fail', '/spec/x/'],
  ])('%s', (...c) => check(c));

  it('reports Kyverno messages', () => {
    expect(matchPattern({ spec: { hostNetwork: true } }, { spec: { hostNetwork: false } }).reason).toBe(
      "resource value 'true' does not match 'false' at path /spec/hostNetwork/",
    );
    expect(matchPattern({ spec: {} }, { spec: { securityContext: { a: 1 } } }).reason).toBe(
      'pattern and resource have different structures. Path: /spec/securityContext/. Expected map[string]interface {}, found <nil>',
    );
    expect(matchPattern({ metadata: {} }, { metadata: { name: '*' } }).reason).toBe('/metadata//name not found');
  });
});

describe('matchPattern: arrays', () => {
  it.each<Case>([
    ['map element applies to every resource element', { spec: { containers: [{ image: '!*:latest' }] } }, pod([{ image: 'a:1' }, { image: 'b:latest' }]), 'fail', '/spec/containers/1/image/'],
    ['only the first map element is used', { spec: { containers: [{ image: 'a:*' }, { image: 'zzz' }] } }, pod([{ image: 'a:1' }]), 'pass'],
    ['empty resource array passes', { spec: { containers: [{ image: '!*:latest' }] } }, pod([]), 'pass'],
    ['non-map element against a map pattern fails', { spec: { containers: [{ image: '*' }] } }, pod(['nginx']), 'fail', '/spec/containers/0/'],
    ['empty pattern array fails', { spec: { containers: [] } }, pod([{ image: 'a' }]), 'fail', '/spec/containers/'],
    ['scalar first element must match every element', { spec: { tags: ['prod-*'] } }, { spec: { tags: ['prod-a', 'dev'] } }, 'fail', '/spec/tags/'],
    ['nested arrays match by position', { m: [['a'], ['b']] }, { m: [['a'], ['b'], ['c']] }, 'pass'],
    ['positional mismatch reports the element path', { m: [['a'], ['b']] }, { m: [['a'], ['x']] }, 'fail', '/m/1/'],
    // Kyverno returns an empty path here, which its validate handler reports as an error
    ['shorter resource array fails without a path', { m: [['a'], ['b']] }, { m: [['a']] }, 'fail', ''],
  ])('%s', (...c) => check(c));
});

describe('matchPattern: conditional anchors', () => {
  const imagePolicy = { spec: { containers: [{ name: '*', '(image)': '*:latest | !*:*', imagePullPolicy: '!Always' }] } };
  const c = (name: string, image: string, imagePullPolicy: string) => ({ name, image, imagePullPolicy });

  it.each<Case>([
    ['condition false → skip', imagePolicy, pod([c('nginx', 'nginx:1.2.3', 'Always')]), 'skip'],
    ['condition true, then fails', imagePolicy, pod([c('nginx', 'nginx:latest', 'Always')]), 'fail', '/spec/containers/0/imagePullPolicy/'],
    ['no tag counts as latest, fails', imagePolicy, pod([c('nginx', 'nginx', 'Always')]), 'fail'],
    ['condition true, passes', imagePolicy, pod([c('nginx', 'nginx', 'Never')]), 'pass'],
    ['latest with Never passes', imagePolicy, pod([c('nginx', 'nginx:latest', 'Never')]), 'pass'],
    ['tagged with Never skips', imagePolicy, pod([c('nginx', 'nginx:1.2.3', 'Never')]), 'skip'],
    ['one applicable failing element fails', imagePolicy, pod([c('nginx', 'nginx', 'Always'), c('bb', 'busybox:1.28', 'Always')]), 'fail'],
    ['all elements skipped → skip', imagePolicy, pod([c('nginx', 'nginx:1.2.3', 'Always'), c('bb', 'busybox:1.28', 'Always')]), 'skip'],
    ['one applicable passing element passes', imagePolicy, pod([c('nginx', 'nginx', 'Never'), c('bb', 'busybox:1.28', 'Always')]), 'pass'],
    ['skipped element then failing element', imagePolicy, pod([c('bb', 'busybox:1.28', 'Always'), c('nginx', 'nginx', 'Always')]), 'fail', '/spec/containers/1/imagePullPolicy/'],
    ['skipped element then passing element', imagePolicy, pod([c('bb', 'busybox:1.28', 'Always'), c('nginx', 'nginx', 'Never')]), 'pass'],
    ['"!*:* | *:latest" order does not matter', { spec: { containers: [{ '(image)': '!*:* | *:latest', imagePullPolicy: '!Always' }] } }, pod([c('n', 'nginx:latest', 'Always')]), 'fail'],
    ['missing conditional key → skip', { spec: { '(hostNetwork)': true, containers: [{ image: 'x' }] } }, pod([{ image: 'y' }]), 'skip'],
    ['conditional keys nest', { metadata: { labels: { 'allow-docker': 'true' } }, '(spec)': { '(volumes)': [{ '(hostPath)': { path: '/var/run/docker.sock' } }] } }, { metadata: { labels: { run: 'nginx' } }, spec: { containers: [] } }, 'skip'],
    ['nested condition holds, sibling fails', { metadata: { labels: { 'allow-docker': 'true' } }, '(spec)': { '(volumes)': [{ '(hostPath)': { path: '/var/run/docker.sock' } }] } }, { metadata: { labels: { run: 'nginx' } }, spec: { volumes: [{ hostPath: { path: '/var/run/docker.sock' } }] } }, 'fail', '/metadata/labels/allow-docker/'],
    ['nested condition not met in every element → skip', { metadata: { labels: { 'allow-docker': 'true' } }, '(spec)': { '(volumes)': [{ '(hostPath)': { path: '/var/run/docker.sock' } }] } }, { metadata: { labels: { run: 'nginx' } }, spec: { volumes: [{ hostPath: { path: '/random' } }] } }, 'skip'],
    ['nested condition holds and sibling matches', { metadata: { labels: { 'allow-docker': 'true' } }, '(spec)': { '(volumes)': [{ '(hostPath)': { path: '/var/run/docker.sock' } }] } }, { metadata: { labels: { 'allow-docker': 'true' } }, spec: { volumes: [{ hostPath: { path: '/var/run/docker.sock' } }] } }, 'pass'],
    ['condition inside equality anchor list → skip', { spec: { '=(volumes)': [{ '(name)': '!cache-volume', '=(emptyDir)': { sizeLimit: '?*' } }] } }, { spec: { volumes: [{ name: 'cache-volume', emptyDir: {} }] } }, 'skip'],
    ['"&" of negations in a condition → skip', { spec: { '=(volumes)': [{ '(name)': '!credential-socket&!istio-data', '=(emptyDir)': { sizeLimit: '?*' } }] } }, { spec: { volumes: [{ name: 'credential-socket', emptyDir: { sizeLimit: '1Gi' } }] } }, 'skip'],
    ['condition holds, equality anchor satisfied', { spec: { '=(volumes)': [{ '(name)': '!credential-socket&!istio-data', '=(emptyDir)': { sizeLimit: '?*' } }] } }, { spec: { volumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }] } }, 'pass'],
    ['condition holds, equality anchor absent', { spec: { '=(volumes)': [{ '(name)': '!credential-socket', '=(emptyDir)': { sizeLimit: '?*' } }] } }, { spec: { volumes: [{ name: 'cache' }] } }, 'pass'],
    ['condition holds, equality anchor violated', { spec: { '=(volumes)': [{ '(name)': '!credential-socket', '=(emptyDir)': { sizeLimit: '?*' } }] } }, { spec: { volumes: [{ name: 'cache', emptyDir: {} }] } }, 'fail', '/spec/volumes/0/emptyDir/sizeLimit/'],
    // a negation anchor under a condition turns into a skip (the condition wraps the error)
    ['negation inside a condition → skip', { spec: { '(securityContext)': { 'X(privileged)': null } } }, { spec: { securityContext: { privileged: true } } }, 'skip'],
  ])('%s', (...c) => check(c));

  it('says why it skipped', () => {
    const r = matchPattern(pod([c('nginx', 'nginx:1.2.3', 'Always')]), imagePolicy);
    expect(r.reason).toBe("conditional anchor mismatch: resource value 'nginx:1.2.3' does not match '*:latest | !*:*' at path /spec/containers/0/image/");
    const missing = matchPattern({ spec: {} }, { spec: { '(hostNetwork)': true } });
    expect(missing.reason).toBe("conditional anchor mismatch: conditional anchor key doesn't exist in the resource");
  });
});

describe('matchPattern: equality, negation, existence and global anchors', () => {
  const initAndContainers = {
    spec: {
      '=(initContainers)': [{ '(name)': '!istio-init', '=(securityContext)': { '=(runAsUser)': '>0' } }],
      '=(containers)': [{ '=(securityContext)': { '=(runAsUser)': '>0' } }],
    },
  };

  it.each<Case>([
    ['equality: absent key passes', { spec: { '=(hostPID)': false } }, { spec: {} }, 'pass'],
    ['equality: present key must match', { spec: { '=(hostPID)': false } }, { spec: { hostPID: true } }, 'fail', '/spec/hostPID/'],
    ['equality: present null is checked', { spec: { '=(hostPID)': false } }, { spec: { hostPID: null } }, 'fail'],
    ['equality list: init runAsUser 1000 passes', initAndContainers, { spec: { initContainers: [{ name: 'nginx', securityContext: { runAsUser: 1000 } }], containers: [{ name: 'nginx', image: 'nginx' }] } }, 'pass'],
    ['equality list: init runAsUser 0 fails', initAndContainers, { spec: { initContainers: [{ name: 'nginx', securityContext: { runAsUser: 0 } }], containers: [{ name: 'nginx' }] } }, 'fail'],
    ['equality list: istio-init is exempt', initAndContainers, { spec: { initContainers: [{ name: 'istio-init', securityContext: { runAsUser: 0 } }], containers: [{ securityContext: { runAsUser: 1000 } }] } }, 'pass'],
    ['equality list: container runAsUser 0 fails', initAndContainers, { spec: { initContainers: [{ name: 'istio-init', securityContext: { runAsUser: 1000 } }], containers: [{ securityContext: { runAsUser: 0 } }] } }, 'fail'],
    ['equality list: no init containers', initAndContainers, { spec: { containers: [{ securityContext: { runAsUser: 1000 } }] } }, 'pass'],
    ['equality list: only exempt init container is skipped', initAndContainers, { spec: { initContainers: [{ name: 'istio-init', securityContext: { runAsUser: 0 } }], containers: [{ name: 'nginx' }] } }, 'pass'],
    ['negation: present key fails', { spec: { '=(volumes)': [{ 'X(hostPath)': 'null' }] } }, { spec: { volumes: [{ name: 'a', hostPath: { path: '/' } }] } }, 'fail', '/spec/volumes/0/hostPath/'],
    ['negation: absent key passes', { spec: { '=(volumes)': [{ 'X(hostPath)': 'null' }] } }, { spec: { volumes: [{ name: 'a', emptyDir: {} }] } }, 'pass'],
    ['negation: present null still fails', { metadata: { 'X(annotations)': null } }, { metadata: { annotations: null } }, 'fail'],
    ['existence: one matching element is enough', { spec: { '^(containers)': [{ image: 'nginx:*' }] } }, pod([{ image: 'busybox' }, { image: 'nginx:1' }]), 'pass'],
    ['existence: no matching element fails', { spec: { '^(containers)': [{ image: 'nginx:*' }] } }, pod([{ image: 'busybox' }]), 'fail', '/spec/containers/'],
    ['existence: every pattern element must exist', { spec: { '^(containers)': [{ image: 'nginx:*' }, { image: 'redis:*' }] } }, pod([{ image: 'nginx:1' }]), 'fail', '/spec/containers/'],
    ['existence: absent key passes', { spec: { '^(initContainers)': [{ image: 'nginx:*' }] } }, pod([]), 'pass'],
    ['existence: non-list resource fails', { spec: { '^(containers)': [{ image: '*' }] } }, { spec: { containers: { image: 'a' } } }, 'fail', '/spec/containers/'],
    ['existence: non-list pattern fails', { spec: { '^(containers)': { image: '*' } } }, pod([{ image: 'a' }]), 'fail'],
    ['existence with nested conditional elements', { '^(list)': [{ '(name)': 'nirmata-*', object: [{ '(key1)': 'value*', key2: 'value*' }] }] }, { list: [{ name: 'nirmata-1', object: [{ key1: 'value1', key2: 'value2' }] }, { name: 'nirmata-1', object: [{ key1: 'not_value', key2: 'not_value' }] }] }, 'pass'],
    ['global: mismatch skips', { spec: { containers: [{ name: '*', '<(image)': '*:latest', imagePullPolicy: '!Always' }] } }, pod([{ name: 'nginx', image: 'nginx:v1', imagePullPolicy: 'Always' }]), 'skip'],
    ['global: match then fail', { spec: { containers: [{ name: '*', '<(image)': '*:latest', imagePullPolicy: '!Always' }] } }, pod([{ name: 'nginx', image: 'nginx:latest', imagePullPolicy: 'Always' }]), 'fail'],
    ['global: match then pass', { spec: { containers: [{ name: '*', '<(image)': '*:latest', imagePullPolicy: '!Always' }] } }, pod([{ name: 'nginx', image: 'nginx:latest', imagePullPolicy: 'IfNotPresent' }]), 'pass'],
    ['global: skipped element next to passing one', { spec: { containers: [{ name: '*', '<(image)': '*:latest', imagePullPolicy: '!Always' }] } }, pod([{ name: 'a', image: 'nginx:latest', imagePullPolicy: 'IfNotPresent' }, { name: 'b', image: 'nginx:v2', imagePullPolicy: 'Always' }]), 'pass'],
    ['global: absent key does not skip', { metadata: { '<(name)': 'nginx' }, spec: { imagePullSecrets: [{ name: 'regcred' }] } }, { metadata: {}, spec: { imagePullSecrets: [{ name: 'cred' }] } }, 'fail'],
    ['global: on a map skips the rule', { metadata: { '<(name)': 'nginx' }, spec: { imagePullSecrets: [{ name: 'regcred' }] } }, { metadata: { name: 'somename' }, spec: { imagePullSecrets: [{ name: 'cred' }] } }, 'skip'],
    ['global: holds, then sibling fails', { metadata: { '<(name)': 'nginx' }, spec: { imagePullSecrets: [{ name: 'regcred' }] } }, { metadata: { name: 'nginx' }, spec: { imagePullSecrets: [{ name: 'cred' }] } }, 'fail', '/spec/imagePullSecrets/0/name/'],
    ['global inside nested list', { spec: { containers: [{ name: '*', env: [{ '<(name)': 'foo', '<(value)': 'bar' }], imagePullPolicy: '!Always' }] } }, pod([{ name: 'nginx', env: [{ name: 'foo', value: 'bar' }], imagePullPolicy: 'IfNotpresent' }]), 'pass'],
    ['global in labels passes with good image', { metadata: { labels: { '<(foo)': 'bar' } }, spec: { containers: [{ name: 'nginx', image: '!*:latest' }] } }, { metadata: { labels: { foo: 'bar' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } }, 'pass'],
    ['global in labels fails with latest', { metadata: { labels: { '<(foo)': 'bar' } }, spec: { containers: [{ name: 'nginx', image: '!*:latest' }] } }, { metadata: { labels: { foo: 'bar' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest' }] } }, 'fail'],
    // the global anchor's skip outranks the failing sibling (Kyverno's docs: a false global condition skips the rule)
    ['global mismatch in a list outranks a failing sibling', { spec: { containers: [{ name: '*', '<(image)': 'nginx' }], imagePullSecrets: [{ name: 'my-registry-secret' }] } }, pod([{ name: 'nginx', image: 'somepod' }], { imagePullSecrets: [{ name: 'cred' }] }), 'skip'],
    ['global holds in a list, sibling fails', { spec: { containers: [{ name: '*', '<(image)': 'nginx' }], imagePullSecrets: [{ name: 'my-registry-secret' }] } }, pod([{ name: 'nginx', image: 'nginx' }], { imagePullSecrets: [{ name: 'cred' }] }), 'fail', '/spec/imagePullSecrets/0/name/'],
    ['all-skipped list next to an applied sibling passes', { spec: { '=(initContainers)': [{ '(name)': '!istio-init', securityContext: { runAsNonRoot: true } }], containers: [{ securityContext: { runAsNonRoot: true } }] } }, { spec: { initContainers: [{ name: 'istio-init' }], containers: [{ securityContext: { runAsNonRoot: true } }] } }, 'pass'],
    ['all-skipped list outranks a later failing sibling', { spec: { '=(initContainers)': [{ '(name)': '!istio-init', securityContext: { runAsNonRoot: true } }], containers: [{ securityContext: { runAsNonRoot: true } }] } }, { spec: { initContainers: [{ name: 'istio-init' }], containers: [{ securityContext: {} }] } }, 'skip'],
  ])('%s', (...c) => check(c));

  it('anchors run before plain keys, conditions first', () => {
    // The failing plain key would fail the map, but the conditional anchor is evaluated first and skips.
    expect(matchPattern({ spec: { hostNetwork: true } }, { spec: { hostNetwork: false, '(hostPID)': true } }).status).toBe('skip');
    // A negation anchor sorts after a condition: the condition decides first.
    expect(matchPattern({ a: 1, b: 2 }, { 'X(b)': null, '(a)': 2 }).status).toBe('skip');
    expect(matchPattern({ a: 1, b: 2 }, { 'X(b)': null, '(a)': 1 }).status).toBe('fail');
  });

  it('reports the negation message', () => {
    const r = matchPattern({ spec: { hostIPC: true } }, { spec: { 'X(hostIPC)': 'null' } });
    expect(r).toEqual({ status: 'fail', path: '/spec/hostIPC/', reason: 'negation anchor matched in resource: /spec/hostIPC/ is not allowed' });
  });

  it('turns a failure into an empty path when a tracked anchor key was never seen', () => {
    // `(name)` exists in no container, so Kyverno drops the path (its handler then reports a rule error).
    const pattern = { spec: { '^(containers)': [{ '(name)': 'x', image: 'a' }], hostNetwork: false } };
    const r = matchPattern({ spec: { containers: [{ image: 'b' }], hostNetwork: true } }, pattern);
    expect(r.status).toBe('fail');
    expect(r.path).toBe('');
  });

  it('rejects add-if-not-present anchors in validate patterns', () => {
    expect(() => matchPattern({ metadata: {} }, { metadata: { '+(labels)': { a: 'b' } } })).toThrow(RuleError);
  });
});

describe('matchPattern: wildcard keys in metadata', () => {
  it.each<Case>([
    ['annotation key wildcard', { metadata: { annotations: { 'test/*': 'value1' } } }, { metadata: { annotations: { 'test/bar': 'value1' } } }, 'pass'],
    ['`?` in keys and value wildcard', { metadata: { annotations: { 'test/b??': 'v*' } } }, { metadata: { annotations: { 'test/bar': 'value1' } } }, 'pass'],
    ['empty pattern passes', {}, { metadata: { annotations: { 'test/bar': 'value1' } } }, 'pass'],
    ['missing annotations map fails', { metadata: { annotations: { 'test/b??': 'v*' } } }, { metadata: { labels: { 'test/bar': 'value1' } } }, 'fail', '/metadata/annotations/'],
    ['leading wildcard', { metadata: { labels: { '*/test': 'foo' } } }, { metadata: { labels: { 'foo/test': 'foo' } } }, 'pass'],
    ['first matching key wins', { metadata: { labels: { 'foo/a*': 'bar' } } }, { metadata: { labels: { 'foo/aa?': 'bar', 'foo/789': 'bar' } } }, 'pass'],
    ['expanded key value checked', { metadata: { labels: { 'foo/ABC*': 'bar' } } }, { metadata: { labels: { 'foo/AB?': 'bar', 'foo/ABC': 'bar2' } } }, 'fail', '/metadata/labels/foo/ABC/'],
    ['anchored metadata and labels', { '=(metadata)': { '=(labels)': { 'foo/P*': 'bar', 'foo/Q*': 'bar2' } } }, { metadata: { labels: { 'foo/PQR': 'bar', 'foo/QR': 'bar2' } } }, 'pass'],
    ['expanded key with wrong value', { metadata: { labels: { 'foo/1*': 'bar' } } }, { metadata: { labels: { 'foo/123': 'bar222' } } }, 'fail', '/metadata/labels/foo/123/'],
    ['unmatched wildcard key is looked up literally', { metadata: { labels: { 'foo/X*': 'bar', 'foo/A*': 'bar2' } } }, { metadata: { labels: { 'foo/XYZ': 'bar' } } }, 'fail', '/metadata/labels/foo/A*/'],
    ['unmatched under anchors', { '=(metadata)': { '=(labels)': { 'foo/1*': 'bar', 'foo/4*': 'bar2' } } }, { metadata: { labels: { 'foo/123': 'bar' } } }, 'fail', '/metadata/labels/foo/4*/'],
    ['anchored wildcard key keeps its anchor', { metadata: { '=(annotations)': { '=(container.apparmor.security.beta.kubernetes.io/*)': 'runtime/default | localhost/*' } } }, { metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/nginx': 'unconfined' } } }, 'fail', '/metadata/annotations/container.apparmor.security.beta.kubernetes.io/nginx/'],
    ['anchored wildcard key without a match passes', { metadata: { '=(annotations)': { '=(container.apparmor.security.beta.kubernetes.io/*)': 'runtime/default' } } }, { metadata: { annotations: { other: 'x' } } }, 'pass'],
  ])('%s', (...c) => check(c));

  it('does not modify the pattern', () => {
    const pattern = { metadata: { labels: { 'app.*': '?*' } } };
    const before = JSON.stringify(pattern);
    matchPattern({ metadata: { labels: { 'app.name': 'x' } } }, pattern);
    expect(JSON.stringify(pattern)).toBe(before);
  });
});

describe('matchAnyPattern', () => {
  const nonRoot = [
    { spec: { securityContext: { runAsNonRoot: true } } },
    { spec: { containers: [{ securityContext: { runAsNonRoot: true } }] } },
  ];

  it('passes when one pattern passes', () => {
    expect(matchAnyPattern(pod([{ securityContext: { runAsNonRoot: true } }]), nonRoot, 'r')).toEqual({
      status: 'pass',
      path: '',
      reason: "validation rule 'r' anyPattern[1] passed.",
    });
  });

  it('fails with every failure, Kyverno style', () => {
    const r = matchAnyPattern(pod([{ securityContext: {} }]), nonRoot, 'run-as-non-root');
    expect(r).toEqual({
      status: 'fail',
      path: '/spec/securityContext/',
      reason: 'rule run-as-non-root[0] failed at path /spec/securityContext/ rule run-as-non-root[1] failed at path /spec/containers/0/securityContext/runAsNonRoot/',
    });
  });

  it('skips only when every pattern skipped', () => {
    const skipping = [{ spec: { '(hostNetwork)': true } }, { spec: { '(hostPID)': true } }];
    const r = matchAnyPattern({ spec: {} }, skipping, 'r');
    expect(r.status).toBe('skip');
    expect(r.reason).toMatch(/^rule r\[0\] skipped: conditional anchor mismatch/);
    expect(matchAnyPattern({ spec: {} }, [skipping[0], { spec: { hostIPC: true } }], 'r').status).toBe('fail');
  });

  it('never reports an empty path, which would read as an error', () => {
    const r = matchAnyPattern({ m: [['a']] }, [{ m: [['a'], ['b']] }], 'r');
    expect(r).toEqual({ status: 'fail', path: '/', reason: 'rule r[0] failed: validate Array failed, array length mismatch, resource Array len is 1 and pattern Array len is 2' });
  });

  it('passes an empty list', () => {
    expect(matchAnyPattern({}, []).status).toBe('pass');
  });
});

describe('patternAnchorError', () => {
  it('accepts well-formed patterns', () => {
    expect(patternAnchorError({ spec: { '=(a)': 1, '(b)': 2, 'X(c)': null, '<(d)': 'x', '^(e)': [{ f: 1 }] } }, 'validate')).toBeUndefined();
    expect(patternAnchorError({ metadata: { labels: { '+(team)': 'a' } }, '(spec)': {} }, 'mutate')).toBeUndefined();
  });

  it('reports anchors the rule kind does not support', () => {
    expect(patternAnchorError({ metadata: { '+(labels)': {} } }, 'validate')).toEqual({ path: '/metadata/+(labels)/', message: 'unsupported anchor +(labels)' });
    expect(patternAnchorError({ spec: [{ 'X(a)': null }] }, 'mutate')?.message).toBe('unsupported anchor X(a)');
  });

  it('requires a non-empty list under an existence anchor', () => {
    expect(patternAnchorError({ '^(a)': {} }, 'validate')?.message).toBe('existence anchor should have value of type list');
    expect(patternAnchorError({ '^(a)': [] }, 'validate')?.message).toBe('existence anchor: should have atleast one value');
  });
});

describe('performance', () => {
  // Speed is measured in bench/policy.ts; this keeps the realistic pattern as a correctness case.
  it('matches a four-container Pod against a pattern using every kind of anchor and operator', () => {
    const pattern = {
      metadata: { labels: { 'app.kubernetes.io/*': '?*' } },
      spec: {
        '=(initContainers)': [{ '=(securityContext)': { '=(privileged)': 'false', '=(runAsUser)': '>0' } }],
        containers: [{ name: '*', image: '!*:latest', '(imagePullPolicy)': '!Never', resources: { limits: { memory: '<=1Gi', cpu: '?*' } } }],
        'X(hostNetwork)': 'null',
      },
    };
    const resource = {
      metadata: { name: 'p', labels: { 'app.kubernetes.io/name': 'web' } },
      spec: {
        initContainers: [{ name: 'init', image: 'busybox:1', securityContext: { privileged: false, runAsUser: 1000 } }],
        containers: Array.from({ length: 4 }, (_, i) => ({ name: `c${i}`, image: `nginx:1.${i}`, imagePullPolicy: 'Always', resources: { limits: { memory: '512Mi', cpu: '500m' } } })),
      },
    };
    expect(matchPattern(resource, pattern).status).toBe('pass');
    // The same result again: cached plans and parses must not change the outcome.
    expect(matchPattern(resource, pattern).status).toBe('pass');
  });
});
