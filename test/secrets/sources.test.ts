import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isIgnored, parseIgnoreFile } from '../../src/secrets/sources/gitignore.ts';
import { FileReader, looksBinary, walkFiles } from '../../src/secrets/sources/files.ts';
import { PatchParser } from '../../src/secrets/sources/git.ts';
import type { Fragment } from '../../src/secrets/finding.ts';
import { scanSecrets } from '../../src/secrets/scan.ts';
import { prestartScanWorker, scanWorkerStopped, spawnScanWorkers } from '../../src/secrets/spawn.ts';
import { scanBatch, ScanPool } from '../../src/secrets/worker.ts';
import { Detector } from '../../src/secrets/detect.ts';
import { defaultConfig } from '../../src/secrets/config.ts';
import { toPortable } from '../../src/secrets/portable.ts';

describe('gitignore', () => {
  const rules = [parseIgnoreFile('*.log\n!keep.log\nbuild/\n/root-only\ndocs/**/draft*\n\\#hash\n', '')];
  it.each([
    ['a.log', false, true],
    ['dir/b.log', false, true],
    ['keep.log', false, false],
    ['build', true, true],
    ['build', false, undefined],
    ['root-only', false, true],
    ['sub/root-only', false, undefined],
    ['docs/a/b/draft1.md', false, true],
    ['#hash', false, true],
  ])('%s (dir %s) → %s', (path, isDir, verdict) => {
    expect(isIgnored(rules, path, isDir)).toBe(verdict);
  });

  it('applies a nested .gitignore below its directory only, and the walk honours both', () => {
    const root = mkdtempSync(join(tmpdir(), 'palisade-walk-'));
    mkdirSync(join(root, 'sub'));
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.gitignore'), 'secret.txt\n');
    writeFileSync(join(root, 'sub', '.gitignore'), '*.env\n');
    for (const f of ['secret.txt', 'a.env', 'sub/a.env', 'sub/ok.txt', '.git/config']) writeFileSync(join(root, f), 'x');
    expect(walkFiles(root).map((e) => e.path)).toEqual(['.gitignore', 'a.env', 'sub/.gitignore', 'sub/ok.txt']);
    expect(walkFiles(root, { noIgnore: true }).map((e) => e.path)).toContain('secret.txt');
  });
});

describe('reading files', () => {
  it('decodes invalid UTF-8 with replacement characters, and a secret after it is still found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-utf8-'));
    const bytes = Buffer.concat([Buffer.from('caf\xc3\xa9 ', 'latin1'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' key = "AKIALALEMEL33243OLIA"\n\xe2\x82\n', 'latin1')]);
    writeFileSync(join(dir, 'bad.txt'), bytes);
    const read = new FileReader().read({ path: 'bad.txt', absolute: join(dir, 'bad.txt'), size: bytes.length }, 0);
    expect(read.kind === 'text' && read.text.startsWith('café \ufffd\ufffd\ufffd key')).toBe(true);
    const result = await scanSecrets({ target: dir, mode: 'dir' });
    expect(result.findings.map((f) => [f.ruleId, f.startLine, f.secret])).toEqual([['aws-access-key-id', 1, 'AKIALALEMEL33243OLIA']]);
  });

  it('reuses its buffer: a file that grew since it was listed is read to its end, a smaller one after it alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-read-'));
    const big = 'x'.repeat(200_000) + 'END';
    writeFileSync(join(dir, 'big.txt'), big);
    writeFileSync(join(dir, 'small.txt'), 'small');
    const reader = new FileReader();
    const grown = reader.read({ path: 'big.txt', absolute: join(dir, 'big.txt'), size: 10 }, 0);
    expect(grown.kind === 'text' && grown.text).toBe(big);
    const small = reader.read({ path: 'small.txt', absolute: join(dir, 'small.txt'), size: 5 }, 0);
    expect(small.kind === 'text' && [small.text, small.bytes.length]).toEqual(['small', 5]);
    // Grown past the size limit, it is too large (it is not read on for as long as it grows).
    const over = reader.read({ path: 'big.txt', absolute: join(dir, 'big.txt'), size: 10 }, 100_000);
    expect(over.kind).toBe('too-large');
  });

  it('skips a file over the size limit without reading it, and scans a 20 MB single-line file when allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-big-'));
    const line = 'var a=config.token,b=cache.key;'.repeat(650_000) + 'k="AKIALALEMEL33243OLIA";';
    writeFileSync(join(dir, 'bundle.min.js'), line);
    const skipped = await scanSecrets({ target: dir, mode: 'dir', maxTargetBytes: 10_000_000 });
    expect([skipped.stats.skippedTooLarge, skipped.findings.length]).toEqual([1, 0]);
    const started = performance.now();
    const scanned = await scanSecrets({ target: dir, mode: 'dir', maxTargetBytes: 0 });
    expect(scanned.findings.map((f) => f.ruleId)).toEqual(['aws-access-key-id']);
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});

