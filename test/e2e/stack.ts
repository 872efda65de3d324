/** Shared set-up for the end-to-end tests: the whole local stack (broker included) on free ports. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { parseConfig, type RepogateConfig } from "../../src/config/index.ts";
import type { EmulatorLog } from "../../wrangler-free-local/github/http/emulator-log.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import {
  LOCAL_MCP_SCOPE,
  type LocalStackDescription,
  SEED_POLICY_FILE,
  startLocalStack,
} from "../../wrangler-free-local/stack.ts";
import { freePort } from "../support/ports.ts";

/** The dev users of wrangler-free-local/seed/users.yaml. */
export const USERS = {
  alice: "alice@mycompany.example",
  pat: "pat@partner.example",
  nobody: "nobody@mycompany.example",
  sam: "sam@mycompany.example",
} as const;

export type UserName = keyof typeof USERS;

/** The nine tools of DESIGN.md, sorted. */
export const TOOL_NAMES = [
  "compare_refs",
  "get_commit",
  "get_file_contents",
  "get_repository_overview",
  "get_repository_tree",
  "list_branches",
  "list_commits",
  "list_repositories",
  "search_code",
];

/** A fresh temp data directory. */
export async function makeDataDir(prefix = "repogate-e2e-"): Promise<string> {
  return await mkdtemp(path.join(tmpdir(), prefix));
}

export interface E2eStack {
  dataDir: string;
  description: LocalStackDescription;
  mcpUrl: string;
  issuer: string;
  githubUrl: string;
  /** An access token for a dev user, through the real authorization-code + PKCE flow. */
  token(user: UserName, scope?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the GitHub emulator, dev IdP, AWS emulator and broker in a temp data dir, on free ports. */
export async function startE2eStack(): Promise<E2eStack> {
  const dataDir = await makeDataDir();
  // The IdP must know the broker's resource URL before the broker listens, so port 0 cannot be used.
  const broker = await freePort();
  const stack = await startLocalStack({
    dataDir,
    host: "127.0.0.1",
    ports: { broker, github: 0, idp: 0, aws: 0 },
    logLevel: "silent",
    print: () => {},
  });
  const { description } = stack;
  const mcpUrl = description.broker.mcpUrl;
  const issuer = description.idp.issuer;
  return {
    dataDir,
    description,
    mcpUrl,
    issuer,
    githubUrl: description.github.url,
    token: async (user, scope) => {
      const response = await devLogin({
        issuer,
        user: USERS[user],
        resource: mcpUrl,
        ...(scope !== undefined ? { scope } : {}),
      });
      return response.access_token;
    },
    close: async () => {
      try {
        await stack.close();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** An SDK client connected to the broker with a static bearer token. */
export async function connectWithToken(mcpUrl: string, token: string, name = "e2e"): Promise<Client> {
  const client = new Client({ name, version: "0.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

export interface ToolOutcome {
  isError: boolean;
  text: string;
  result: CallToolResult;
}

/** Calls a tool and joins its text content. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<ToolOutcome> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
  return { isError: result.isError === true, text, result };
}

/** The JSON object of a tool result (the first text block that parses as JSON). */
export function toolJson(outcome: ToolOutcome): Record<string, unknown> {
  for (const block of outcome.result.content) {
    if (block.type !== "text") continue;
    try {
      return JSON.parse(block.text) as Record<string, unknown>;
    } catch {
      // Headers and notices are plain text; the JSON block follows them.
    }
  }
  throw new Error(`no JSON block in the tool result: ${outcome.text.slice(0, 200)}`);
}

/** What `/_emulator/log` serves: the emulator log's JSON snapshot. */
export type EmulatorLogSnapshot = ReturnType<EmulatorLog["snapshot"]>;

/** The GitHub emulator's record of requests, mints and revocations (`/_emulator/log`). */
export async function emulatorLog(githubUrl: string): Promise<EmulatorLogSnapshot> {
  const res = await fetch(`${githubUrl}/_emulator/log`);
  if (!res.ok) throw new Error(`/_emulator/log answered ${res.status}`);
  return (await res.json()) as EmulatorLogSnapshot;
}

/** Polls the emulator log until every minted token is revoked (revocations run off the response path). */
export async function waitForRevocations(
  githubUrl: string,
  timeoutMs = 10_000,
): Promise<EmulatorLogSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await emulatorLog(githubUrl);
    if (log.revocations.length >= log.mints.length || Date.now() > deadline) return log;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Settings for a broker on `port` (run by `startServer`) wired to an already running GitHub emulator and dev
 * IdP, with the seed policy; `overrides` are merged in at the top level (`audit`, `http`, `rateLimit` …).
 */
export function wiredBrokerConfig(
  port: number,
  peers: {
    issuer: string;
    github: { url: string; app: { id: number; clientId: string; privateKeyPath: string } };
  },
  overrides: Record<string, unknown> = {},
): RepogateConfig {
  const publicUrl = `http://127.0.0.1:${port}`;
  return parseConfig({
    publicUrl,
    listen: { host: "127.0.0.1", port },
    auth: { oidc: { issuer: peers.issuer, requiredScopes: [LOCAL_MCP_SCOPE] } },
    github: {
      apiUrl: peers.github.url,
      appId: peers.github.app.id,
      clientId: peers.github.app.clientId,
      signer: { type: "pem", privateKeyPath: peers.github.app.privateKeyPath },
    },
    policy: { file: SEED_POLICY_FILE, watch: false },
    metrics: { exporter: "none" },
    logLevel: "silent",
    ...overrides,
  });
}
