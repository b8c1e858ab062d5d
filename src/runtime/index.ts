/**
 * Runtime detection: a Falco-compatible rule engine over Kubernetes audit events and recorded
 * syscall-style event streams. Load rules files → build an engine → feed it events → turn matches
 * into alerts. The public surface; other modules import from here only.
 */
export type { Expr, Operand, Position } from './condition/ast.ts';
export { printCondition, sameCondition } from './condition/ast.ts';
export { ConditionSyntaxError, parseCondition, ALL_OPERATORS, TRANSFORMERS } from './condition/parser.ts';
export { CompileError, compileCondition, SlotTable, type CompileContext, type Evaluator } from './condition/compile.ts';

export { makeEvent, parseTimestamp, type RuntimeEvent } from './event.ts';
export { FieldRegistry, defaultRegistry, FIELD_CLASSES } from './fields/registry.ts';
export type { FieldClass, FieldDef, FieldType, FieldValue } from './fields/types.ts';

export { PRIORITIES, parsePriority, priorityName, atLeast, type Priority } from './priority.ts';
export { loadRules, loadRulesFiles, type LoadResult, type FileLoadResult, type RulesText } from './rules/load.ts';
export { CODE_DESCRIPTIONS, formatLoadMessage, type LoadMessage, type LoadErrorCode, type LoadWarningCode } from './rules/result.ts';
export { ENGINE_VERSION, type CompiledRule, type CompiledRuleset } from './rules/compile.ts';
export { SOURCE_INDEXES } from './sources.ts';

export { RuntimeEngine, type EngineOptions, type EngineStats } from './engine.ts';

export { K8S_AUDIT_SOURCE, DEFAULT_MAX_EVENT_SIZE, collectAuditEvents, isAuditJson } from './events/k8s-audit.ts';
export { SYSCALL_SOURCE, syscallEvent, TETRAGON_FIELDS } from './events/syscall.ts';
export { eventsFromJson, eventsFromText, newCounters, readEvents, type ReadCounters, type ReadOptions, type SourceChoice } from './events/reader.ts';

export { makeAlert, alertJson, alertText, type Alert, type AlertOptions } from './output/alert.ts';
export { compileOutput, renderOutput, outputFieldValues, type OutputFormat } from './output/format.ts';
export { StreamSink, FileSink, WebhookSink, RateLimiter, formatAlert, type AlertSink, type AlertFormat } from './output/sinks.ts';

export { AuditWebhookServer, LatencyWindow, type AuditServerOptions, type ServerStats } from './server.ts';
