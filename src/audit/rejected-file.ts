import { open } from "node:fs/promises";
import type { AuditEvent } from "./event.ts";
import type { RejectedAuditEvent } from "./sink.ts";

/**
 * Appends events a sink refused for good to a local JSONL file (`{"rejectedReason", "event"}` per line),
 * fsync'd, so they are kept even though the sink will never hold them.
 */
export async function appendRejectedEvents(
  file: string,
  rejected: readonly { event: AuditEvent; reason: RejectedAuditEvent["reason"] }[],
): Promise<void> {
  if (rejected.length === 0) return;
  const handle = await open(file, "a", 0o600);
  try {
    await handle.appendFile(
      rejected.map((r) => `${JSON.stringify({ rejectedReason: r.reason, event: r.event })}\n`).join(""),
    );
    await handle.sync();
  } finally {
    await handle.close();
  }
}
