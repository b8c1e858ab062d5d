/**
 * Compatibility suite against gitleaks' own test data (../shared/corpus/secrets/gitleaks, MIT):
 *
 * - configuration fixtures: every `testdata/config/valid` file loads (base files at the extend
 *   depth gitleaks' tests load them at) with the rules gitleaks' config_test.go expects, every
 *   `invalid` file is rejected with gitleaks' message, which names the rule;
 * - the default configuration loads, every rule compiled (the engine each rule got is printed);
 * - `testdata/repos/small` (its git directory is stored as `dotGit/`, so the suite copies it and
 *   renames it): the added lines of `git log -p` equal `expected/git/*.txt`, and the findings of
 *   the history, the `--all foo...` range and the work tree are those gitleaks reports (the git
 *   expectations are gitleaks' detect_test.go `TestFromGit`; the directory ones follow from the
 *   same rules and the repository's .gitleaksignore). Recall and precision are printed; floor 95%.
 * - report renderers: `expected/report/*` byte for byte; the baseline and .gitleaksignore fixtures.
 * - decoding: `testdata/config/encoded.toml` over the text of detect_test.go's "detect encoded"
 *   case (test/fixtures/secrets/decoding/gitleaks-encoded), with the findings that case expects.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitleaksDefaultConfig, loadConfigFile } from '../../src/secrets/config.ts';
import { toPortable } from '../../src/secrets/portable.ts';
import type { SecretFinding } from '../../src/secrets/finding.ts';
import { inBaseline, loadBaseline, parseGitleaksIgnore } from '../../src/secrets/ignore.ts';
import { Detector } from '../../src/secrets/detect.ts';
import { renderGitleaksReport, type GitleaksFormat } from '../../src/secrets/report.ts';
import { scanSecrets } from '../../src/secrets/scan.ts';
import { gitLogFragments } from '../../src/secrets/sources/git.ts';
import { corpusDir } from '../helpers/corpus.ts';

const corpus = corpusDir('secrets', 'gitleaks');
const configDir = corpus && join(corpus, 'testdata', 'config');
/** gitleaks resolves `[extend] path = "../testdata/config/…"` from its package directory. */
const cwd = corpus && join(corpus, 'config');

/** Base files are loaded by gitleaks' tests as extended configurations, not on their own. */
const EXTEND_DEPTH: Record<string, number> = { 'extend_base_2.toml': 2 };
const depthOf = (name: string) => EXTEND_DEPTH[name] ?? (name.includes('_base') ? 1 : 0);

/** config_test.go `TestTranslate*`: the error each invalid fixture must produce. */
const INVALID: Record<string, string> = {
  'allowlist_global_empty.toml': '[[allowlists]] must contain at least one check for: commits, paths, regexes, or stopwords',
  'allowlist_global_target_rule_id.toml': "[[allowlists]] target rule ID 'github-pat' does not exist",
  'allowlist_rule_empty.toml': 'example: [[rules.allowlists]] must contain at least one check for: commits, paths, regexes, or stopwords',
  'allowlist_rule_regextarget.toml': "example: [[rules.allowlists]] unknown allowlist |regexTarget| 'mtach' (expected 'match', 'line')",
  'extend_invalid_base.toml': 'failed to load extended config',
  'extend_invalid_ruleid.toml': 'rule |id| is missing or empty',
  'rule_bad_entropy_group.toml': 'discord-api-key: invalid regex secret group 5, max regex secret group 3',
  'rule_missing_id.toml': 'rule |id| is missing or empty, regex: (?i)(discord',
  'rule_no_regex_or_path.toml': 'discord-api-key: both |regex| and |path| are empty, this rule will have no effect',
};

