import { z } from "zod";

/** Event types with a fixed meaning; `admin.<verb>` covers administrative actions (key rotation, setup …). */
export const AUDIT_EVENT_TYPES = [
  "token.grant",
  "token.revoke",
  "token.revoke.fail",
  "access.deny",
  "auth.fail",
  "tool.call",
  "rate.limit",
  "policy.load",
  "policy.load.fail",
  "app.key.rotate",
  "audit.sink.recovered",
] as const;

const ADMIN_TYPE = /^admin\.[a-z0-9][a-z0-9_.-]{0,63}$/;
/** `app.installation.<action>`: the App was installed, removed, suspended … (GitHub's webhook actions). */
const INSTALLATION_TYPE = /^app\.installation\.[a-z][a-z_]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const text = z.string().max(4096);
const shortText = z.string().max(512);

export const auditEventTypeSchema = z.union([
  z.enum(AUDIT_EVENT_TYPES),
  z.string().regex(ADMIN_TYPE, "admin events are named admin.<verb>"),
  z.string().regex(INSTALLATION_TYPE, "installation events are named app.installation.<action>"),
]);

export const principalSchema = z
  .object({
    sub: shortText,
    email: shortText.optional(),
    groups: z.array(shortText).max(256).optional(),
    via: z.enum(["oidc", "api-key"]).optional(),
  })
  .strict();

export const requestSchema = z
  .object({
    /** The broker's own request id (a ULID). */
    id: shortText.optional(),
    /** The id the caller sent as `x-request-id`, kept apart from ours. */
    clientRequestId: shortText.optional(),
    ip: shortText.optional(),
    userAgent: shortText.optional(),
    tool: shortText.optional(),
  })
  .strict();

export const resourceSchema = z
  .object({ repo: shortText.optional(), ref: shortText.optional(), path: text.optional() })
  .strict();

export const decisionSchema = z
  .object({
    allowed: z.boolean(),
    rule: shortText.nullable().optional(),
    reason: text.optional(),
    code: shortText.optional(),
  })
  .strict();

export const tokenSchema = z
  .object({
    /** Short SHA-256 fingerprint of the token (16 hex); never the token. */
    fingerprint: z.string().regex(/^[0-9a-f]{8,64}$/, "a token is identified by its hex fingerprint"),
    installationId: z.number().int().nonnegative().optional(),
    repositories: z.array(shortText).max(1000).optional(),
    permissions: z.record(z.string(), z.string()).optional(),
    expiresAt: shortText.optional(),
  })
  .strict();

export const errorSchema = z.object({ code: shortText, message: text.optional() }).strict();

/** Type-specific extras (revocation reason, limiter, policy digest …): flat scalars only. */
export const detailsSchema = z.record(
  z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/),
  z.union([shortText, z.number(), z.boolean(), z.null()]),
);

/** One audit event, as stored in every sink (the JSONL sink and CloudWatch add `prevHash` and `hash`). */
export const auditEventSchema = z
  .object({
    id: z.string().regex(ULID, "id must be a ULID"),
    time: z.iso.datetime({ offset: true }),
    type: auditEventTypeSchema,
    principal: principalSchema.optional(),
    request: requestSchema.optional(),
    resource: resourceSchema.optional(),
    operation: shortText.optional(),
    decision: decisionSchema.optional(),
    token: tokenSchema.optional(),
    outcome: z.enum(["ok", "denied", "error"]).optional(),
    latencyMs: z.number().nonnegative().optional(),
    error: errorSchema.optional(),
    details: detailsSchema.optional(),
    /** Set when the redaction guard replaced a secret-looking value. */
    redacted: z.literal(true).optional(),
    prevHash: z.string().regex(HEX64).optional(),
    hash: z.string().regex(HEX64).optional(),
  })
  .strict();

export type AuditEventType = z.infer<typeof auditEventTypeSchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;
/** What a caller hands to `AuditLog.record`: everything but the fields the log assigns. */
export type AuditEventInput = Omit<AuditEvent, "id" | "time" | "prevHash" | "hash" | "redacted">;
/** An event as a sink writes it: chained. */
export type ChainedAuditEvent = AuditEvent & { prevHash: string; hash: string };

/** Parses one stored event (a JSONL line or a CloudWatch message), or returns the zod issues. */
export function parseStoredEvent(
  value: unknown,
): { ok: true; event: AuditEvent } | { ok: false; problem: string } {
  const parsed = auditEventSchema.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  const first = parsed.error.issues[0];
  return {
    ok: false,
    problem: first ? `${first.path.join(".") || "(event)"}: ${first.message}` : "invalid event",
  };
}