describe('files listed without their size', () => {
  it('the walk looks at sizes until they add up to sizesUntil, and leaves out the empty files it looked at', () => {
    const root = mkdtempSync(join(tmpdir(), 'palisade-sizes-'));
    writeFileSync(join(root, 'a.txt'), 'x'.repeat(600));
    writeFileSync(join(root, 'b.txt'), '');
    writeFileSync(join(root, 'c.txt'), 'x'.repeat(600));
    writeFileSync(join(root, 'd.txt'), '');
    writeFileSync(join(root, 'e.txt'), 'x'.repeat(10));
    expect(walkFiles(root, { sizesUntil: 1000 }).map((e) => [e.path, e.size])).toEqual([
      ['a.txt', 600],
      ['c.txt', 600],
      ['d.txt', undefined],
      ['e.txt', undefined],
    ]);
  });

  it('are read whole, or found empty, binary or too large once opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-unsized-'));
    const big = 'y'.repeat(300_000) + 'END';
    const files = { 'small.txt': 'small', 'empty.txt': '', 'big.txt': big, 'bin.dat': 'a\0b'.repeat(40_000) };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const reader = new FileReader();
    const read = (name: string, maxBytes = 0) => reader.read({ path: name, absolute: join(dir, name) }, maxBytes);
    const small = read('small.txt');
    expect(small.kind === 'text' && [small.text, small.bytes.length]).toEqual(['small', 5]);
    expect(read('empty.txt')).toEqual({ kind: 'empty' });
    const whole = read('big.txt');
    expect(whole.kind === 'text' && whole.text).toBe(big);
    expect(read('big.txt', 100_000)).toEqual({ kind: 'too-large', size: big.length });
    expect(read('bin.dat').kind).toBe('binary');
    // The buffer has grown to the big file: a small file after it is still read alone.
    const again = read('small.txt');
    expect(again.kind === 'text' && again.text).toBe('small');
  });
});

describe('a scan worker that fails as it starts', () => {
  /** A worker script that throws while it loads (a broken installation, say). */
  function brokenWorker(): URL {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-broken-worker-'));
    writeFileSync(join(dir, 'worker.mjs'), "throw new Error('broken install');\n");
    return pathToFileURL(join(dir, 'worker.mjs'));
  }

  it('is remembered as stopped, with its error', async () => {
    const [worker] = spawnScanWorkers(1, brokenWorker());
    await new Promise((resolve) => worker!.once('exit', resolve));
    expect(scanWorkerStopped(worker!)?.message).toContain('broken install');
  });

  it('fails the scan that takes it after it died, instead of leaving it waiting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-broken-scan-'));
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, `f${i}.txt`), 'token = x\n');
    const pool = new ScanPool(2, brokenWorker());
    // Long enough for the worker to have died before the scan is handed to it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const detector = new Detector(defaultConfig());
    const setup = { config: toPortable(defaultConfig()), detector: {}, automaton: detector.automaton, maxBytes: 0 };
    pool.start(setup);
    for (const entry of walkFiles(dir)) pool.add([entry]);
    await expect(pool.scan(detector, 0)).rejects.toThrow(/broken install/);
    pool.close();
  });
});

