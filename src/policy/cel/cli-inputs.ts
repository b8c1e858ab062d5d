/**
 * The kyverno CLI's offline inputs for CEL policies, read into CelApplyOptions:
 *
 * - the test's `context` file (`kind: Context`, `spec.resources`: objects `resource.Get/List`
 *   answer from; `spec.images`: image metadata by reference for `image.GetMetadata`);
 * - `clusterResources` files (plain manifests, or `kind: ClusterResource` with `spec.resources`);
 * - `paramResources` files (params for `paramKind`/`paramRef`);
 * - the test's `globalContextEntries` (`data` or `resourceFiles`, with `projections`) for
 *   `globalContext.Get`, and `apiCallResponses` (method, url, response) for `http.Get/Post`;
 * - the values file: `request.operation` in `globalValues`, `namespaces` (full Namespace
 *   objects) and namespace labels, for `namespaceObject`.
 */
import { join } from 'node:path';
import { PalisadeError, errorMessage } from '../../core/errors.ts';
import type { Operation, RequestInfo } from '../engine/types.ts';
import { parseDocuments, readText } from '../engine/documents.ts';
import { jpSearch } from '../variables/jmespath.ts';
import type { CelApplyOptions } from './apply.ts';
import { isRecord } from '../../core/json.ts';

type Json = Record<string, unknown>;

/** A test file's `globalContextEntries` (each with a `name`) and `apiCallResponses` (each with a `url`), as parsed. */
export interface TestMocks {
  globalContextEntries: readonly (Json & { name: string })[];
  apiCallResponses: readonly (Json & { url: string })[];
}

export interface CelCliInputs {
  /** Directory the paths are relative to. */
  dir: string;
  /** The test file's mocks (already read with it), and its path for messages. */
  test?: { path: string; mocks: TestMocks };
  context?: string;
  clusterResources?: readonly string[];
  paramResources?: readonly string[];
  /** The values file, for its full `namespaces` objects (annotations too). */
  valuesPath?: string;
  /** `globalValues` of the values file. */
  globalValues?: Readonly<Record<string, unknown>>;
  namespaceLabels?: (name: string) => Record<string, string> | undefined;
  requestInfo?: RequestInfo;
}

/** Objects of a file: plain manifests, Lists, and `spec.resources` of Context/ClusterResource documents. */
async function objectsOf(path: string): Promise<{ objects: Json[]; images: Json }> {
  const objects: Json[] = [];
  const images: Json = {};
  for (const doc of parseDocuments(await readText(path), path)) {
    const v = doc.value;
    if (!isRecord(v)) continue;
    if ((v.kind === 'Context' || v.kind === 'ClusterResource') && isRecord(v.spec)) {
      for (const r of Array.isArray(v.spec.resources) ? v.spec.resources : []) if (isRecord(r)) objects.push(r);
      if (isRecord(v.spec.images)) Object.assign(images, v.spec.images);
      for (const i of Array.isArray(v.spec.images) ? v.spec.images : []) if (isRecord(i) && typeof i.image === 'string') images[i.image] = i;
    } else if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      for (const r of v.items) if (isRecord(r)) objects.push(r);
    } else if (typeof v.kind === 'string') objects.push(v);
  }
  return { objects, images };
}

/** What `globalContext.Get` and `http.Get/Post` answer, from the test file's mocks. */
async function testMocks(dir: string, test: { path: string; mocks: TestMocks }): Promise<{ globalContext: Json; http: Json }> {
  const globalContext: Json = {};
  const http: Json = {};
  for (const entry of test.mocks.globalContextEntries) {
    let data: unknown = entry.data;
    if (Array.isArray(entry.resourceFiles)) {
      const objects: Json[] = [];
      for (const f of entry.resourceFiles) if (typeof f === 'string') objects.push(...(await objectsOf(join(dir, f))).objects);
      data = objects;
    }
    const projected: Json = {};
    for (const p of Array.isArray(entry.projections) ? entry.projections : []) {
      if (!isRecord(p) || typeof p.name !== 'string' || typeof p.path !== 'string') continue;
      try {
        projected[p.name] = jpSearch(p.path, data);
      } catch (err) {
        throw new PalisadeError('PARSE_ERROR', `${test.path}: globalContextEntries ${entry.name}: projection ${p.name}: ${errorMessage(err)}`, { cause: err });
      }
      globalContext[`${entry.name}.${p.name}`] = projected[p.name];
    }
    // Without a projection, Get returns the data, with each projection beside it.
    globalContext[entry.name] = isRecord(data) ? { ...data, ...projected } : Object.keys(projected).length > 0 ? projected : data;
  }
  for (const r of test.mocks.apiCallResponses) http[`${String(r.method ?? 'GET').toUpperCase()} ${r.url}`] = r.response;
  return { globalContext, http };
}

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export async function loadCelCliInputs(inputs: CelCliInputs): Promise<CelApplyOptions> {
  const resources: Json[] = [];
  const imageData: Json = {};
  for (const file of [...(inputs.context ? [inputs.context] : []), ...(inputs.clusterResources ?? [])]) {
    const { objects, images } = await objectsOf(join(inputs.dir, file));
    resources.push(...objects);
    Object.assign(imageData, images);
  }
  const params: Json[] = [];
  for (const file of inputs.paramResources ?? []) params.push(...(await objectsOf(join(inputs.dir, file))).objects);
  const operation = inputs.globalValues?.['request.operation'];
  const mocks = inputs.test ? await testMocks(inputs.dir, inputs.test) : { globalContext: {}, http: {} };
  const hasMocks = Object.keys(mocks.globalContext).length > 0 || Object.keys(mocks.http).length > 0;
  const hasCluster = inputs.context !== undefined || (inputs.clusterResources ?? []).length > 0 || hasMocks;
  const namespaces = [...resources];
  if (inputs.valuesPath) {
    const values = parseDocuments(await readText(join(inputs.dir, inputs.valuesPath)), inputs.valuesPath)[0]?.value;
    if (isRecord(values) && Array.isArray(values.namespaces)) namespaces.push(...values.namespaces.filter(isRecord));
  }
  const namespaceObject = (name: string): Json | undefined => {
    const known = namespaces.find((r) => r.kind === 'Namespace' && isRecord(r.metadata) && r.metadata.name === name);
    if (known) return known;
    const labels = inputs.namespaceLabels?.(name);
    return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels && { labels }) } };
  };
  return {
    ...(typeof operation === 'string' && OPERATIONS.has(operation) && { operation: operation as Operation }),
    ...(inputs.requestInfo && { requestInfo: inputs.requestInfo }),
    namespace: namespaceObject,
    ...(hasCluster && {
      cluster: {
        resources,
        ...(Object.keys(imageData).length > 0 && { imageData }),
        ...(Object.keys(mocks.globalContext).length > 0 && { globalContext: mocks.globalContext }),
        ...(Object.keys(mocks.http).length > 0 && { http: mocks.http }),
      },
    }),
    ...(params.length > 0 && { params }),
  };
}
