/**
 * Palisade's own rule set (the default configuration): every rule is documented, pre-filtered by
 * keywords, compiled for V8, and finds what its true-positive samples hold and nothing of what its
 * false-positive samples hold. The samples live beside each rule file's name in
 * test/fixtures/secrets/own-rules/<file>.json: { "<rule id>": { "tp": [Sample], "fp": [Sample] } },
 * where a Sample is { "text", "secret", "path"? } (tp) or { "text", "path"? } (fp); the path
 * defaults to `config.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileBuiltinConfig, OWN_RULE_FILES, parseConfig, ruleFileText } from '../../src/secrets/config.ts';
import { Detector } from '../../src/secrets/detect.ts';

interface Sample {
  text: string;
  secret?: string;
  path?: string;
}
type Samples = Record<string, { tp: Sample[]; fp: Sample[] }>;

const SAMPLES_DIR = new URL('../fixtures/secrets/own-rules/', import.meta.url);
const config = compileBuiltinConfig('palisade');
const detector = new Detector(config, { maxDecodeDepth: 0 });
const find = (s: Sample) => detector.detect({ raw: s.text, filePath: s.path ?? 'config.env', startLine: 1 });

const files = OWN_RULE_FILES.map((file) => {
  const ids = [...parseConfig(ruleFileText(file), { file }).rules.keys()];
  const samplesFile = new URL(file.replace(/\.toml$/, '.json'), SAMPLES_DIR);
  const samples = existsSync(samplesFile) ? (JSON.parse(readFileSync(samplesFile, 'utf8')) as Samples) : {};
  return { file, ids, samples };
});

describe("Palisade's own rules", () => {
  it('number at least 150, with unique ids, all in the default configuration', () => {
    const ids = files.flatMap((f) => f.ids);
    expect(ids.length).toBeGreaterThanOrEqual(150);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...config.rules.keys()].sort()).toEqual([...ids].sort());
  });

  it('skip installed dependencies, generated lockfiles, images and placeholder values, as gitleaks\' defaults do', () => {
    const leak = 'aws_access_key_id = AKIAQ5J2XF7HN3MP6RWT\n';
    const found = (path: string, text = leak) => find({ text, path }).map((f) => f.ruleId);
    expect(found('src/settings.py')).toEqual(['aws-access-key-id']);
    for (const path of ['node_modules/aws-sdk/test/fixture.js', 'web/node_modules/x/index.js', 'package-lock.json', 'go.sum', '.venv/lib/python3.12/site-packages/boto/x.py', 'logo.svg']) expect(found(path), path).toEqual([]);
    expect(find({ text: 'client_secret = "${CLIENT_SECRET}"\ndb_password: "{{ .Values.password }}"\n' })).toEqual([]);
  });

  it.each(files)('$file: each rule has a description, tags, keywords and a V8-compiled pattern', ({ ids }) => {
    const problems: string[] = [];
    for (const id of ids) {
      const rule = config.rules.get(id)!;
      if (!rule.description) problems.push(`${id}: no description`);
      if (rule.tags.length === 0) problems.push(`${id}: no tags`);
      if (rule.keywords.length === 0) problems.push(`${id}: no keywords (it would run over every file)`);
      if (rule.regex?.engine === 're2js') problems.push(`${id}: runs on the linear-time engine (slow)`);
    }
    expect(problems).toEqual([]);
  });

  it('report a secret once: no two rules share a pattern, and a true positive is not also reported by another rule (but a generic one, which gives way)', () => {
    const problems: string[] = [];
    const bySource = new Map<string, string>();
    for (const rule of config.rules.values()) {
      const source = rule.regex?.source;
      if (source === undefined) continue;
      const other = bySource.get(source);
      if (other) problems.push(`${rule.id}: the same pattern as ${other}`);
      bySource.set(source, rule.id);
    }
    const overlap = (a: string, b: string) => a.includes(b) || b.includes(a);
    for (const { samples } of files) {
      for (const [id, { tp = [] }] of Object.entries(samples)) {
        for (const s of tp) {
          const found = find(s);
          const own = found.filter((f) => f.ruleId === id);
          const doubles = found.filter((f) => f.ruleId !== id && !f.ruleId.includes('generic') && own.some((o) => o.startLine === f.startLine && overlap(o.secret, f.secret)));
          if (doubles.length > 0) problems.push(`${id}: ${JSON.stringify(s.text.slice(0, 80))} is also reported by ${[...new Set(doubles.map((f) => f.ruleId))].join(', ')}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(files)('$file: each rule finds its true positives and none of its false positives', ({ file, ids, samples }) => {
    const problems: string[] = [];
    for (const id of Object.keys(samples)) if (!ids.includes(id)) problems.push(`${id}: samples for a rule ${file} does not have`);
    for (const id of ids) {
      const { tp = [], fp = [] } = samples[id] ?? {};
      if (tp.length < 2 || fp.length < 1) problems.push(`${id}: needs at least 2 true-positive and 1 false-positive samples (has ${tp.length} and ${fp.length})`);
      for (const s of tp) {
        const found = find(s).filter((f) => f.ruleId === id);
        if (found.length === 0) problems.push(`${id}: missed ${JSON.stringify(s.text)}`);
        else if (s.secret !== undefined && !found.some((f) => f.secret === s.secret)) problems.push(`${id}: found ${JSON.stringify(found.map((f) => f.secret))} in ${JSON.stringify(s.text)}, expected ${JSON.stringify(s.secret)}`);
      }
      for (const s of fp) {
        const found = find(s).filter((f) => f.ruleId === id);
        if (found.length > 0) problems.push(`${id}: false positive ${JSON.stringify(found[0]!.secret)} in ${JSON.stringify(s.text)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
