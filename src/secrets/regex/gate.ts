/**
 * A gate: a quick test, run before a pattern is tried at a place, that rejects most places where
 * it cannot match. It is a DFA for a bounded head of the pattern (its first few dozen characters
 * along any path), built once per pattern and run by WebAssembly over the bytes of a file
 * (wasm-dfa.ts): every match starts with a string the head matches, so a place where the DFA
 * dies cannot start a match, and V8's backtracking matcher is never called there. The gate
 * answers "maybe" as soon as the head is matched, at the end of the text, and on whatever it does
 * not model (assertions count as true; any byte above 0x7f passes): it may let a place through,
 * never turn one away where the pattern matches.
 *
 * Why: gitleaks' generic rule is tried at every `key`, `token`, `secret`… of a source tree; most
 * are ordinary code (`userKey = await fetch(`) that fails a few characters later, after V8 has
 * backtracked through every split of `[\w.-]{0,20}[\s'"]{0,3}`, at some 180 ns a place.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { rangesHas, type Ranges } from './ranges.ts';
import type { Node } from './syntax.ts';

/** A gate in the form dfa.wat runs it: bytes, so that it stays in the L1 cache. */
export interface Gate {
  /** Column of each ASCII byte. */
  ascii: Uint8Array;
  width: number;
  /** Per state and column: the next state's number, GATE_DEAD or GATE_PASS. */
  table: Uint8Array;
}

export const GATE_PASS = 254;
export const GATE_DEAD = 255;

/**
 * A gate as plain data, for the compiled built-in rule sets: its columns and table, deflated and
 * in base64 (a sixth of their size: most entries are dead). Built at `npm run generate` time, a
 * gate is only inflated at run time, where building the gates of the rules a scan of a source
 * tree tries took some 35 ms in each thread, before its first files.
 */
export interface PortableGate {
  width: number;
  data: string;
}

export function toPortableGate(gate: Gate): PortableGate {
  return { width: gate.width, data: deflateRawSync(Buffer.concat([gate.ascii, gate.table]), { level: 9 }).toString('base64') };
}

export function fromPortableGate(p: PortableGate): Gate {
  const bytes = new Uint8Array(inflateRawSync(Buffer.from(p.data, 'base64')));
  return { width: p.width, ascii: bytes.subarray(0, 128), table: bytes.subarray(128) };
}

/** Head depths tried, in characters along the longest path (the DFA is smaller, and walks less, for a shorter head). */
const BUDGETS = [64, 32, 16];
/** So that a state's number fits a byte, beside the codes for pass and dead. */
const MAX_STATES = GATE_PASS;

/** A gate for `node`, or undefined when none small enough would reject anything. */
export function buildGate(node: Node): Gate | undefined {
  for (const budget of BUDGETS) {
    const head = cut(node, { left: budget });
    const gate = determinize(head);
    if (gate !== null) return gate;
  }
  return undefined;
}

/* ── the head: each path of the pattern cut after about `budget` characters; cut paths end in `accept` ── */

type Head = { t: 'chars'; ranges: Ranges } | { t: 'seq'; items: Head[] } | { t: 'alt'; items: Head[] } | { t: 'star'; item: Head } | { t: 'accept' } | { t: 'empty' };

const EMPTY: Head = { t: 'empty' };
const ACCEPT: Head = { t: 'accept' };

function cut(node: Node, budget: { left: number }): Head {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return EMPTY;
    case 'chars':
      budget.left--;
      return { t: 'chars', ranges: node.ranges };
    case 'group':
      return cut(node.node, budget);
    case 'concat': {
      const items: Head[] = [];
      for (const n of node.nodes) {
        if (budget.left <= 0) {
          items.push(ACCEPT);
          break;
        }
        items.push(cut(n, budget));
      }
      return { t: 'seq', items };
    }
    case 'alt': {
      // Each branch may go as deep as what is left; after it, what its deepest branch left.
      const left = budget.left;
      let lowest = left;
      const items = node.nodes.map((n) => {
        budget.left = left;
        const h = cut(n, budget);
        lowest = Math.min(lowest, budget.left);
        return h;
      });
      budget.left = lowest;
      return { t: 'alt', items };
    }
    case 'repeat': {
      const before = budget.left;
      const item = cut(node.node, budget);
      const size = Math.max(1, before - budget.left);
      const items: Head[] = [];
      for (let i = 0; i < node.min; i++) {
        if (i > 0 && budget.left < size) return { t: 'seq', items: [...items, ACCEPT] };
        if (i > 0) budget.left -= size;
        items.push(item);
      }
      if (node.max === -1) items.push({ t: 'star', item });
      else if (node.max > node.min) {
        const optional = node.max - node.min;
        if (optional * size <= budget.left) {
          budget.left -= optional * size;
          let tail: Head = EMPTY;
          for (let k = 0; k < optional; k++) tail = { t: 'alt', items: [EMPTY, { t: 'seq', items: [item, tail] }] };
          items.push(tail);
        } else {
          // Too many to spell out: no more copies, or at least one more and then anything.
          items.push({ t: 'alt', items: [EMPTY, { t: 'seq', items: [item, ACCEPT] }] });
        }
      }
      return { t: 'seq', items };
    }
  }
}

