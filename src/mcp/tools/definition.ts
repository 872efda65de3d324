import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Operation } from "../../policy/index.ts";
import type { ToolContext } from "../context.ts";

/** The arguments a tool's handler receives, parsed by its raw zod shape. */
export type ToolArgs<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>>;

/** One MCP tool: its schema and description for the model, its operation, and its body. */
export interface ToolDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  /** The policy operation the tool performs. */
  operation: Operation;
  inputSchema: Shape;
  /** `owner/repo` for single-repository tools, `null` otherwise (for the audit event). */
  repositoryOf(args: ToolArgs<Shape>): string | null;
  /** How error messages name what was being read, e.g. `mycompany/web path "src" ref "main"`. */
  target(args: ToolArgs<Shape>): string;
  run(ctx: ToolContext, args: ToolArgs<Shape>): Promise<CallToolResult>;
}

/** Identity function that keeps the shape's type for `args`. */
export function defineTool<Shape extends z.ZodRawShape>(
  definition: ToolDefinition<Shape>,
): ToolDefinition<Shape> {
  return definition;
}
