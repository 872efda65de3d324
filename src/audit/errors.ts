/** Stable codes of the audit layer's errors; the HTTP and MCP layers map them to responses. */
export type AuditErrorCode =
  | "AUDIT_UNAVAILABLE"
  | "AUDIT_EVENT_INVALID"
  | "AUDIT_EVENT_REJECTED"
  | "AUDIT_DELIVERY_FAILED"
  | "AUDIT_CLOSED"
  | "AUDIT_SOURCE_INVALID"
  | "AUDIT_CONFIG_INVALID";

/** Base class: every audit error carries a stable `code`. Messages never contain secrets. */
export class AuditError extends Error {
  readonly code: AuditErrorCode;
  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * The audit sink cannot durably accept events and the failure policy is `deny`: the caller must refuse the
 * request and mint nothing.
 */
export class AuditUnavailableError extends AuditError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      "AUDIT_UNAVAILABLE",
      `The audit trail cannot record events right now (${detail}); the request is refused because nothing may ` +
        "happen without an audit record. Check the audit sink (disk space and permissions of the audit " +
        "directory, or CloudWatch Logs reachability and IAM), or set audit.onFailure: spool to keep serving " +
        "from a local spool.",
      options,
    );
  }
}

/** An event does not match the audit schema (a programming error in the caller). */
export class AuditEventInvalidError extends AuditError {
  constructor(detail: string) {
    super("AUDIT_EVENT_INVALID", `Audit event refused: ${detail}`);
  }
}

/**
 * The sink refused the event for good (CloudWatch `rejectedLogEventsInfo`: too old, too new, expired); retrying
 * cannot help because the event time stays truthful.
 */
export class AuditEventRejectedError extends AuditError {
  constructor(eventId: string, reason: string) {
    super(
      "AUDIT_EVENT_REJECTED",
      `Audit event ${eventId} was rejected by the sink (${reason}); check the host clock against AWS time.`,
    );
  }
}

/** The log was closed; no more events are taken. */
export class AuditClosedError extends AuditError {
  constructor() {
    super("AUDIT_CLOSED", "The audit log is closed (shutting down); the request is refused.");
  }
}

/** An audit file or CloudWatch source could not be read as an audit trail. */
export class AuditSourceError extends AuditError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("AUDIT_SOURCE_INVALID", message, options);
  }
}

/** The audit settings cannot work as given (e.g. CloudWatch without a log group). */
export class AuditConfigError extends AuditError {
  constructor(message: string) {
    super("AUDIT_CONFIG_INVALID", message);
  }
}

/** How an event's `error` names a failure: its stable code (or class name) and a capped message. */
export function auditErrorFields(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown } | undefined)?.code;
  return {
    code: typeof code === "string" ? code.slice(0, 100) : error instanceof Error ? error.name : "ERROR",
    // The redaction guard still scans this; the cap keeps a huge upstream body out of the trail.
    message: (error instanceof Error ? error.message : String(error)).slice(0, 500),
  };
}
