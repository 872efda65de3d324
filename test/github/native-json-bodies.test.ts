/**
 * nativeJsonBodies must decode every success body exactly as octokit's own getResponseData does, through the
 * broker's pooled fetch (bytes in memory) and through Node's fetch (a web stream), and leave STREAMED_BODY
 * requests their stream. Compared against a plain octokit on the same real HTTP server.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeJsonBodies, STREAMED_BODY, UNPARSED_BODIES } from "../../src/github/native-json-bodies.ts";
import { createPooledFetch } from "../../src/github/pooled-fetch.ts";

const ANSWERS: Record<string, { type?: string; body: string; status?: number }> = {
  "/json": {
    type: "application/json; charset=utf-8",
    body: '{"id":42,"name":"web","nested":{"list":[1,"a",null]}}',
  },
  "/json-not-json": { type: "application/json", body: "<html>oops</html>" },
  "/text": { type: "text/plain", body: "plain words" },
  "/utf8": { type: "application/vnd.github.diff; charset=utf-8", body: "diff --git a b" },
  "/binary": { type: "application/octet-stream; charset=utf-8", body: "\u0001\u0002" },
  "/untyped": { body: "no type" },
  "/empty": { type: "application/json", body: "", status: 204 },
};

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = ANSWERS[req.url ?? ""];
    if (!answer) return res.writeHead(404).end();
    res.writeHead(answer.status ?? 200, answer.type ? { "content-type": answer.type } : {});
    res.end(answer.status === 204 ? undefined : answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const NativeOctokit = Octokit.plugin(nativeJsonBodies);
const fetches = {
  "the pooled fetch": createPooledFetch({ timeoutMs: 5_000, maxResponseBytes: 1 << 20 }),
  "Node's fetch": globalThis.fetch,
};

describe.each(Object.entries(fetches))("nativeJsonBodies through %s", (_name, fetch) => {
  const native = () => new NativeOctokit({ baseUrl, request: { ...UNPARSED_BODIES, fetch } });
  const octokits = () => new Octokit({ baseUrl, request: { fetch } });

  it.each(Object.keys(ANSWERS))("decodes %s as octokit does", async (path) => {
    const ours = await native().request(`GET ${path}`);
    const theirs = await octokits().request(`GET ${path}`);
    expect(ours.status).toBe(theirs.status);
    if (theirs.data instanceof ArrayBuffer) {
      expect(ours.data).toBeInstanceOf(ArrayBuffer);
      expect(Buffer.from(ours.data as ArrayBuffer)).toEqual(Buffer.from(theirs.data));
    } else {
      expect(ours.data).toEqual(theirs.data);
    }
  });

  it("parses JSON into plain values", async () => {
    const { data } = await native().request("GET /json");
    expect(data).toEqual({ id: 42, name: "web", nested: { list: [1, "a", null] } });
  });

  it("leaves a STREAMED_BODY request its stream", async () => {
    const { data } = await native().request("GET /json", { request: STREAMED_BODY });
    const text = await new Response(data as ReadableStream<Uint8Array>).text();
    expect(JSON.parse(text)).toEqual({ id: 42, name: "web", nested: { list: [1, "a", null] } });
  });
});