describe.skipIf(!corpus)('gitleaks configuration fixtures', () => {
  const valid = configDir ? readdirSync(join(configDir, 'valid')).filter((f) => f.endsWith('.toml')) : [];
  const top = configDir ? readdirSync(configDir).filter((f) => f.endsWith('.toml')) : [];

  it.each([...valid.map((f) => `valid/${f}`), ...top])('%s loads', (name) => {
    const file = name.split('/').pop()!;
    const config = loadConfigFile(join(configDir!, name), { cwd: cwd!, extendDepth: depthOf(file) });
    expect(config.rules.size).toBeGreaterThan(0);
  });

  it.each(Object.entries(INVALID))('invalid/%s is rejected: %s', (file, message) => {
    expect(() => loadConfigFile(join(configDir!, 'invalid', file), { cwd: cwd! })).toThrow(message);
  });

  it('every invalid fixture has an expected error', () => {
    const files = readdirSync(join(configDir!, 'invalid')).filter((f) => f.endsWith('.toml'));
    expect(files.sort()).toEqual(Object.keys(INVALID).sort());
  });

  it('translates rules as config_test.go expects', () => {
    const load = (name: string) => loadConfigFile(join(configDir!, name), { cwd: cwd! });
    const entropyGroup = load('valid/rule_entropy_group.toml').rules.get('discord-api-key')!;
    expect([entropyGroup.secretGroup, entropyGroup.entropy, entropyGroup.regex?.numGroups]).toEqual([3, 3.5, 3]);

    const disabled = load('valid/extend_disabled.toml');
    expect([...disabled.rules.keys()].sort()).toEqual(['aws-secret-key', 'pypi-upload-token']);

    const and = load('valid/extend_rule_allowlist_and.toml').rules.get('aws-secret-key-again-again')!;
    expect(and.allowlists.map((a) => [a.condition, a.regexTarget, a.stopwords, a.commits])).toEqual([
      ['OR', 'secret', ['fake'], []],
      ['AND', 'line', ['example'], ['abcdefg1']],
    ]);
    const override = (name: string) => load(`valid/extend_rule_override_${name}.toml`).rules.get('aws-access-key')!;
    expect(override('description').description).toBe('Puppy Doggy');
    expect(override('entropy').entropy).toBe(999);
    expect(override('keywords').keywords).toEqual(['puppy']);
    expect(override('tags').tags).toEqual(['key', 'AWS', 'puppy']);
    expect([override('secret_group').secretGroup, override('secret_group').regex?.source]).toEqual([2, '(a)(a)']);

    const noRegexPath = load('valid/extend_rule_no_regexpath.toml').rules.get('aws-secret-key-again-again')!;
    expect(noRegexPath.regex?.source).toBe("(?i)aws_(.{0,20})?=?.[\\'\\\"0-9a-zA-Z\\/+]{40}");
    expect(noRegexPath.allowlists[0]?.paths.map((p) => p.source)).toEqual(['something.py']);

    const extendDefault = load('valid/allowlist_rule_extend_default.toml').rules.get('generic-api-key')!;
    expect(extendDefault.allowlists.length).toBe(gitleaksDefaultConfig().rules.get('generic-api-key')!.allowlists.length + 1);
    expect(load('valid/extend_rule_new.toml').rules.get('aws-rule-that-is-not-in-base')?.keywords).toEqual(['cms']);

    const legacy = load('valid/allowlist_rule_old_compat.toml').rules.get('example')!;
    expect(legacy.allowlists[0]?.regexes.map((r) => r.source)).toEqual(['123']);
  });
});

describe.skipIf(!corpus)('gitleaks default configuration', () => {
  it('loads with every rule compiled', () => {
    const config = loadConfigFile(join(corpus!, 'config', 'gitleaks.toml'));
    const rules = [...config.rules.values()];
    const re2js = rules.filter((r) => r.regex?.engine === 're2js').map((r) => r.id);
    const anchored = rules.filter((r) => r.regex?.plan).length;
    console.log(`[compat] gitleaks default config: ${rules.length} rules, ${re2js.length} on re2js${re2js.length ? ` (${re2js.join(', ')})` : ''}, ${anchored} with a literal anchor plan`);
    expect(rules.length).toBe(222);
    expect(rules.every((r) => r.regex || r.path)).toBe(true);
    // What --config builtin:gitleaks and [extend] useDefault give is this configuration, unchanged
    // (the built-in one also brings the gates of its anchor plans, built ahead of time).
    const withoutGates = (rules: ReturnType<typeof toPortable>['rules']) => new Map([...rules].map(([id, r]) => [id, r.regex ? { ...r, regex: { ...r.regex, gate: undefined } } : r]));
    expect(withoutGates(toPortable(gitleaksDefaultConfig()).rules)).toEqual(withoutGates(toPortable({ ...config, path: undefined }).rules));
  });
});

/* ── repos/small ── */

type Key = string;
const keyOf = (f: Pick<SecretFinding, 'ruleId' | 'file' | 'startLine' | 'secret' | 'commit'>): Key => `${f.commit}:${f.file}:${f.ruleId}:${f.startLine}:${f.secret}`;

