/** Limits for fetching a document from the identity provider. */
export interface BoundedFetchOptions {
  timeoutMs: number;
  maxBytes: number;
}

/** Thrown when a bounded fetch fails; the message names the URL's purpose, not secrets. */
export class BoundedFetchError extends Error {
  readonly code = "UPSTREAM_FETCH_FAILED";
}

/**
 * GETs a URL without following redirects, aborting after `timeoutMs` and refusing bodies over `maxBytes`,
 * and returns a fresh 200 Response holding the bytes read (so callers may `.json()` it safely).
 */
export async function boundedFetch(
  url: string | URL,
  init: { headers?: RequestInit["headers"]; signal?: AbortSignal },
  options: BoundedFetchOptions,
): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  let response: Response;
  try {
    // Redirects are refused: an IdP document that redirects elsewhere is an SSRF vector, not a feature.
    response = await fetch(url, { method: "GET", headers: init.headers, signal, redirect: "manual" });
  } catch (cause) {
    throw new BoundedFetchError(`request to ${new URL(url).origin} failed`, { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new BoundedFetchError(`${new URL(url).origin} answered HTTP ${response.status}, expected 200`);
  }
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel();
    throw new BoundedFetchError(`response from ${new URL(url).origin} exceeds ${options.maxBytes} bytes`);
  }
  const bytes = await readCapped(response, options.maxBytes, url);
  return new Response(bytes, {
    status: 200,
    headers: { "content-type": response.headers.get("content-type") ?? "application/json" },
  });
}

async function readCapped(response: Response, maxBytes: number, url: string | URL): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new BoundedFetchError(`response from ${new URL(url).origin} exceeds ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof BoundedFetchError) throw cause;
    throw new BoundedFetchError(`reading the response from ${new URL(url).origin} failed`, { cause });
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
