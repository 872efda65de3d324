/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`) against the local stack, for the
 * scenarios that apply to a stateless, tools-only server. The suite needs Node 22+, so this runs on CI's
 * Node 24 leg. It sends no credentials: a small proxy adds the bearer token, turns a Host/Origin naming the
 * proxy into the same hostname on the broker's port (same-origin stays same-origin), and passes any other
 * Host/Origin through as sent, so the DNS-rebinding checks reach the broker untouched.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eStack, makeDataDir, startE2eStack } from "./stack.ts";

const require = createRequire(import.meta.url);
const SUITE = path.join(
  path.dirname(require.resolve("@modelcontextprotocol/conformance/package.json")),
  "dist",
  "index.js",
);
const nodeMajor = Number(process.versions.node.split(".")[0]);

let stack: E2eStack;
let proxy: Server;
let proxyPort: number;

/** Host or Origin naming the proxy → the same hostname on the broker's port; anything else unchanged. */
function toBroker(value: string | undefined, brokerPort: number): string | undefined {
  if (!value) return value;
  const match = /^(https?:\/\/)?([^/:]+|\[[^\]]+\]):(\d+)$/.exec(value);
  return match && Number(match[3]) === proxyPort ? `${match[1] ?? ""}${match[2]}:${brokerPort}` : value;
}

beforeAll(async () => {
  if (nodeMajor < 22) return;
  stack = await startE2eStack();
  const token = await stack.token("alice");
  const brokerPort = Number(new URL(stack.mcpUrl).port);
  proxy = createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    headers.host = toBroker(req.headers.host, brokerPort);
    if (req.headers.origin) headers.origin = toBroker(req.headers.origin, brokerPort);
    const upstream = httpRequest(
      { host: "127.0.0.1", port: brokerPort, path: "/mcp", method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => res.writeHead(502).end(String(error)));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyPort = (proxy.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  await stack?.close();
});

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** Runs one scenario and returns its checks (from the suite's checks.json). */
async function scenario(name: string): Promise<Check[]> {
  const out = await makeDataDir("repogate-conformance-");
  await new Promise<void>((resolve) => {
    execFile(
      process.execPath,
      [SUITE, "server", "--url", `http://localhost:${proxyPort}/mcp`, "--scenario", name, "-o", out],
      { timeout: 60_000 },
      () => resolve(),
    );
  });
  try {
    const [run] = await readdir(out);
    return JSON.parse(await readFile(path.join(out, run ?? "", "checks.json"), "utf8")) as Check[];
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

describe.skipIf(nodeMajor < 22)("the official MCP conformance suite against `repogate local`", () => {
  it.each(["server-initialize", "ping", "tools-list", "dns-rebinding-protection"])(
    "passes %s",
    async (name) => {
      const checks = await scenario(name);
      expect(checks.length).toBeGreaterThan(0);
      for (const check of checks)
        expect(check.status, `${check.id}: ${check.errorMessage ?? ""}`).toBe("SUCCESS");
    },
    90_000,
  );
});
