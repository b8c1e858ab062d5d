/**
 * The block-YAML reader: what it reads must come out exactly as the full parsers read it (js-yaml
 * with the manifest schema for values, the position-tracking `yaml` parser for lines), and what it
 * does not know it must refuse rather than guess.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readBlockYaml } from '../../src/misconfig/block-yaml.ts';
import { parsePlainDocuments } from '../../src/policy/engine/documents.ts';
import { precise } from '../helpers/yaml-lines.ts';

/** Reads `text` with the block reader and checks it against both full parsers. */
function expectSameAsFullParsers(text: string): void {
  const fast = readBlockYaml(text, { fieldLines: true });
  expect(fast, 'read by the block reader').toBeDefined();
  const reference = precise(text);
  expect(fast!.map((d) => d.value)).toEqual(reference.map((d) => d.value));
  expect(fast!.map((d) => d.line)).toEqual(reference.map((d) => d.line));
  expect(fast!.map((d) => Object.fromEntries(d.fieldLines!))).toEqual(reference.map((d) => Object.fromEntries(d.lines)));
  expect(parsePlainDocuments(text, 'x.yaml').map((d) => ({ value: d.value, line: d.line }))).toEqual(fast!.map((d) => ({ value: d.value, line: d.line })));
}

const KUBECTL_LIST = `apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"v1","kind":"Pod"}
      note: >-
        folded text
        on two lines
    creationTimestamp: "2024-05-01T10:00:00Z"
    labels:
      app: web
      "quoted key": 'it''s'
    name: web-0   # a comment
    namespace: shop
  spec:
    containers:
    - args:
      - --port=8080
      - -v
      image: nginx:1.27
      name: web
      ports:
      - containerPort: 8080
        protocol: TCP
      resources:
        limits:
          cpu: 500m
          memory: 128Mi
      securityContext:
        allowPrivilegeEscalation: false
        runAsUser: 1000
    nodeSelector: {}
    tolerations: []
  status:
    podIP: 10.244.1.5
    phase: Running
    ratio: 0.25
kind: List
metadata:
  resourceVersion: ""
`;

