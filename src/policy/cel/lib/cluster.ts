/**
 * Kyverno libraries that read the cluster or the network — `resource.Get/List/Post`,
 * `http.Get/Post`, `globalContext.Get`, `image.GetMetadata` — and Kubernetes' `authorizer`.
 *
 * Offline, they answer from data the caller provides (the kyverno CLI's `context` and
 * `clusterResources` files, values, global context entries); without such data they fail with
 * `unsupported: <function>` rather than guess. The library objects are activation values, so one
 * compiled policy serves every input.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { CelEvalError, CelUnsupportedError } from '../errors.ts';
import { resourceOf, splitApiVersion } from '../resources.ts';
import { fromCel, toCel } from '../values.ts';

/** Data standing in for the cluster and the network. */
export interface ClusterData {
  /** Objects in the (simulated) cluster, for `resource.Get/List`. */
  resources?: readonly Record<string, unknown>[];
  /** Global context entries by name (projections as `name.projection`). */
  globalContext?: Readonly<Record<string, unknown>>;
  /** Image metadata by image reference, for `image.GetMetadata`. */
  imageData?: Readonly<Record<string, unknown>>;
  /** Canned HTTP responses by method and URL (`GET https://…`). */
  http?: Readonly<Record<string, unknown>>;
}

type Json = Record<string, unknown>;

function meta(o: Json): { name?: string; namespace?: string; labels?: Record<string, string> } {
  return (typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {}) as { name?: string; namespace?: string; labels?: Record<string, string> };
}

export class ResourceLib {
  readonly data: ClusterData | undefined;

  constructor(data?: ClusterData) {
    this.data = data;
  }

  private objects(fn: string): readonly Json[] {
    if (!this.data?.resources) throw new CelUnsupportedError(`resource.${fn}`, 'no cluster resources were provided');
    return this.data.resources;
  }

  private select(fn: string, apiVersion: string, resource: string, namespace: string): Json[] {
    const { group, version } = splitApiVersion(apiVersion);
    return this.objects(fn).filter((o) => {
      const gv = splitApiVersion(String(o.apiVersion ?? ''));
      return gv.group === group && gv.version === version && resourceOf(String(o.kind ?? '')) === resource && (namespace === '' || (meta(o).namespace ?? '') === namespace);
    });
  }

  get(apiVersion: string, resource: string, namespace: string, name: string): unknown {
    const hit = this.select('Get', apiVersion, resource, namespace).find((o) => meta(o).name === name);
    if (!hit) throw new CelEvalError(`resource.Get: ${resource} "${name}" not found${namespace ? ` in namespace ${namespace}` : ''}`);
    return toCel(hit);
  }

  list(apiVersion: string, resource: string, namespace: string, labels?: Record<string, string>): unknown {
    const items = this.select('List', apiVersion, resource, namespace).filter((o) => !labels || Object.entries(labels).every(([k, v]) => meta(o).labels?.[k] === v));
    return toCel({ apiVersion, kind: 'List', items });
  }
}

export class HttpLib {
  readonly data: ClusterData | undefined;

  constructor(data?: ClusterData) {
    this.data = data;
  }

  call(method: 'GET' | 'POST', url: string): unknown {
    const hit = this.data?.http?.[`${method} ${url}`];
    if (hit === undefined) throw new CelUnsupportedError(`http.${method === 'GET' ? 'Get' : 'Post'}`, `no response provided for ${url}`);
    return toCel(hit);
  }
}

export class GlobalContextLib {
  readonly data: ClusterData | undefined;

  constructor(data?: ClusterData) {
    this.data = data;
  }

  get(name: string, projection: string): unknown {
    const entries = this.data?.globalContext;
    const key = projection ? `${name}.${projection}` : name;
    if (!entries || !(key in entries)) throw new CelUnsupportedError('globalContext.Get', `no data for global context entry "${key}"`);
    return toCel(entries[key]);
  }
}

/** The `image` namespace (image.GetMetadata); `image(string)` itself is a function. */
export class ImageDataLib {
  readonly data: ClusterData | undefined;

