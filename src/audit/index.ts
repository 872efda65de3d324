export {
  type AuditFailurePolicy,
  AuditLog,
  type AuditLogOptions,
  type AuditLogStatus,
  type GrantRecord,
} from "./audit-log.ts";
export {
  auditPrincipal,
  type CallDecision,
  type CallObserver,
  type CallOutcome,
  CallRecord,
  type CallRequest,
  type CallResult,
  CallTrail,
} from "./call-record.ts";
export { canonicalJson, chainEvent, computeEventHash, GENESIS_HASH } from "./chain.ts";
export {
  AuditClosedError,
  AuditConfigError,
  AuditError,
  type AuditErrorCode,
  AuditEventInvalidError,
  AuditEventRejectedError,
  AuditSourceError,
  AuditUnavailableError,
} from "./errors.ts";
export {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventInput,
  type AuditEventType,
  auditEventSchema,
  type ChainedAuditEvent,
} from "./event.ts";
export { createAuditSink, openAuditLogFromConfig } from "./from-config.ts";
export { jsonlLocationFromPath, listJsonlFiles } from "./jsonl-files.ts";
export { JsonlAuditSink, type JsonlAuditSinkOptions } from "./jsonl-sink.ts";
export { type AuditQuery, matchesQuery, parseTimeBound, queryEvents } from "./query.ts";
export { containsSecret, redactDeep, redactString } from "./redact.ts";
export { type AuditEventErrorHandler, httpAuditEvents, policyAuditEvents } from "./service-events.ts";
export { AuditDeliveryError, type AuditSink, type RejectedAuditEvent } from "./sink.ts";
export { type ChainProblem, type VerifyResult, verifyJsonlFiles, verifyJsonlTrail } from "./verify.ts";