/* ── NFA (Thompson) and subset construction ── */

interface Nfa {
  /** Per state: its character edges and its empty edges. State 0 is the accepting state. */
  edges: { ranges: Ranges; to: number }[][];
  empty: number[][];
}

function addState(nfa: Nfa): number {
  nfa.edges.push([]);
  nfa.empty.push([]);
  return nfa.edges.length - 1;
}

/** The entry state of `h` followed by state `next`. */
function build(nfa: Nfa, h: Head, next: number): number {
  switch (h.t) {
    case 'empty':
      return next;
    case 'accept':
      return 0;
    case 'chars': {
      const s = addState(nfa);
      nfa.edges[s]!.push({ ranges: h.ranges, to: next });
      return s;
    }
    case 'seq': {
      let entry = next;
      for (let i = h.items.length - 1; i >= 0; i--) entry = build(nfa, h.items[i]!, entry);
      return entry;
    }
    case 'alt': {
      const s = addState(nfa);
      for (const item of h.items) nfa.empty[s]!.push(build(nfa, item, next));
      return s;
    }
    case 'star': {
      const s = addState(nfa);
      nfa.empty[s]!.push(next, build(nfa, h.item, s));
      return s;
    }
  }
}

/** The DFA of `head` as a gate; null when it has too many states, undefined when it rejects nothing. */
function determinize(head: Head): Gate | null | undefined {
  const nfa: Nfa = { edges: [], empty: [] };
  addState(nfa);
  const start = build(nfa, head, 0);
  const n = nfa.edges.length;

  // Columns: the ASCII bytes between consecutive range boundaries behave alike.
  const cuts = new Set([0]);
  for (const list of nfa.edges)
    for (const { ranges } of list)
      for (let i = 0; i < ranges.length; i += 2) {
        if (ranges[i]! < 128) cuts.add(ranges[i]!);
        if (ranges[i + 1]! < 127) cuts.add(ranges[i + 1]! + 1);
      }
  const starts = [...cuts].sort((a, b) => a - b);
  const width = starts.length;

  // Per NFA state: its empty-edge closure, and its edges as (column, target) pairs.
  const closures = Array.from({ length: n }, (_, s) => closureOf(nfa, s));
  const moves: number[][] = nfa.edges.map((list) => {
    const pairs: number[] = [];
    for (const { ranges, to } of list) for (let k = 0; k < width; k++) if (rangesHas(ranges, starts[k]!)) pairs.push(k, to);
    return pairs;
  });

  const mark = new Int32Array(n);
  let generation = 0;
  /** The closure of `targets`, sorted; [0] alone when it reaches the accepting state. */
  const closeAll = (targets: number[]): number[] => {
    generation++;
    const out: number[] = [];
    for (const t of targets)
      for (const u of closures[t]!) {
        if (mark[u] === generation) continue;
        mark[u] = generation;
        if (u === 0) return [0];
        out.push(u);
      }
    return out.sort((a, b) => a - b);
  };

  const first = closeAll([start]);
  if (first[0] === 0) return undefined;
  const ids = new Map<string, number>([[first.join(','), 0]]);
  const sets = [first];
  const table: number[] = [];
  const targets: number[][] = Array.from({ length: width }, () => []);
  /** The table entry for a set of NFA states (a new DFA state when it is not one yet); null past MAX_STATES. */
  const stateEntry = (next: number[]): number | null => {
    if (next.length === 0) return GATE_DEAD;
    if (next[0] === 0) return GATE_PASS;
    const key = next.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      if (sets.length === MAX_STATES) return null;
      id = sets.length;
      ids.set(key, id);
      sets.push(next);
    }
    return id;
  };
  for (let d = 0; d < sets.length; d++) {
    for (const list of targets) list.length = 0;
    for (const s of sets[d]!) {
      const pairs = moves[s]!;
      for (let i = 0; i < pairs.length; i += 2) targets[pairs[i]!]!.push(pairs[i + 1]!);
    }
    // Columns with the same targets (most letters, in most states) lead to the same state.
    const entryOf = new Map<string, number>();
    for (let k = 0; k < width; k++) {
      const raw = targets[k]!.join(',');
      let entry = entryOf.get(raw);
      if (entry === undefined) {
        const made = stateEntry(targets[k]!.length === 0 ? [] : closeAll(targets[k]!));
        if (made === null) return null;
        entryOf.set(raw, (entry = made));
      }
      table.push(entry);
    }
  }

  const ascii = new Uint8Array(128);
  for (let c = 0, k = 0; c < 128; c++) {
    while (k + 1 < width && starts[k + 1]! <= c) k++;
    ascii[c] = k;
  }
  return { ascii, width, table: Uint8Array.from(table) };
}

/** The states reachable from `s` by empty edges, `s` included. */
function closureOf(nfa: Nfa, s: number): number[] {
  const seen = new Set<number>([s]);
  const stack = [s];
  while (stack.length > 0)
    for (const t of nfa.empty[stack.pop()!]!) {
      if (seen.has(t)) continue;
      seen.add(t);
      stack.push(t);
    }
  return [...seen];
}
