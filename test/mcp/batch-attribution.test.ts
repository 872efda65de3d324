/** A batch (older protocols may send one) opens one call record per tool call: each grant names its own call. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 30_000);
afterAll(async () => {
  await h?.close();
});

describe("a batch of tool calls", () => {
  it("records each call's grant and decision under that call's tool, not under one shared context", async () => {
    const call = (id: number, name: string, args: Record<string, unknown>) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name, arguments: args },
    });
    const res = await fetch(h.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-03-26",
        "x-test-user": "alice",
      },
      body: JSON.stringify([
        call(1, "get_file_contents", { owner: "mycompany", repo: "web", path: "README.md" }),
        call(2, "list_branches", { owner: "mycompany", repo: "api-server" }),
      ]),
    });
    expect(res.status).toBe(200);
    const answers = (await res.json()) as Array<{ id: number; result?: { isError?: boolean } }>;
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2]);
    for (const answer of answers) expect(answer.result?.isError ?? false).toBe(false);
    await h.broker.tokens.drain();
    const byTool = new Map(h.grants.map((grant, i) => [h.grantTools[i], grant.repositories]));
    expect(byTool.get("get_file_contents")).toEqual(["mycompany/web"]);
    expect(byTool.get("list_branches")).toEqual(["mycompany/api-server"]);
    const decided = h.decisions.filter((d) => d.requestId === h.results.at(-1)?.requestId);
    expect(new Set(decided.map((d) => `${d.tool} ${d.repository}`))).toEqual(
      new Set(["get_file_contents mycompany/web", "list_branches mycompany/api-server"]),
    );
  });
});
