import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/event.ts";
import { CSV_COLUMNS, csvCell, eventToCsv } from "../../src/audit/export.ts";

/** Splits one CSV line of unquoted or RFC 4180-quoted cells. */
function cells(line: string): string[] {
  return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) => m[1] as string);
}

describe("CSV export", () => {
  it("defuses formulas in every text cell, lists included, and leaves numbers alone", () => {
    const event: AuditEvent = {
      id: "01KB0000000000000000000000",
      time: "2026-11-30T01:00:00.000Z",
      type: "access.deny",
      // IdP groups and user agents are text someone else chose.
      principal: { sub: "@sub", groups: ['=HYPERLINK("https://evil.example")', "eng"], via: "oidc" },
      request: { userAgent: "+cmd" },
      token: { fingerprint: "0123456789abcdef", repositories: ["-2+3/x"] },
      latencyMs: 0,
    };
    const row = cells(eventToCsv(event));
    const at = (column: (typeof CSV_COLUMNS)[number]) => row[CSV_COLUMNS.indexOf(column)];
    expect(at("principal.sub")).toBe("'@sub");
    expect(at("principal.groups")).toBe('"\'=HYPERLINK(""https://evil.example"");eng"');
    expect(at("request.userAgent")).toBe("'+cmd");
    expect(at("token.repositories")).toBe("'-2+3/x");
    expect(at("latencyMs")).toBe("0");
    expect(csvCell(-5)).toBe("-5");
  });
});
