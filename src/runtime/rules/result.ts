/**
 * Load results: errors and warnings with Falco's vocabulary (falcosecurity/falco
 * userspace/engine/falco_load_result.h): a code, a message, and the item they concern (its type
 * and name) with the file position, so `palisade runtime validate` reads like `falco -V`.
 */

export type LoadErrorCode =
  | 'LOAD_ERR_FILE_READ'
  | 'LOAD_ERR_YAML_PARSE'
  | 'LOAD_ERR_YAML_VALIDATE'
  | 'LOAD_ERR_COMPILE_CONDITION'
  | 'LOAD_ERR_COMPILE_OUTPUT'
  | 'LOAD_ERR_VALIDATE'
  | 'LOAD_ERR_EXTENSION';

export type LoadWarningCode =
  | 'LOAD_UNKNOWN_SOURCE'
  | 'LOAD_UNSAFE_NA_CHECK'
  | 'LOAD_NO_EVTTYPE'
  | 'LOAD_UNKNOWN_FIELD'
  | 'LOAD_UNUSED_MACRO'
  | 'LOAD_UNUSED_LIST'
  | 'LOAD_UNKNOWN_ITEM'
  | 'LOAD_DEPRECATED_ITEM'
  | 'LOAD_EXCEPTION_NAME_NOT_UNIQUE';

/** Human descriptions of the codes, as Falco prints them in `codedesc`. */
export const CODE_DESCRIPTIONS: Record<LoadErrorCode | LoadWarningCode, string> = {
  LOAD_ERR_FILE_READ: 'File read error',
  LOAD_ERR_YAML_PARSE: 'YAML parse error',
  LOAD_ERR_YAML_VALIDATE: 'Error validating internal structure of YAML file',
  LOAD_ERR_COMPILE_CONDITION: 'Error compiling condition',
  LOAD_ERR_COMPILE_OUTPUT: 'Error compiling output',
  LOAD_ERR_VALIDATE: 'Error validating rule/macro/list/exception objects',
  LOAD_ERR_EXTENSION: 'Error in extension item',
  LOAD_UNKNOWN_SOURCE: 'Unknown event source',
  LOAD_UNSAFE_NA_CHECK: 'Unsafe <NA> comparison in condition',
  LOAD_NO_EVTTYPE: 'Condition has no event-type restriction',
  LOAD_UNKNOWN_FIELD: 'Unknown field or event-type in condition or output',
  LOAD_UNUSED_MACRO: 'Unused macro',
  LOAD_UNUSED_LIST: 'Unused list',
  LOAD_UNKNOWN_ITEM: 'Unknown rules file item',
  LOAD_DEPRECATED_ITEM: 'Used deprecated item',
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: 'Multiple exceptions defined with the same name',
};

/** Where an item (or a part of one) sits. */
export interface ItemContext {
  /** `rule`, `macro`, `list`, `exception`, `required_engine_version`, `rules content` … */
  itemType: string;
  itemName: string;
  file: string;
  line?: number;
  column?: number;
}

export interface LoadMessage extends ItemContext {
  code: LoadErrorCode | LoadWarningCode;
  message: string;
}

export function formatLoadMessage(m: LoadMessage): string {
  const where = m.line === undefined ? m.file : `${m.file}:${m.line}${m.column === undefined ? '' : `:${m.column}`}`;
  const item = m.itemName ? `${m.itemType} '${m.itemName}'` : m.itemType;
  return `${where}: ${item}: ${m.code}: ${m.message}`;
}

/** Thrown inside the loader for a fatal problem with one item; caught and recorded per item. */
export class ItemError extends Error {
  readonly code: LoadErrorCode;
  readonly context: ItemContext;

  constructor(code: LoadErrorCode, message: string, context: ItemContext) {
    super(message);
    this.name = 'ItemError';
    this.code = code;
    this.context = context;
  }
}