describe('worker threads', () => {
  it('find the same findings, in the same order, as a scan in this thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-threads-'));
    for (let i = 0; i < 700; i++) {
      mkdirSync(join(dir, `d${i % 7}`), { recursive: true });
      const secret = i % 50 === 0 ? `\nconst k = "AKIA${String(i).padStart(4, '0')}LALEMEL33243OL";\ntoken: ghp_${'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'}` : '';
      writeFileSync(join(dir, `d${i % 7}`, `f${i}.ts`), `export const value${i} = config.key;\n${secret}\n`);
    }
    const one = await scanSecrets({ target: dir, mode: 'dir', threads: 0 });
    const two = await scanSecrets({ target: dir, mode: 'dir', threads: 2 });
    expect(one.findings.length).toBeGreaterThan(10);
    expect(two.findings).toEqual(one.findings);
    expect(two.stats).toEqual({ ...one.stats, durationMs: two.stats.durationMs });
    // With a worker started ahead of time (as the CLI does), which the pool takes over.
    prestartScanWorker();
    const ahead = await scanSecrets({ target: dir, mode: 'dir', threads: 2 });
    expect(ahead.findings).toEqual(one.findings);
    // A scan that does not want it stops it.
    prestartScanWorker();
    expect((await scanSecrets({ target: dir, mode: 'dir', threads: 0 })).findings).toEqual(one.findings);
  });

  it('take batches while the walk goes on, and give back every result in batch order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-pool-'));
    for (let i = 0; i < 12; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}.env`), `TOKEN=ghp_${createHash('sha512').update(String(i)).digest('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 36)}\n`);
    const detector = new Detector(defaultConfig());
    const batches = walkFiles(dir).map((e) => [e]);
    const pool = new ScanPool(2);
    pool.start({ config: toPortable(defaultConfig()), detector: {}, automaton: detector.automaton, maxBytes: 0 });
    // Half listed before the worker could have loaded, half once the walk is over.
    for (const batch of batches.slice(0, 6)) pool.add(batch);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const batch of batches.slice(6)) pool.add(batch);
    const results = await pool.scan(detector, 0);
    pool.close();
    expect(results.map((r) => r.findings.flat().map((f) => f.file))).toEqual(batches.map((b) => [b[0]!.path]));
    expect(results).toEqual(batches.map((b) => scanBatch(detector, b, 0)));
  });
});

describe('binary files', () => {
  it('recognises NUL bytes and known signatures, not text', () => {
    expect(looksBinary(Buffer.from('plain text'))).toBe(false);
    expect(looksBinary(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2]))).toBe(true);
    expect(looksBinary(Buffer.from('a\0b'))).toBe(true);
    expect(looksBinary(Buffer.from('MZ is a fine start for text'))).toBe(false);
  });
});

