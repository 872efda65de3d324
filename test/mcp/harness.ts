/** Shared set-up for the MCP tool tests: GitHub emulator, real broker, seed policy, handler, SDK client. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Hono } from "hono";
import { afterAll, beforeAll } from "vitest";
import {
  AuditLog,
  type CallDecision,
  type CallObserver,
  type CallRecord,
  type CallResult,
  CallTrail,
  JsonlAuditSink,
} from "../../src/audit/index.ts";
import type { Principal } from "../../src/auth/principal.ts";
import {
  type AppJwtSigner,
  createGitHubClients,
  type GitHubClients,
  PemAppJwtSigner,
  type TokenGrant,
  type TokenRevocation,
} from "../../src/github/index.ts";
import { createMcpHandler, type McpLogger, type ToolLimits } from "../../src/mcp/index.ts";
import { PolicyEngine, PolicyStore, parsePolicy } from "../../src/policy/index.ts";
import { startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";
import { listen, type RunningService } from "../../wrangler-free-local/service.ts";

export type GitHubEmulator = Awaited<ReturnType<typeof startGitHubEmulator>>;

/** A decision as the call records report it, with who took it and in which call. */
export type ToolDecisionEvent = CallDecision & { principal: Principal; requestId: string; tool: string };
/** The end of a tool call as the call records report it. */
export type ToolResultEvent = CallResult & { principal: Principal; requestId: string; tool: string };

function whoOf(call: CallRecord) {
  return { principal: call.principal, requestId: call.request.id, tool: call.request.tool };
}

/** The dev users of wrangler-free-local/seed/users.yaml, as the auth layer would hand them over. */
export const USERS: Record<string, Principal> = {
  alice: {
    sub: "user-alice",
    email: "alice@mycompany.example",
    groups: ["eng"],
    via: "oidc",
    scopes: ["mcp"],
  },
  pat: {
    sub: "user-pat",
    email: "pat@partner.example",
    groups: ["partner-integration"],
    via: "oidc",
    scopes: ["mcp"],
  },
  nobody: { sub: "user-nobody", email: "nobody@mycompany.example", groups: [], via: "oidc", scopes: ["mcp"] },
};

const silentOctokitLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface Harness {
  github: GitHubEmulator;
  broker: GitHubClients;
  engine: PolicyEngine;
  server: RunningService;
  url: string;
  decisions: ToolDecisionEvent[];
  results: ToolResultEvent[];
  /** Every token grant and revocation the broker reported to the call records. */
  grants: TokenGrant[];
  revocations: TokenRevocation[];
  /** The tool of the call each grant was recorded in, in grant order. */
  grantTools: string[];
  logged: Array<{ level: string; fields: Record<string, unknown>; message: string }>;
  /** A call record for GitHub reads a test makes itself (as alice), outside any tool call. */
  record: CallRecord;
  /** A connected SDK client for `user` (a USERS key or any extra principal registered with `addUser`). */
  connect(user: string): Promise<Client>;
  addUser(name: string, principal: Principal): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Policy YAML to use instead of wrangler-free-local/seed/policy.yaml. */
  policyYaml?: string;
  limits?: Partial<ToolLimits>;
  /** Where the handler reads the policy in force (overrides policyYaml), e.g. to simulate reloads. */
  policySource?: { current(): PolicyEngine };
  /** Signs the App JWT instead of the emulator's PEM key (e.g. a failing KMS signer). */
  signer?: AppJwtSigner;
  /** Make recording a decision throw when this returns true (an observer failing). */
  failDecisionHook?: (event: ToolDecisionEvent) => boolean;
}

