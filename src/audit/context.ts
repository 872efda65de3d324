import { AsyncLocalStorage } from "node:async_hooks";
import type { AuditEvent } from "./event.ts";

/** Who and which request the events recorded in a scope belong to. */
export interface AuditContext {
  principal?: AuditEvent["principal"];
  request?: AuditEvent["request"];
}

const storage = new AsyncLocalStorage<AuditContext>();

/**
 * Runs fn with an audit context, so events recorded inside it (e.g. the broker's `token.grant`, which only
 * knows the token) carry the principal and request of the tool call that caused them.
 */
export function runWithAuditContext<T>(context: AuditContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the current async scope, if any. */
export function auditContextNow(): AuditContext | undefined {
  return storage.getStore();
}
