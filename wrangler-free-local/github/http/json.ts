/** JSON and text responses with GitHub's exact content types. */
import { createHash } from "node:crypto";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { EmulatorContext } from "./context.ts";

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/**
 * A JSON response with `content-type: application/json; charset=utf-8` (headers set with c.header kept).
 * Successful GETs carry a weak `etag` and answer a matching `If-None-Match` with 304, as GitHub does.
 */
export function githubJson(c: EmulatorContext, body: unknown, status: ContentfulStatusCode = 200): Response {
  const text = JSON.stringify(body);
  if (c.req.method === "GET" && status === 200) {
    const etag = `W/"${createHash("sha256").update(text).digest("hex")}"`;
    c.header("etag", etag);
    const ifNoneMatch = c.req.header("if-none-match");
    if (ifNoneMatch?.split(",").some((tag) => tag.trim() === etag || tag.trim() === etag.slice(2))) {
      return c.body(null, 304);
    }
  }
  return c.body(text, status, { "content-type": JSON_CONTENT_TYPE });
}

/** A non-JSON response (diffs, raw files) with the given content type. */
export function githubText(
  c: EmulatorContext,
  body: string | Uint8Array,
  contentType: string,
  status: ContentfulStatusCode = 200,
): Response {
  const data = typeof body === "string" ? body : new Uint8Array(body).buffer;
  return c.body(data, status, { "content-type": contentType });
}
