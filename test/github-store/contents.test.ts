import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRepoStore, type LocalRepoStore } from "../../wrangler-free-local/github/store/index.ts";
import type { RepositoryRecord } from "../../wrangler-free-local/github/store/types.ts";
import { openSeededStore, repo, SEED_DIR } from "./seeded-store.ts";

let store: LocalRepoStore;
let web: RepositoryRecord;
let main: string;
let dataDir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, dataDir, cleanup } = await openSeededStore());
  web = repo(store, "mycompany/web");
  main = (await store.resolveCommit(web, "main")) as string;
});
afterAll(async () => {
  await cleanup();
});

describe("trees", () => {
  it("lists the root tree and the full recursive tree with sizes and nested paths", async () => {
    const root = await store.getTree(web, main, false);
    expect(root?.truncated).toBe(false);
    const names = root?.entries.map((e) => e.path) ?? [];
    expect(names).toEqual(expect.arrayContaining(["README.md", "src", "public", "docs", "vendor"]));
    expect(names.every((n) => !n.includes("/"))).toBe(true);
    const full = await store.getTree(web, "main", true);
    expect(full?.sha).toBe(root?.sha);
    const widget = full?.entries.find((e) => e.path === "src/app/routes/dashboard/widgets/ChartWidget.tsx");
    expect(widget).toMatchObject({ type: "blob", mode: "100644" });
    expect(widget?.size).toBeGreaterThan(100);
    expect(full?.entries.find((e) => e.path === "src/app/routes")).toMatchObject({
      type: "tree",
      mode: "040000",
    });
    expect(full?.entries.find((e) => e.path === "src/app/routes")?.size).toBeUndefined();
    expect(full?.entries.find((e) => e.path === "vendor/design-tokens")).toMatchObject({
      type: "commit",
      mode: "160000",
    });
    expect(full?.entries.find((e) => e.path === "scripts/release.sh")?.mode).toBe("100755");
  });

  it("accepts a tree sha, a commit sha, a tag, and rejects unknown or non-tree objects", async () => {
    const root = await store.getTree(web, main, false);
    const byTree = await store.getTree(web, root?.sha as string, false);
    expect(byTree?.entries).toEqual(root?.entries);
    const src = root?.entries.find((e) => e.path === "src");
    const srcTree = await store.getTree(web, src?.sha as string, false);
    expect(srcTree?.entries.map((e) => e.path)).toContain("app");
    expect((await store.getTree(web, "v0.9.0", true))?.entries.some((e) => e.path === "CHANGELOG.md")).toBe(
      false,
    );
    const readme = root?.entries.find((e) => e.path === "README.md");
    expect(await store.getTree(web, readme?.sha as string, false)).toBeUndefined();
    expect(await store.getTree(web, "nope", false)).toBeUndefined();
    expect(await store.getTree(web, "--help", false)).toBeUndefined();
  });

  it("reuses the built repositories and truncates listings beyond a configured cap", async () => {
    const capped = await createRepoStore({ seedDir: SEED_DIR, dataDir, maxTreeEntries: 5 });
    try {
      expect(capped.rebuilt).toEqual([]);
      const cappedWeb = repo(capped, "mycompany/web");
      const listing = await capped.getTree(cappedWeb, "main", true);
      expect(listing?.truncated).toBe(true);
      expect(listing?.entries).toHaveLength(5);
      const small = await capped.getTree(repo(capped, "othercorp/secret"), "main", false);
      expect(small?.truncated).toBe(false);
    } finally {
      await capped.close();
    }
  });
});

