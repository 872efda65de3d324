/** JSON and text responses with GitHub's exact content types. */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { EmulatorContext } from "./context.ts";

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/** A JSON response with `content-type: application/json; charset=utf-8` (headers set with c.header kept). */
export function githubJson(c: EmulatorContext, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(body), status, { "content-type": JSON_CONTENT_TYPE });
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