/** gitleaks' detect_test.go TestFromGit (config simple.toml, the repository's .gitleaksignore). */
const GIT_EXPECTED: Partial<SecretFinding>[] = [
  {
    ruleId: 'aws-access-key',
    startLine: 20,
    endLine: 20,
    startColumn: 19,
    endColumn: 38,
    secret: 'AKIALALEMEL33243OLIA',
    match: 'AKIALALEMEL33243OLIA',
    line: '\n    awsToken := "AKIALALEMEL33243OLIA"',
    entropy: Math.fround(3.0841837),
    file: 'main.go',
    date: '2021-11-02T23:37:53Z',
    commit: '1b6da43b82b22e4eaa10bcf8ee591e91abbfc587',
    author: 'Zachary Rice',
    email: 'zricer@protonmail.com',
    message: 'Accidentally add a secret',
    tags: ['key', 'AWS'],
    fingerprint: '1b6da43b82b22e4eaa10bcf8ee591e91abbfc587:main.go:aws-access-key:20',
  },
  {
    ruleId: 'aws-access-key',
    startLine: 9,
    endLine: 9,
    startColumn: 17,
    endColumn: 36,
    secret: 'AKIALALEMEL33243OLIA',
    match: 'AKIALALEMEL33243OLIA',
    line: '\n\taws_token := "AKIALALEMEL33243OLIA"',
    entropy: Math.fround(3.0841837),
    file: 'foo/foo.go',
    date: '2021-11-02T23:48:06Z',
    commit: '491504d5a31946ce75e22554cc34203d8e5ff3ca',
    author: 'Zach Rice',
    email: 'zricer@protonmail.com',
    message: 'adding foo package with secret',
    tags: ['key', 'AWS'],
    fingerprint: '491504d5a31946ce75e22554cc34203d8e5ff3ca:foo/foo.go:aws-access-key:9',
  },
];

/**
 * Directory mode over the work tree: the secret at api/ignoreCommit.go:20 is only ignored by a
 * commit fingerprint, which does not apply outside git mode; api/ignoreGlobal.go:20 is ignored by
 * its global fingerprint; main.go no longer holds its secret.
 */
const DIR_EXPECTED: Partial<SecretFinding>[] = [
  { ruleId: 'aws-access-key', file: 'api/ignoreCommit.go', startLine: 20, startColumn: 16, endColumn: 35, secret: 'AKIALALEMEL33243OLIA', commit: '', fingerprint: 'api/ignoreCommit.go:aws-access-key:20' },
];

const scores: { suite: string; tp: number; expected: number; reported: number; misses: string[] }[] = [];

function score(suite: string, expected: Partial<SecretFinding>[], actual: SecretFinding[]): { recall: number; precision: number } {
  const want = new Set(expected.map((f) => keyOf(f as SecretFinding)));
  const got = new Set(actual.map(keyOf));
  const tp = [...want].filter((k) => got.has(k)).length;
  scores.push({ suite, tp, expected: want.size, reported: got.size, misses: [...want].filter((k) => !got.has(k)) });
  return { recall: want.size ? tp / want.size : 1, precision: got.size ? tp / got.size : 1 };
}

