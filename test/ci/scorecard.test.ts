import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../src/ci/model.ts';
import { scorecard } from '../../src/ci/scorecard.ts';
import { loadYaml } from '../../src/ci/yaml.ts';
import { yaml } from './helpers.ts';

const HASH = '11bd71901bbe5b1630ceea73d27597364c9af683';
const score = (...texts: string[]) =>
  Object.fromEntries(scorecard(texts.map((t, i) => parseWorkflow(loadYaml(`w${i}.yml`, yaml(t))))).map((c) => [c.name, c.score]));

describe('Scorecard workflow checks', () => {
  it('rewards read-only top-level permissions and writes per job', () => {
    expect(score('on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: x\n    permissions:\n      issues: write\n    steps: [{ run: echo }]\n')['Token-Permissions']).toBe(10);
  });

  it('applies the reductions: undeclared −0.5, top-level contents: write → 0, deployments −1', () => {
    expect(score('on: push\njobs:\n  a:\n    runs-on: x\n    permissions: {}\n    steps: [{ run: echo }]\n')['Token-Permissions']).toBe(9.5);
    expect(score('on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{ run: echo }]\n')['Token-Permissions']).toBe(0);
    expect(score('on: push\npermissions:\n  contents: write\njobs: {}\n')['Token-Permissions']).toBe(0);
    expect(score('on: push\npermissions:\n  deployments: write\n  statuses: write\njobs: {}\n')['Token-Permissions']).toBe(8.5);
  });

  it('weighs GitHub-owned actions 2 and third-party actions 8', () => {
    const text = `
      on: push
      permissions: {}
      jobs:
        a:
          runs-on: x
          steps:
            - uses: actions/checkout@v4
            - uses: third/party@${HASH}
      `;
    expect(score(text)['Pinned-Dependencies']).toBe(8);
    expect(score('on: push\njobs: {}\n')['Pinned-Dependencies']).toBe(-1);
  });

  it('scores Dangerous-Workflow 0 for script injection or untrusted checkout', () => {
    expect(score('on: issues\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo "${{ github.event.issue.title }}"\n')['Dangerous-Workflow']).toBe(0);
    expect(score('on: issues\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo "${{ github.event.issue.number }}"\n')['Dangerous-Workflow']).toBe(10);
  });
});
