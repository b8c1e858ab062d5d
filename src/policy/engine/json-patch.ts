/**
 * RFC 6902 JSON Patch, applied with the options Kyverno passes to evanphx/json-patch:
 * negative array indices count from the end, removing a missing path is a no-op, and `add`
 * creates missing parent objects/arrays. Paths are RFC 6901 pointers (`~1` = `/`, `~0` = `~`).
 */
import { RuleError } from '../types.ts';

export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** Validates the decoded `patchesJson6902` document: a list of operations. */
export function toOperations(decoded: unknown): PatchOperation[] {
  if (!Array.isArray(decoded)) throw new RuleError('INVALID', 'patchesJson6902 must be a list of operations');
  return decoded.map((op, i) => {
    if (typeof op !== 'object' || op === null || typeof (op as PatchOperation).op !== 'string' || typeof (op as PatchOperation).path !== 'string') {
      throw new RuleError('INVALID', `patchesJson6902[${i}] needs op and path`);
    }
    return op as PatchOperation;
  });
}

/** Applies `operations` to a deep copy of `document` and returns the copy. */
export function applyJsonPatch(document: unknown, operations: readonly PatchOperation[]): unknown {
  const root = { value: structuredClone(document) as unknown };
  for (const op of operations) applyOne(root, op);
  return root.value;
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new RuleError('INVALID', `invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Root = { value: unknown };

function applyOne(root: Root, op: PatchOperation): void {
  const path = parsePointer(op.path);
  switch (op.op) {
    case 'add':
      add(root, path, structuredClone(op.value));
      return;
    case 'remove':
      remove(root, path, true);
      return;
    case 'replace':
      if (path.length === 0) root.value = structuredClone(op.value);
      else {
        remove(root, path, false);
        add(root, path, structuredClone(op.value));
      }
      return;
    case 'move': {
      const from = parsePointer(requireFrom(op));
      const value = get(root, from, op.from!);
      remove(root, from, false);
      add(root, path, value);
      return;
    }
    case 'copy':
      add(root, path, structuredClone(get(root, parsePointer(requireFrom(op)), op.from!)));
      return;
    case 'test': {
      const actual = get(root, path, op.path);
      if (!deepEqual(actual, op.value)) throw new RuleError('INVALID', `test operation failed at ${op.path}`);
      return;
    }
    default:
      throw new RuleError('INVALID', `unknown JSON patch operation ${JSON.stringify(op.op)}`);
  }
}

function requireFrom(op: PatchOperation): string {
  if (typeof op.from !== 'string') throw new RuleError('INVALID', `${op.op} at ${op.path} needs "from"`);
  return op.from;
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null;
}

/** Resolves the parent of the last path segment, creating missing parents when `create` is set. */
function parentOf(root: Root, path: string[], create: boolean): Record<string, unknown> | unknown[] | undefined {
  if (!isContainer(root.value)) {
    if (!create) return undefined;
    root.value = isIndex(path[0]) ? [] : {};
  }
  let node = root.value as Record<string, unknown> | unknown[];
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    let next: unknown;
    if (Array.isArray(node)) {
      const idx = arrayIndex(node, key, false);
      next = idx === undefined ? undefined : node[idx];
      if (!isContainer(next)) {
        if (!create) return undefined;
        next = isIndex(path[i + 1]) ? [] : {};
        if (idx !== undefined) node[idx] = next;
        else if (key === '-' || key === '-1') node.push(next);
        else if (/^\d+$/.test(key)) {
          // evanphx pads an array with nulls up to a missing index.
          while (node.length < Number(key)) node.push(null);
          node.push(next);
        } else return undefined;
      }
    } else {
      next = node[key];
      if (!isContainer(next)) {
        if (!create) return undefined;
        next = isIndex(path[i + 1]) ? [] : {};
        node[key] = next;
      }
    }
    node = next as Record<string, unknown> | unknown[];
  }
  return node;
}

function isIndex(segment: string | undefined): boolean {
  return segment === '-' || (segment !== undefined && /^-?\d+$/.test(segment));
}

/**
 * Array index of a segment; negative indices count from the end. For an insertion the array has
 * one more slot, so `-1` appends (evanphx/json-patch semantics).
 */
function arrayIndex(array: unknown[], segment: string, forInsert: boolean): number | undefined {
  if (segment === '-') return forInsert ? array.length : undefined;
  if (!/^-?\d+$/.test(segment)) return undefined;
  let idx = Number(segment);
  if (idx < 0) idx += forInsert ? array.length + 1 : array.length;
  const max = forInsert ? array.length : array.length - 1;
  return idx >= 0 && idx <= max ? idx : undefined;
}

function add(root: Root, path: string[], value: unknown): void {
  if (path.length === 0) {
    root.value = value;
    return;
  }
  const parent = parentOf(root, path, true);
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    const idx = arrayIndex(parent, key, true);
    if (idx === undefined) throw new RuleError('INVALID', `add: index ${key} out of bounds at /${path.join('/')}`);
    parent.splice(idx, 0, value);
  } else if (parent) {
    parent[key] = value;
  }
}

function remove(root: Root, path: string[], allowMissing: boolean): void {
  const parent = parentOf(root, path, false);
  const key = path[path.length - 1]!;
  const missing = () => {
    if (!allowMissing) throw new RuleError('INVALID', `path /${path.join('/')} does not exist`);
  };
  if (Array.isArray(parent)) {
    const idx = arrayIndex(parent, key, false);
    if (idx === undefined) return missing();
    parent.splice(idx, 1);
  } else if (parent && Object.hasOwn(parent, key)) {
    delete parent[key];
  } else {
    missing();
  }
}

function get(root: Root, path: string[], pointer: string): unknown {
  let node: unknown = root.value;
  for (const key of path) {
    if (Array.isArray(node)) {
      const idx = arrayIndex(node, key, false);
      node = idx === undefined ? undefined : node[idx];
    } else if (isContainer(node) && Object.hasOwn(node, key)) {
      node = (node as Record<string, unknown>)[key];
    } else {
      node = undefined;
    }
    if (node === undefined) throw new RuleError('INVALID', `path ${pointer} does not exist`);
  }
  return node;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  return keys.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}
