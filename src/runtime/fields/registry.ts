/**
 * The field registry: which fields each event source offers, looked up by name at compile time.
 * A source is known when at least one field class extracts from it; the plugins the classes stand
 * in for answer rules files' `required_plugin_versions`.
 */
import { genericEventFields } from './evt.ts';
import { jsonFields } from './json.ts';
import { k8sAuditFields } from './k8saudit.ts';
import { syscallFields } from './syscall.ts';
import type { FieldClass, FieldDef } from './types.ts';

export const FIELD_CLASSES: readonly FieldClass[] = [genericEventFields, syscallFields, k8sAuditFields, jsonFields];

export interface ResolvedField {
  def: FieldDef;
  /** The argument: bracketed (`proc.aname[2]`) or dotted (`evt.arg.flags`). */
  arg?: string;
  className: string;
}

export class FieldRegistry {
  private readonly bySource = new Map<string, Map<string, { def: FieldDef; className: string }>>();
  private readonly classes: readonly FieldClass[];

  constructor(classes: readonly FieldClass[] = FIELD_CLASSES) {
    this.classes = classes;
    for (const cls of classes) {
      for (const source of cls.sources) {
        let table = this.bySource.get(source);
        if (!table) this.bySource.set(source, (table = new Map()));
        for (const def of cls.fields) if (!table.has(def.name)) table.set(def.name, { def, className: cls.name });
      }
    }
  }

  sources(): string[] {
    return [...this.bySource.keys()];
  }

  hasSource(source: string): boolean {
    return this.bySource.has(source);
  }

  /** The plugins whose fields this registry provides, for `required_plugin_versions`. */
  plugins(): { name: string; version: string }[] {
    return this.classes.flatMap((c) => (c.plugin ? [c.plugin] : []));
  }

  /** Every field of a source, in class order, for listings. */
  fields(source: string): { def: FieldDef; className: string }[] {
    return [...(this.bySource.get(source)?.values() ?? [])];
  }

  /** A field of `source` by name; `evt.arg.flags` resolves to `evt.arg` with argument `flags`. */
  lookup(source: string, name: string, arg?: string): ResolvedField | undefined {
    const table = this.bySource.get(source);
    if (!table) return undefined;
    const exact = table.get(name);
    if (exact) return arg === undefined ? { def: exact.def, className: exact.className } : { def: exact.def, arg, className: exact.className };
    if (arg !== undefined) return undefined;
    for (let dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
      const base = table.get(name.slice(0, dot));
      if (base?.def.dottedArg) return { def: base.def, arg: name.slice(dot + 1), className: base.className };
    }
    return undefined;
  }
}

export const defaultRegistry = new FieldRegistry();
