import { describe, expect, it } from "vitest";
import type { TokenRevocation } from "../../src/github/index.ts";
import type { ToolResultEvent } from "../../src/mcp/events.ts";
import { toolCallsIn } from "../../src/mcp/tool-calls.ts";
import { combineBrokerHooks, combineToolEvents } from "../../src/wiring.ts";

const revocation = {
  fingerprint: "0123456789abcdef",
  installationId: 1,
  repositories: ["acme/web"],
  reason: "completed",
  attempts: 2,
} as TokenRevocation;

describe("combineBrokerHooks", () => {
  it("records a failed revocation in the audit hook even when an observer throws", async () => {
    const recorded: string[] = [];
    const hooks = combineBrokerHooks(
      { onRevokeError: async () => void recorded.push("audit") },
      {
        onRevokeError: () => {
          throw new Error("metrics broke");
        },
      },
    );
    await expect(hooks.onRevokeError?.(new Error("GitHub 502"), revocation)).rejects.toThrow("metrics broke");
    expect(recorded).toEqual(["audit"]);
  });

  it("still tells the observers when the audit hook fails", async () => {
    const observed: string[] = [];
    const hooks = combineBrokerHooks(
      {
        onRevokeError: async () => {
          throw new Error("sink down");
        },
      },
      { onRevokeError: () => void observed.push("log") },
    );
    await expect(hooks.onRevokeError?.(new Error("GitHub 502"), revocation)).rejects.toThrow("sink down");
    expect(observed).toEqual(["log"]);
  });

  it("runs beforeMint of the audit hooks only, and lets its refusal through", async () => {
    const hooks = combineBrokerHooks({
      beforeMint: () => {
        throw new Error("AUDIT_UNAVAILABLE");
      },
    });
    await expect(hooks.beforeMint?.()).rejects.toThrow("AUDIT_UNAVAILABLE");
  });
});

describe("combineToolEvents", () => {
  it("counts a tool call in metrics even when its audit record fails", async () => {
    const counted: string[] = [];
    const events = combineToolEvents(
      {
        onToolResult: async () => {
          throw new Error("sink down");
        },
      },
      { onToolResult: (event) => void counted.push(event.tool) },
    );
    await expect(events.onToolResult?.({ tool: "get_commit" } as ToolResultEvent)).rejects.toThrow(
      "sink down",
    );
    expect(counted).toEqual(["get_commit"]);
  });
});

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
