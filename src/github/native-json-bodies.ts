import type { Octokit } from "@octokit/core";

/**
 * The bytes behind a body stream that `createPooledFetch` already holds in memory, so the body need not be
 * read back through the stream.
 */
export const BUFFERED_BYTES: unique symbol = Symbol("repogate.bufferedBytes");

/**
 * Request options for a call that reads the body stream itself (raw file reads, stopping at a cap):
 * `nativeJsonBodies` leaves its body alone.
 */
export const STREAMED_BODY = { parseSuccessResponseBody: false, streamBody: true } as const;

/**
 * The request defaults `nativeJsonBodies` needs: octokit hands success bodies over unparsed. Set as a default
 * at construction, not per request, because a wrap hook cannot change the options of the hooks inside it
 * (before-after-hook binds each hook's options; @octokit/rest's request log passes on its own).
 */
export const UNPARSED_BODIES = { parseSuccessResponseBody: false } as const;

type BodyStream = ReadableStream<Uint8Array> & { [BUFFERED_BYTES]?: Buffer };

/**
 * Parses GitHub's JSON success bodies with the native `JSON.parse`. @octokit/request parses them with
 * json-with-bigint, whose reviver runs for every value of every body: ~0.2 ms per tool call here, about 6 %
 * of its CPU at concurrency 1 (V8 profile of the overhead bench). The one difference, integers past 2^53
 * becoming BigInts, cannot occur in what repogate reads: GitHub's ids are far below that.
 *
 * Needs `UNPARSED_BODIES` among the octokit's request defaults; a body octokit already parsed passes through.
 * Everything is decoded as octokit's getResponseData would; error responses are still octokit's to parse,
 * and `STREAMED_BODY` requests keep their stream.
 */
export function nativeJsonBodies(octokit: Octokit): Record<string, never> {
  octokit.hook.wrap("request", async (request, options) => {
    const response = await request(options);
    if (options.request?.streamBody === true || !isStream(response.data)) return response;
    return { ...response, data: await decode(response.data, response.headers["content-type"]) };
  });
  return {};
}

function isStream(data: unknown): data is BodyStream {
  return typeof (data as { getReader?: unknown } | null)?.getReader === "function";
}

async function decode(body: BodyStream, contentType: string | undefined): Promise<unknown> {
  const bytes = body[BUFFERED_BYTES] ?? Buffer.from(await new Response(body).arrayBuffer());
  if (!contentType) return bytes.toString("utf8");
  const [type = "", ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (type === "application/json" || type === "application/scim+json") {
    const text = bytes.toString("utf8");
    try {
      return JSON.parse(text);
    } catch {
      return text; // As octokit does with a body that is not JSON after all.
    }
  }
  const utf8 = parameters.some((parameter) => /^charset\s*=\s*"?utf-8"?$/.test(parameter));
  if (type.startsWith("text/") || (utf8 && type !== "application/octet-stream"))
    return bytes.toString("utf8");
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
