import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRepoStore } from "../../wrangler-free-local/github/store/index.ts";
import type { RepositoryRecord } from "../../wrangler-free-local/github/store/types.ts";
import { openSeededStore, repo } from "./seeded-store.ts";

let store: LocalRepoStore;
let web: RepositoryRecord;
let api: RepositoryRecord;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openSeededStore());
  web = repo(store, "mycompany/web");
  api = repo(store, "mycompany/api-server");
});
afterAll(async () => {
  await cleanup();
});

describe("searchCode", () => {
  it("finds a term case-insensitively on the default branch, with fragments and blob shas", async () => {
    const hits = await store.searchCode({ terms: ["USETHEME"], repositories: [web] });
    expect(hits.map((h) => h.path)).toEqual(["src/app/theme/useTheme.ts"]);
    expect(hits[0]?.repository.fullName).toBe("mycompany/web");
    expect(hits[0]?.fragments[0]).toContain("useTheme");
    const file = await store.readPath(web, "main", "src/app/theme/useTheme.ts");
    expect(hits[0]?.blobSha).toBe(file?.sha);
    // feature/x also uses useTheme, but only the default branch is searched.
    expect(hits.some((h) => h.path.startsWith("src/features/x"))).toBe(false);
  });

  it("requires every term somewhere in the file", async () => {
    const both = await store.searchCode({ terms: ["fetchJson", "credentials"], repositories: [web] });
    expect(both.map((h) => h.path)).toEqual(["src/lib/api/client.ts"]);
    expect(await store.searchCode({ terms: ["fetchJson", "zzz-not-there"], repositories: [web] })).toEqual(
      [],
    );
  });

  it("applies path, extension and language qualifiers", async () => {
    const all = await store.searchCode({ terms: ["export"], repositories: [web] });
    expect(all.length).toBeGreaterThan(10);
    const inFlags = await store.searchCode({ terms: ["export"], repositories: [web], path: "src/lib/flags" });
    expect(inFlags).toHaveLength(12);
    expect(inFlags.every((h) => h.path.startsWith("src/lib/flags/"))).toBe(true);
    const tsx = await store.searchCode({ terms: ["export"], repositories: [web], extension: "tsx" });
    expect(tsx.length).toBeGreaterThan(0);
    expect(tsx.every((h) => h.path.endsWith(".tsx"))).toBe(true);
    const go = await store.searchCode({ terms: ["http"], repositories: [web, api], language: "go" });
    expect(go.length).toBeGreaterThan(0);
    expect(go.every((h) => h.repository.fullName === "mycompany/api-server" && h.path.endsWith(".go"))).toBe(
      true,
    );
    const qualifierOnly = await store.searchCode({ terms: [], repositories: [api], extension: "sql" });
    expect(qualifierOnly.length).toBe(11);
  });

  it("searches only the repositories it is given, in a stable order, and matches UTF-8 text", async () => {
    const hits = await store.searchCode({ terms: ["Zugriff verweigert"], repositories: [web, api] });
    expect([...new Set(hits.map((h) => h.repository.fullName))]).toEqual([
      "mycompany/api-server",
      "mycompany/web",
    ]);
    expect(hits.find((h) => h.path === "internal/i18n/catalog.go")?.fragments[0]).toContain(
      "Zugriff verweigert",
    );
    const secret = repo(store, "othercorp/secret");
    expect(await store.searchCode({ terms: ["confidential"], repositories: [web, api] })).toEqual([]);
    expect(
      (await store.searchCode({ terms: ["confidential"], repositories: [secret] })).length,
    ).toBeGreaterThan(0);
  });

  it("skips binary files and treats terms as fixed strings", async () => {
    expect(await store.searchCode({ terms: ["IHDR"], repositories: [web, api] })).toEqual([]);
    expect(await store.searchCode({ terms: [".*"], repositories: [web] })).toEqual([]);
    const dashed = await store.searchCode({ terms: ["--output"], repositories: [web] });
    expect(dashed).toEqual([]);
  });
});