/** Starts everything on port 0 in a temp data dir. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), "repogate-mcp-"));
  const github = await startGitHubEmulator({ dataDir, port: 0 });
  const signer =
    options.signer ?? new PemAppJwtSigner(await readFile(github.app.privateKeyPath, "utf8"), "emulator key");
  const grants: TokenGrant[] = [];
  const revocations: TokenRevocation[] = [];
  const grantTools: string[] = [];
  const broker = createGitHubClients({
    appId: github.app.id,
    clientId: github.app.clientId,
    baseUrl: github.url,
    signer,
    retries: 1,
    retryAfterBaseMs: 5,
    log: silentOctokitLog,
  });
  // The seed policy goes through a real PolicyStore (what the server passes); custom ones through current().
  const store = options.policyYaml
    ? null
    : await PolicyStore.open({ path: "wrangler-free-local/seed/policy.yaml", watch: false });
  const engine = store
    ? store.engine
    : new PolicyEngine(parsePolicy(options.policyYaml ?? "", { source: "test-policy.yaml" }));
  const decisions: ToolDecisionEvent[] = [];
  const results: ToolResultEvent[] = [];
  const logged: Harness["logged"] = [];
  const logger: McpLogger = {
    warn: (fields, message) => logged.push({ level: "warn", fields, message }),
    error: (fields, message) => logged.push({ level: "error", fields, message }),
  };
  const users: Record<string, Principal> = { ...USERS };
  // A real audit trail (hash-chained JSONL in the temp dir) behind the call records; the harness observes them.
  const audit = await AuditLog.open({ sink: new JsonlAuditSink({ dir: dataDir, prefix: "audit" }) });
  const observer: CallObserver = {
    decided: (call, decided) => {
      const event = { ...decided, ...whoOf(call) };
      if (options.failDecisionHook?.(event)) throw new Error("audit sink unavailable");
      decisions.push(event);
    },
    granted: (call, grant) => {
      grants.push(grant);
      grantTools.push(call.request.tool);
    },
    revoked: (_call, revocation) => void revocations.push(revocation),
    finished: (call, result) => void results.push({ ...result, ...whoOf(call) }),
  };
  const trail = new CallTrail(audit, [observer]);
  const policySource = options.policySource ?? store ?? { current: () => engine };
  const handler = createMcpHandler({
    policy: () => ("engine" in policySource ? policySource.engine : policySource.current()),
    github: broker,
    trail,
    logger,
    serverInfo: { name: "repogate-test", version: "0.0.0" },
    ...(options.limits ? { limits: options.limits } : {}),
  });
  // Test wiring only: the principal comes from a header here; the real app authenticates first.
  const app = new Hono();
  let requests = 0;
  app.all("/mcp", async (c) => {
    const principal = users[c.req.header("x-test-user") ?? ""];
    if (!principal) return c.text("unknown test user", 401);
    // Like the real app's scope guard: the body is read (and used up) before the handler runs.
    const parsedBody = c.req.method === "POST" ? await c.req.json() : undefined;
    return handler(c.req.raw, principal, { id: `req-${++requests}`, parsedBody });
  });
  const server = await listen("mcp-test", app);
  return {
    github,
    broker,
    engine,
    server,
    url: `${server.url}/mcp`,
    decisions,
    results,
    grants,
    revocations,
    grantTools,
    logged,
    record: trail.open(USERS.alice as Principal, { id: "test-direct", tool: "test" }),
    addUser: (name, principal) => {
      users[name] = principal;
    },
    connect: async (user) => {
      const client = new Client({ name: `test-${user}`, version: "0.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { "x-test-user": user } },
      });
      await client.connect(transport);
      return client;
    },
    close: async () => {
      await broker.tokens.drain();
      await audit.close();
      await server.close();
      await github.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One harness for the whole test file with a client connected as alice: started before the first test (both
 * handed to `onStart`), closed after the last.
 */
export function useHarnessAsAlice(
  options: HarnessOptions,
  onStart: (harness: Harness, alice: Client) => void,
): void {
  let harness: Harness | undefined;
  let alice: Client | undefined;
  beforeAll(async () => {
    harness = await startHarness(options);
    alice = await harness.connect("alice");
    onStart(harness, alice);
  }, 30_000);
  afterAll(async () => {
    await alice?.close();
    await harness?.close();
  });
}

/** Calls a tool and returns the result with its text joined. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ result: CallToolResult; text: string; isError: boolean }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === "text" ? c.text : `[${c.type}]`)).join("\n");
  return { result, text, isError: result.isError === true };
}

/** Parses the first text block of a successful result as JSON. */
export function json(result: CallToolResult): Record<string, unknown> {
  const first = result.content[0];
  if (first?.type !== "text") throw new Error("no text block");
  return JSON.parse(first.text) as Record<string, unknown>;
}
