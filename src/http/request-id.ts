import type { MiddlewareHandler } from "hono";
import { ulid } from "ulid";
import type { HttpEnv } from "./types.ts";

// A caller-chosen id ends up in logs and audit records, so only short, plain values are kept.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** Takes `x-request-id` when it is plain and short, otherwise makes a ULID; echoes it on the response. */
export function requestId(): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const offered = c.req.header("x-request-id");
    const id = offered && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : ulid();
    c.set("requestId", id);
    await next();
    c.res.headers.set("x-request-id", id);
  };
}