describe("readPath", () => {
  it("reads a file, the root, a directory with full entry paths and a nested file", async () => {
    const readme = await store.readPath(web, main, "README.md");
    expect(readme?.type).toBe("file");
    if (readme?.type !== "file") return;
    expect(readme.content.toString("utf8")).toMatch(/^# web\n/);
    expect(readme.size).toBe(readme.content.length);
    expect(await store.readPath(web, main, "/README.md")).toEqual(readme);

    const root = await store.readPath(web, main, "");
    expect(root?.type).toBe("dir");
    const dir = await store.readPath(web, main, "src/app");
    expect(dir?.type).toBe("dir");
    if (dir?.type !== "dir") return;
    expect(dir.entries.map((e) => e.path)).toEqual(["src/app/App.tsx", "src/app/routes", "src/app/theme"]);
    expect(dir.entries[0]?.size).toBeGreaterThan(0);

    const nested = await store.readPath(web, main, "src/app/routes/dashboard/widgets/ChartWidget.tsx");
    expect(nested?.type === "file" && nested.content.toString("utf8")).toContain(
      "export function ChartWidget",
    );
  });

  it("reads non-ASCII names and UTF-8 content byte for byte", async () => {
    const doc = await store.readPath(web, main, "docs/i18n/übersicht.md");
    expect(doc?.type).toBe("file");
    if (doc?.type !== "file") return;
    const text = doc.content.toString("utf8");
    expect(text).toContain("Grüße aus München! 🥨");
    expect(text).toContain("日本語");
    expect(doc.size).toBe(Buffer.byteLength(text));
    const ja = await store.readPath(repo(store, "mycompany/api-server"), "main", "docs/ja/はじめに.md");
    expect(ja?.type === "file" && ja.content.toString("utf8")).toContain("# はじめに");
  });

  it("reads the >1 MiB file and binary files intact", async () => {
    const large = await store.readPath(web, main, "test/fixtures/large/dataset.txt");
    expect(large?.type).toBe("file");
    if (large?.type !== "file") return;
    expect(large.size).toBe(1_572_864);
    expect(large.content.length).toBe(1_572_864);
    const png = await store.readPath(web, main, "public/images/logo.png");
    expect(png?.type === "file" && png.content.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    const font = await store.readPath(web, main, "public/fonts/icons.woff2");
    expect(font?.type === "file" && font.content.length).toBe(4096);
    // The blob API returns the same bytes.
    const blob = await store.getBlob(web, (font as { sha: string }).sha);
    expect(font?.type === "file" && blob?.equals(font.content)).toBe(true);
  });

  it("reports symlinks and submodules as such", async () => {
    expect(await store.readPath(web, main, "docs/CHANGELOG.md")).toMatchObject({
      type: "symlink",
      target: "../CHANGELOG.md",
    });
    expect(await store.readPath(web, main, "vendor/design-tokens")).toEqual({
      type: "submodule",
      path: "vendor/design-tokens",
      sha: "3f786850e387550fdab836ed7e6dc881de23001b",
    });
  });

  it("returns undefined for missing paths, unknown commits and any '..' segment", async () => {
    for (const bad of [
      "nope.txt",
      "src/app/nope",
      "README.md/child",
      "../README.md",
      "src/../README.md",
      "./README.md",
      "src//app",
      "README.md\0",
    ]) {
      expect(await store.readPath(web, main, bad), bad).toBeUndefined();
    }
    expect(await store.readPath(web, "0".repeat(40), "README.md")).toBeUndefined();
    // Files that only exist later are absent at an older tag.
    const v090 = (await store.resolveCommit(web, "v0.9.0")) as string;
    expect(await store.readPath(web, v090, "CHANGELOG.md")).toBeUndefined();
    expect((await store.readPath(web, v090, "README.md"))?.type).toBe("file");
  });

  it("answers many concurrent reads through one batch reader, each with its own bytes", async () => {
    const listing = await store.getTree(web, main, true);
    const blobs = (listing?.entries ?? []).filter((e) => e.type === "blob").slice(0, 60);
    const contents = await Promise.all(blobs.map((b) => store.getBlob(web, b.sha)));
    contents.forEach((content, i) => {
      expect(content?.length, blobs[i]?.path).toBe(blobs[i]?.size);
    });
    const readmes = await Promise.all(
      Array.from({ length: 20 }, () => store.readPath(web, main, "README.md")),
    );
    expect(new Set(readmes.map((r) => r?.sha)).size).toBe(1);
  });

  it("getBlob rejects non-blobs and garbage", async () => {
    const root = await store.getTree(web, main, false);
    expect(await store.getBlob(web, root?.sha as string)).toBeUndefined();
    expect(await store.getBlob(web, main)).toBeUndefined();
    expect(await store.getBlob(web, "--batch")).toBeUndefined();
    expect(await store.getBlob(web, "f".repeat(40))).toBeUndefined();
  });
});

describe("overview data", () => {
  it("finds the README", async () => {
    expect(await store.findReadme(web, main)).toBe("README.md");
    expect(await store.findReadme(repo(store, "facebook/react"), "main")).toBe("README.md");
    expect(await store.findReadme(web, "no-such-ref")).toBeUndefined();
  });

  it("counts bytes per language, largest first, without vendored, binary or prose files", async () => {
    const languages = await store.languages(web);
    expect(Object.keys(languages)).toEqual(["TypeScript", "TSX", "CSS", "Shell"]);
    const values = Object.values(languages);
    expect([...values].sort((a, b) => b - a)).toEqual(values);
    // public/vendor/chart.min.js is vendored, so JavaScript must not appear.
    expect(languages.JavaScript).toBeUndefined();
    const api = await store.languages(repo(store, "mycompany/api-server"));
    expect(Object.keys(api)[0]).toBe("Go");
    expect(api.Dockerfile).toBeGreaterThan(0);
    expect(api.Makefile).toBeGreaterThan(0);
  });
});
