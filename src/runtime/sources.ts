/**
 * Per-source index fields: the fields whose value selects which rules can match an event, so a
 * rule only runs on events it can match. Syscall rules are indexed by `evt.type`, as in Falco;
 * audit rules by stage, resource and verb (the fields the default audit rules filter on first).
 * Each index field may be written under several names (`json.value[/stage]`, `jevt.value[/stage]`);
 * an event's key is extracted with the same extractor a rule would use, so dispatch and
 * evaluation always agree.
 */
import type { Operand } from './condition/ast.ts';
import { MISSING } from './condition/analyze.ts';
import type { RuntimeEvent } from './event.ts';
import type { FieldRegistry } from './fields/registry.ts';

export interface IndexField {
  /** Spellings: [field name, argument]. */
  names: readonly (readonly [string, string?])[];
}

export const SOURCE_INDEXES: Record<string, readonly IndexField[]> = {
  syscall: [{ names: [['evt.type']] }],
  k8s_audit: [
    { names: [['json.value', '/stage'], ['jevt.value', '/stage']] },
    { names: [['ka.target.resource']] },
    { names: [['ka.verb']] },
  ],
};

export interface BoundIndexField {
  matches: (operand: Operand) => boolean;
  key: (evt: RuntimeEvent) => string;
}

export function bindIndexFields(source: string, registry: FieldRegistry): BoundIndexField[] {
  return (SOURCE_INDEXES[source] ?? []).flatMap((index) => {
    const [name, arg] = index.names[0]!;
    const resolved = registry.lookup(source, name, arg);
    if (!resolved) return [];
    const extract = resolved.def.bind(resolved.arg);
    return [
      {
        matches: (o: Operand) => o.kind === 'field' && index.names.some(([n, a]) => n === o.name && a === o.arg),
        key: (evt: RuntimeEvent) => {
          const v = extract(evt);
          return v === undefined || Array.isArray(v) ? MISSING : String(v);
        },
      },
    ];
  });
}
