/**
 * Kyverno's CEL libraries that need no cluster: `image()`/`parseImageReference()`/`isImage()`,
 * `parseServiceAccount()`, `json.unmarshal()`/`json.marshal()`, `yaml.parse()`, `x509.decode()`,
 * `sha1()`/`sha256()`/`md5()`, the `time_*()` functions, `random()`, `listObjToMap()`,
 * `jsonpatch.escapeKey()`.
 *
 * Image references follow go-containerregistry's `name.ParseReference`, which Kyverno uses:
 * Docker Hub names get the registry `index.docker.io` and the `library/` prefix, a reference
 * with a digest is a digest reference (its tag is empty), and one without either gets `latest`.
 */
import { createHash } from 'node:crypto';
import type { Environment } from '@marcbachmann/cel-js';
import { parse as parseYaml } from 'yaml';
import { formatGoDuration, parseGoDuration } from '../../duration.ts';
import { formatRFC3339, now, parseGoTime, RFC3339 } from '../../variables/gotime.ts';
import { randomFromPattern } from '../../variables/random.ts';
import { x509Decode } from '../../variables/x509.ts';
import { CelEvalError } from '../errors.ts';
import { fromCel, listOf, toCel } from '../values.ts';

export class CelImage {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  private readonly source: string;

  constructor(source: string, registry: string, repository: string, tag: string, digest: string) {
    this.source = source;
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  identifier(): string {
    return this.digest || this.tag;
  }

  toJSON(): unknown {
    return { image: this.source, registry: this.registry, repository: this.repository, identifier: this.identifier(), tag: this.tag, digest: this.digest };
  }

  toString(): string {
    return this.source;
  }
}

const DOCKER_HUB = 'index.docker.io';
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** go-containerregistry's name.ParseReference (default, non-strict options). */
export function parseImage(s: string): CelImage {
  const bad = () => new CelEvalError(`could not parse reference: ${s}`);
  let rest = s;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad();
  }
  let tag = '';
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad();
  }
  let registry = DOCKER_HUB;
  let repository = rest;
  const first = rest.indexOf('/');
  if (first >= 0) {
    const head = rest.slice(0, first);
    if (head.includes('.') || head.includes(':') || head === 'localhost') {
      registry = head === 'docker.io' ? DOCKER_HUB : head;
      repository = rest.slice(first + 1);
    }
  }
  if (!REPOSITORY.test(repository)) throw bad();
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!digest && !tag) tag = 'latest';
  // A digest reference drops the tag, as go-containerregistry's name.Digest does.
  return new CelImage(s, registry, repository, digest ? '' : tag, digest);
}

export function parseServiceAccount(user: string): { Name: string; Namespace: string } {
  const prefix = 'system:serviceaccount:';
  if (!user.startsWith(prefix)) return { Name: '', Namespace: '' };
  const rest = user.slice(prefix.length);
  const sep = rest.indexOf(':');
  return sep < 0 ? { Name: '', Namespace: '' } : { Namespace: rest.slice(0, sep), Name: rest.slice(sep + 1) };
}

function listObjToMap(keys: unknown[], values: unknown[], keyField: string, valueField: string): Record<string, unknown> {
  if (keys.length !== values.length) throw new CelEvalError(`listObjToMap must take lists of equal length. list1: ${keys.length}, list2: ${values.length}`);
  const out: Record<string, unknown> = {};
  keys.forEach((entry, i) => {
    const k = (entry as Record<string, unknown> | null)?.[keyField];
    if (typeof k !== 'string') throw new CelEvalError('the passed key name cannot be handled as a string in the key object list');
    const v = values[i] as Record<string, unknown> | null;
    if (typeof v !== 'object' || v === null) throw new CelEvalError('object cannot be handled as a map string to any in the value object list');
    out[k] = v[valueField];
  });
  return out;
}

function rfc3339(value: string, what: string): bigint {
  try {
    return parseGoTime(RFC3339, value).unixNanos;
  } catch (err) {
    throw new CelEvalError(`invalid ${what}: ${(err as Error).message}`);
  }
}

function hash(algorithm: string) {
  return (s: string) => createHash(algorithm).update(s, 'utf8').digest('hex');
}

export class JsonNamespace {}
export class YamlNamespace {}
export class X509Namespace {}
export class JsonPatchNamespace {}

