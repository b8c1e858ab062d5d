/**
 * Anchor syntax of Kyverno pattern keys (`pkg/engine/anchor/anchor.go`). Parsing only: what each anchor does is
 * decided by the tree walk (validate.ts) and by the mutate engine.
 *
 * | key     | type            | meaning                                                        |
 * |---------|-----------------|----------------------------------------------------------------|
 * | `(k)`   | condition       | if `k` matches, the rest of the map applies; otherwise skip    |
 * | `=(k)`  | equality        | if `k` is present it must match                                |
 * | `X(k)`  | negation        | `k` must not be present                                        |
 * | `^(k)`  | existence       | at least one element of the list `k` must match                |
 * | `<(k)`  | global          | if `k` is present and does not match, the whole rule is skipped |
 * | `+(k)`  | addIfNotPresent | mutate only: add `k` when it is missing                        |
 */

export type AnchorType = 'condition' | 'equality' | 'negation' | 'existence' | 'global' | 'addIfNotPresent';

export interface Anchor {
  type: AnchorType;
  /** The key inside the parentheses. */
  key: string;
}

const MODIFIERS: Record<string, AnchorType> = {
  '=': 'equality',
  X: 'negation',
  '^': 'existence',
  '<': 'global',
  '+': 'addIfNotPresent',
};

const PREFIX: Record<AnchorType, string> = {
  condition: '',
  equality: '=',
  negation: 'X',
  existence: '^',
  global: '<',
  addIfNotPresent: '+',
};

/** Parse a pattern key; undefined when it is a plain key (no anchor, or empty parentheses). */
export function parseAnchor(key: string): Anchor | undefined {
  if (key.length < 3 || key[key.length - 1] !== ')') return undefined;
  if (key[0] === '(') return { type: 'condition', key: key.slice(1, -1) };
  const type = MODIFIERS[key[0]!];
  if (type === undefined || key[1] !== '(' || key.length < 4) return undefined;
  return { type, key: key.slice(2, -1) };
}

/** The key text of an anchor (`formatAnchor('equality', 'name')` is `=(name)`). */
export function formatAnchor(type: AnchorType, key: string): string {
  return `${PREFIX[type]}(${key})`;
}

/** Anchors the validate walk evaluates before the plain keys of a map (`GetAnchorsResourcesFromMap`). */
export function isLeadingAnchor(a: Anchor | undefined): boolean {
  return a !== undefined && (a.type === 'condition' || a.type === 'existence' || a.type === 'equality' || a.type === 'negation');
}

/** Anchors whose presence in the resource Kyverno tracks across the walk (`AnchorMap`). */
export function isTrackedAnchor(a: Anchor | undefined): boolean {
  return a !== undefined && (a.type === 'condition' || a.type === 'existence' || a.type === 'negation');
}
