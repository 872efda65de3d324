// The MCP layer's public surface: the `/mcp` handler, the tool list, and the audit hooks.
export { DEFAULT_TOOL_LIMITS, type ToolContext, type ToolLimits } from "./context.ts";
export { InvalidToolArgumentError, PolicyDeniedError, ToolError } from "./errors.ts";
export {
  noopToolEvents,
  type ToolDecisionEvent,
  type ToolEvents,
  type ToolOutcome,
  type ToolResultEvent,
} from "./events.ts";
export {
  createMcpHandler,
  type McpHandlerOptions,
  type McpRequestHandler,
  type McpRequestOptions,
  type PolicySource,
} from "./handler.ts";
export {
  type AppInstallation,
  type InstallationRepository,
  InstallationRepositoryIndex,
  type InstallationRepositoryIndexOptions,
} from "./installation-repositories.ts";
export type { McpLogger } from "./logger.ts";
export type { ToolDefinition } from "./tools/definition.ts";
export { REPOSITORY_TOOLS } from "./tools/index.ts";
