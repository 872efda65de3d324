import { describe, expect, it } from "vitest";
import { toolCallsIn } from "../../src/mcp/tool-calls.ts";

describe("toolCallsIn", () => {
  it("finds tool calls in single messages and in batches, and nothing else", () => {
    expect(
      toolCallsIn({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_commit" } }),
    ).toEqual(["get_commit"]);
    expect(
      toolCallsIn([
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "search_code" } },
        { jsonrpc: "2.0", id: 3, method: "tools/call", params: {} },
      ]),
    ).toEqual(["search_code", "unknown"]);
    expect(toolCallsIn({ jsonrpc: "2.0", id: 1, method: "initialize" })).toEqual([]);
    expect(toolCallsIn(null)).toEqual([]);
    expect(toolCallsIn([1, "x", null])).toEqual([]);
  });
});
