/** What each tool returns, over the wire: SDK client → handler → real broker → GitHub emulator. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { TOOL_NAMES } from "../e2e/stack.ts";
import { call, type Harness, json, useHarnessAsAlice } from "./harness.ts";

let h: Harness;
let alice: Client;

useHarnessAsAlice({ limits: { treeEntries: 10 } }, (started, client) => {
  h = started;
  alice = client;
});

describe("tools/list", () => {
  it("returns the nine tools, read-only and open-world, with a described schema for every argument", async () => {
    const { tools } = await alice.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    for (const tool of tools) {
      expect(tool.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
      expect(tool.description?.length ?? 0).toBeGreaterThan(120);
      expect(tool.inputSchema.type).toBe("object");
      for (const [name, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${name}`).toMatch(/\w{3,}/);
      }
    }
    const file = tools.find((t) => t.name === "get_file_contents");
    expect(file?.inputSchema.required?.sort()).toEqual(["owner", "repo"]);
    expect(file?.description).toMatch(/maxFileSize/);
    expect(file?.description).toMatch(/policy/);
    const commits = tools.find((t) => t.name === "list_commits");
    expect((commits?.inputSchema.properties?.per_page as { maximum?: number } | undefined)?.maximum).toBe(
      100,
    );
  });
});

describe("protocol details", () => {
  it("advertises tools without listChanged: a stateless server can never send that notification", () => {
    expect(alice.getServerCapabilities()?.tools).toEqual({});
  });

  it("answers a call to an unknown tool with JSON-RPC -32602, not a tool result", async () => {
    const error = await alice.callTool({ name: "no_such_tool", arguments: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: -32602 });
    expect(String((error as Error).message)).toContain('Unknown tool "no_such_tool"');
    for (const name of ["constructor", "__proto__", "toString"]) {
      await expect(alice.callTool({ name, arguments: {} })).rejects.toMatchObject({ code: -32602 });
    }
  });

  it("answers arguments that fail the schema with a tool error the model can correct from", async () => {
    const result = await alice.callTool({ name: "get_file_contents", arguments: { owner: "mycompany" } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("Invalid arguments for tool get_file_contents");
  });
});

describe("the /mcp handler", () => {
  it("answers a plain JSON-RPC tools/call with a JSON body, no session id", async () => {
    const response = await fetch(h.url, {
      method: "POST",
      headers: {
        "x-test-user": "alice",
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "list_branches", arguments: { owner: "facebook", repo: "react" } },
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("mcp-session-id")).toBeNull();
    const body = (await response.json()) as { id: number; result: { content: Array<{ text: string }> } };
    expect(body.id).toBe(7);
    expect(body.result.content[0]?.text).toContain('"name": "stable"');
  });
});

describe("get_file_contents", () => {
  it("returns the text of mycompany/web README.md", async () => {
    const r = await call(alice, "get_file_contents", { owner: "mycompany", repo: "web", path: "README.md" });
    expect(r.isError).toBe(false);
    expect(r.text).toContain("# web");
    expect(r.text).toContain("The customer-facing web application of MyCompany");
    expect(r.text).not.toContain("TRUNCATED");
  });

  it("lists a directory with names, types and sizes only", async () => {
    const r = await call(alice, "get_file_contents", { owner: "mycompany", repo: "web", path: "/" });
    expect(r.isError).toBe(false);
    const listing = json(r.result) as { entries: Array<Record<string, unknown>> };
    expect(listing.entries).toContainEqual({ name: "README.md", path: "README.md", type: "file", size: 477 });
    expect(listing.entries).toContainEqual(expect.objectContaining({ name: "src", type: "dir" }));
    for (const entry of listing.entries)
      expect(Object.keys(entry).sort()).toEqual(["name", "path", "size", "type"]);
  });

  it("caps a file larger than maxFileSize at exactly maxFileSize bytes, with a notice naming the rule", async () => {
    const before = h.github.log.requests.length;
    const r = await call(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "test/fixtures/large/dataset.txt",
    });
    expect(r.isError).toBe(false);
    const [header, body, notice] = r.result.content.map((c) => (c.type === "text" ? c.text : ""));
    expect(header).toContain("1572864 bytes");
    expect(Buffer.byteLength(body ?? "", "utf8")).toBe(1024 * 1024);
    expect(notice).toMatch(/TRUNCATED: returned the first 1048576 bytes \(1 MiB\) of 1572864 bytes/);
    expect(notice).toContain('rule #2 "mycompany/*"');
    // The bytes came through the raw media type (GitHub sends no inline content above 1 MiB).
    const reads = h.github.log.requests
      .slice(before)
      .filter((q) => decodeURIComponent(q.path).endsWith("/contents/test/fixtures/large/dataset.txt"));
    expect(reads).toHaveLength(2);
  });

  it("describes a binary file instead of returning it", async () => {
    const r = await call(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "public/fonts/icons.woff2",
    });
    expect(r.isError).toBe(false);
    expect(r.text).toMatch(/is a binary file \(.*4096 bytes/);
    expect(r.text).toContain("not returned");
    expect(r.text.length).toBeLessThan(400);
  });

  it("returns non-ASCII text unchanged", async () => {
    const r = await call(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "src/i18n/locales/de/common.json",
    });
    expect(r.isError).toBe(false);
    expect(r.text).toContain("Größe: 5 MiB — maßgeschneidert");
  });

  it("answers a missing path with what GitHub said, not a stack trace", async () => {
    const r = await call(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "no/such/file.txt",
    });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^GitHub returned 404 Not Found for mycompany\/web path "no\/such\/file.txt"/);
    expect(r.text).not.toMatch(/\n\s+at /);
  });

  it("refuses a path with .. segments before calling GitHub", async () => {
    const r = await call(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "src/../../etc",
    });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('without "." or ".."');
  });
});

describe("get_repository_tree", () => {
  it("lists direct children of a directory when recursive is false", async () => {
    const r = await call(alice, "get_repository_tree", {
      owner: "mycompany",
      repo: "web",
      path: "src",
      recursive: false,
    });
    expect(r.isError).toBe(false);
    const tree = json(r.result) as { entries: Array<{ path: string; type: string }>; total_entries: number };
    expect(tree.entries.length).toBeGreaterThan(0);
    for (const e of tree.entries) expect(e.path).toMatch(/^src\/[^/]+$/);
    expect(tree.entries).toContainEqual(expect.objectContaining({ path: "src/app", type: "tree" }));
  });

  it("caps the entries and says so", async () => {
    const r = await call(alice, "get_repository_tree", { owner: "mycompany", repo: "web" });
    expect(r.isError).toBe(false);
    const tree = json(r.result) as { entries: unknown[]; total_entries: number };
    expect(tree.entries).toHaveLength(10);
    expect(tree.total_entries).toBeGreaterThan(10);
    expect(r.text).toMatch(/TRUNCATED: \d+ entries match; only the first 10 are returned/);
  });
});

describe("list_branches, list_commits, get_commit", () => {
  it("lists every branch where the rule allows any", async () => {
    const r = await call(alice, "list_branches", { owner: "mycompany", repo: "web" });
    const names = (json(r.result).branches as Array<{ name: string }>).map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(["main", "stable", "feature/x"]));
  });

  it("lists commits touching a path, newest first, with per_page", async () => {
    const r = await call(alice, "list_commits", {
      owner: "mycompany",
      repo: "web",
      path: "README.md",
      per_page: 1,
    });
    expect(r.isError).toBe(false);
    const out = json(r.result) as { commits: Array<{ sha: string; message: string }> };
    expect(out.commits).toHaveLength(1);
    expect(out.commits[0]?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(r.text).toContain("page 2");
  });

  it("refuses per_page above 100 by schema", async () => {
    const r = await call(alice, "list_commits", { owner: "mycompany", repo: "web", per_page: 500 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/per_page/);
  });

  it("includes patches on a repository where the caller has diff", async () => {
    const r = await call(alice, "get_commit", { owner: "mycompany", repo: "web", ref: "main" });
    expect(r.isError).toBe(false);
    const commit = json(r.result) as { files: Array<{ patch?: string }>; stats: unknown; message: string };
    expect(commit.message.length).toBeGreaterThan(0);
    expect(commit.files.some((f) => typeof f.patch === "string" && f.patch.startsWith("@@"))).toBe(true);
  });

  it("leaves patches out where the caller has only read (facebook/react) and says why", async () => {
    const r = await call(alice, "get_commit", { owner: "facebook", repo: "react", ref: "main" });
    expect(r.isError).toBe(false);
    const commit = json(r.result) as { files: Array<Record<string, unknown>> };
    expect(commit.files.length).toBeGreaterThan(0);
    for (const f of commit.files) expect(f).not.toHaveProperty("patch");
    expect(r.text).not.toContain("@@");
    expect(r.text).toContain(
      'Patches are not included: rule #3 "facebook/react" (repositories[2]) does not allow diff',
    );
  });
});

describe("compare_refs, overview, search", () => {
  it("compares two branches with status, counts, commits and patches", async () => {
    const r = await call(alice, "compare_refs", {
      owner: "mycompany",
      repo: "web",
      base: "main",
      head: "feature/x",
    });
    expect(r.isError).toBe(false);
    const c = json(r.result) as {
      status: string;
      ahead_by: number;
      commits: unknown[];
      files: Array<{ patch?: string }>;
    };
    expect(c.status).toBe("ahead");
    expect(c.ahead_by).toBe(3);
    expect(c.commits).toHaveLength(3);
    expect(c.files.some((f) => f.patch?.includes("@@"))).toBe(true);
  });

  it("denies compare_refs on facebook/react (read only), naming the rule and its operations", async () => {
    const r = await call(alice, "compare_refs", {
      owner: "facebook",
      repo: "react",
      base: "stable",
      head: "main",
    });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('rule #3 "facebook/react"');
    expect(r.text).toContain("OPERATION_NOT_ALLOWED");
    expect(r.text).toContain("operations read; branches main, stable");
  });

  it("gives an overview with languages, README and tree stats", async () => {
    const r = await call(alice, "get_repository_overview", { owner: "mycompany", repo: "web" });
    expect(r.isError).toBe(false);
    const o = json(r.result) as {
      default_branch: string;
      languages: Record<string, number>;
      tree: { files: number };
    };
    expect(o.default_branch).toBe("main");
    expect(Object.keys(o.languages)).toContain("TypeScript");
    expect(o.tree.files).toBeGreaterThan(10);
    expect(r.text).toContain("README (README.md):\n# web");
  });

  it("searches code only in repositories the caller may analyze", async () => {
    const r = await call(alice, "search_code", { query: "React" });
    expect(r.isError).toBe(false);
    const s = json(r.result) as {
      searched_repositories: string[];
      items: Array<{ repository: string; path: string }>;
    };
    expect(s.searched_repositories.sort()).toEqual(["mycompany/api-server", "mycompany/web"]);
    expect(s.items.length).toBeGreaterThan(0);
    for (const item of s.items) expect(["mycompany/api-server", "mycompany/web"]).toContain(item.repository);
    // facebook/react allows read only, so it is not searched even though "React" is all over it.
    expect(s.items.some((i) => i.repository === "facebook/react")).toBe(false);
  });
});