  constructor(data?: ClusterData) {
    this.data = data;
  }

  metadata(ref: string): unknown {
    const hit = this.data?.imageData?.[ref];
    if (hit === undefined) throw new CelUnsupportedError('image.GetMetadata', `no image data provided for ${ref}`);
    return toCel(hit);
  }
}

/** Kubernetes' authorizer: checks need the API server's authorizer, which offline evaluation has not. */
export class Authorizer {}

/** The activation variables backed by the cluster (`authorizer`, `resource`, `http`, `globalContext`, `image`), over `data`. */
export function clusterVariables(data?: ClusterData): { authorizer: Authorizer; resource: ResourceLib; http: HttpLib; globalContext: GlobalContextLib; image: ImageDataLib } {
  return { authorizer: new Authorizer(), resource: new ResourceLib(data), http: new HttpLib(data), globalContext: new GlobalContextLib(data), image: new ImageDataLib(data) };
}

const unsupportedAuthorizer = (): never => {
  throw new CelUnsupportedError('authorizer', 'authorization checks need the API server');
};

export function registerCluster(env: Environment): void {
  env
    .registerType('kyverno.resource', ResourceLib)
    .registerType('kyverno.http', HttpLib)
    .registerType('kyverno.globalContext', GlobalContextLib)
    .registerType('kyverno.imagedata', ImageDataLib)
    .registerType('Authorizer', Authorizer);
  for (const name of ['Get', 'get']) {
    env
      .registerFunction(`kyverno.resource.${name}(string, string, string, string): dyn`, (r: ResourceLib, a: string, b: string, c: string, d: string) => r.get(a, b, c, d))
      .registerFunction(`kyverno.http.${name}(string): dyn`, (h: HttpLib, url: string) => h.call('GET', url))
      .registerFunction(`kyverno.http.${name}(string, map): dyn`, (h: HttpLib, url: string) => h.call('GET', url))
      .registerFunction(`kyverno.globalContext.${name}(string, string): dyn`, (g: GlobalContextLib, n: string, p: string) => g.get(n, p))
      .registerFunction(`kyverno.globalContext.${name}(string): dyn`, (g: GlobalContextLib, n: string) => g.get(n, ''));
  }
  for (const name of ['List', 'list']) {
    env
      .registerFunction(`kyverno.resource.${name}(string, string, string): dyn`, (r: ResourceLib, a: string, b: string, c: string) => r.list(a, b, c))
      .registerFunction(`kyverno.resource.${name}(string, string, string, map): dyn`, (r: ResourceLib, a: string, b: string, c: string, l: unknown) =>
        r.list(a, b, c, fromCel(l) as Record<string, string>),
      );
  }
  for (const name of ['Post', 'post']) {
    env
      .registerFunction(`kyverno.resource.${name}(string, string, dyn): dyn`, () => {
        throw new CelUnsupportedError('resource.Post', 'creating API objects needs a cluster');
      })
      .registerFunction(`kyverno.http.${name}(string, dyn): dyn`, (h: HttpLib, url: string) => h.call('POST', url))
      .registerFunction(`kyverno.http.${name}(string, dyn, map): dyn`, (h: HttpLib, url: string) => h.call('POST', url));
  }
  env.registerFunction('kyverno.imagedata.GetMetadata(string): dyn', (i: ImageDataLib, ref: string) => i.metadata(ref));
  for (const method of ['group', 'resource', 'namespace', 'name', 'subresource', 'check', 'path']) {
    env.registerFunction(`Authorizer.${method}(string): Authorizer`, unsupportedAuthorizer);
  }
  env
    .registerFunction('Authorizer.serviceAccount(string, string): Authorizer', unsupportedAuthorizer)
    .registerFunction('Authorizer.allowed(): bool', unsupportedAuthorizer)
    .registerFunction('Authorizer.reason(): string', unsupportedAuthorizer)
    .registerFunction('Authorizer.errored(): bool', unsupportedAuthorizer)
    .registerFunction('Authorizer.error(): string', unsupportedAuthorizer);
}
