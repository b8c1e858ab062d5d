/** Fixture pods for the Pod Security Standards tests, and small ways to change one field of them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../helpers/corpus.ts';

export type Obj = Record<string, unknown>;

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'podsecurity');

/** A fresh copy of a fixture pod (tests may change it). */
export function fixture(name: string): Obj {
  return parse(readFileSync(join(FIXTURES, name), 'utf8')) as Obj;
}

/** The restricted-compliant pod: one init container, one container, runAsNonRoot and RuntimeDefault at pod level. */
export function restrictedPod(): Obj {
  return fixture('restricted-base.yaml');
}

/** The baseline-compliant pod: the same two containers and nothing else. */
export function baselinePod(): Obj {
  return fixture('baseline-base.yaml');
}

export function spec(pod: Obj): Obj {
  return pod.spec as Obj;
}

export function podSecurityContext(pod: Obj): Obj {
  const s = spec(pod);
  s.securityContext ??= {};
  return s.securityContext as Obj;
}

/** The `kind` list's `index`th container (`containers`, `initContainers`). */
export function container(pod: Obj, index = 0, kind = 'containers'): Obj {
  return (spec(pod)[kind] as Obj[])[index] as Obj;
}

export function containerSecurityContext(pod: Obj, index = 0, kind = 'containers'): Obj {
  const c = container(pod, index, kind);
  c.securityContext ??= {};
  return c.securityContext as Obj;
}

/** Both fixture containers' securityContexts (init container first). */
export function allSecurityContexts(pod: Obj): Obj[] {
  return [containerSecurityContext(pod, 0, 'initContainers'), containerSecurityContext(pod, 0, 'containers')];
}

export function annotate(pod: Obj, annotations: Record<string, string>): Obj {
  const metadata = (pod.metadata ??= {}) as Obj;
  metadata.annotations = { ...(metadata.annotations as Obj | undefined), ...annotations };
  return pod;
}
