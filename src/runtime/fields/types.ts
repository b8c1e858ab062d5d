/**
 * Fields are data: each field class (`ka.*`, `json.*`, `evt.*`, `proc.*` …) is a table of
 * definitions (name, type, argument, description) that drives both extraction and the
 * `palisade runtime fields` listing. `bind` turns a definition plus its argument into an extractor
 * once, at rule compile time, so argument parsing (JSON pointers, indexes) never runs per event.
 */
import type { RuntimeEvent } from '../event.ts';

/**
 * Value types, after libsinsp's: `string` (charbuf, paths), `bytes` (buffers: b-operators take
 * hex), numbers (`int`, `uint`, `abstime`/`reltime` in nanoseconds, `port`), `bool`, and IP
 * addresses and networks.
 */
export type FieldType = 'string' | 'bytes' | 'int' | 'uint' | 'abstime' | 'reltime' | 'port' | 'bool' | 'ipaddr' | 'ipnet';

export type Scalar = string | number | boolean;
/** An extracted value: a scalar, or the values of a list field. `undefined` means "no value". */
export type FieldValue = Scalar | Scalar[];

export type Extractor = (evt: RuntimeEvent) => FieldValue | undefined;

export interface FieldArgSpec {
  /** `index` takes a number (`proc.aname[2]`), `key` a string (`proc.env[HOME]`), `any` either. */
  kind: 'index' | 'key' | 'any';
  required: boolean;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  desc: string;
  /** List-typed: only `exists`, `in` and `intersects` apply. */
  list?: boolean;
  arg?: FieldArgSpec;
  /** `evt.arg.flags` is `evt.arg[flags]`: a dotted suffix after the name is the argument. */
  dottedArg?: boolean;
  /**
   * Without an argument the field stands for every value it can take and a check holds when one
   * of them does (`proc.aname = sshd`: any ancestor is sshd), as libsinsp does for ancestors.
   */
  anyValue?: boolean;
  /** Deprecated placeholder (`%container.info`): renders empty, refused in conditions. */
  outputOnly?: boolean;
  bind(arg: string | undefined): Extractor;
}

export interface FieldClass {
  /** Class name in listings: `k8saudit`, `json`, `evt`, `process` … */
  name: string;
  /** Event sources whose events it extracts from. */
  sources: readonly string[];
  /** The Falco plugin this class stands in for (`required_plugin_versions` are checked against it). */
  plugin?: { name: string; version: string };
  fields: readonly FieldDef[];
}

/** A bad field argument (a malformed JSON pointer, an index that is not a number). */
export class FieldArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldArgError';
  }
}

export const NUMERIC_TYPES: ReadonlySet<FieldType> = new Set(['int', 'uint', 'abstime', 'reltime', 'port']);

/** Index argument as a number; a field whose argument must be an index refuses anything else. */
export function indexArg(field: string, arg: string): number {
  if (!/^\d+$/.test(arg)) throw new FieldArgError(`field '${field}' expects a numeric index argument, got '${arg}'`);
  return Number(arg);
}
