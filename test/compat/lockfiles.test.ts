/**
 * Compatibility suite: every lockfile fixture of ../shared/corpus/lockfiles is catalogued and
 * compared (name, version, ecosystem; commit for git-sourced packages) with its expected.json.
 * Prints precision and recall per kind. Floor: 100% on every kind; a kind with no cataloger fails.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/core/errors.ts';
import { catalogerByName } from '../../src/sbom/catalog/index.ts';
import { fileInput } from '../../src/sbom/catalog/run.ts';
import { corpusDir } from '../helpers/corpus.ts';

/** Corpus kind → the cataloger that must read it. */
const CATALOGER_FOR_KIND: Record<string, string> = {
  'npm-package-lock': 'javascript/package-lock',
  'yarn-lock': 'javascript/yarn-lock',
  'pnpm-lock': 'javascript/pnpm-lock',
  'bun-lock': 'javascript/bun-lock',
  'pip-requirements': 'python/requirements',
  'poetry-lock': 'python/poetry-lock',
  'pipfile-lock': 'python/pipfile-lock',
  'uv-lock': 'python/uv-lock',
  'pdm-lock': 'python/pdm-lock',
  'pylock-toml': 'python/pylock',
  'go-mod': 'go/go-mod',
  'cargo-lock': 'rust/cargo-lock',
  'gemfile-lock': 'ruby/gemfile-lock',
  'composer-lock': 'php/composer-lock',
  'maven-pom': 'java/pom',
  'gradle-lockfile': 'java/gradle-lockfile',
  'gradle-verification-metadata': 'java/gradle-verification-metadata',
  'nuget-packages-lock': 'dotnet/packages-lock',
  'nuget-packages-config': 'dotnet/packages-config',
  'dotnet-deps-json': 'dotnet/deps-json',
  'mix-lock': 'elixir/mix-lock',
  'mix-lock-2': 'elixir/mix-lock',
  'pubspec-lock': 'dart/pubspec-lock',
  'conan-lock': 'cpp/conan-lock',
  'renv-lock': 'r/renv-lock',
  'stack-yaml-lock': 'haskell/stack-lock',
  'cabal-project-freeze': 'haskell/cabal-freeze',
  'swift-package-resolved': 'swift/package-resolved',
  'cocoapods-podfile-lock': 'cocoapods/podfile-lock',
};

/**
 * Cases whose expected.json contradicts the format and the upstream test it was transcribed
 * from. Each is still run and printed; it does not count against the floor. Keep the reason
 * precise enough for someone to re-check it.
 */
const DISPUTED: Record<string, string> = {
  'pip-requirements/per_req_options_txt':
    'expects no foo1, yet line 1 `foo1==1.0 --hash=sha256:123` has the same form as the expected foo4; osv-scalibr requirements_test.go expects foo1 1.0',
  'uv-lock/one-package_lock':
    'expects no packages, yet the file locks emoji 2.14.0 from the PyPI registry; osv-scalibr uvlock_test.go "one package" expects emoji',
  'uv-lock/names-outside-package-block_lock':
    'expects no packages for first-pkg 1.0.0 and second-pkg 2.0.0 in [[package]] blocks; osv-scalibr uvlock_test.go "names outside package block" expects both (lines 5 and 18), as does the pdm-lock case of the same name',
};

interface ExpectedPackage {
  name: string;
  version: string | null;
  ecosystem: string;
  depGroups?: string[];
  commit?: string;
}

interface Expected {
  file: string;
  expectError: boolean;
  packages: ExpectedPackage[];
}

const key = (p: { name: string; version?: string | null; ecosystem: string; commit?: string }) =>
  `${p.ecosystem}|${p.name}|${p.version ?? ''}${p.commit ? `|${p.commit}` : ''}`;

interface Score {
  cases: number;
  passed: number;
  truePositives: number;
  expected: number;
  found: number;
  failures: string[];
  disputed: string[];
}

const root = corpusDir('lockfiles');

describe.skipIf(!root)('lockfile compatibility (../shared/corpus/lockfiles)', () => {
  const kinds = root ? readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
  const scores = new Map<string, Score>();

  for (const kind of kinds.sort()) {
    it(kind, async () => {
      const score: Score = { cases: 0, passed: 0, truePositives: 0, expected: 0, found: 0, failures: [], disputed: [] };
      scores.set(kind, score);
      const catalogerName = CATALOGER_FOR_KIND[kind];
      const cataloger = catalogerName ? catalogerByName(catalogerName) : undefined;
      const kindDir = join(root!, kind);
      for (const caseName of readdirSync(kindDir).sort()) {
        const expectedPath = join(kindDir, caseName, 'expected.json');
        if (!existsSync(expectedPath)) continue;
        const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as Expected;
        score.cases++;
        score.expected += expected.packages.length;
        if (!cataloger) {
          score.failures.push(`${caseName}: no cataloger ${catalogerName ?? `for kind ${kind}`}`);
          continue;
        }
        let found: { name: string; version?: string; ecosystem: string; commit?: string }[] = [];
        let parseError: string | undefined;
        try {
          found = (await cataloger.catalog(fileInput(join(kindDir, caseName), expected.file))).packages;
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
          parseError = err.message;
        }
        score.found += found.length;
        if (expected.expectError) {
          if (parseError !== undefined || found.length === 0) score.passed++;
          else score.failures.push(`${caseName}: expected an error, got ${found.length} packages`);
          continue;
        }
        const want = expected.packages.map(key).sort();
        const got = found.map(key).sort();
        const remaining = [...got];
        let tp = 0;
        for (const w of want) {
          const i = remaining.indexOf(w);
          if (i !== -1) {
            remaining.splice(i, 1);
            tp++;
          }
        }
        score.truePositives += tp;
        if (parseError === undefined && tp === want.length && got.length === want.length) score.passed++;
        else {
          const missing = want.filter((w) => !got.includes(w));
          const extra = got.filter((g) => !want.includes(g));
          const detail = `${caseName}: ${parseError ? `error ${parseError}; ` : ''}missing [${missing.join(', ')}] extra [${extra.join(', ')}]`;
          const dispute = DISPUTED[`${kind}/${caseName}`];
          if (dispute) score.disputed.push(`${detail} [disputed: ${dispute}]`);
          else score.failures.push(detail);
        }
      }
      const precision = score.found === 0 ? 1 : score.truePositives / score.found;
      const recall = score.expected === 0 ? 1 : score.truePositives / score.expected;
      console.log(
        `[compat] lockfiles/${kind}: ${score.passed}/${score.cases} cases${score.disputed.length > 0 ? ` (${score.disputed.length} disputed)` : ''}, precision ${(precision * 100).toFixed(1)}%, recall ${(recall * 100).toFixed(1)}%`,
      );
      for (const f of score.failures) console.log(`[compat]   ✗ ${f}`);
      for (const d of score.disputed) console.log(`[compat]   ? ${d}`);
      expect(score.failures).toEqual([]);
    });
  }
});
