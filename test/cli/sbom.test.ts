/** `palisade sbom` as a user runs it: a real process, real files, exit codes and streams. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.ts';
import { cycloneDxValidator, spdxValidator } from '../helpers/schemas.ts';

const dir = mkdtempSync(join(tmpdir(), 'palisade-sbom-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = join(repoRoot, 'examples/storefront');

function palisade(...args: string[]) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('palisade sbom', () => {
  it('prints the version and help for every command, exit 0', () => {
    expect(palisade('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    for (const cmd of [[], ['sbom'], ['scan'], ['db'], ['db', 'import']]) {
      const r = palisade(...cmd, '--help');
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: palisade/);
    }
    expect(palisade('--help').stdout).toMatch(/Exit codes:/);
  });

  it('writes schema-valid CycloneDX and SPDX of the sample, only the document on stdout', () => {
    const cdx = palisade('sbom', sample, '-f', 'cyclonedx-json');
    expect(cdx.code).toBe(0);
    expect(cycloneDxValidator()(JSON.parse(cdx.stdout))).toBe(true);
    expect(cdx.stderr).toMatch(/catalogued \d+ packages from 5 files/);
    const out = join(dir, 'bom.spdx.json');
    expect(palisade('sbom', sample, '-f', 'spdx-json', '-o', out, '-q').stdout).toBe('');
    expect(spdxValidator()(JSON.parse(readFileSync(out, 'utf8')))).toBe(true);
  });

  it('is deterministic apart from timestamps and serial numbers', () => {
    const strip = (s: string) => s.replace(/"(serialNumber|timestamp)": "[^"]*"/g, '');
    expect(strip(palisade('sbom', sample, '-f', 'cyclonedx-json').stdout)).toBe(strip(palisade('sbom', sample, '-f', 'cyclonedx-json').stdout));
  });

  it('warns about a broken lockfile, keeps the rest, and --strict turns it into exit 2', () => {
    const tree = join(dir, 'broken');
    mkdirSync(join(tree, 'ok'), { recursive: true });
    mkdirSync(join(tree, 'bad'), { recursive: true });
    writeFileSync(join(tree, 'ok/requirements.txt'), 'flask==2.0.1\n');
    writeFileSync(join(tree, 'bad/Cargo.lock'), 'version = 3\n[[package]\nname = "x"\n');
    const r = palisade('sbom', tree, '-f', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: bad\/Cargo\.lock:\d+: rust\/cargo-lock:/);
    const json = JSON.parse(r.stdout) as { complete: boolean; packages: { name: string }[] };
    expect(json.complete).toBe(false);
    expect(json.packages.map((p) => p.name)).toEqual(['flask']);
    const strict = palisade('sbom', tree, '--strict', '-q');
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/--strict/);
    expect(strict.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a missing target and an unknown file with exit 2 and no stack trace', () => {
    const missing = palisade('sbom', join(dir, 'nope'));
    expect(missing.code).toBe(2);
    writeFileSync(join(dir, 'notes.md'), '# hi');
    const unknown = palisade('sbom', join(dir, 'notes.md'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/not a lockfile or manifest/);
    expect(palisade('sbom', sample, '-f', 'xml').code).toBe(2);
  });
});
