import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPins, fileResolver, githubResolver, pinTargets, planPins } from '../../src/ci/pin.ts';
import { loadYaml } from '../../src/ci/yaml.ts';

const SHA = 'a'.repeat(40);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const WORKFLOW = [
  'on: push',
  'jobs:',
  '  call:',
  '    uses: octo/repo/.github/workflows/ci.yml@main',
  '  j:',
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - uses: actions/checkout@v4',
  '      - uses: "actions/setup-node@v4" # keep this comment',
  `      - uses: actions/cache@${SHA} # v4.0.0`,
  '      - uses: ./local',
  '      - uses: docker://alpine:3',
  '',
].join('\n');

describe('ci pin', () => {
  it('finds unpinned repository references only', () => {
    const targets = pinTargets(loadYaml('ci.yml', WORKFLOW), 'workflow');
    expect(targets.map((t) => `${t.line}:${t.column} ${t.target}@${t.ref}${t.hasComment ? ' (commented)' : ''}`)).toEqual([
      '4:11 octo/repo/.github/workflows/ci.yml@main',
      '8:15 actions/checkout@v4',
      '9:16 actions/setup-node@v4 (commented)',
    ]);
  });

  it('rewrites only the reference, keeping quotes and existing comments, adding the tag as a comment', () => {
    const targets = pinTargets(loadYaml('ci.yml', WORKFLOW), 'workflow');
    const out = applyPins(WORKFLOW, targets.map((target) => ({ target, sha: SHA })));
    expect(out.split('\n')[3]).toBe(`    uses: octo/repo/.github/workflows/ci.yml@${SHA} # main`);
    expect(out.split('\n')[7]).toBe(`      - uses: actions/checkout@${SHA} # v4`);
    expect(out.split('\n')[8]).toBe(`      - uses: "actions/setup-node@${SHA}" # keep this comment`);
    expect(out.split('\n').slice(9).join('\n')).toBe(WORKFLOW.split('\n').slice(9).join('\n'));
    expect(pinTargets(loadYaml('ci.yml', out), 'workflow')).toEqual([]);
  });

  it('keeps CRLF line endings', () => {
    const text = 'on: push\r\njobs:\r\n  j:\r\n    runs-on: x\r\n    steps:\r\n      - uses: actions/checkout@v4\r\n';
    const [target] = pinTargets(loadYaml('ci.yml', text), 'workflow');
    expect(applyPins(text, [{ target: target!, sha: SHA }])).toBe(text.replace('actions/checkout@v4\r', `actions/checkout@${SHA} # v4\r`));
  });

  it('resolves from a file, case-insensitively for owner and repo, and validates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pin-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'pins.yml'), `Actions/Checkout@v4: ${SHA}\n`);
    expect(await fileResolver(join(dir, 'pins.yml')).resolve('actions', 'checkout', 'v4')).toBe(SHA);
    expect(await fileResolver(join(dir, 'pins.yml')).resolve('actions', 'checkout', 'v3')).toBeUndefined();
    writeFileSync(join(dir, 'bad.json'), '{"actions/checkout@v4": "v4"}');
    expect(() => fileResolver(join(dir, 'bad.json'))).toThrow(/40-character/);
  });

  it('asks the GitHub API once per ref, with the token, and treats 404 as unknown', async () => {
    const calls: { url: string; auth?: string }[] = [];
    const fetchImpl = (async (url: string, init?: RequestInit) => {
      calls.push({ url, auth: (init?.headers as Record<string, string>).authorization });
      if (url.endsWith('/v9')) return new Response('not found', { status: 404 });
      return new Response(SHA, { status: 200 });
    }) as typeof fetch;
    const r = githubResolver({ token: 't0k', fetchImpl, apiUrl: 'https://ghe.example.com/api/v3/' });
    expect(await r.resolve('actions', 'checkout', 'v4')).toBe(SHA);
    expect(await r.resolve('Actions', 'Checkout', 'v4')).toBe(SHA);
    expect(await r.resolve('actions', 'checkout', 'v9')).toBeUndefined();
    expect(calls).toEqual([
      { url: 'https://ghe.example.com/api/v3/repos/actions/checkout/commits/v4', auth: 'Bearer t0k' },
      { url: 'https://ghe.example.com/api/v3/repos/actions/checkout/commits/v9', auth: 'Bearer t0k' },
    ]);
  });

  it('plans pins across files and reports refs it cannot resolve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pin-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'ci.yml'), WORKFLOW);
    writeFileSync(join(dir, 'pins.json'), JSON.stringify({ 'actions/checkout@v4': SHA }));
    const plan = await planPins([{ abs: join(dir, 'ci.yml'), path: 'ci.yml', kind: 'workflow' }], fileResolver(join(dir, 'pins.json')));
    expect(plan.files[0]!.pinned.map((p) => p.target.ref)).toEqual(['v4']);
    expect(plan.unresolved.map((u) => `${u.owner}/${u.repo}@${u.ref}`)).toEqual(['octo/repo@main', 'actions/setup-node@v4']);
  });
});
