import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditPath } from '../../src/ci/auditor.ts';

const dir = mkdtempSync(join(tmpdir(), 'ci-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A repository whose workflows are `files`; returns the report. */
function audit(files: Record<string, string>) {
  const root = mkdtempSync(join(dir, 'r-'));
  mkdirSync(join(root, '.github', 'workflows'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, '.github', 'workflows', name), text);
  return auditPath(root);
}

const GOOD = 'on: push\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n';

describe('bad input', () => {
  it('reports unreadable files with their line and still audits the others', () => {
    const report = audit({
      'a-invalid.yml': 'on: push\njobs:\n  j: [\n',
      'b-dupes.yml': 'on: push\non: pull_request\njobs: {}\n',
      'c-list.yml': '- just\n- a list\n',
      'd-binary.yml': 'on: \0push',
      'good.yml': GOOD,
    });
    expect(report.issues.map((i) => `${i.path}:${i.line ?? ''}`)).toEqual([
      '.github/workflows/a-invalid.yml:4',
      '.github/workflows/b-dupes.yml:2',
      '.github/workflows/c-list.yml:1',
      '.github/workflows/d-binary.yml:',
    ]);
    expect(report.findings.some((f) => f.path === '.github/workflows/good.yml' && f.rule === 'unpinned-uses')).toBe(true);
  });

  it('survives recursive anchors, pathological nesting and huge files', () => {
    const recursive = 'on: push\njobs:\n  test: &job\n    runs-on: x\n    steps:\n      - &step\n        env: *step\n        run: *job\n';
    const nested = `on: push\njobs: ${'['.repeat(20000)}${']'.repeat(20000)}\n`;
    const huge = `on: push\n# ${'x'.repeat(5 * 1024 * 1024)}\njobs: {}\n`;
    const report = audit({ 'recursive.yml': recursive, 'nested.yml': nested, 'huge.yml': huge });
    expect(report.issues.map((i) => i.path).sort()).toEqual(['.github/workflows/huge.yml', '.github/workflows/nested.yml']);
    expect(report.issues.find((i) => i.path.endsWith('huge.yml'))!.message).toMatch(/larger than 4 MiB/);
    expect(report.files.map((f) => f.path)).toEqual(['.github/workflows/recursive.yml']);
  });

  it('warns about unknown keys, missing runs-on, unparsable expressions and empty files', () => {
    const report = audit({
      'typo.yml': 'on: push\njobs:\n  j:\n    run-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.issue.title == }}\n',
      'empty.yml': '# a disabled workflow\n',
    });
    expect(report.issues).toEqual([]);
    expect(report.warnings.map((w) => `${w.path.split('/').pop()}:${w.line}: ${w.message}`)).toEqual([
      'empty.yml:1: empty document: nothing to audit',
      "typo.yml:3: job 'j' has no runs-on:",
      "typo.yml:4: unknown job key 'run-on'",
      'typo.yml:6: expression does not parse: expression is empty or ends too early',
    ]);
  });
});
