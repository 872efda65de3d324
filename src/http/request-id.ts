import type { MiddlewareHandler } from "hono";
import { ulidSource } from "../audit/event-id.ts";
import type { HttpEnv } from "./types.ts";

// A caller-chosen id ends up in logs and audit records, so only short, plain values are kept.
const ACCEPTABLE_CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives every request the broker's own id (a ULID: the audit trail's `request.id` must be unique and not chosen
 * by the caller) and echoes it as `x-request-id`. A plain, short `x-request-id` the caller sent is kept apart
 * as `clientRequestId`, so their logs can still be joined with ours.
 */
export function requestId(): MiddlewareHandler<HttpEnv> {
  const ulid = ulidSource();
  return async (c, next) => {
    const id = ulid();
    c.set("requestId", id);
    const offered = c.req.header("x-request-id");
    if (offered !== undefined && ACCEPTABLE_CLIENT_REQUEST_ID.test(offered))
      c.set("clientRequestId", offered);
    await next();
    c.res.headers.set("x-request-id", id);
  };
}

/** Where a request came from, as the audit events of the HTTP layer name it. */
export interface RequestOrigin {
  requestId: string;
  clientRequestId?: string;
  ip: string;
  userAgent?: string;
}

/** The origin of this request (set up by `requestId` and `clientIp`). */
export function requestOrigin(c: Parameters<MiddlewareHandler<HttpEnv>>[0]): RequestOrigin {
  return {
    requestId: c.get("requestId"),
    clientRequestId: c.get("clientRequestId"),
    ip: c.get("clientIp"),
    userAgent: c.req.header("user-agent"),
  };
}
