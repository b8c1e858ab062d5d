/**
 * Scopes from a lockfile's dependency graph. JavaScript lockfiles record the edges between
 * packages, but only some record whether a package is needed at run time, so the yarn and pnpm
 * catalogers walk the graph from the project's own dependencies.
 */
import type { Scope } from '../../../core/types.ts';

export interface Edge<N> {
  to: N;
  /** An optionalDependencies edge: its target is installed only when possible. */
  optional: boolean;
}

/**
 * The scope of every node reachable from the roots: `required` when a chain of non-optional
 * edges leads to it from a required root, `optional` when a chain from a required or optional
 * root does, `dev` when only the dev roots reach it. Unreachable nodes are absent.
 */
export function scopesByReachability<N>(
  roots: readonly { node: N; scope: Scope }[],
  edgesOf: (node: N) => readonly Edge<N>[],
): Map<N, Scope> {
  const scopes = new Map<N, Scope>();
  // Strongest scope first: a node keeps the first scope a pass gives it.
  const passes: { scope: Scope; from: readonly Scope[]; followOptional: boolean }[] = [
    { scope: 'required', from: ['required'], followOptional: false },
    { scope: 'optional', from: ['required', 'optional'], followOptional: true },
    { scope: 'dev', from: ['dev'], followOptional: true },
  ];
  for (const pass of passes) {
    const seen = new Set<N>();
    const stack = roots.filter((r) => pass.from.includes(r.scope)).map((r) => r.node);
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (seen.has(node)) continue;
      seen.add(node);
      if (!scopes.has(node)) scopes.set(node, pass.scope);
      for (const edge of edgesOf(node)) if (pass.followOptional || !edge.optional) stack.push(edge.to);
    }
  }
  return scopes;
}
