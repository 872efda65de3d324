import { AuditEventInvalidError } from "./errors.ts";
import { type AuditEvent, type AuditEventInput, auditEventSchema } from "./event.ts";
import { redactDeep } from "./redact.ts";

/** What `buildAuditEvent` needs besides the caller's input. */
export interface BuildEventOptions {
  id: string;
  now: Date;
  maxEventBytes: number;
}

/**
 * Turns a caller's input into a stored event: id and time are set, secrets are redacted (and the event
 * marked), and the schema and size are checked.
 */
export function buildAuditEvent(
  input: AuditEventInput,
  options: BuildEventOptions,
): { event: AuditEvent; redacted: boolean } {
  const { value, replaced } = redactDeep({ ...input, id: options.id, time: options.now.toISOString() });
  const candidate = clampOutsideText(replaced > 0 ? { ...value, redacted: true as const } : value);
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

/** The schema's bounds on text that callers and identity providers choose (`shortText`, `groups`). */
const MAX_TEXT = 512;
const MAX_GROUPS = 256;

function clampText(value: unknown): unknown {
  return typeof value === "string" && value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT - 1)}…` : value;
}

/**
 * Shortens what arrives from outside (HTTP headers such as User-Agent, IdP claims) to the schema's bounds, marked
 * with `…`. Refusing the event instead would let anyone keep their failed sign-ins and denials out of the trail
 * just by sending a long header.
 */
function clampOutsideText<T extends { principal?: unknown; request?: unknown }>(event: T): T {
  const clampAll = (record: unknown) =>
    record && typeof record === "object"
      ? Object.fromEntries(Object.entries(record).map(([key, v]) => [key, clampText(v)]))
      : record;
  const principal = clampAll(event.principal) as { groups?: unknown } | undefined;
  if (principal && Array.isArray(principal.groups)) {
    principal.groups = principal.groups.slice(0, MAX_GROUPS).map(clampText);
  }
  return {
    ...event,
    ...(event.principal !== undefined ? { principal } : {}),
    ...(event.request !== undefined ? { request: clampAll(event.request) } : {}),
  };
}
