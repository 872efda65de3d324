import { AuditError } from "../audit/errors.ts";

/**
 * What a caller is told when the audit trail cannot record and the failure policy is `deny`: the same words
 * whether the refusal came before the call or during it (the grant, a denial, the call's own record).
 */
export const AUDIT_REFUSAL_TEXT =
  "repogate cannot write its audit trail right now, so it refuses repository access; try again shortly";

/**
 * Whether an error means "refused because nothing may happen unaudited": any audit error (sink down, shutting
 * down, an event the sink rejected such as the recovery probe under clock skew) leaves the call unrecorded.
 */
export function isAuditRefusal(error: unknown): boolean {
  return error instanceof AuditError;
}
