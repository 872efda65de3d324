import { describe, expect, it } from "vitest";
import {
  isSafeRefName,
  isShaLike,
  normalizeRepoPath,
} from "../../wrangler-free-local/github/store/ref-guard.ts";

describe("ref and path guards", () => {
  it("accepts plain branch and tag names", () => {
    for (const ok of [
      "main",
      "feature/x",
      "hotfix/1.0.1",
      "v1.0.0",
      "refs/heads/main",
      "release_2024-01",
      "ü-branch",
    ]) {
      expect(isSafeRefName(ok), ok).toBe(true);
    }
  });

  it("rejects option-looking names, revision syntax and control characters", () => {
    for (const bad of [
      "",
      "-x",
      "--upload-pack=evil",
      "main..dev",
      "main...dev",
      "HEAD@{1}",
      "@",
      "main~2",
      "main^{tree}",
      "main:path",
      "a b",
      "a\tb",
      "a\nb",
      "a\0b",
      "feat*",
      "x[1]",
      "a\\b",
      "/abs",
      "trailing/",
      "x.lock",
      "a//b",
      ".hidden",
      "a/.b",
      "x".repeat(256),
    ]) {
      expect(isSafeRefName(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it("recognizes abbreviated and full shas", () => {
    expect(isShaLike("abcd")).toBe(true);
    expect(isShaLike("ABCDEF1")).toBe(true);
    expect(isShaLike("a".repeat(40))).toBe(true);
    expect(isShaLike("abc")).toBe(false);
    expect(isShaLike("a".repeat(41))).toBe(false);
    expect(isShaLike("xyz1234")).toBe(false);
  });

  it("normalizes repository paths and refuses traversal", () => {
    expect(normalizeRepoPath("")).toBe("");
    expect(normalizeRepoPath("/")).toBe("");
    expect(normalizeRepoPath("/src/app/")).toBe("src/app");
    expect(normalizeRepoPath("docs/i18n/übersicht.md")).toBe("docs/i18n/übersicht.md");
    for (const bad of ["..", "../x", "a/../b", "a/./b", "a//b", "a\0b", "a\nb"]) {
      expect(normalizeRepoPath(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