describe.skipIf(!corpus)('gitleaks testdata/repos/small', () => {
  let repo = '';
  const simple = () => join(configDir!, 'simple.toml');

  beforeAll(() => {
    repo = join(mkdtempSync(join(tmpdir(), 'palisade-gitleaks-')), 'small');
    cpSync(join(corpus!, 'testdata', 'repos', 'small'), repo, { recursive: true });
    renameSync(join(repo, 'dotGit'), join(repo, '.git'));
  });
  afterAll(() => {
    if (repo) rmSync(join(repo, '..'), { recursive: true, force: true });
    for (const s of scores) {
      console.log(`[compat] gitleaks ${s.suite}: recall ${s.tp}/${s.expected}, precision ${s.tp}/${s.reported}${s.misses.length ? `; missed: ${s.misses.join(', ')}` : ''}`);
    }
  });

  /** Added lines of every hunk, as gitleaks' (disabled) TestGitLog concatenated them. */
  async function addedText(logOpts?: string, skipCommits: string[] = []): Promise<string> {
    let text = '';
    for await (const f of gitLogFragments(repo, logOpts ? { logOpts } : {})) if (!skipCommits.includes(f.commit?.sha ?? '')) text += f.raw;
    return text;
  }

  it('git log -p added lines equal expected/git/small.txt', async () => {
    // The fixture predates the commit that added api/ignore*.go (53cd7a3), which it does not show.
    const text = await addedText(undefined, ['53cd7a3c6eb4937f413e3c25e4a9f39289afa69e']);
    expect(text).toBe(readFileSync(join(corpus!, 'testdata', 'expected', 'git', 'small.txt'), 'utf8'));
  });

  it('git log -p --all foo... added lines equal expected/git/small-branch-foo.txt', async () => {
    const text = await addedText('--all foo...', ['53cd7a3c6eb4937f413e3c25e4a9f39289afa69e']);
    expect(text).toBe(readFileSync(join(corpus!, 'testdata', 'expected', 'git', 'small-branch-foo.txt'), 'utf8'));
  });

  it('git history: the findings of TestFromGit', async () => {
    const result = await scanSecrets({ target: repo, mode: 'git', configPath: simple() });
    const { recall, precision } = score('git history (simple.toml)', GIT_EXPECTED, result.findings);
    for (const want of GIT_EXPECTED) expect(result.findings).toContainEqual(expect.objectContaining(want));
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBe(1);
    expect(result.stats.ignored).toBe(2); // api/ignoreCommit.go by commit, api/ignoreGlobal.go globally
  });

  it('git history, --log-opts "--all foo...": the foo branch finding only', async () => {
    const result = await scanSecrets({ target: repo, mode: 'git', configPath: simple(), logOpts: '--all foo...' });
    const { recall, precision } = score('git --all foo... (simple.toml)', [GIT_EXPECTED[1]!], result.findings);
    expect(result.findings).toEqual([expect.objectContaining(GIT_EXPECTED[1]!)]);
    expect([recall, precision]).toEqual([1, 1]);
  });

  it('directory mode: the work tree, with the global ignore only', async () => {
    const result = await scanSecrets({ target: repo, mode: 'dir', configPath: simple() });
    const { recall, precision } = score('directory (simple.toml)', DIR_EXPECTED, result.findings);
    expect(result.findings).toEqual([expect.objectContaining(DIR_EXPECTED[0]!)]);
    expect([recall, precision]).toEqual([1, 1]);
  });

  it("Palisade's default rules find the same secrets (aws-access-key-id is Palisade's own rule's id)", async () => {
    const git = await scanSecrets({ target: repo, mode: 'git' });
    const dir = await scanSecrets({ target: repo, mode: 'dir' });
    const rename = (f: Partial<SecretFinding>) => ({ ...f, ruleId: 'aws-access-key-id' });
    // The repository's .gitleaksignore names aws-access-key, so with the default rules nothing is ignored.
    const gitExpected = [...GIT_EXPECTED.map(rename), { ruleId: 'aws-access-key-id', file: 'api/ignoreCommit.go', startLine: 20, secret: 'AKIALALEMEL33243OLIA', commit: '53cd7a3c6eb4937f413e3c25e4a9f39289afa69e' }, { ruleId: 'aws-access-key-id', file: 'api/ignoreGlobal.go', startLine: 20, secret: 'AKIALALEMEL33243OLIA', commit: '53cd7a3c6eb4937f413e3c25e4a9f39289afa69e' }];
    const dirExpected = ['api/ignoreCommit.go', 'api/ignoreGlobal.go'].map((file) => ({ ruleId: 'aws-access-key-id', file, startLine: 20, secret: 'AKIALALEMEL33243OLIA', commit: '' }));
    const g = score('git history (default rules)', gitExpected, git.findings);
    const d = score('directory (default rules)', dirExpected, dir.findings);
    expect([g.recall, g.precision, d.recall, d.precision]).toEqual([1, 1, 1, 1]);
  });
});

/* ── reports, baseline, .gitleaksignore ── */

function finding(overrides: Partial<SecretFinding>): SecretFinding {
  return {
    ruleId: 'test-rule',
    description: '',
    startLine: 1,
    endLine: 2,
    startColumn: 1,
    endColumn: 2,
    line: 'whole line containing secret',
    match: 'line containing secret',
    secret: 'a secret',
    file: 'auth.py',
    symlinkFile: '',
    commit: '0000000000000000',
    entropy: 0,
    author: 'John Doe',
    email: 'johndoe@gmail.com',
    date: '10-19-2003',
    message: 'opps',
    tags: [],
    fingerprint: '',
    ...overrides,
  };
}

