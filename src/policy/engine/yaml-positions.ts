/**
 * Manifest YAML with the line of every mapping key and sequence item, read by js-yaml (with the
 * schema of documents.ts) about ten times faster than the position-tracking `yaml` parser: for
 * file:line findings over directories of thousands of manifests.
 *
 * js-yaml reports each node it composes to a listener when the node opens (with the line the
 * reader is on) and closes (with the node's kind and value); keys and values of a mapping are
 * nodes in turn, and items of a sequence, so the nesting of these events is the document tree.
 * Where the events and the values do not line up one to one, the reader gives up rather than guess
 * a line: duplicate or merge keys, an empty sequence item (no event), and anything with tags,
 * explicit `?` keys or directives, which the `yaml` parser handles instead. It also gives up on
 * anything js-yaml rejects, so that the `yaml` parser reports syntax errors with its own messages.
 *
 * Anchors and aliases are read (YAML writers emit them for repeated objects), within the bound the
 * `yaml` parser sets against alias expansion attacks (maxAliasCount 1000): at most 1000 aliases
 * per document and none inside an anchored node. Beyond that the `yaml` parser decides, as before.
 */
import jsyaml from 'js-yaml';
import { MANIFEST_SCHEMA } from './documents.ts';

/** Where a node is: mappings list each key with its line, sequences each item. */
export interface NodePosition {
  /** 1-based line where the node's content starts (for a mapping value, possibly its key's line). */
  line: number;
  /** Map entries: the key, its line, and the positions inside its value (none for a scalar). */
  entries?: { key: string; line: number; value?: NodePosition }[];
  items?: NodePosition[];
}

export interface PositionedDocument {
  value: unknown;
  /** 1-based line of the document's first content. */
  line: number;
  position: NodePosition;
}

/**
 * Tags (`!t` after a separator), explicit keys and directives. Text inside scalars can match too;
 * that only costs the slower parser.
 */
const UNSUPPORTED = /(?:^|[\s,[{:-])![^\s,\]}]|^[ \t-]*\?(?:[ \t]|$)|^%/m;

/** The `yaml` parser's bound on alias use (maxAliasCount in the manifest readers). */
const MAX_ALIASES = 1000;

/** Most nodes are scalars: they share this until a child arrives. */
const NO_CHILDREN: Event[] = [];

interface Event {
  line: number;
  /** Offset in the reader's input where the node opened. */
  offset: number;
  kind: string | null;
  result: unknown;
  anchored: boolean;
  alias: boolean;
  children: Event[];
}

/** The reader's state as the listener sees it: js-yaml's typings leave out `anchor` and that `kind` may be null. */
type ListenerState = Omit<jsyaml.State, 'kind'> & { kind: string | null; anchor: string | null };

/** Every document of `text` with its positions; undefined when the text needs the full parser. */
export function parsePositionedDocuments(text: string): PositionedDocument[] | undefined {
  if (UNSUPPORTED.test(text)) return undefined;
  const roots: Event[] = [];
  const open: Event[] = [];
  let aliased = false;
  const listener = (type: jsyaml.EventType, reader: jsyaml.State) => {
    const state = reader as unknown as ListenerState;
    if (type === 'open') {
      open.push({ line: state.line + 1, offset: state.position, kind: null, result: null, anchored: false, alias: false, children: NO_CHILDREN });
      return;
    }
    const event = open.pop()!;
    event.kind = state.kind;
    event.result = state.result;
    event.anchored = state.anchor !== null;
    // Only an alias (or an empty node) closes without a kind.
    event.alias = state.kind === null && isAliasAt(state.input, event.offset);
    aliased ||= event.alias;
    const parent = open[open.length - 1];
    if (!parent) roots.push(event);
    else if (parent.children === NO_CHILDREN) parent.children = [event];
    else parent.children.push(event);
  };
  let values: unknown[];
  try {
    values = jsyaml.loadAll(text, undefined, { schema: MANIFEST_SCHEMA, json: true, listener }) as unknown[];
  } catch {
    return undefined;
  }
  if (roots.length !== values.length) return undefined;
  const out: PositionedDocument[] = [];
  for (const [i, value] of values.entries()) {
    if (value === null || value === undefined) continue;
    const root = roots[i]!;
    if (aliased && !withinAliasBound(root)) return undefined;
    const inside = positionOf(root, value);
    if (inside === undefined) return undefined;
    const position = inside ?? { line: root.line };
    out.push({ value, line: position.line, position });
  }
  return out;
}

/** Whether the first token at or after `offset` (past spaces, line breaks and comments) is an alias `*name`. */
function isAliasAt(input: string, offset: number): boolean {
  let i = offset;
  for (;;) {
    const ch = input.charCodeAt(i);
    if (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d) i++;
    else if (ch === 0x23) {
      while (i < input.length && input.charCodeAt(i) !== 0x0a) i++;
    } else return ch === 0x2a;
  }
}

/**
 * The `yaml` parser rejects a document where an anchor's uses, times the aliases nested inside it,
 * exceed its bound. With no alias inside an anchored node and at most that many aliases in all,
 * it cannot; anything else is left to it.
 */
function withinAliasBound(root: Event): boolean {
  let aliases = 0;
  const walk = (e: Event, insideAnchor: boolean): boolean => {
    if (e.alias) {
      aliases++;
      return !insideAnchor && aliases <= MAX_ALIASES;
    }
    return e.children.every((c) => walk(c, insideAnchor || e.anchored));
  };
  return walk(root, false);
}

/**
 * A node read in one context and kept by the enclosing one (a flow collection tried as a block
 * key, a scalar tried as a mapping key) closes twice with the same value: the inner event has the
 * children.
 */
function innermost(event: Event): Event {
  let e = event;
  while (e.children.length === 1 && e.children[0]!.result === e.result && typeof e.result === 'object' && e.result !== null) e = e.children[0]!;
  return e;
}

/**
 * The positions of `value`'s nodes: null for a scalar (nothing inside), undefined when the events
 * do not map onto the value one to one.
 */
function positionOf(event: Event, value: unknown): NodePosition | null | undefined {
  if (event.result !== value) return undefined;
  const e = innermost(event);
  if (e.kind === 'mapping') {
    const map = value as Record<string, unknown>;
    // A block mapping followed by something that is not a key (`---`) tried to read one more key.
    const last = e.children[e.children.length - 1];
    const pairs = e.children.length % 2 === 1 && last?.kind === null && !last.alias ? e.children.slice(0, -1) : e.children;
    if (pairs.length % 2 !== 0 || pairs.length / 2 !== Object.keys(map).length) return undefined;
    const entries: NonNullable<NodePosition['entries']> = [];
    for (let k = 0; k < pairs.length; k += 2) {
      const keyEvent = pairs[k]!;
      const key = String(keyEvent.result);
      if (!Object.prototype.hasOwnProperty.call(map, key)) return undefined;
      const child = positionOf(pairs[k + 1]!, map[key]);
      if (child === undefined) return undefined;
      entries.push(child ? { key, line: keyEvent.line, value: child } : { key, line: keyEvent.line });
    }
    return { line: event.line, entries };
  }
  if (e.kind === 'sequence') {
    const list = value as unknown[];
    if (e.children.length !== list.length) return undefined;
    const items: NodePosition[] = [];
    for (const [i, item] of e.children.entries()) {
      const child = positionOf(item, list[i]);
      if (child === undefined) return undefined;
      items.push(child ?? { line: item.line });
    }
    return { line: event.line, items };
  }
  return null;
}
