/**
 * RFC 6902 patch from the object the API server sent to the one the mutate rules produced. Objects
 * are diffed member by member; arrays of equal length element by element, otherwise replaced whole
 * (index arithmetic for inserted elements is where hand-written diffs go wrong, and the API server
 * applies a whole-array replace just as well).
 */
import { deepEqual } from '../policy/engine/json-patch.ts';
import { isRecord } from '../core/json.ts';

export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

function escapeToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function jsonPatchDiff(before: unknown, after: unknown, path = ''): PatchOp[] {
  if (deepEqual(before, after)) return [];
  if (isRecord(before) && isRecord(after)) {
    const ops: PatchOp[] = [];
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) ops.push({ op: 'remove', path: `${path}/${escapeToken(key)}` });
    }
    for (const [key, value] of Object.entries(after)) {
      const child = `${path}/${escapeToken(key)}`;
      if (!Object.hasOwn(before, key)) ops.push({ op: 'add', path: child, value });
      else ops.push(...jsonPatchDiff(before[key], value, child));
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => jsonPatchDiff(item, after[i], `${path}/${i}`));
  }
  // The root itself cannot be the target of "replace" with an empty path in every client; it never is here.
  return [{ op: 'replace', path, value: after }];
}
