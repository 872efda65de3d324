import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containsSecret, redactString } from "../../src/audit/redact.ts";

// The one-step pattern the guard used before; correct, but quadratic on runs like "eyJ-eyJ-…".
const ONE_STEP_JWT = /eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/;

describe("audit redaction guard", () => {
  it("redacts every string the one-step JWT pattern would catch, and leaves no JWT behind", () => {
    const piece = fc.constantFrom("eyJ", "eyJhbGciOi", ".", "-", "_", "a", "Z9", " ", "x.y", "eyJ.");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        const { value } = redactString(text);
        expect(ONE_STEP_JWT.test(value)).toBe(false);
        if (ONE_STEP_JWT.test(text)) expect(value).toContain("[REDACTED:jwt]");
        expect(containsSecret(text)).toBe(ONE_STEP_JWT.test(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps ordinary text and dotted names", () => {
    const text = "alice@mycompany.example read mycompany/web at v1.0.0 (file src/app.eyJ.ts)";
    expect(redactString(text)).toEqual({ value: text, replaced: 0 });
  });

  it("handles an adversarial run of 200 KB in one pass", () => {
    const hostile = "eyJ-".repeat(50_000);
    const { value, replaced } = redactString(`${hostile}.eyJp.sig`);
    expect(replaced).toBe(1);
    expect(value).toBe("[REDACTED:jwt]");
  });
});
