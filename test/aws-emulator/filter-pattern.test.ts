import { describe, expect, it } from "vitest";
import {
  compileFilterPattern,
  InvalidFilterPatternError,
} from "../../wrangler-free-local/aws/logs/filter-pattern.ts";

describe("compileFilterPattern", () => {
  const event = JSON.stringify({ ok: true, gone: null, n: 5, name: "repo-x", tags: ["a", "b"] });

  it("handles IS TRUE/FALSE/NULL, NOT EXISTS, numbers and array indexes", () => {
    expect(compileFilterPattern("{ $.ok IS TRUE }")(event)).toBe(true);
    expect(compileFilterPattern("{ $.ok IS FALSE }")(event)).toBe(false);
    expect(compileFilterPattern("{ $.gone IS NULL }")(event)).toBe(true);
    expect(compileFilterPattern("{ $.missing NOT EXISTS }")(event)).toBe(true);
    expect(compileFilterPattern("{ $.n NOT EXISTS }")(event)).toBe(false);
    expect(compileFilterPattern("{ $.n >= 5 && $.n < 6 }")(event)).toBe(true);
    expect(compileFilterPattern("{ $.n = 4 }")(event)).toBe(false);
    expect(compileFilterPattern('{ $.tags[1] = "b" }')(event)).toBe(true);
    expect(compileFilterPattern("{ $.name = repo-x }")(event)).toBe(true);
    expect(compileFilterPattern('{ $.missing = "x" }')(event)).toBe(false);
  });

  it("never matches a JSON pattern against a message that is not JSON", () => {
    expect(compileFilterPattern('{ $.type = "x" }')('type = "x"')).toBe(false);
  });

  it("matches everything with an empty pattern and refuses unsupported or broken ones", () => {
    expect(compileFilterPattern(undefined)("anything")).toBe(true);
    expect(compileFilterPattern("  ")("anything")).toBe(true);
    for (const bad of ["[ip, user]", "%ERR.*%", "{ $.a = }", "{ $.a = 1", '"open', "{ $.a > abc }"]) {
      expect(() => compileFilterPattern(bad), bad).toThrow(InvalidFilterPatternError);
    }
  });
});
