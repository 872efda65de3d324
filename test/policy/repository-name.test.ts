import { describe, expect, it } from "vitest";
import {
  InvalidRepositoryNameError,
  type InvalidRepositoryNameReason,
  parseRepositoryName,
  refProblem,
  tryParseRepositoryName,
} from "../../src/policy/index.ts";

describe("parseRepositoryName", () => {
  it("keeps the caller's spelling for display and lower-cases for matching", () => {
    expect(parseRepositoryName("MyCompany/Web.App_2-x")).toEqual({
      owner: "MyCompany",
      repo: "Web.App_2-x",
      fullName: "MyCompany/Web.App_2-x",
      canonical: "mycompany/web.app_2-x",
    });
    expect(parseRepositoryName("mycompany/.github").canonical).toBe("mycompany/.github");
    expect(parseRepositoryName("legacy--owner/file..txt").canonical).toBe("legacy--owner/file..txt");
    expect(parseRepositoryName(`${"a".repeat(39)}/${"b".repeat(100)}`).repo).toHaveLength(100);
  });

  it.each<[unknown, InvalidRepositoryNameReason]>([
    [42, "NOT_A_STRING"],
    ["", "EMPTY"],
    [`${"a".repeat(100)}/${"b".repeat(100)}`, "TOO_LONG"],
    ["ｍycompany/web", "NON_ASCII"],
    ["mycompаny/web", "NON_ASCII"],
    ["acme/\u212Aey", "NON_ASCII"],
    ["acme/web\u0000", "CONTROL_CHARACTER"],
    ["acme/web\u007F", "CONTROL_CHARACTER"],
    ["acme/web\t", "CONTROL_CHARACTER"],
    ["acme/ web", "WHITESPACE"],
    ["acme/%2e%2e", "PERCENT_ENCODED"],
    ["acme%2Fweb", "PERCENT_ENCODED"],
    ["acme\\web", "BACKSLASH"],
    ["mycompany/../othercorp/secret", "DOT_SEGMENT"],
    ["acme/..", "DOT_SEGMENT"],
    ["./web", "DOT_SEGMENT"],
    ["acme", "MISSING_SLASH"],
    ["acme/web/extra", "EXTRA_SLASH"],
    ["/web", "EMPTY_OWNER"],
    ["acme/", "EMPTY_REPO"],
    ["-acme/web", "INVALID_OWNER"],
    ["acme-/web", "INVALID_OWNER"],
    ["ac_me/web", "INVALID_OWNER"],
    ["ac.me/web", "INVALID_OWNER"],
    [`${"a".repeat(40)}/web`, "INVALID_OWNER"],
    ["acme/we+b", "INVALID_REPO"],
    ["acme/we#b", "INVALID_REPO"],
    ["acme/we?b", "INVALID_REPO"],
    ["acme/we*b", "INVALID_REPO"],
    [`acme/${"b".repeat(101)}`, "INVALID_REPO"],
    ["acme/web.git", "GIT_SUFFIX"],
    ["acme/web.GIT", "GIT_SUFFIX"],
    ["acme/web.wiki", "RESERVED_SUFFIX"],
  ])("refuses %j with reason %s", (input, reason) => {
    const result = tryParseRepositoryName(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(InvalidRepositoryNameError);
    expect(result.error.code).toBe("INVALID_REPOSITORY_NAME");
    expect(result.error.reason).toBe(reason);
    // The message shows the input escaped: no raw control or non-ASCII character reaches a log line.
    expect(result.error.message).toMatch(/^[\x20-\x7e…]*$/);
  });
});

describe("refProblem (git check-ref-format rules plus stricter ones)", () => {
  it.each(["main", "release/1.x", "feature/JIRA-12_x", "v1.0.0", "a".repeat(40), "HEAD", "fix#12", "ümlaut"])(
    "accepts %j",
    (ref) => {
      expect(refProblem(ref)).toBeNull();
    },
  );
  it.each([
    "",
    "a..b",
    "HEAD~1",
    "main^",
    "main^{tree}",
    "a:b",
    "a b",
    "a\tb",
    "a*",
    "a?",
    "a[b",
    "a\\b",
    "@",
    "main@{1}",
    "@{-1}",
    "-main",
    "/main",
    "main/",
    "a//b",
    "main.",
    ".hidden",
    "a/.b",
    "x.lock",
    "a/x.lock/b",
    "ma%69n",
    "ma\u0000in",
    "ma\u200Bin",
    "ma\u202Ein",
    "x".repeat(256),
  ])("refuses %j", (ref) => {
    expect(refProblem(ref)).not.toBeNull();
  });
});