describe.skipIf(!corpus)('gitleaks expected reports', () => {
  const expected = (name: string) => readFileSync(join(corpus!, 'testdata', 'expected', 'report', name), 'utf8');
  const gitleaks = { name: 'gitleaks', version: 'v8.0.0', informationUri: 'https://github.com/gitleaks/gitleaks' };
  const render = (format: GitleaksFormat, findings: SecretFinding[], rules: { id: string; description: string }[] = []) => renderGitleaksReport(format, findings, rules, gitleaks);

  it('json_simple.json and empty.json', () => {
    expect(render('json', [finding({})])).toBe(expected('json_simple.json'));
    expect(render('json', [])).toBe(expected('empty.json'));
  });

  it('csv_simple.csv', () => {
    expect(render('csv', [finding({ tags: ['tag1', 'tag2', 'tag3'], fingerprint: 'fingerprint' })])).toBe(expected('csv_simple.csv'));
  });

  it('sarif_simple.sarif', () => {
    const rules = [
      { id: 'aws-access-key', description: 'AWS Access Key' },
      { id: 'pypi', description: 'PyPI upload token' },
    ];
    expect(render('sarif', [finding({ tags: ['tag1', 'tag2', 'tag3'] })], rules)).toBe(expected('sarif_simple.sarif'));
  });

  it('junit_simple.xml and junit_empty.xml', () => {
    const second = finding({ description: 'Test Rule', startLine: 2, endLine: 3, commit: '', author: '', email: '', date: '', message: '' });
    expect(render('junit', [finding({ description: 'Test Rule' }), second])).toBe(expected('junit_simple.xml'));
    expect(render('junit', [])).toBe(expected('junit_empty.xml'));
  });

  it('baseline.json: a finding it holds is not new (with redaction, match and secret are not compared)', () => {
    const baseline = loadBaseline(join(corpus!, 'testdata', 'baseline', 'baseline.json'));
    const b = baseline[0]!;
    const f = finding({
      ruleId: b.RuleID,
      description: b.Description,
      startLine: b.StartLine,
      endLine: b.EndLine,
      startColumn: b.StartColumn,
      endColumn: b.EndColumn,
      file: b.File,
      commit: b.Commit,
      entropy: Math.fround(1.9606875),
      author: b.Author,
      email: b.Email,
      date: b.Date,
      message: b.Message,
      match: 'pypi-AgEIcHlwaS5vcmc…',
      secret: 'pypi-AgEIcHlwaS5vcmc…',
    });
    expect(baseline).toHaveLength(2);
    expect(inBaseline(f, baseline, 100)).toBe(true);
    expect(inBaseline(f, baseline, 0)).toBe(false);
    expect(inBaseline({ ...f, startLine: 34, endLine: 34 }, baseline, 100)).toBe(false);
  });

  it('gitleaksignore/.windowspaths: paths normalised to forward slashes', () => {
    const list = parseGitleaksIgnore(readFileSync(join(corpus!, 'testdata', 'gitleaksignore', '.windowspaths'), 'utf8'));
    expect([...list.entries].sort()).toEqual(
      [
        'foo/bar/gitleaks-false-positive.yaml:aws-access-token:4',
        'foo/bar/gitleaks-false-positive.yaml:aws-access-token:5',
        'b55d88dc151f7022901cda41a03d43e0e508f2b7:test_data/test_local_repo_three_leaks.json:aws-access-token:73',
      ].sort(),
    );
  });
});

describe.skipIf(!corpus)('gitleaks decoding (detect_test.go "detect encoded")', () => {
  it('finds what encoded.toml finds in encoded, nested and partly encoded text, where gitleaks does', () => {
    const fixture = join(import.meta.dirname, '..', 'fixtures', 'secrets', 'decoding', 'gitleaks-encoded');
    const expected = (JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as { findings: Record<string, unknown>[] }).findings;
    const config = loadConfigFile(join(configDir!, 'encoded.toml'));
    const raw = readFileSync(join(fixture, 'input.txt'), 'utf8');
    const found = new Detector(config, { maxDecodeDepth: 8 }).detect({ raw, filePath: 'tmp.go', startLine: 0 });
    const shape = (f: SecretFinding) => ({ ruleId: f.ruleId, startLine: f.startLine, endLine: f.endLine, startColumn: f.startColumn, endColumn: f.endColumn, match: f.match, secret: f.secret, line: f.line, tags: f.tags, entropy: Number(f.entropy.toPrecision(7)) });
    const order = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    const got = found.map(shape).sort(order);
    const want = [...expected].sort(order);
    const recall = want.filter((w) => got.some((g) => JSON.stringify(g) === JSON.stringify(w))).length;
    console.log(`[compat] gitleaks decoding (encoded.toml): recall ${recall}/${want.length}, precision ${recall}/${got.length}`);
    expect(got).toEqual(want);
  });
});
