import { getParseErrorMessage, normalizeObjectSchema } from "@modelcontextprotocol/sdk/server/zod-compat.js";
import { toJsonSchemaCompat } from "@modelcontextprotocol/sdk/server/zod-json-schema-compat.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolDefinition } from "./tool.ts";

/** One tool ready to serve: its `tools/list` entry and its argument parser, both built once per process. */
export interface CatalogTool {
  definition: ToolDefinition;
  listing: Tool;
  /** Parses `tools/call` arguments: the parsed value, or a message the model can correct its call from. */
  parse(args: unknown): Promise<{ ok: true; args: unknown } | { ok: false; message: string }>;
}

/** The tools a server offers, looked up by name; nothing in it depends on the request. */
export interface ToolCatalog {
  /** What `tools/list` answers, in order. */
  readonly listing: Tool[];
  /** The tool of that name; only the catalog's own names match (never `constructor` or `__proto__`). */
  get(name: string): CatalogTool | undefined;
}

/**
 * Builds the catalog once: the JSON schemas of the tools' zod shapes (as the SDK's McpServer would emit them)
 * and their parsers. The per-request MCP server only looks things up in it.
 */
export function createToolCatalog(definitions: ReadonlyArray<ToolDefinition>): ToolCatalog {
  const tools = new Map<string, CatalogTool>();
  for (const definition of definitions) {
    const schema = z.object(definition.inputSchema);
    const listing: Tool = {
      name: definition.name,
      title: definition.title,
      description: definition.description,
      inputSchema: toJsonSchemaCompat(normalizeObjectSchema(schema) ?? schema, {
        strictUnions: true,
        pipeStrategy: "input",
      }) as Tool["inputSchema"],
      annotations: { title: definition.title, readOnlyHint: true, openWorldHint: true },
    };
    tools.set(definition.name, {
      definition,
      listing,
      parse: async (args) => {
        const parsed = await schema.safeParseAsync(args ?? {});
        if (parsed.success) return { ok: true, args: parsed.data };
        return {
          ok: false,
          message: `Input validation error: Invalid arguments for tool ${definition.name}: ${getParseErrorMessage(parsed.error)}`,
        };
      },
    });
  }
  const listing = [...tools.values()].map((tool) => tool.listing);
  return { listing, get: (name) => tools.get(name) };
}
