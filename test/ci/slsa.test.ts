import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../src/ci/model.ts';
import { assessWorkflow } from '../../src/ci/slsa.ts';
import { loadYaml } from '../../src/ci/yaml.ts';
import { yaml } from './helpers.ts';

const HASH = '11bd71901bbe5b1630ceea73d27597364c9af683';
const assess = (text: string) => assessWorkflow(parseWorkflow(loadYaml('release.yml', yaml(text))));

describe('SLSA build track', () => {
  it('rates a release without provenance L0 and says what is missing', () => {
    const a = assess(`
      on:
        release:
          types: [published]
      jobs:
        publish:
          runs-on: ubuntu-latest
          steps:
            - run: npm publish
      `);
    expect(a.release).toBe(true);
    expect(a.level).toBe(0);
    expect(a.checks.find((c) => c.level === 1)!.text).toMatch(/no provenance/);
  });

  it('rates unsigned provenance L1 and Sigstore-signed provenance on hosted runners L2', () => {
    const unsigned = assess(`
      on: { push: { tags: ['v*'] } }
      jobs:
        image:
          runs-on: ubuntu-latest
          steps:
            - uses: docker/build-push-action@${HASH}
              with:
                push: true
                provenance: mode=max
      `);
    expect(unsigned.level).toBe(1);
    const signed = assess(`
      on: { push: { tags: ['v*'] } }
      permissions: {}
      jobs:
        build:
          runs-on: ubuntu-latest
          permissions:
            id-token: write
            attestations: write
          steps:
            - run: make dist
            - uses: actions/attest-build-provenance@${HASH}
              with:
                subject-path: dist/*
      `);
    expect(signed.level).toBe(2);
    expect(signed.checks.filter((c) => !c.met).map((c) => c.text)).toEqual([
      'provenance is produced by a step of the build job itself (forgeable by that job)',
    ]);
  });

  it('rates the isolated slsa-github-generator L3, and drops it for self-hosted runners or caches', () => {
    const text = (runner: string, cache = '') => `
      on: { push: { tags: ['v*'] } }
      jobs:
        build:
          runs-on: ${runner}
          outputs:
            hashes: \${{ steps.h.outputs.hashes }}
          steps:
            - uses: actions/checkout@${HASH}${cache}
            - id: h
              run: echo "hashes=x" >> "$GITHUB_OUTPUT"
        provenance:
          needs: [build]
          permissions:
            id-token: write
            contents: write
            actions: read
          uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0
          with:
            base64-subjects: \${{ needs.build.outputs.hashes }}
      `;
    expect(assess(text('ubuntu-latest')).level).toBe(3);
    expect(assess(text('[self-hosted, linux]')).level).toBe(1);
    const cached = assess(text('ubuntu-latest', `\n            - uses: actions/cache@${HASH}\n              with:\n                path: x\n                key: k`));
    expect(cached.level).toBe(2);
    expect(cached.checks.find((c) => !c.met)!.text).toMatch(/restores a cache in build/);
  });

  it('does not call an ordinary CI workflow a release', () => {
    expect(assess('on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n').release).toBe(false);
  });
});
