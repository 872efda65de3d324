import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRepoStore } from "../../wrangler-free-local/github/store/index.ts";
import type { RepositoryRecord } from "../../wrangler-free-local/github/store/types.ts";
import { openSeededStore, repo } from "./seeded-store.ts";

// The store runs git through a wrapper that logs each process start, so the test counts real spawns
// (starting git blocks the event loop the broker shares in `repogate local`, the bench and the tests).
let store: LocalRepoStore;
let web: RepositoryRecord;
let spawnLog: string;
let cleanup: () => Promise<void>;

async function spawnsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const before = (await readFile(spawnLog, "utf8")).split("\n").filter(Boolean).length;
  await work();
  return (await readFile(spawnLog, "utf8")).split("\n").filter(Boolean).slice(before);
}

beforeAll(async () => {
  const { execFileSync } = await import("node:child_process");
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const { mkdtemp } = await import("node:fs/promises");
  const os = await import("node:os");
  const wrapperDir = await mkdtemp(path.join(os.tmpdir(), "repogate-git-wrapper-"));
  spawnLog = path.join(wrapperDir, "spawns.log");
  await writeFile(spawnLog, "");
  const wrapper = path.join(wrapperDir, "git");
  await writeFile(wrapper, `#!/bin/sh\necho "$*" >> '${spawnLog}'\nexec '${realGit}' "$@"\n`);
  await chmod(wrapper, 0o755);
  ({ store, cleanup } = await openSeededStore({ gitBinary: wrapper }));
  web = repo(store, "mycompany/web");
});
afterAll(async () => {
  await cleanup();
});

describe("emulator reads after the first read of a commit", () => {
  it("start no git process, whichever path, listing or record is read", async () => {
    const main = (await store.resolveCommit(web, "main")) as string;
    const first = await spawnsDuring(() => store.readPath(web, main, "README.md"));
    expect(first.length).toBeGreaterThan(0);

    const later = await spawnsDuring(async () => {
      for (const ref of [main, "main"]) {
        const readme = await store.readPath(web, ref, "README.md");
        expect(readme).toMatchObject({ type: "file", path: "README.md" });
        const nested = await store.readPath(web, ref, "src/app/routes/dashboard/widgets/ChartWidget.tsx");
        expect(nested).toMatchObject({
          type: "file",
          path: "src/app/routes/dashboard/widgets/ChartWidget.tsx",
        });
        const dir = await store.readPath(web, ref, "src/app");
        expect(dir?.type).toBe("dir");
        expect(dir && "entries" in dir ? dir.entries.map((e) => e.path) : []).toContain("src/app/routes");
        expect(await store.readPath(web, ref, "no/such/file")).toBeUndefined();
        expect((await store.readPath(web, ref, ""))?.type).toBe("dir");
      }
    });
    expect(later).toEqual([]);
  });

  it("answer repeated tree, commit and readme reads from memory", async () => {
    const main = (await store.resolveCommit(web, "main")) as string;
    const read = async () => {
      await store.getTree(web, main, true);
      await store.getTree(web, "main", false);
      await store.getCommit(web, main);
      await store.findReadme(web, main);
      await store.listCommits(web, { sha: main, limit: 5 });
      await store.getCommitFiles(web, main);
      await store.getCommitDiff(web, main);
      await store.languages(web);
    };
    await read();
    expect(await spawnsDuring(read)).toEqual([]);
  });

  it("read the same content as a fresh store", async () => {
    const fresh = await openSeededStore();
    try {
      const again = repo(fresh.store, "mycompany/web");
      for (const p of ["README.md", "src/app", "src/app/routes/dashboard/widgets/ChartWidget.tsx", ""]) {
        expect(await store.readPath(web, "main", p)).toEqual(await fresh.store.readPath(again, "main", p));
      }
    } finally {
      await fresh.cleanup();
    }
  });
});
