/**
 * A GitHub (or proxy) that sends an endless or oversized body: the broker stops reading at
 * maxResponseBytes instead of buffering it. The emulator cannot misbehave this way, so a stub plays it.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClients, PemAppJwtSigner, ResponseTooLargeError } from "../../src/github/index.ts";
import { STREAMED_BODY } from "../../src/github/native-json-bodies.ts";
import { readAtMost } from "../../src/mcp/content.ts";
import { recordingCall, silentLog } from "./harness.ts";

const TOKEN = ["ghs", "cap-test-token"].join("_");
let server: Server;
let baseUrl: string;
/** Bytes the stub managed to write for the endless route before the client hung up. */
let endlessBytes = 0;
/** Bytes the stub wrote of a 40 MiB raw file before the client stopped reading. */
let rawFileBytes = 0;
const RAW_FILE_BYTES = 40 * 1024 * 1024;
/** Requests per oversized route: a body over the cap must not be asked for again (it would be as large). */
const oversizedRequests = { endless: 0, declared: 0 };

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.method === "GET" && req.url === "/orgs/acme/installation") {
      res.end(JSON.stringify({ id: 7, account: { login: "acme" }, target_type: "Organization" }));
    } else if (req.method === "POST" && req.url === "/app/installations/7/access_tokens") {
      res.statusCode = 201;
      res.end(
        JSON.stringify({
          token: TOKEN,
          expires_at: "2099-01-01T00:00:00Z",
          repository_selection: "selected",
          repositories: [{ name: "api", full_name: "acme/api" }],
          permissions: { contents: "read", metadata: "read" },
        }),
      );
    } else if (req.method === "DELETE" && req.url === "/installation/token") {
      res.statusCode = 204;
      res.end();
    } else if (req.url?.startsWith("/repos/acme/api/git/trees/endless")) {
      oversizedRequests.endless++;
      // Chunked, no content-length, never ends on its own.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) endlessBytes += chunk.length;
        if (!res.destroyed) res.once("drain", pump);
      };
      res.write('{"tree":[');
      pump();
    } else if (req.url?.startsWith("/repos/acme/api/contents/big.bin")) {
      // GitHub's raw media type: the file's bytes, with their length declared.
      res.setHeader("content-type", "application/vnd.github.raw");
      res.setHeader("content-length", String(RAW_FILE_BYTES));
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!res.destroyed && rawFileBytes < RAW_FILE_BYTES && res.write(chunk))
          rawFileBytes += chunk.length;
        if (rawFileBytes >= RAW_FILE_BYTES) res.end();
        else if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    } else if (req.url?.startsWith("/repos/acme/api/git/trees/declared")) {
      oversizedRequests.declared++;
      res.setHeader("content-length", String(512 * 1024 * 1024));
      res.write("{");
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: "Not Found" }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const signer = new PemAppJwtSigner(
  generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString(),
);

function broker() {
  return createGitHubClients({
    appId: 1,
    baseUrl,
    signer,
    // Retries on: an oversized body must still be fetched once only.
    retries: 3,
    retryAfterBaseMs: 1,
    log: silentLog,
    // Far beyond the test's own timeout: only the cap can end the endless read in time.
    requestTimeoutMs: 600_000,
    maxResponseBytes: 1024 * 1024,
  }).tokens;
}

describe("maxResponseBytes", () => {
  it("stops reading an endless body at the cap with ResponseTooLargeError, never empty data", async () => {
    const b = broker();
    const error = await b
      .withToken({ repository: "acme/api", operation: "read" }, recordingCall(), async (octokit) => {
        const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", {
          owner: "acme",
          repo: "api",
          tree_sha: "endless",
        });
        return data as unknown;
      })
      .then(
        (data) => ({ unexpectedData: data }),
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ code: "GITHUB_RESPONSE_TOO_LARGE", maxBytes: 1024 * 1024 });
    expect(oversizedRequests.endless).toBe(1);
    // The stub could only write what the client read plus socket buffers, nowhere near an endless stream.
    expect(endlessBytes).toBeLessThan(64 * 1024 * 1024);
    await b.drain();
  }, 15_000);

  it("refuses a declared content-length above the cap without reading the body", async () => {
    const b = broker();
    const error = await b
      .withToken({ repository: "acme/api", operation: "read" }, recordingCall(), (octokit) =>
        octokit.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", {
          owner: "acme",
          repo: "api",
          tree_sha: "declared",
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(String((error as Error).message)).toContain("larger than 1048576 bytes");
    expect(oversizedRequests.declared).toBe(1);
    await b.drain();
  });

  it("streams a raw file read: the reader stops at its own cap and the rest is never downloaded", async () => {
    const b = broker();
    const read = await b.withToken(
      { repository: "acme/api", operation: "read" },
      recordingCall(),
      async (octokit) => {
        const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
          owner: "acme",
          repo: "api",
          path: "big.bin",
          mediaType: { format: "raw" },
          request: STREAMED_BODY,
        });
        return readAtMost(data as unknown as ReadableStream<Uint8Array>, 256 * 1024);
      },
    );
    // Larger than maxResponseBytes (1 MiB) yet not an error: a file is cut at the caller's cap, not refused.
    expect(read.truncated).toBe(true);
    expect(read.bytes.byteLength).toBe(256 * 1024);
    await b.drain();
    // Only what sat in socket buffers was written, nowhere near the 40 MiB file.
    expect(rawFileBytes).toBeLessThan(RAW_FILE_BYTES / 4);
  }, 15_000);
});
