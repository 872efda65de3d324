/** How search_code splits a query into the caller's text and the scope qualifiers repogate controls. */
import { describe, expect, it } from "vitest";
import { InvalidToolArgumentError } from "../../src/mcp/index.ts";
import { parseSearchScope } from "../../src/mcp/search-scope.ts";

describe("parseSearchScope", () => {
  it("takes repo:, org: and user: qualifiers out of the text and keeps the others", () => {
    expect(parseSearchScope('createRoot REPO:MyCompany/Web org:acme -repo:acme/x path:src "a b"')).toEqual({
      text: 'createRoot path:src "a b"',
      repositories: ["MyCompany/Web"],
      owners: ["acme"],
      excluded: ["acme/x"],
    });
  });

  it.each([
    ["an open quote that would swallow repogate's own repo: qualifiers", 'secret"'],
    ["an open quote in the middle", 'a "b c'],
    ["a trailing NOT that would negate the first appended qualifier", "secret NOT"],
    ["a trailing OR", "secret OR"],
    ["an unclosed parenthesis", "(secret"],
    ["a qualifier glued to other text", "x(repo:othercorp/secret"],
    ["a qualifier naming an invalid repository", "x repo:othercorp/../secret"],
  ])("refuses %s", (_what, query) => {
    expect(() => parseSearchScope(query)).toThrow(InvalidToolArgumentError);
  });

  it("still accepts balanced phrases and operators between terms", () => {
    expect(parseSearchScope('"use client" OR createRoot').text).toBe('"use client" OR createRoot');
    expect(parseSearchScope("NOT legacy render").text).toBe("NOT legacy render");
  });
});
