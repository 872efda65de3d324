import type { AuditContext } from "./context.ts";
import { AuditEventInvalidError } from "./errors.ts";
import { type AuditEvent, type AuditEventInput, auditEventSchema } from "./event.ts";
import { redactDeep } from "./redact.ts";

/** What `buildAuditEvent` needs besides the caller's input. */
export interface BuildEventOptions {
  id: string;
  now: Date;
  context: AuditContext | undefined;
  maxEventBytes: number;
}

/**
 * Turns a caller's input into a stored event: the scope's principal and request fill what the input leaves
 * out, id and time are set, secrets are redacted (and the event marked), and the schema and size are checked.
 */
export function buildAuditEvent(
  input: AuditEventInput,
  options: BuildEventOptions,
): { event: AuditEvent; redacted: boolean } {
  const { context } = options;
  const request = context?.request || input.request ? { ...context?.request, ...input.request } : undefined;
  const merged = {
    ...(context?.principal ? { principal: context.principal } : {}),
    ...input,
    ...(request ? { request } : {}),
  };
  const { value, replaced } = redactDeep({ ...merged, id: options.id, time: options.now.toISOString() });
  const candidate = replaced > 0 ? { ...value, redacted: true as const } : value;
  const parsed = auditEventSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditEventInvalidError(`${issue?.path.join(".") || "(event)"}: ${issue?.message ?? "invalid"}`);
  }
  const { prevHash: _p, hash: _h, ...event } = parsed.data;
  const bytes = Buffer.byteLength(JSON.stringify(event), "utf8");
  if (bytes > options.maxEventBytes) {
    throw new AuditEventInvalidError(`event is ${bytes} bytes, more than ${options.maxEventBytes}`);
  }
  return { event, redacted: replaced > 0 };
}