export function registerKyvernoLibs(env: Environment): void {
  env
    .registerType('kyverno.image', CelImage)
    .registerFunction('image(string): kyverno.image', (s: string) => parseImage(s))
    .registerFunction('parseImageReference(string): kyverno.image', (s: string) => parseImage(s))
    .registerFunction('isImage(string): bool', (s: string) => {
      try {
        parseImage(s);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction('kyverno.image.registry(): string', (i: CelImage) => i.registry)
    .registerFunction('kyverno.image.repository(): string', (i: CelImage) => i.repository)
    .registerFunction('kyverno.image.identifier(): string', (i: CelImage) => i.identifier())
    .registerFunction('kyverno.image.tag(): string', (i: CelImage) => i.tag)
    .registerFunction('kyverno.image.digest(): string', (i: CelImage) => i.digest)
    .registerFunction('kyverno.image.containsDigest(): bool', (i: CelImage) => i.digest !== '')
    .registerFunction('parseServiceAccount(string): map<string, string>', parseServiceAccount)
    .registerType('JsonNamespace', JsonNamespace)
    .registerConstant('json', 'JsonNamespace', new JsonNamespace())
    .registerFunction('JsonNamespace.unmarshal(string): dyn', (_ns: JsonNamespace, s: string) => {
      try {
        return toCel(JSON.parse(s));
      } catch (err) {
        throw new CelEvalError(`json.unmarshal: ${(err as Error).message}`);
      }
    })
    .registerFunction('JsonNamespace.marshal(dyn): string', (_ns: JsonNamespace, v: unknown) => JSON.stringify(fromCel(v)))
    .registerType('YamlNamespace', YamlNamespace)
    .registerConstant('yaml', 'YamlNamespace', new YamlNamespace())
    .registerFunction('YamlNamespace.parse(string): dyn', (_ns: YamlNamespace, s: string) => {
      try {
        return toCel(parseYaml(s));
      } catch (err) {
        throw new CelEvalError(`yaml.parse: ${(err as Error).message}`);
      }
    })
    .registerType('X509Namespace', X509Namespace)
    .registerConstant('x509', 'X509Namespace', new X509Namespace())
    .registerFunction('X509Namespace.decode(string): dyn', (_ns: X509Namespace, s: string) => {
      try {
        return toCel(x509Decode(s));
      } catch (err) {
        throw new CelEvalError(`x509.decode: ${(err as Error).message}`);
      }
    })
    .registerType('JsonPatchNamespace', JsonPatchNamespace)
    .registerConstant('jsonpatch', 'JsonPatchNamespace', new JsonPatchNamespace())
    .registerFunction('JsonPatchNamespace.escapeKey(string): string', (_ns: JsonPatchNamespace, s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1'))
    .registerFunction('sha1(string): string', hash('sha1'))
    .registerFunction('sha256(string): string', hash('sha256'))
    .registerFunction('md5(string): string', hash('md5'))
    .registerFunction('random(): string', () => randomFromPattern('[0-9a-z]{8}'))
    .registerFunction('random(string): string', (p: string) => {
      try {
        return randomFromPattern(p);
      } catch (err) {
        throw new CelEvalError(`random: ${(err as Error).message}`);
      }
    })
    .registerFunction('listObjToMap(list, list, string, string): map<string, dyn>', (a: unknown[], b: unknown[], k: string, v: string) => listObjToMap(listOf(a), listOf(b), k, v))
    .registerFunction('time_now(): string', () => formatRFC3339(now(false)))
    .registerFunction('time_now_utc(): string', () => formatRFC3339(now(true)))
    .registerFunction('time_parse(string, string): string', (layout: string, value: string) => {
      if (/^-?\d+$/.test(layout)) {
        if (!/^-?\d+$/.test(value)) throw new CelEvalError(`invalid epoch timestamp: ${value}`);
        return formatRFC3339({ unixNanos: BigInt(value) * 1_000_000_000n, offset: 0 });
      }
      try {
        return formatRFC3339(parseGoTime(layout, value));
      } catch (err) {
        throw new CelEvalError(`failed to parse time: ${(err as Error).message}`);
      }
    })
    .registerFunction('time_add(string, string): string', (ts: string, dur: string) => {
      const t = parseGoTime(RFC3339, ts);
      const d = parseGoDuration(dur);
      if (d === undefined) throw new CelEvalError(`invalid duration: ${dur}`);
      return formatRFC3339({ unixNanos: t.unixNanos + d, offset: t.offset });
    })
    .registerFunction('time_diff(string, string): string', (a: string, b: string) => formatGoDuration(rfc3339(b, 'second timestamp') - rfc3339(a, 'first timestamp')))
    .registerFunction('time_before(string, string): bool', (a: string, b: string) => rfc3339(a, 'first timestamp') < rfc3339(b, 'second timestamp'))
    .registerFunction('time_after(string, string): bool', (a: string, b: string) => rfc3339(a, 'first timestamp') > rfc3339(b, 'second timestamp'));
}
