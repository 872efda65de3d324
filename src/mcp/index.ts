// The MCP layer's public surface: the `/mcp` handler and the tools.
export { DEFAULT_TOOL_LIMITS, type ToolContext, type ToolLimits } from "./context.ts";
export { InvalidToolArgumentError, PolicyDeniedError, ToolError } from "./errors.ts";
export {
  createMcpHandler,
  type McpHandlerOptions,
  type McpRequest,
  type McpRequestHandler,
} from "./handler.ts";
export {
  type AppInstallation,
  type InstallationRepository,
  InstallationRepositoryIndex,
  type InstallationRepositoryIndexOptions,
} from "./installation-repositories.ts";
export type { McpLogger } from "./logger.ts";
export type { ToolDefinition } from "./tool.ts";
export { REPOSITORY_TOOLS } from "./tools/index.ts";
