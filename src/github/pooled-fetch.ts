import { Agent, type Dispatcher, interceptors } from "undici";
import { ResponseTooLargeError } from "./errors.ts";
import { BUFFERED_BYTES } from "./native-json-bodies.ts";

/** Statuses whose responses never have a body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** The response headers octokit reads: iteration and `get`, nothing else. */
class ResponseHeaders {
  readonly #values: Map<string, string>;

  constructor(raw: Record<string, string | string[] | undefined>) {
    this.#values = new Map();
    for (const [name, value] of Object.entries(raw)) {
      if (value !== undefined) this.#values.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#values.entries();
  }
}

/**
 * A response whose body is already in memory: what octokit reads of a fetch `Response` (status, url,
 * headers, `text()`, `arrayBuffer()`, `json()`, and `body` for raw reads), without the streams and
 * objects a spec `Response` builds.
 */
class BufferedResponse {
  readonly status: number;
  readonly statusText = "";
  readonly url: string;
  readonly headers: ResponseHeaders;
  readonly #bytes: Buffer | null;

  constructor(status: number, url: string, headers: ResponseHeaders, bytes: Buffer | null) {
    this.status = status;
    this.url = url;
    this.headers = headers;
    this.#bytes = bytes;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** A stream over the bytes, for callers that read a body themselves (nativeJsonBodies; src/mcp/content.ts). */
  get body(): ReadableStream<Uint8Array> | null {
    const bytes = this.#bytes;
    if (bytes === null) return null;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.byteLength > 0) controller.enqueue(new Uint8Array(bytes));
        controller.close();
      },
    });
    // nativeJsonBodies parses these bytes directly instead of reading them back through the stream.
    return Object.assign(stream, { [BUFFERED_BYTES]: bytes });
  }

  async text(): Promise<string> {
    return this.#bytes?.toString("utf8") ?? "";
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#bytes ?? Buffer.alloc(0);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}

/**
 * A response whose body is read only as the caller pulls it: the raw file reads, which stop at the policy's
 * maxFileSize (src/mcp/content.ts `readAtMost`) and must not download the rest first. Past
 * `maxResponseBytes` the stream errors with ResponseTooLargeError; cancelling it stops the download.
 */
class StreamedResponse {
  readonly status: number;
  readonly statusText = "";
  readonly url: string;
  readonly headers: ResponseHeaders;
  readonly body: ReadableStream<Uint8Array>;

  constructor(status: number, url: string, headers: ResponseHeaders, body: ReadableStream<Uint8Array>) {
    this.status = status;
    this.url = url;
    this.headers = headers;
    this.body = body;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return Buffer.from(await this.arrayBuffer()).toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/** A pull-based stream over an undici body that errors past `maxBytes` and stops the download on cancel. */
function cappedStream(body: Dispatcher.ResponseData["body"], maxBytes: number): ReadableStream<Uint8Array> {
  const chunks = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (done) return controller.close();
        seen += value.byteLength;
        if (seen > maxBytes) {
          discard(body);
          return controller.error(new ResponseTooLargeError(maxBytes));
        }
        controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      } catch (error) {
        controller.error(error);
      }
    },
    cancel() {
      discard(body);
    },
  });
}

/** GitHub's raw media type (`mediaType: { format: "raw" }`): the body is file bytes the caller streams. */
function asksForRawBytes(headers: RequestInit["headers"]): boolean {
  const accept = (headers as Record<string, string> | undefined)?.accept;
  return typeof accept === "string" && /vnd\.github(?:\.v3)?\.raw\b/.test(accept);
}

/**
 * Lets a body that has none (204, 304, HEAD) end on its own: destroying it would make undici build an abort
 * error with a stack trace for every revocation (`DELETE /installation/token` answers 204).
 */
function drain(body: Dispatcher.ResponseData["body"]): void {
  body.dump().catch(() => undefined);
}

/** Stops reading a body; the abort this causes inside undici is expected, not an error to report. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

export interface PooledFetchOptions {
  /** Each request (headers and body) is aborted after this long. */
  timeoutMs: number;
  /** A body larger than this fails with ResponseTooLargeError and is not read further. */
  maxResponseBytes: number;
}

/**
 * A `fetch` for octokit over one keep-alive undici pool, following redirects like fetch does. It reads each
 * body into memory up to `maxResponseBytes` (octokit would turn a body that fails mid-read into empty data)
 * and skips the WHATWG machinery Node's fetch builds per request (Request, Response, web streams), which
 * cost about as much CPU as the rest of a GitHub call in the broker.
 */
export function createPooledFetch(options: PooledFetchOptions): typeof fetch {
  const dispatcher: Dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 20 }));
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    // As fetch does: credentials in a URL would otherwise be dropped silently, or sent somewhere by mistake.
    if (url.username || url.password) {
      throw new TypeError(
        `Request cannot be constructed from a URL that includes credentials (${url.origin}): remove them`,
      );
    }
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const { statusCode, headers, body } = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: (init?.method ?? "GET") as Dispatcher.HttpMethod,
      headers: init?.headers as Record<string, string> | undefined,
      body: (init?.body ?? null) as string | Buffer | null,
      signal,
    });
    const responseHeaders = new ResponseHeaders(headers);
    if (NULL_BODY_STATUSES.has(statusCode)) {
      drain(body);
      return new BufferedResponse(statusCode, url.href, responseHeaders, null) as unknown as Response;
    }
    const method = (init?.method ?? "GET").toUpperCase();
    if (method === "HEAD") {
      drain(body);
      return new BufferedResponse(statusCode, url.href, responseHeaders, null) as unknown as Response;
    }
    if (statusCode >= 200 && statusCode < 300 && asksForRawBytes(init?.headers)) {
      const stream = cappedStream(body, options.maxResponseBytes);
      return new StreamedResponse(statusCode, url.href, responseHeaders, stream) as unknown as Response;
    }
    const declared = Number(responseHeaders.get("content-length") ?? Number.NaN);
    if (declared > options.maxResponseBytes) {
      discard(body);
      throw new ResponseTooLargeError(options.maxResponseBytes);
    }
    const chunks: Buffer[] = [];
    let seen = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      seen += chunk.byteLength;
      if (seen > options.maxResponseBytes) {
        discard(body);
        throw new ResponseTooLargeError(options.maxResponseBytes);
      }
      chunks.push(chunk);
    }
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    return new BufferedResponse(statusCode, url.href, responseHeaders, bytes) as unknown as Response;
  }) as typeof fetch;
}
