/**
 * The kyverno CLI's offline inputs for CEL policies, read into CelApplyOptions:
 *
 * - the test's `context` file (`kind: Context`, `spec.resources`: objects `resource.Get/List`
 *   answer from; `spec.images`: image metadata by reference for `image.GetMetadata`);
 * - `clusterResources` files (plain manifests, or `kind: ClusterResource` with `spec.resources`);
 * - `paramResources` files (params for `paramKind`/`paramRef`);
 * - the values file: `request.operation` in `globalValues`, namespace labels.
 */
import { join } from 'node:path';
import type { Operation, RequestInfo } from '../engine/types.ts';
import { parseDocuments, readText } from '../engine/documents.ts';
import type { CelApplyOptions } from './apply.ts';

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface CelCliInputs {
  /** Directory the paths are relative to. */
  dir: string;
  context?: string;
  clusterResources?: readonly string[];
  paramResources?: readonly string[];
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
    } else if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      for (const r of v.items) if (isRecord(r)) objects.push(r);
    } else if (typeof v.kind === 'string') objects.push(v);
  }
  return { objects, images };
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
  const hasCluster = inputs.context !== undefined || (inputs.clusterResources ?? []).length > 0;
  const namespaceObject = (name: string): Json | undefined => {
    const known = resources.find((r) => r.kind === 'Namespace' && isRecord(r.metadata) && r.metadata.name === name);
    if (known) return known;
    const labels = inputs.namespaceLabels?.(name);
    return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels && { labels }) } };
  };
  return {
    ...(typeof operation === 'string' && OPERATIONS.has(operation) && { operation: operation as Operation }),
    ...(inputs.requestInfo && { requestInfo: inputs.requestInfo }),
    namespace: namespaceObject,
    ...(hasCluster && { cluster: { resources, ...(Object.keys(imageData).length > 0 && { imageData }) } }),
    ...(params.length > 0 && { params }),
  };
}
