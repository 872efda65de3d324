/**
 * Bench process 4: the MCP SDK's own stateless pattern with one `echo` tool and nothing else (no auth,
 * policy, GitHub or audit): a new McpServer and transport per request, on Hono and @hono/node-server.
 */
import { serve } from "@hono/node-server";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import { z } from "zod";
import { benchChild } from "./child.ts";

const app = new Hono();
app.post("/mcp", async (c) => {
  const server = new McpServer({ name: "echo", version: "1.0.0" });
  server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw);
  } finally {
    await transport.close();
    await server.close();
  }
});
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
await new Promise((resolve) => server.once("listening", resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
benchChild(() => new Promise<void>((resolve) => server.close(() => resolve()))).ready({
  mcpUrl: `http://127.0.0.1:${port}/mcp`,
});
