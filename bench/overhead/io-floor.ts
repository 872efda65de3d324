/**
 * Bench process 5: the I/O floor. The input and output one allowed tool call needs in this design, done as
 * leanly as Node can, and nothing else: no MCP server, no octokit request pipeline (`@octokit/auth-app` only
 * signs the App JWT), no policy, no sign-in check, no audit event built or hashed. Per POST (a JSON-RPC `tools/call` body, parsed):
 *   1. mint an installation token narrowed to the repository (POST …/access_tokens with an App JWT signed once
 *      and reused for 5 minutes, as the broker caches its own);
 *   2. append a grant line (the size of repogate's `token.grant`) to a file and fsync it;
 *   3. read the file (GET …/contents/…) with that token and decode it;
 *   4. append the call's line and fsync it, then answer;
 *   5. after the answer: revoke the token (DELETE /installation/token), append that line and fsync it.
 * All three GitHub requests share one undici keep-alive pool; the server is the same Hono stack as the bare
 * route. Nothing here is work a call in this design could skip, so its CPU per call ÷ the bare route's is a
 * floor for `cpuRatio` on Node on the same machine: an implementation might shave some of it, not most.
 *   node io-floor.mjs '{"dataDir":…,"githubUrl":…,"appId":…,"privateKeyPath":…,"installationId":2001,"owner":…,…}'
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { createAppAuth } from "@octokit/auth-app";
import { Hono } from "hono";
import { Pool } from "undici";
import { benchChild } from "./child.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as {
  dataDir: string;
  githubUrl: string;
  appId: number;
  /** The emulated App's private key (the emulator writes it), so no credential travels on a command line. */
  privateKeyPath: string;
  installationId: number;
  owner: string;
  repo: string;
  path: string;
};
const appAuth = createAppAuth({
  appId: options.appId,
  privateKey: await readFile(options.privateKeyPath, "utf8"),
});
let appJwt = { token: "", signedAt: 0 };
/** The App JWT, signed again every 5 minutes (GitHub accepts one for 10). */
async function currentAppJwt(): Promise<string> {
  if (Date.now() - appJwt.signedAt > 5 * 60_000) {
    appJwt = { token: (await appAuth({ type: "app" })).token, signedAt: Date.now() };
  }
  return appJwt.token;
}
const github = new Pool(options.githubUrl, { connections: 16 });
const GITHUB_HEADERS = { accept: "application/vnd.github+json", "user-agent": "repogate-bench-io-floor" };
const file = await open(join(options.dataDir, "io-floor.jsonl"), "a");
// Lines as long as repogate's events (token.grant ~700 bytes, tool.call ~520, token.revoke ~650).
const line = (type: string, bytes: number) => `${`{"type":"${type}","pad":"`.padEnd(bytes - 3, "x")}"}\n`;
const GRANT = line("token.grant", 700);
const CALL = line("tool.call", 520);
const REVOKE = line("token.revoke", 650);

async function durableAppend(text: string): Promise<void> {
  await file.write(text);
  await file.sync();
}

async function githubJson(
  method: "GET" | "POST",
  path: string,
  authorization: string,
  body?: string,
): Promise<unknown> {
  const response = await github.request({
    method,
    path,
    headers: { ...GITHUB_HEADERS, authorization, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body } : {}),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${method} ${path}: HTTP ${response.statusCode} ${text}`);
  return JSON.parse(text);
}

async function revoke(token: string): Promise<void> {
  const response = await github.request({
    method: "DELETE",
    path: "/installation/token",
    headers: { ...GITHUB_HEADERS, authorization: `token ${token}` },
  });
  await response.body.dump();
  if (response.statusCode !== 204) throw new Error(`revocation: HTTP ${response.statusCode}`);
  await durableAppend(REVOKE);
}

const MINT_BODY = JSON.stringify({
  repositories: [options.repo],
  permissions: { contents: "read", metadata: "read" },
});
const app = new Hono();
app.post("/", async (c) => {
  const call = (await c.req.json()) as { id: number };
  const { token } = (await githubJson(
    "POST",
    `/app/installations/${options.installationId}/access_tokens`,
    `Bearer ${await currentAppJwt()}`,
    MINT_BODY,
  )) as { token: string };
  let content: { content: string };
  try {
    await durableAppend(GRANT);
    content = (await githubJson(
      "GET",
      `/repos/${options.owner}/${options.repo}/contents/${options.path}`,
      `token ${token}`,
    )) as { content: string };
    await durableAppend(CALL);
  } finally {
    setImmediate(() => void revoke(token).catch((error: unknown) => console.error(error)));
  }
  const text = Buffer.from(content.content, "base64").toString("utf8");
  return c.json({ jsonrpc: "2.0", id: call.id, result: { content: [{ type: "text", text }] } });
});
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
await new Promise((resolve) => server.once("listening", resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
benchChild(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await github.close();
  await file.close();
}).ready({ url: `http://127.0.0.1:${port}/` });
