import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..');

describe('entry points', () => {
  it('runs the command line when main is imported by another module, as bin/palisade.js imports it', () => {
    // import.meta.main is false there: the bin script must call runCli itself.
    const script = join(mkdtempSync(join(tmpdir(), 'palisade-entry-')), 'entry.mjs');
    writeFileSync(script, `const { runCli } = await import(${JSON.stringify(join(repoRoot, 'src/cli/main.ts'))});\nawait runCli();\n`);
    const r = spawnSync(process.execPath, [script, '--version'], { encoding: 'utf8' });
    expect([r.status, r.stdout.trim()]).toEqual([0, JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version]);
    expect(readFileSync(join(repoRoot, 'bin/palisade.js'), 'utf8')).toMatch(/const \{ runCli \} = await import\('\.\.\/dist\/cli\/main\.js'\);\s*await runCli\(\);/);
  });
});
