import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResponseTooLargeError } from "../../src/github/errors.ts";
import { createPooledFetch } from "../../src/github/pooled-fetch.ts";

let server: Server;
let baseUrl: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/moved") {
      res.writeHead(301, { location: "/json" });
      res.end();
    } else if (req.url === "/json") {
      res.writeHead(200, { "content-type": "application/json", "x-ratelimit-remaining": "42" });
      res.end(JSON.stringify({ ok: true, method: req.method }));
    } else if (req.url === "/empty") {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(Buffer.alloc(4096, 0x61));
    }
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("createPooledFetch (the broker's GitHub HTTP client)", () => {
  it("keeps connections alive across sequential requests and answers what octokit reads", async () => {
    const fetchPooled = createPooledFetch({ timeoutMs: 5000, maxResponseBytes: 1024 * 1024 });
    // undici may open a second connection while the first is being released; after that the pool is warm.
    for (let i = 0; i < 2; i++) await (await fetchPooled(`${baseUrl}/json`)).text();
    const before = connections;
    for (let i = 0; i < 10; i++) {
      const response = await fetchPooled(`${baseUrl}/json`, { method: "POST", body: "{}" });
      expect(response.status).toBe(200);
      expect(response.headers.get("X-RateLimit-Remaining")).toBe("42");
      expect(Object.fromEntries(response.headers as unknown as Iterable<[string, string]>)).toMatchObject({
        "content-type": "application/json",
      });
      expect(JSON.parse(await response.text())).toEqual({ ok: true, method: "POST" });
    }
    expect(connections - before).toBe(0);
  });

  it("follows redirects, gives 204 a null body and streams a raw body", async () => {
    const fetchPooled = createPooledFetch({ timeoutMs: 5000, maxResponseBytes: 1024 * 1024 });
    expect(await (await fetchPooled(`${baseUrl}/moved`)).text()).toContain('"ok":true');
    expect((await fetchPooled(`${baseUrl}/empty`)).body).toBeNull();
    const raw = await fetchPooled(`${baseUrl}/raw`);
    expect((await new Response(raw.body).arrayBuffer()).byteLength).toBe(4096);
  });

  it("refuses a body over the cap and a URL with credentials", async () => {
    const small = createPooledFetch({ timeoutMs: 5000, maxResponseBytes: 1000 });
    await expect(small(`${baseUrl}/raw`)).rejects.toBeInstanceOf(ResponseTooLargeError);
    const withCredentials = baseUrl.replace("://", "://user:secret@");
    await expect(small(`${withCredentials}/json`)).rejects.toThrow(/includes credentials/);
  });
});
