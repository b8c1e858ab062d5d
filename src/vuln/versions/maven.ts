/**
 * Maven versions, ordered as maven-artifact's ComparableVersion orders them up to 3.8.7 (the
 * reference vectors were generated with 3.8.6). Maven 3.8.8/3.9 changed the parse (MNG-7644,
 * then "combination" items), so that `1.foo` = `1-foo` there while here `1.foo` < `1-foo`;
 * that change reorders real versions such as `2.9.0-1` / `2.9.0.RC1`.
 *
 * Parsing (case-insensitive) turns a version into a tree of items:
 * - `.` separates items; `-` separates items and opens a sub-list for the rest; a change
 *   from digits to letters or back also opens a sub-list (`1a1` reads like `1-a-1`);
 * - a run of digits is an integer (leading zeros dropped, any size); anything else is a
 *   string qualifier; an empty item (`1..2`, `1-.2`) is the integer 0;
 * - `a`, `b`, `m` directly followed by a digit mean `alpha`, `beta`, `milestone`; `cr` means
 *   `rc`; `ga`, `final` and `release` mean the empty qualifier (a plain release);
 * - each list drops its trailing "null" items (0, the empty qualifier, empty lists), scanning
 *   back from the end past sub-lists until a non-null plain item: `1.0.0` = `1`,
 *   `1.0.0-foo.0.0` = `1-foo`, `1.0-1` = `1-1`.
 *
 * Ordering, item by item (a missing item is "null"):
 * - qualifiers: alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp
 *   < any other qualifier (those in alphabetical order);
 * - integer > qualifier and integer > sub-list (`1.1` > `1-1` > `1-sp`); sub-list > qualifier;
 * - against null: integer 0 and the empty qualifier equal null, pre-release qualifiers sort
 *   before it (`1-rc` < `1`), other qualifiers and non-zero integers after it (`1-sp` > `1`);
 *   a sub-list compares its items with null in turn.
 *
 * Every non-empty string without whitespace is a Maven version.
 */
import {
  compareDigits,
  compareStrings,
  defineScheme,
  negate,
  type Ordering,
  type ParsedVersion,
  requirePrintable,
  trimZeros,
} from './scheme.ts';

type Item =
  | { readonly kind: 'int'; readonly value: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: Item[] };

export interface MavenVersion extends ParsedVersion {
  readonly items: Item;
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const SHORT_FORMS: Readonly<Record<string, string>> = { a: 'alpha', b: 'beta', m: 'milestone' };
const ZERO: Item = { kind: 'int', value: '0' };

/** Known qualifiers sort by their index, unknown ones after all of them, alphabetically. */
function comparableQualifier(qualifier: string): string {
  const index = QUALIFIERS.indexOf(qualifier);
  return index === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(index);
}

function qualifier(text: string, followedByDigit: boolean): Item {
  const expanded = followedByDigit ? (SHORT_FORMS[text] ?? text) : text;
  return { kind: 'string', value: ALIASES[expanded] ?? expanded };
}

function item(text: string, digits: boolean): Item {
  return digits ? { kind: 'int', value: trimZeros(text) } : qualifier(text, false);
}

function isNull(it: Item): boolean {
  switch (it.kind) {
    case 'int':
      return it.value === '0';
    case 'string':
      return it.value === '';
    case 'list':
      return it.items.length === 0;
  }
}

/** Drops trailing null items, looking back past sub-lists (ComparableVersion.ListItem.normalize). */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const it = list[i];
    if (it === undefined) continue;
    if (isNull(it)) list.splice(i, 1);
    else if (it.kind !== 'list') break;
  }
}

function parseMaven(input: string): MavenVersion {
  requirePrintable('maven', input);
  const version = input.toLowerCase();
  const root: Item[] = [];
  const lists: Item[][] = [root];
  let list = root;
  const openSubList = (): void => {
    const sub: Item[] = [];
    list.push({ kind: 'list', items: sub });
    lists.push(sub);
    list = sub;
  };
  let digits = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c === 46 /* . */ || c === 45 /* - */) {
      list.push(i === start ? ZERO : item(version.slice(start, i), digits));
      start = i + 1;
      if (c === 45) openSubList();
    } else if (c >= 48 && c <= 57) {
      if (!digits && i > start) {
        list.push(qualifier(version.slice(start, i), true));
        start = i;
        openSubList();
      }
      digits = true;
    } else {
      if (digits && i > start) {
        list.push(item(version.slice(start, i), true));
        start = i;
        openSubList();
      }
      digits = false;
    }
  }
  if (version.length > start) list.push(item(version.slice(start), digits));
  // Innermost lists first, so an emptied sub-list is dropped by its parent.
  for (let i = lists.length - 1; i >= 0; i--) normalize(lists[i] ?? []);
  return { raw: input, items: { kind: 'list', items: root } };
}

function compareItems(a: Item, b: Item | undefined): Ordering {
  switch (a.kind) {
    case 'int':
      if (b === undefined) return a.value === '0' ? 0 : 1;
      return b.kind === 'int' ? compareDigits(a.value, b.value) : 1;
    case 'string':
      if (b === undefined) return compareStrings(comparableQualifier(a.value), RELEASE_INDEX);
      if (b.kind === 'string') return compareStrings(comparableQualifier(a.value), comparableQualifier(b.value));
      return -1;
    case 'list': {
      if (b === undefined) {
        for (const it of a.items) {
          const d = compareItems(it, undefined);
          if (d !== 0) return d;
        }
        return 0;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') return 1;
      const n = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < n; i++) {
        const x = a.items[i];
        const y = b.items[i];
        let d: Ordering;
        if (x !== undefined) d = compareItems(x, y);
        else d = y === undefined ? 0 : negate(compareItems(y, undefined));
        if (d !== 0) return d;
      }
      return 0;
    }
  }
}

export const maven = defineScheme({
  name: 'maven',
  parse: parseMaven,
  compare: (a: MavenVersion, b: MavenVersion) => compareItems(a.items, b.items),
});
