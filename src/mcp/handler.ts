import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Principal } from "../auth/principal.ts";
import type { GitHubBroker } from "../github/index.ts";
import { redactErrorText } from "../github/index.ts";
import type { PolicyEngine } from "../policy/index.ts";
import { DEFAULT_TOOL_LIMITS, type ToolContext, type ToolLimits } from "./context.ts";
import { noopToolEvents, type ToolEvents } from "./events.ts";
import { InstallationRepositoryIndex } from "./installation-repositories.ts";
import { type McpLogger, stderrLogger } from "./logger.ts";
import { registerTool } from "./tool-runner.ts";
import { REPOSITORY_TOOLS } from "./tools/index.ts";

/** Where the policy in force comes from: a `PolicyStore` (its `engine` getter) or anything with `current()`. */
export type PolicySource = { readonly engine: PolicyEngine } | { current(): PolicyEngine };

export interface McpHandlerOptions {
  policy: PolicySource;
  github: GitHubBroker;
  events?: ToolEvents;
  logger?: McpLogger;
  serverInfo: { name: string; version: string; title?: string };
  limits?: Partial<ToolLimits>;
  /** Shared listing of the installations' repositories (list_repositories, search_code); built when omitted. */
  repositoryIndex?: InstallationRepositoryIndex;
  /** TTL of that listing when it is built here. Default 60 s. */
  repositoryListingTtlMs?: number;
}

/** Extra per-request inputs from the HTTP layer. */
export interface McpRequestOptions {
  /** The JSON-RPC body when a middleware already read it (the request body stream is then used up). */
  parsedBody?: unknown;
}

/** Serves one `/mcp` request for an authenticated principal. */
export type McpRequestHandler = (
  request: Request,
  principal: Principal,
  requestId: string,
  options?: McpRequestOptions,
) => Promise<Response>;

const INSTRUCTIONS =
  "repogate gives read-only access to the GitHub repositories your organization's policy allows for you. Start with list_repositories; a denied call names the policy rule and what it allows.";

function engineOf(source: PolicySource): () => PolicyEngine {
  // Not `"current" in source`: PolicyStore keeps its engine in a (TypeScript-)private field named `current`.
  const current = (source as { current?: unknown }).current;
  if (typeof current === "function") return () => (source as { current(): PolicyEngine }).current();
  return () => (source as { readonly engine: PolicyEngine }).engine;
}

/**
 * Builds the `/mcp` handler: per request a NEW McpServer with the nine tools bound to that principal and
 * a NEW stateless transport with JSON responses, both closed afterwards. Sharing either between
 * requests leaked responses across clients (CVE-2026-25536), so nothing request-scoped outlives a call.
 */
export function createMcpHandler(options: McpHandlerOptions): McpRequestHandler {
  const policy = engineOf(options.policy);
  const events = options.events ?? noopToolEvents;
  const logger = options.logger ?? stderrLogger;
  const limits: ToolLimits = { ...DEFAULT_TOOL_LIMITS, ...options.limits };
  const repositories =
    options.repositoryIndex ??
    new InstallationRepositoryIndex({
      github: options.github,
      ...(options.repositoryListingTtlMs !== undefined ? { ttlMs: options.repositoryListingTtlMs } : {}),
    });

  return async (request, principal, requestId, requestOptions = {}) => {
    // Stateless: no standalone SSE stream (GET) and no session to delete (DELETE).
    if (request.method !== "POST") {
      return Response.json(
        { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: use POST" }, id: null },
        { status: 405, headers: { allow: "POST" } },
      );
    }
    const ctx: ToolContext = {
      principal,
      requestId,
      policy,
      github: options.github,
      repositories,
      events,
      logger,
      limits,
    };
    const server = new McpServer(options.serverInfo, {
      capabilities: { tools: {} },
      instructions: INSTRUCTIONS,
    });
    for (const tool of REPOSITORY_TOOLS) registerTool(server, ctx, tool);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    try {
      await server.connect(transport);
      return await transport.handleRequest(
        request,
        requestOptions.parsedBody !== undefined ? { parsedBody: requestOptions.parsedBody } : {},
      );
    } catch (error) {
      logger.error(
        { requestId, error: redactErrorText(error instanceof Error ? error.message : String(error)) },
        "repogate mcp: request failed",
      );
      return Response.json(
        {
          jsonrpc: "2.0",
          error: { code: -32603, message: `Internal error (request id ${requestId})` },
          id: null,
        },
        { status: 500 },
      );
    } finally {
      await transport
        .close()
        .catch((error: unknown) =>
          logger.warn({ requestId, error: String(error) }, "transport close failed"),
        );
      await server
        .close()
        .catch((error: unknown) => logger.warn({ requestId, error: String(error) }, "server close failed"));
    }
  };
}