describe('readBlockYaml', () => {
  it('reads a kubectl List with the line of every item, key and list entry', () => {
    expectSameAsFullParsers(KUBECTL_LIST);
    const [doc] = readBlockYaml(KUBECTL_LIST, { fieldLines: true })!;
    expect(doc!.itemLines).toEqual([3]);
    expect(doc!.fieldLines!.get('items[0].spec.containers[0].ports[0].containerPort')).toBe(26);
    const pod = (doc!.value as { items: unknown[] }).items[0];
    expect(pod).toMatchObject({
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"v1","kind":"Pod"}\n', note: 'folded text on two lines' } },
      spec: { containers: [{ securityContext: { allowPrivilegeEscalation: false, runAsUser: 1000 } }] },
      status: { podIP: '10.244.1.5', phase: 'Running', ratio: 0.25 },
    });
  });

  it('records item lines for indented sequences and leaves field lines out unless asked', () => {
    const text = stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'A' }, { kind: 'B', spec: { x: [1, 2] } }] });
    const [doc] = readBlockYaml(text)!;
    expect(doc!.itemLines).toEqual([4, 5]);
    expect(doc!.fieldLines).toBeUndefined();
  });

  it('reads quoted scalars whose continuation lines are indented no further than their key, as js-yaml and go-yaml do', () => {
    // The `yaml` package refuses these; real-world manifests (annotations holding JSON, wrapped descriptions) have them.
    const text = "metadata:\n  annotations:\n    init: '[\n    {\"a\": 1}\n  ]'\n    note: \"wrapped\nat column 0\"\n  name: x\n";
    const docs = readBlockYaml(text, { fieldLines: true })!;
    expect(docs.map((d) => d.value)).toEqual(parsePlainDocuments(text, 'x.yaml').map((d) => d.value));
    expect(docs[0]!.value).toEqual({ metadata: { annotations: { init: '[ {"a": 1} ]', note: 'wrapped at column 0' }, name: 'x' } });
    expect(Object.fromEntries(docs[0]!.fieldLines!)).toEqual({ metadata: 1, 'metadata.annotations': 2, 'metadata.annotations.init': 3, 'metadata.annotations.note': 6, 'metadata.name': 8 });
  });

  it('gives an alias the anchored value itself, as the full parsers do', () => {
    const [doc] = readBlockYaml('a: &x\n  k: v\nb: *x\n')!;
    const value = doc!.value as { a: unknown; b: unknown };
    expect(value.b).toBe(value.a);
  });

  it.each([
    ['YAML 1.1 booleans', 'a: yes\nb: Off\nc: y\nd: "yes"\ne: True\n'],
    ['nulls', 'a: ~\nb: null\nc:\nd: NULL\n'],
    ['decimal numbers and number-like strings', 'a: 8080\nb: -3\nc: 0.5\nd: 128Mi\ne: 1.2.3\nf: 10.0.0.1\ng: 0\nh: -0.5\n'],
    ['quoted scalars and escapes', 'a: "tab\\there \\u00e9 \\"q\\" \\\\"\nb: \'single \'\' quote\'\nc: "# not a comment"\nd: \'\'\n'],
    ['plain scalars with colons and hashes', 'url: http://example.com:80/a#frag\nkey:with:colons: v\nimage: nginx:1.27 # pinned\n'],
    ['multi-line plain scalars', 'a: first\n  second\n\n  third\nb: x\n'],
    ['multi-line quoted scalars, as YAML libraries wrap long strings', "a: 'one two\n  three ''q''\n\n  four  '\nb: \"x \\\n  y\\ty\n   z\"\nc:\n- 'item\n  wrapped'\n"],
    ['literal and folded block scalars with chomping', 'a: |\n  one\n   two\n\n  three\n\nb: |-\n  kept\nc: |+\n  keep\n\nd: >\n  folded\n  text\n\n  para\n    more\n  end\ne: >-\n  x\nf: |\n\n  after blank\n'],
    ['nested and compact sequences', 'a:\n- - x\n  - y\n- z\n-\n  k: v\n- \nb:\n  - 1\n  -   p: q\n      r: s\n'],
    ['several documents, comments and markers', '# head\n---\na: 1\n...\n---\n# only a comment\n---\n- x\n--- # c\nb: 2\n'],
    ['flow sequences of scalars on one line', 'command: ["sh", "-c", \'it\'\'s\']\nargs: [--port=80, -v, a b, yes, 3, ~, "x\\ty", a:b]\ne: [ ]\nf:\n- [x]\n- []   # c\ng: [a]\n'],
    ['anchored mapping values and their aliases', 'a: &x\n  - 1\n  - k: v\nb: *x\nc:\n  d: &y {}\n  e: *y   # same\n  f: &z plain\nl:\n- *x\n- *z\n'],
    ['Windows line endings', 'a: 1\r\nb:\r\n  - x\r\nc: |\r\n  line\r\n'],
    ['a top-level scalar', 'just text\n'],
  ])('reads %s as the full parsers do', (_name, text) => {
    expectSameAsFullParsers(text);
  });

  it.each([
    ['anchors on sequence items', '- &x 1\n- *x\n', 'indicator'],
    ['anchors on keys', '&x a: 1\n', 'indicator'],
    ['aliases of anchors not (yet) defined', 'a: *x\nb: &x 1\n', 'alias'],
    ['aliases inside an anchored node', 'a: &x 1\nb: &y\n  c: *x\nd: *y\n', 'alias inside an anchored node'],
    ['more aliases than the yaml parser allows', `a: &x 1\nb:\n${'- *x\n'.repeat(1001)}`, 'more than 1000 aliases'],
    ['tags', 'a: !!str 1\n', 'indicator'],
    ['flow mappings with content', 'a: {b: 1}\n', 'flow mapping'],
    ['nested flow collections', 'a: [[1], 2]\n', 'flow sequence'],
    ['flow sequences over several lines', 'a: [1,\n  2]\n', 'flow sequence'],
    ['pairs in flow sequences', 'a: [b: 1]\n', 'flow sequence'],
    ['empty flow entries and trailing commas', 'a: [1, ]\n', 'flow sequence'],
    ['comments inside flow sequences', 'a: [1 # c\n  ]\n', 'flow sequence'],
    ['text after a flow sequence', 'a: [1] x\n', 'text after a flow sequence'],
    ['merge keys', 'a:\n  <<: {}\n', '<<'],
    ['duplicate keys (the last one wins, with the field lines of the first left behind)', 'a:\n  x: 1\nb: 2\na:\n  y: 3\n', 'duplicate key a'],
    ['escaped blanks before a wrapped line', 'a: "one\\ \n  two"\n', 'escaped blank'],
    ['sexagesimal numbers', 'a: 12:30\n', 'scalar 12:30'],
    ['negative zero (js-yaml reads 0, the yaml package -0)', 'a: -0\n', 'scalar -0'],
    ['other number spellings', 'a: 0x1F\n', 'scalar 0x1F'],
    ['YAML 1.1 octals', 'mode: 0644\n', 'scalar 0644'],
    ['exponents', 'a: 1e3\n', 'scalar 1e3'],
    ['boolean keys', 'on: push\n', 'key on'],
    ['unterminated quoted scalars', 'a: "one\n  two\n', 'unterminated quoted scalar'],
    ['directives', '%YAML 1.1\n---\na: 1\n', 'directive'],
    ['tab indentation', 'a:\n\tb: 1\n', 'tab'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n', 'indentation'],
    ['a mapping value inside a plain scalar', 'a: b: c\n', 'mapping value'],
    ['non-printable characters', 'a: \u0007\n', 'non-printable'],
    ['nesting deeper than any object (instead of running out of stack)', '- '.repeat(20_000) + 'x\n', 'nesting deeper'],
  ])('leaves %s to the full parser', (_name, text, reason) => {
    let why = '';
    expect(readBlockYaml(text, { onUnsupported: (r) => (why = r) })).toBeUndefined();
    expect(why).toContain(reason);
  });

  it('reads generated objects of every shape back as they were written', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const words = ['web', 'kube-system', 'true', 'yes', 'null', '8080', '0.5', '1.2.3', 'a b', 'x: y', '#tag', 'it\'s', 'line\nbreak\n', ' lead', 'trail ', '', 'é', '-dash', 'http://a:1/b'];
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.4) return [words[Math.floor(rand() * words.length)], Math.floor(rand() * 1000), rand() < 0.5, null][Math.floor(rand() * 4)];
      if (r < 0.7) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`${words[Math.floor(rand() * 9)]}-${i}`, value(depth + 1)]));
    };
    let read = 0;
    for (let i = 0; i < 200; i++) {
      const object = { apiVersion: 'v1', kind: 'ConfigMap', data: value(0) };
      for (const options of [{}, { indentSeq: false }, { lineWidth: 0 }]) {
        const text = stringify(object, { version: '1.1', ...options });
        const docs = readBlockYaml(text);
        if (!docs) continue; // a form it leaves to the full parser
        read++;
        expect(docs.map((d) => d.value)).toEqual([object]);
        expectSameAsFullParsers(text);
      }
    }
    expect(read).toBeGreaterThan(400);
  });
});

/** Every YAML fixture of the repository the reader accepts reads exactly as the full parsers read it. */
describe('readBlockYaml on the test fixtures', () => {
  const root = join(import.meta.dirname, '..', 'fixtures');
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : /\.ya?ml$/.test(name) ? [full] : [];
    });
  })(root);

  it('agrees with the full parsers on every fixture it reads', () => {
    let read = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (!readBlockYaml(text)) continue;
      read++;
      expectSameAsFullParsers(text);
    }
    expect(read).toBeGreaterThan(20);
  });
});
