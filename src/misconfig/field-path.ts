/**
 * Field paths inside a Kubernetes object, in the two spellings that reach us:
 *
 * - dotted, as Pod Security checks and our own checks write them: `spec.template.spec.containers[0].image`,
 *   with keys that are not plain identifiers in brackets: `metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]`;
 * - slashed, as Kyverno reports where a pattern failed: `/spec/template/spec/containers/0/image/`.
 *
 * Both parse to segments (numbers index lists); `formatFieldPath` gives the one canonical dotted
 * spelling used as the key of a manifest's line map.
 */

export type FieldPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;
const DIGITS = /^\d+$/;

export function parseFieldPath(path: string): (string | number)[] {
  return path.startsWith('/') ? parseSlashed(path) : parseDotted(path);
}

function parseSlashed(path: string): (string | number)[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (DIGITS.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
}

function parseDotted(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  let current = '';
  const flush = () => {
    if (current !== '') out.push(current);
    current = '';
  };
  while (i < path.length) {
    const ch = path[i]!;
    if (ch === '.') {
      flush();
      i++;
    } else if (ch === '[') {
      flush();
      const end = path.indexOf(']', i + 1);
      const inner = end === -1 ? path.slice(i + 1) : path.slice(i + 1, end);
      const unquoted = /^"(.*)"$/.exec(inner)?.[1];
      out.push(unquoted !== undefined ? unquoted : DIGITS.test(inner) ? Number(inner) : inner);
      i = end === -1 ? path.length : end + 1;
    } else {
      current += ch;
      i++;
    }
  }
  flush();
  return out;
}

/** Appends one segment to a canonical path: `.key`, `[key.with.dots]`, `["3"]` for a numeric key, `[3]` for an index. */
export function appendSegment(prefix: string, segment: string | number): string {
  if (typeof segment === 'number') return `${prefix}[${segment}]`;
  if (IDENTIFIER.test(segment)) return prefix === '' ? segment : `${prefix}.${segment}`;
  return DIGITS.test(segment) ? `${prefix}["${segment}"]` : `${prefix}[${segment}]`;
}

export function formatFieldPath(segments: FieldPath): string {
  return segments.reduce<string>((p, s) => appendSegment(p, s), '');
}