describe('git patches', () => {
  it('turns each hunk into a fragment of added lines at the new line number, skipping deletions and binaries', () => {
    const log = [
      '\x1eabc123\x1fAda\x1fada@example.com\x1f2024-01-02T03:04:05+01:00\x1fsubject',
      '',
      'body\x1f',
      '',
      'diff --git a/app.env b/app.env',
      'index 1..2 100644',
      '--- a/app.env',
      '+++ b/app.env',
      '@@ -1 +1,2 @@',
      '-old',
      '+TOKEN=one',
      '+TOKEN=two',
      '@@ -9,0 +11 @@ tail',
      '+last',
      '\\ No newline at end of file',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      'diff --git a/img.png b/img.png',
      'Binary files a/img.png and b/img.png differ',
    ];
    const parser = new PatchParser(true);
    const out: Fragment[] = [];
    parser.feed(log.join('\n') + '\n', out);
    parser.finish(out);
    expect(out.map((f) => [f.filePath, f.startLine, f.raw])).toEqual([
      ['app.env', 1, 'TOKEN=one\nTOKEN=two\n'],
      ['app.env', 11, 'last'],
    ]);
    expect(out[0]!.commit).toEqual({ sha: 'abc123', author: 'Ada', email: 'ada@example.com', date: '2024-01-02T02:04:05Z', message: 'subject\n\nbody' });

    // Fed in chunks cut anywhere (as git's output arrives), the parser yields the same fragments.
    const text = log.join('\n') + '\n';
    for (const size of [1, 7, 64, text.length]) {
      const chunked = new PatchParser(true);
      const got: Fragment[] = [];
      let pending = '';
      for (let i = 0; i < text.length; i += size) pending = chunked.feed(pending + text.slice(i, i + size), got);
      chunked.finish(got);
      expect(got).toEqual(out);
    }
  });

  it('scans history, staged changes and an empty repository', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'palisade-git-'));
    const git = (...args: string[]) => spawnSync('git', ['-C', repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
    git('init', '-q');
    const empty = await scanSecrets({ target: repo, mode: 'git', onWarning: () => undefined });
    expect(empty.findings).toEqual([]);
    writeFileSync(join(repo, 'a.go'), 'package a\n\nconst k = "AKIALALEMEL33243OLIA"\n');
    git('add', '.');
    const staged = await scanSecrets({ target: repo, mode: 'staged' });
    expect(staged.findings.map((f) => [f.file, f.startLine, f.commit])).toEqual([['a.go', 3, '']]);
    git('commit', '-q', '-m', 'add a');
    writeFileSync(join(repo, 'a.go'), 'package a\n');
    git('commit', '-q', '-am', 'remove it');
    const history = await scanSecrets({ target: repo, mode: 'git' });
    expect(history.findings.map((f) => [f.file, f.startLine, f.author, f.message])).toEqual([['a.go', 3, 'T', 'add a']]);
    expect(history.stats.commits).toBe(2);
  });

  it('scans a shallow clone with a warning that older commits are missing', async () => {
    const origin = mkdtempSync(join(tmpdir(), 'palisade-git-origin-'));
    const git = (cwd: string, ...args: string[]) => spawnSync('git', ['-C', cwd, '-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
    git(origin, 'init', '-q');
    for (const [i, key] of ['AKIALALEMEL33243OLIA', 'AKIALALEMEL33243OLIB'].entries()) {
      writeFileSync(join(origin, `f${i}.go`), `const k = "${key}"\n`);
      git(origin, 'add', '.');
      git(origin, 'commit', '-q', '-m', `c${i}`);
    }
    const clone = join(mkdtempSync(join(tmpdir(), 'palisade-git-shallow-')), 'clone');
    expect(spawnSync('git', ['clone', '-q', '--depth', '1', `file://${origin}`, clone]).status).toBe(0);
    const warnings: string[] = [];
    const result = await scanSecrets({ target: clone, mode: 'git', onWarning: (w) => warnings.push(w) });
    // The one commit present shows the whole tree as added.
    expect(result.findings.map((f) => f.file).sort()).toEqual(['f0.go', 'f1.go']);
    expect(warnings.some((w) => w.startsWith('shallow clone'))).toBe(true);
  });

  it('reads a commit that adds files of one huge line in linear time: over the limit skipped, under it scanned', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'palisade-git-big-'));
    const git = (...args: string[]) => spawnSync('git', ['-C', repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
    git('init', '-q');
    const chunk = 'var a=config.token,b=cache.key;';
    writeFileSync(join(repo, 'huge.min.js'), chunk.repeat(400_000) + 'k="AKIALALEMEL33243OLIA";');
    writeFileSync(join(repo, 'small.min.js'), chunk.repeat(60_000) + 'k="AKIALALEMEL33243OLIB";');
    git('add', '.');
    git('commit', '-q', '-m', 'bundles');
    const started = performance.now();
    const result = await scanSecrets({ target: repo, mode: 'git', maxTargetBytes: 10_000_000 });
    expect(result.findings.map((f) => [f.file, f.secret])).toEqual([['small.min.js', 'AKIALALEMEL33243OLIB']]);
    expect([result.stats.skippedTooLarge, result.issues.length]).toEqual([1, 1]);
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
