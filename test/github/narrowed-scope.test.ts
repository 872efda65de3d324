import { describe, expect, it } from "vitest";
import { InvalidRepositoryScopeError, PermissionCeilingError } from "../../src/github/errors.ts";
import { NarrowedScope } from "../../src/github/narrowed-scope.ts";
import {
  assertWithinCeiling,
  isWithinRequested,
  permissionsForOperation,
  type ReadPermissions,
  type RepositoryOperation,
} from "../../src/github/operation-permissions.ts";
import { isValidRefName } from "../../src/github/ref-resolver.ts";

const READ: ReadPermissions = { contents: "read", metadata: "read" };

describe("NarrowedScope", () => {
  it("accepts one repository and keeps owner, name and permissions", () => {
    const scope = NarrowedScope.forRepository("MyCompany/web.app", READ);
    expect(scope.owner).toBe("MyCompany");
    expect(scope.repositories).toEqual(["web.app"]);
    expect(scope.permissions).toEqual(READ);
    expect(scope.fullNames()).toEqual(["MyCompany/web.app"]);
    expect(NarrowedScope.is(scope)).toBe(true);
  });

  it("accepts several repositories of one owner, case-insensitively deduplicated", () => {
    const scope = NarrowedScope.forRepositories(["acme/api", "ACME/web", "acme/API"], READ);
    expect(scope.repositories).toEqual(["api", "web"]);
    expect(scope.key()).toBe(NarrowedScope.forRepositories(["Acme/WEB", "acme/api"], READ).key());
  });

  it("rejects an empty list (GitHub would mint an installation-wide token)", () => {
    expect(() => NarrowedScope.forRepositories([], READ)).toThrow(InvalidRepositoryScopeError);
    expect(() => NarrowedScope.forRepositories(undefined as unknown as string[], READ)).toThrow(
      InvalidRepositoryScopeError,
    );
  });

  it("rejects repositories of different owners", () => {
    expect(() => NarrowedScope.forRepositories(["acme/api", "evil/api"], READ)).toThrow(/cannot span owners/);
  });

  it("rejects more than 500 repositories", () => {
    const many = Array.from({ length: 501 }, (_, i) => `acme/r${i}`);
    expect(() => NarrowedScope.forRepositories(many, READ)).toThrow(/at most 500/);
  });

  const invalid = [
    "",
    "acme",
    "acme/",
    "/api",
    "acme//api",
    "acme/api/",
    "acme/api/extra",
    "acme/..",
    "acme/.",
    "acme/../evil",
    "acme/%2e%2e",
    "acme%2Fapi",
    "acme/api%00",
    "acme/api\n",
    "acme/api#x",
    "acme/api?x=/api",
    "acme/api.git",
    "acme/a pi",
    "-acme/api",
    "acme-/api",
    "ac--me/api",
    `${"a".repeat(40)}/api`,
    `acme/${"r".repeat(101)}`,
    "acme/\u212Aey",
    "acme/ap\u0131",
    "\uff41cme/api",
    "\u0430cme/api",
    "acme/a\u200bpi",
    "acme/(.*)",
    "acme/api|evil/x",
    "acme/[a-z]+",
  ];
  it.each(invalid)("rejects the invalid name %j", (name) => {
    expect(() => NarrowedScope.forRepository(name, READ)).toThrow(InvalidRepositoryScopeError);
  });

  it("puts control characters into the error message only escaped", () => {
    try {
      NarrowedScope.forRepository("acme/api\u0000\n", READ);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain("\u0000");
      expect((error as Error).message).not.toContain("\n");
      expect((error as Error).message).toContain("\\u0000");
    }
  });

  it("rejects permissions above contents:read + metadata:read", () => {
    expect(() =>
      NarrowedScope.forRepository("acme/api", { contents: "write" } as unknown as ReadPermissions),
    ).toThrow(PermissionCeilingError);
    expect(() =>
      NarrowedScope.forRepository("acme/api", { issues: "read" } as unknown as ReadPermissions),
    ).toThrow(PermissionCeilingError);
    expect(() => NarrowedScope.forRepository("acme/api", {})).toThrow(PermissionCeilingError);
  });

  it("cannot be forged by a look-alike object", () => {
    const fake = { owner: "acme", repositories: [], permissions: READ };
    expect(NarrowedScope.is(fake)).toBe(false);
    expect(NarrowedScope.is(Object.create(NarrowedScope.prototype))).toBe(false);
  });
});

describe("operation permissions", () => {
  it.each(["read", "analyze", "diff"] as RepositoryOperation[])(
    "maps %s to contents:read + metadata:read",
    (op) => {
      expect(permissionsForOperation(op)).toEqual({ contents: "read", metadata: "read" });
    },
  );

  it("rejects an unknown operation, including prototype keys", () => {
    expect(() => permissionsForOperation("write" as RepositoryOperation)).toThrow(PermissionCeilingError);
    expect(() => permissionsForOperation("constructor" as RepositoryOperation)).toThrow(
      PermissionCeilingError,
    );
  });

  it("enforces the ceiling", () => {
    expect(() => assertWithinCeiling({ contents: "read" })).not.toThrow();
    expect(() => assertWithinCeiling({ contents: "admin" })).toThrow(PermissionCeilingError);
    expect(() => assertWithinCeiling({ metadata: "bogus" })).toThrow(PermissionCeilingError);
  });

  it("compares a grant with the request", () => {
    expect(isWithinRequested({ contents: "read" }, READ)).toBe(true);
    expect(isWithinRequested({ contents: "write" }, READ)).toBe(false);
    expect(isWithinRequested({ issues: "read" }, READ)).toBe(false);
  });
});

describe("isValidRefName", () => {
  it.each(["main", "feature/x", "v1.2.3", "refs/heads/main", "0123abc", "release-2026_01"])(
    "accepts %j",
    (ref) => {
      expect(isValidRefName(ref)).toBe(true);
    },
  );
  it.each([
    "",
    "..",
    "a..b",
    "../main",
    "main/",
    "/main",
    "a//b",
    "a b",
    "a\u0000",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[",
    "a\\b",
    "@",
    "a@{1}",
    ".hidden",
    "x.lock",
    "-x",
    "main.",
  ])("rejects %j", (ref) => {
    expect(isValidRefName(ref)).toBe(false);
  });
});
