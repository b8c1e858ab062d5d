import { describe, expect, it } from 'vitest';
import { scopesByReachability, type Edge } from '../../../../src/sbom/catalog/javascript/dep-graph.ts';

/** app → lib → util; app ⇢ (optional) native → bindings; test-kit (dev) → util, mock; lib ⇢ native. */
const graph: Record<string, Edge<string>[]> = {
  app: [{ to: 'lib', optional: false }, { to: 'native', optional: true }],
  lib: [{ to: 'util', optional: false }, { to: 'native', optional: true }],
  native: [{ to: 'bindings', optional: false }],
  'test-kit': [{ to: 'util', optional: false }, { to: 'mock', optional: false }],
  cycle: [{ to: 'cycle', optional: false }],
};
const edgesOf = (node: string) => graph[node] ?? [];

describe('scopesByReachability', () => {
  it('gives each node the strongest scope any root reaches it with', () => {
    const scopes = scopesByReachability(
      [
        { node: 'app', scope: 'required' },
        { node: 'test-kit', scope: 'dev' },
      ],
      edgesOf,
    );
    expect(Object.fromEntries(scopes)).toEqual({
      app: 'required',
      lib: 'required',
      util: 'required',
      native: 'optional',
      bindings: 'optional',
      'test-kit': 'dev',
      mock: 'dev',
    });
  });

  it('treats optional roots as optional and leaves unreachable nodes out', () => {
    const scopes = scopesByReachability([{ node: 'native', scope: 'optional' }], edgesOf);
    expect(Object.fromEntries(scopes)).toEqual({ native: 'optional', bindings: 'optional' });
  });

  it('terminates on cycles', () => {
    expect(scopesByReachability([{ node: 'cycle', scope: 'dev' }], edgesOf).get('cycle')).toBe('dev');
  });
});
