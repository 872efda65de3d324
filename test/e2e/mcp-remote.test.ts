/**
 * mcp-remote as the real stdio ↔ HTTP bridge Claude Desktop runs: the SDK client speaks MCP over its
 * stdio, mcp-remote talks to the running broker. Both paths of the checklist's section b.2: a static
 * `Authorization` header, and mcp-remote's own OAuth flow (discovery from the 401, dynamic client
 * registration, PKCE), where this test plays the browser with the URL mcp-remote prints.
 */
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInAtAuthorizationUrl } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { claudeDesktopConfigs } from "../../wrangler-free-local/local-summary.ts";
import {
  callTool,
  type E2eStack,
  emulatorLog,
  makeDataDir,
  startE2eStack,
  TOOL_NAMES,
  USERS,
} from "./stack.ts";

const require = createRequire(import.meta.url);
/** The `mcp-remote` bin of the installed package (package.json "bin": dist/proxy.js). */
const MCP_REMOTE = path.join(path.dirname(require.resolve("mcp-remote/package.json")), "dist", "proxy.js");

let stack: E2eStack;
let configDir: string;
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startE2eStack();
  // mcp-remote keeps client registrations and tokens here instead of ~/.mcp-auth.
  configDir = await makeDataDir("repogate-mcp-remote-");
}, 30_000);

afterAll(async () => {
  // Closing the transport ends the mcp-remote child process.
  await Promise.allSettled(clients.map((c) => c.close()));
  await stack?.close();
  await rm(configDir, { recursive: true, force: true });
});

interface DesktopEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** The args `repogate local` prints for Claude Desktop, with `npx -y mcp-remote` replaced by the installed bin. */
function printedArgs(entry: unknown): { args: string[]; env: Record<string, string> } {
  const server = (entry as { mcpServers: { repogate: DesktopEntry } }).mcpServers.repogate;
  expect(server.command).toBe("npx");
  expect(server.args.slice(0, 2)).toEqual(["-y", "mcp-remote"]);
  return { args: server.args.slice(2), env: server.env ?? {} };
}

function bridge(
  args: string[],
  env: Record<string, string>,
  stderrLines?: string[],
): { client: Client; transport: StdioClientTransport } {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_REMOTE, ...args],
    env: {
      ...(process.env as Record<string, string>),
      ...env,
      MCP_REMOTE_CONFIG_DIR: configDir,
      // No real browser: the opener "succeeds" without doing anything; the test follows the printed URL.
      BROWSER: "true",
    },
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => stderrLines?.push(chunk.toString("utf8")));
  const client = new Client({ name: "e2e-mcp-remote", version: "0.0.0" });
  clients.push(client);
  return { client, transport };
}

describe("mcp-remote as a bridge", () => {
  it("with a static Authorization header: initialize, tools/list, get_file_contents", async () => {
    const token = await stack.token("alice");
    const stderr: string[] = [];
    const { client, transport } = bridge(
      [stack.mcpUrl, "--transport", "http-only", "--header", `Authorization:Bearer ${token}`],
      {},
      stderr,
    );
    await client.connect(transport);
    expect(client.getServerVersion()?.name).toBe("repogate");

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);

    const r = await callTool(client, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "README.md",
    });
    expect(r.isError).toBe(false);
    expect(r.text).toContain("# web");
    expect(r.text).toContain("The customer-facing web application of MyCompany");

    const denied = await callTool(client, "get_file_contents", { owner: "othercorp", repo: "secret" });
    expect(denied.isError).toBe(true);
    expect(denied.text).toContain("not in the whitelist");
    // A valid header never sent mcp-remote into the OAuth flow.
    expect(stderr.join("")).not.toContain("Please authorize this client");
    await client.close();
  }, 40_000);

  it("exactly as `repogate local` prints it with a static token (header from an env variable)", async () => {
    const token = await stack.token("pat");
    const { args, env } = printedArgs(claudeDesktopConfigs(stack.mcpUrl).staticHeader);
    expect(args).toContain(stack.mcpUrl);
    const [name] = Object.keys(env);
    expect(name).toBeDefined();
    const { client, transport } = bridge(args, { [name ?? ""]: `Bearer ${token}` });
    await client.connect(transport);
    // pat's token reached the broker: the partner repository is readable.
    const r = await callTool(client, "get_file_contents", {
      owner: "partner-org",
      repo: "shared-sdk",
      path: "README.md",
    });
    expect(r.isError).toBe(false);
    expect(r.text).toContain("# shared-sdk");
    await client.close();
  }, 40_000);

  it.each([
    ["as printed by `repogate local`", (url: string) => url],
    // A user who types localhost reaches the same loopback broker, and the resource follows that spelling.
    ["with the URL spelled localhost", (url: string) => url.replace("//127.0.0.1:", "//localhost:")],
  ])(
    "with its own OAuth flow %s: 401 → discovery → registration → PKCE → tools",
    async (_, spell) => {
      const mcpUrl = spell(stack.mcpUrl);
      const stderr: string[] = [];
      const { args } = printedArgs(claudeDesktopConfigs(mcpUrl).oauth);
      const { client, transport } = bridge(args, {}, stderr);

      // Plays the browser: waits for the URL mcp-remote prints, signs alice in, delivers the code.
      const browser = (async () => {
        const deadline = Date.now() + 20_000;
        let authorizationUrl: URL | undefined;
        while (!authorizationUrl && Date.now() < deadline) {
          const match = /Please authorize this client by visiting:\s*(\S+)/.exec(stderr.join(""));
          if (match?.[1]) authorizationUrl = new URL(match[1]);
          else await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (!authorizationUrl)
          throw new Error(`mcp-remote printed no authorization URL:\n${stderr.join("")}`);
        const redirectUri = authorizationUrl.searchParams.get("redirect_uri") ?? "";
        const state = authorizationUrl.searchParams.get("state") ?? undefined;
        const { code } = await signInAtAuthorizationUrl(authorizationUrl.href, {
          issuer: stack.issuer,
          user: USERS.alice,
          redirectUri,
          ...(state ? { state } : {}),
        });
        // The browser resolves localhost; mcp-remote's callback server listens on 127.0.0.1.
        const callback = new URL(redirectUri.replace("//localhost:", "//127.0.0.1:"));
        callback.searchParams.set("code", code);
        if (state) callback.searchParams.set("state", state);
        callback.searchParams.set("iss", stack.issuer);
        const res = await fetch(callback);
        await res.text();
        return { authorizationUrl, redirectUri, callbackStatus: res.status };
      })();

      await client.connect(transport);
      const { authorizationUrl, redirectUri, callbackStatus } = await browser;
      expect(callbackStatus).toBe(200);
      expect(authorizationUrl.href.startsWith(`${stack.issuer}/auth?`)).toBe(true);
      expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
      expect(authorizationUrl.searchParams.get("resource")).toBe(mcpUrl);
      expect(authorizationUrl.searchParams.get("scope")).toContain("mcp:tools");
      expect(redirectUri).toMatch(/^http:\/\/localhost:\d+\/oauth\/callback$/);

      const before = await emulatorLog(stack.githubUrl);
      const r = await callTool(client, "get_file_contents", {
        owner: "mycompany",
        repo: "web",
        path: "README.md",
      });
      expect(r.isError).toBe(false);
      expect(r.text).toContain("# web");
      const after = await emulatorLog(stack.githubUrl);
      expect(after.mints.slice(before.mints.length).map((m) => m.repositories)).toEqual([["mycompany/web"]]);
      await client.close();
    },
    45_000,
  );
});
