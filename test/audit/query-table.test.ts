import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/event.ts";
import { formatTable } from "../../src/audit/query.ts";

describe("audit query table", () => {
  it("shows control characters of IdP claims and tool names escaped, never raw", () => {
    const event: AuditEvent = {
      id: "01KB0000000000000000000000",
      time: "2026-11-30T01:00:00.000Z",
      type: "tool.call",
      // An OSC 8 hyperlink and a screen clear, as a crafted email claim and tool name would carry them.
      principal: { sub: "s", email: "alice@x\u001b]8;;https://evil.example\u0007" },
      request: { tool: "get\u001b[2Jfile\u009b" },
      outcome: "ok",
    };
    const table = formatTable([event]);
    expect(table.replace(/\n/g, "")).not.toMatch(/\p{Cc}/u);
    expect(table).toContain("alice@x\\u001b]8;;https://evil.example\\u0007");
    expect(table).toContain("get\\u001b[2Jfile\\u009b");
  });
});
