import { describe, expect, it } from 'vitest';
import { celEnvironment } from '../../../src/policy/cel/env.ts';
import { CelCompileError, CelEvalError, CelUnsupportedError } from '../../../src/policy/cel/errors.ts';
import { Authorizer, GlobalContextLib, HttpLib, ImageDataLib, ResourceLib } from '../../../src/policy/cel/lib/cluster.ts';
import { fromCel, toCel } from '../../../src/policy/cel/values.ts';

const env = celEnvironment();
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', labels: { app: 'web' } },
  spec: { replicas: 3, containers: [{ name: 'a', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }, { name: 'b', image: 'ghcr.io/x/y@sha256:' + 'a'.repeat(64) }] },
};
const activation = {
  object: toCel(pod),
  request: toCel({ operation: 'CREATE', userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' } }),
  authorizer: new Authorizer(),
  resource: new ResourceLib({ resources: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns', labels: { a: 'b' } }, data: { k: 'v' } }] }),
  http: new HttpLib(),
  globalContext: new GlobalContextLib({ globalContext: { entry: { count: 2 } } }),
  image: new ImageDataLib(),
};

function run(expression: string): unknown {
  return fromCel(env.compile(expression).run(activation));
}

describe('CEL core with Kubernetes values', () => {
  it('reads whole JSON numbers as int and compares across numeric types', () => {
    expect(run('object.spec.replicas + 1')).toBe(4);
    expect(run('object.spec.replicas == 3.0')).toBe(true);
    expect(run('type(object.spec.replicas) == int')).toBe(true);
  });

  it('supports optional types and macros', () => {
    expect(run("object.spec.?initContainers.orValue([]).size()")).toBe(0);
    expect(run("object.metadata[?'labels'].orValue({}).app")).toBe('web');
    expect(run('optional.of(1).hasValue() && !optional.none().hasValue()')).toBe(true);
    expect(run("object.spec.containers.map(c, c.name)")).toEqual(['a', 'b']);
    expect(run("object.spec.containers.filter(c, c.name == 'b').size()")).toBe(1);
    expect(run("object.spec.containers.exists_one(c, c.image.startsWith('nginx'))")).toBe(true);
    expect(run('has(object.spec.replicas) && !has(object.spec.nodeName)')).toBe(true);
    expect(run('cel.bind(n, object.spec.containers.size(), n * 2)')).toBe(4);
  });

  it('accepts orValue on a plain value (Kyverno policies rely on it)', () => {
    expect(run('object.spec.containers.orValue([]).size()')).toBe(2);
  });

  it('evaluates has() on computed operands', () => {
    expect(run('has(object.spec.containers[0].ports)')).toBe(true);
    expect(run('has(object.spec.containers[1].ports)')).toBe(false);
  });
});

describe('Kubernetes CEL libraries', () => {
  it('strings', () => {
    expect(run("'abc'.charAt(1)")).toBe('b');
    expect(run("'a.b.c'.replace('.', '/')")).toBe('a/b/c');
    expect(run("'a.b.c'.replace('.', '/', 1)")).toBe('a/b.c');
    expect(run("'hello'.reverse()")).toBe('olleh');
    expect(run("strings.quote('a\"b')")).toBe('"a\\"b"');
    expect(run("'a,b,c'.split(',').join('-')")).toBe('a-b-c');
    expect(run("'  x '.trim().upperAscii()")).toBe('X');
    expect(run("'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3")).toBe(true);
  });

  it('format', () => {
    expect(run("'%s has %d containers (%.2f%%)'.format(['pod', 2, 12.345])")).toBe('pod has 2 containers (12.35%)');
    expect(run("'%s'.format([['a', 1]])")).toBe('["a", 1]');
    expect(run("'%x %X %o %b %e'.format([255, 255, 8, 5, 1052.032911275])")).toBe('ff FF 10 101 1.052033e+03');
    expect(() => run("'%d'.format(['x'])")).toThrow(CelEvalError);
  });

  it('lists and sets', () => {
    expect(run('[1, 2, 3].isSorted() && ![2, 1].isSorted()')).toBe(true);
    expect(run('[1, 2, 3].sum()')).toBe(6);
    expect(run('[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3')).toBe(true);
    expect(run("['a', 'b', 'a'].indexOf('a') == 0 && ['a', 'b', 'a'].lastIndexOf('a') == 2")).toBe(true);
    expect(run('[1, [2, [3]]].flatten()')).toEqual([1, 2, [3]]);
    expect(run('[3, 1, 2, 1].distinct().sort()')).toEqual([1, 2, 3]);
    expect(run('[1, 2, 3, 4].slice(1, 3)')).toEqual([2, 3]);
    expect(run('lists.range(3)')).toEqual([0, 1, 2]);
    expect(run('sets.contains([1, 2, 3], [3, 1]) && sets.equivalent([1, 2], [2, 1, 1]) && sets.intersects([1], [1, 5])')).toBe(true);
    expect(() => run('[].min()')).toThrow(/empty list/);
  });

  it('regex', () => {
    expect(run("'abc 123 def 456'.find('[0-9]+')")).toBe('123');
    expect(run("'abc 123 def 456'.findAll('[0-9]+')")).toEqual(['123', '456']);
    expect(run("'abc 123 def 456'.findAll('[0-9]+', 1)")).toEqual(['123']);
    expect(run("'docker.io/nginx'.matches('^docker\\\\.io/')")).toBe(true);
  });

  it('URLs', () => {
    expect(run("url('https://example.com:8443/a%20b?x=1&x=2').getHost()")).toBe('example.com:8443');
    expect(run("url('https://[::1]:80/').getHostname()")).toBe('::1');
    expect(run("url('https://example.com:8443/').getPort()")).toBe('8443');
    expect(run("url('https://example.com/p?x=1&x=2').getQuery()")).toEqual({ x: ['1', '2'] });
    expect(run("url('/path/only').getEscapedPath()")).toBe('/path/only');
    expect(run("isURL('not a url') || isURL('relative/path')")).toBe(false);
  });

  it('IP and CIDR', () => {
    expect(run("ip('10.1.2.3').family()")).toBe(4);
    expect(run("string(ip('2001:0db8:0:0:0:0:0:1'))")).toBe('2001:db8::1');
    expect(run("ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1')")).toBe(true);
    expect(run("ip('127.0.0.1').isLoopback() && ip('169.254.1.1').isLinkLocalUnicast() && ip('8.8.8.8').isGlobalUnicast()")).toBe(true);
    expect(run("cidr('10.0.0.0/8').containsIP('10.20.30.40') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))")).toBe(true);
    expect(run("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')")).toBe(true);
    expect(run("string(cidr('10.1.2.3/8').masked())")).toBe('10.0.0.0/8');
    expect(run("cidr('10.0.0.0/8').prefixLength()")).toBe(8);
    expect(run("isIP('010.1.1.1') || isIP('::ffff:1.2.3.4') || isCIDR('10.0.0.0')")).toBe(false);
  });

  it('quantities', () => {
    expect(run("quantity('1Gi').isGreaterThan(quantity('1000Mi'))")).toBe(true);
    expect(run("quantity('500m').add(quantity('500m')).compareTo(quantity('1')) == 0")).toBe(true);
    expect(run("quantity('2').sub(1).asInteger()")).toBe(1);
    expect(run("quantity('1.5').isInteger()")).toBe(false);
    expect(run("quantity('250m').asApproximateFloat()")).toBe(0.25);
    expect(run("isQuantity('1Gi') && !isQuantity('1GB')")).toBe(true);
    expect(() => run("quantity('1.5').asInteger()")).toThrow(CelEvalError);
  });

  it('semver', () => {
    expect(run("semver('1.2.3').isLessThan(semver('1.10.0'))")).toBe(true);
    expect(run("semver('v1.2', true).compareTo(semver('1.2.0'))")).toBe(0);
    expect(run("semver('1.2.3').major() + semver('1.2.3').minor() + semver('1.2.3').patch()")).toBe(6);
    expect(run("isSemver('1.2') || !isSemver('1.2', true)")).toBe(false);
  });

  it('math and base64', () => {
    expect(run('math.greatest(1, 5, 3)')).toBe(5);
    expect(run('math.least([4, 2, 8])')).toBe(2);
    expect(run('math.round(2.5) == 3.0 && math.round(-2.5) == -3.0 && math.round(1.2345, 2) == 1.23')).toBe(true);
    expect(run('math.abs(-3) == 3 && math.ceil(1.2) == 2.0')).toBe(true);
    expect(run("base64.encode(b'hi')")).toBe('aGk=');
    expect(run("string(base64.decode('aGk='))")).toBe('hi');
  });
});

describe('Kyverno CEL libraries', () => {
  it('parses image references like go-containerregistry', () => {
    expect(run("image('nginx').registry()")).toBe('index.docker.io');
    expect(run("image('nginx').repository()")).toBe('library/nginx');
    expect(run("image('nginx').tag()")).toBe('latest');
    expect(run("object.spec.containers.map(c, parseImageReference(c.image).containsDigest())")).toEqual([false, true]);
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(run(`image('ghcr.io/x/y:v1@${digest}').tag()`)).toBe('');
    expect(run(`image('ghcr.io/x/y:v1@${digest}').identifier()`)).toBe(digest);
    expect(run("image('localhost:5000/app:v2').registry() + ' ' + image('localhost:5000/app:v2').identifier()")).toBe('localhost:5000 v2');
    expect(run("isImage('ghcr.io/x/y:v1') && !isImage('ghcr.io/x/y:@')")).toBe(true);
  });

  it('user, json, yaml, hashes, listObjToMap, time', () => {
    expect(run('parseServiceAccount(request.userInfo.username)')).toEqual({ Namespace: 'kube-system', Name: 'replicaset-controller' });
    expect(run(`json.unmarshal('{"a": [1, 2]}').a[1]`)).toBe(2);
    expect(run(`yaml.parse('a: {b: c}').a.b`)).toBe('c');
    expect(run("sha256('abc')")).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(run("md5('abc')")).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(run("listObjToMap([{'k': 'a'}, {'k': 'b'}], [{'v': 1}, {'v': 2}], 'k', 'v')")).toEqual({ a: 1, b: 2 });
    expect(run("time_after('2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z')")).toBe(true);
    expect(run("time_add('2024-01-01T00:00:00Z', '36h')")).toBe('2024-01-02T12:00:00Z');
    expect(run("jsonpatch.escapeKey('a/b~c')")).toBe('a~1b~0c');
  });

  it('answers resource and global context lookups from provided data', () => {
    expect(run("resource.Get('v1', 'configmaps', 'ns', 'cm').data.k")).toBe('v');
    expect(run("resource.List('v1', 'configmaps', '', {'a': 'b'}).items.size()")).toBe(1);
    expect(run("globalContext.Get('entry', '').count")).toBe(2);
    expect(() => run("resource.Get('v1', 'configmaps', 'ns', 'missing')")).toThrow(/not found/);
  });

  it('reports unsupported functions by name', () => {
    expect(() => run("http.Get('https://example.com')")).toThrow(CelUnsupportedError);
    expect(() => run("http.Get('https://example.com')")).toThrow(/^unsupported: http.Get/);
    expect(() => run("authorizer.group('').resource('pods').check('get').allowed()")).toThrow(/^unsupported: authorizer/);
    expect(() => run("image.GetMetadata('nginx').config.os")).toThrow(/^unsupported: image.GetMetadata/);
  });
});

describe('compile errors', () => {
  it('name the position and the expression', () => {
    let err: unknown;
    try {
      env.compile('object.spec.containers.all(c,\n  c.image ==)');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CelCompileError);
    expect((err as CelCompileError).line).toBe(2);
    expect((err as CelCompileError).column).toBe(13);
    expect(() => env.compile('nope.x')).toThrow(/undeclared reference to 'nope' at 1:1/);
    expect(() => env.compile("'a' + 1")).toThrow(/type error/);
  });
});
