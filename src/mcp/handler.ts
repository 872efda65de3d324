import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { CallTrail } from "../audit/call-record.ts";
import type { Principal } from "../auth/principal.ts";
import type { GitHubClients } from "../github/index.ts";
import { redactErrorText } from "../github/index.ts";
import type { PolicyEngine } from "../policy/index.ts";
import { AUDIT_REFUSAL_TEXT, isAuditRefusal } from "./audit-refusal.ts";
import { DEFAULT_TOOL_LIMITS, type ToolContext, type ToolLimits } from "./context.ts";
import { InstallationRepositoryIndex } from "./installation-repositories.ts";
import { type McpLogger, stderrLogger } from "./logger.ts";
import { runToolCall } from "./tool-call.ts";
import { toolCallsIn } from "./tool-calls.ts";
import { createToolCatalog } from "./tool-catalog.ts";
import { REPOSITORY_TOOLS } from "./tools/index.ts";

export interface McpHandlerOptions {
  /** The policy in force; read once per tool call, so a reloaded policy applies to the very next call. */
  policy: () => PolicyEngine;
  github: GitHubClients;
  /**
   * Opens each tool call's record (audit trail, metrics, logs); its `ready()` is awaited before a request that
   * calls a tool runs, so nothing starts that could not be recorded.
   */
  trail: CallTrail;
  logger?: McpLogger;
  serverInfo: { name: string; version: string; title?: string };
  limits?: Partial<ToolLimits>;
  /** How long the installations' repository listing (list_repositories, search_code) is reused. Default 60 s. */
  repositoryListingTtlMs?: number;
}

/** What the HTTP layer knows about one `/mcp` request besides its principal. */
export interface McpRequest {
  /** The broker's request id (a ULID, echoed as `x-request-id`). */
  id: string;
  /** The caller's own `x-request-id`, when it sent a plain one. */
  clientRequestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  /** The JSON-RPC body, read by the HTTP layer (the request handed over has no body of its own). */
  parsedBody?: unknown;
}

/** Serves one `/mcp` request for an authenticated principal. */
export type McpRequestHandler = (
  request: Request,
  principal: Principal,
  info: McpRequest,
) => Promise<Response>;

// Built once: the tools' JSON schemas and parsers, and the SDK's JSON-schema validator (which a per-request
// Server would otherwise build anew each time, ajv-formats included).
const CATALOG = createToolCatalog(REPOSITORY_TOOLS);
const SCHEMA_VALIDATOR = new AjvJsonSchemaValidator();

/** The id of a single JSON-RPC request, for an error answer; `null` for a batch or an unusable id. */
function requestIdOf(body: unknown): string | number | null {
  if (Array.isArray(body) || typeof body !== "object" || body === null) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

const INSTRUCTIONS =
  "repogate gives read-only access to the GitHub repositories your organization's policy allows for you. Start with list_repositories; a denied call names the policy rule and what it allows.";

/**
 * Builds the `/mcp` handler: per request a NEW MCP Server bound to that principal and a NEW stateless
 * transport with JSON responses, both closed afterwards. Sharing either between requests leaked responses
 * across clients (CVE-2026-25536), so nothing request-scoped outlives a call; what does not depend on the
 * request (tool schemas, parsers, the JSON-schema validator) is built once.
 */
export function createMcpHandler(options: McpHandlerOptions): McpRequestHandler {
  const { trail, github } = options;
  const logger = options.logger ?? stderrLogger;
  const limits: ToolLimits = { ...DEFAULT_TOOL_LIMITS, ...options.limits };
  const repositories = new InstallationRepositoryIndex({ github, ttlMs: options.repositoryListingTtlMs });

  return async (request, principal, info) => {
    const { parsedBody: body, ...identity } = info;
    const requestId = info.id;
    // One answer for every refusal because of the audit trail, before or during a call: never a result.
    const auditRefused = () =>
      Response.json(
        { jsonrpc: "2.0", error: { code: -32000, message: AUDIT_REFUSAL_TEXT }, id: requestIdOf(body) },
        { status: 503, headers: { "retry-after": "2" } },
      );
    if (toolCallsIn(body).length > 0) {
      try {
        await trail.ready();
      } catch (error) {
        if (isAuditRefusal(error)) return auditRefused();
        throw error;
      }
    }
    // Shared by the request's tool calls (a batch may hold several): one audit refusal refuses the request.
    const refusal: ToolContext["refusal"] = {};
    // The low-level Server, so the capabilities are exactly what a stateless server honours (no
    // tools.listChanged: it could never send that notification) and an unknown tool is a protocol error.
    const server = new Server(options.serverInfo, {
      capabilities: { tools: {} },
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: SCHEMA_VALIDATOR,
    });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: CATALOG.listing }));
    server.setRequestHandler(CallToolRequestSchema, async (call) => {
      const tool = CATALOG.get(call.params.name);
      if (!tool) {
        // A plain error with a code: McpError would prefix "MCP error -32602:" to a message the client prefixes too.
        throw Object.assign(
          new Error(
            `Unknown tool ${JSON.stringify(call.params.name.slice(0, 100))}: call tools/list for the tools this server offers`,
          ),
          { code: ErrorCode.InvalidParams },
        );
      }
      const parsed = await tool.parse(call.params.arguments);
      if (!parsed.ok) return { isError: true, content: [{ type: "text" as const, text: parsed.message }] };
      const ctx: ToolContext = {
        record: trail.open(principal, { ...identity, tool: tool.definition.name }),
        policy: options.policy(),
        github,
        repositories,
        logger,
        limits,
        refusal,
      };
      return runToolCall(ctx, tool.definition, parsed.args as never);
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, body !== undefined ? { parsedBody: body } : {});
      return refusal.audit === undefined ? response : auditRefused();
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
      // Closed once the answer is on its way, not before: by then the SDK has let go of the finished
      // handlers (it does so a few promise steps after the transport has the answer), so closing aborts
      // nothing, where closing at once aborted each finished handler's controller (an AbortError with a stack
      // trace per request). setImmediate runs once the pending promise steps have, with no timer involved.
      setImmediate(() => {
        transport
          .close()
          .catch((error: unknown) =>
            logger.warn({ requestId, error: String(error) }, "transport close failed"),
          )
          .then(() => server.close())
          .catch((error: unknown) => logger.warn({ requestId, error: String(error) }, "server close failed"));
      });
    }
  };
}
