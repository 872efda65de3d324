/**
 * Where the emulator used to differ from api.github.com (issue 9 §7), checked against GitHub's recorded answers
 * in @octokit/fixtures where one exists: a mint with `"permissions": {}`, `rel="last"` on commit lists, the ref
 * list routes, `GET /repositories/{id}`, and 400 `Problems parsing JSON` for a malformed body.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, INSTALLATIONS, startFixture } from "./harness.ts";

interface RecordedExchange {
  method: string;
  path: string;
  status: number;
  response: unknown;
  headers: Record<string, string>;
}

/** One scenario's recorded api.github.com exchanges, read as data (the package's nock helpers are not used). */
function recorded(scenario: string): RecordedExchange[] {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve("@octokit/fixtures/package.json"));
  const file = join(dir, "scenarios", "api.github.com", scenario, "normalized-fixture.json");
  return JSON.parse(readFileSync(file, "utf8")) as RecordedExchange[];
}

/** The `rel` names of a Link header, in order. */
function rels(link: string | null): string[] {
  return [...(link ?? "").matchAll(/rel="([a-z]+)"/g)].map((m) => m[1] as string);
}

/** The `page` of the Link entry with this rel. */
function pageOf(link: string | null, rel: string): number | undefined {
  const entry = (link ?? "").split(",").find((part) => part.includes(`rel="${rel}"`));
  const url = entry?.match(/<([^>]+)>/)?.[1];
  return url ? Number(new URL(url).searchParams.get("page")) : undefined;
}

/** Sorted keys of an object, and of its nested objects, as a shape to compare. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value === null || typeof value !== "object") return typeof value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
  );
}

let fx: EmulatorFixture;
let token: string;
let appJwt: string;
const WEB = "/repos/mycompany/web";

beforeAll(async () => {
  fx = await startFixture();
  ({ token } = await fx.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] }));
  appJwt = ((await fx.appOctokit.auth({ type: "app" })) as { token: string }).token;
}, 60_000);
afterAll(async () => {
  await fx?.stop();
});

function get(path: string, credential = `token ${token}`): Promise<Response> {
  return fetch(`${fx.github.url}${path}`, { headers: { authorization: credential } });
}

function post(path: string, body: string, credential: string): Promise<Response> {
  return fetch(`${fx.github.url}${path}`, {
    method: "POST",
    headers: { authorization: credential, "content-type": "application/json" },
    body,
  });
}

describe("a mint with permissions {}", () => {
  it("grants the installation's permissions, as GitHub does, and the log shows the {} that was sent", async () => {
    fx.github.log.reset();
    const res = await post(
      `/app/installations/${INSTALLATIONS.mycompany}/access_tokens`,
      JSON.stringify({ repositories: ["web"], permissions: {} }),
      `Bearer ${appJwt}`,
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; permissions: Record<string, string> };
    const installation = fx.github.state.installations.byId(INSTALLATIONS.mycompany);
    expect(body.permissions).toEqual(installation?.permissions);
    expect(Object.keys(body.permissions).length).toBeGreaterThan(0);
    // The token really has them: contents are readable.
    expect((await get(`${WEB}/readme`, `token ${body.token}`)).status).toBe(200);
    expect(fx.github.log.mints).toMatchObject([
      { permissions: installation?.permissions, requestedPermissions: {} },
    ]);
  });

  it("grants exactly what a non-empty permissions object names", async () => {
    const res = await post(
      `/app/installations/${INSTALLATIONS.mycompany}/access_tokens`,
      JSON.stringify({ repositories: ["web"], permissions: { metadata: "read" } }),
      `Bearer ${appJwt}`,
    );
    const body = (await res.json()) as { token: string; permissions: Record<string, string> };
    expect(body.permissions).toEqual({ metadata: "read" });
    expect((await get(`${WEB}/readme`, `token ${body.token}`)).status).toBe(403);
  });
});

describe("commit list pagination", () => {
  it('sends rel="last" like GitHub, in GitHub\'s rel order, and the last page has no next', async () => {
    const recordedLink = recorded("paginate-issues").find((e) => e.path.endsWith("page=2"))?.headers.link;
    expect(rels(recordedLink ?? null)).toEqual(["prev", "next", "last", "first"]);

    const web = fx.github.store.getRepository("mycompany", "web");
    if (!web) throw new Error("seed repository mycompany/web is missing");
    const main = await fx.github.store.resolveCommit(web, "main");
    const all = await fx.github.store.listCommits(web, { sha: main ?? "", limit: 1000 });
    expect(all.commits.length).toBeGreaterThanOrEqual(5);
    const expectedLast = Math.ceil(all.commits.length / 2);

    const first = await get(`${WEB}/commits?per_page=2`);
    expect(rels(first.headers.get("link"))).toEqual(["next", "last"]);
    expect(pageOf(first.headers.get("link"), "last")).toBe(expectedLast);

    const second = await get(`${WEB}/commits?per_page=2&page=2`);
    expect(rels(second.headers.get("link"))).toEqual(
      expectedLast > 2 ? ["prev", "next", "last", "first"] : ["prev", "first"],
    );

    const last = await get(`${WEB}/commits?per_page=2&page=${expectedLast}`);
    expect(rels(last.headers.get("link"))).toEqual(["prev", "first"]);
    const lastPage = (await last.json()) as unknown[];
    expect(lastPage.length).toBe(all.commits.length - (expectedLast - 1) * 2);
  });

  it("counts with the list's filters: a path filter changes the last page", async () => {
    const web = fx.github.store.getRepository("mycompany", "web");
    if (!web) throw new Error("seed repository mycompany/web is missing");
    const main = (await fx.github.store.resolveCommit(web, "main")) ?? "";
    const total = await fx.github.store.countCommits(web, { sha: main });
    const docs = await fx.github.store.countCommits(web, { sha: main, path: "docs" });
    expect(docs).toBeGreaterThan(2);
    expect(docs).toBeLessThan(total);
    const res = await get(`${WEB}/commits?per_page=2&path=docs`);
    expect(pageOf(res.headers.get("link"), "last")).toBe(Math.ceil(docs / 2));
    const unfiltered = await get(`${WEB}/commits?per_page=2`);
    expect(pageOf(unfiltered.headers.get("link"), "last")).toBe(Math.ceil(total / 2));
  });
});

describe("git refs", () => {
  const recordedList = recorded("git-refs").find((e) => e.method === "get" && e.path.endsWith("/git/refs/"));

  it("lists every branch and tag at /git/refs and /git/refs/, shaped like GitHub's recorded answer", async () => {
    expect(recordedList?.status).toBe(200);
    const branches = ["main", "stable", "feature/x", "hotfix/1.0.1"];
    for (const path of [`${WEB}/git/refs`, `${WEB}/git/refs/`]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(recordedList?.headers["content-type"]);
      const refs = (await res.json()) as Array<{ ref: string; url: string; object: { sha: string } }>;
      expect(shape(refs)).toEqual(shape(recordedList?.response));
      const names = refs.map((r) => r.ref);
      expect(names).toEqual([...names].sort());
      for (const branch of branches) expect(names).toContain(`refs/heads/${branch}`);
      expect(names).toContain("refs/tags/v1.0.0");
      const main = refs.find((r) => r.ref === "refs/heads/main");
      const single = (await (await get(`${WEB}/git/ref/heads/main`)).json()) as unknown;
      expect(main).toEqual(single);
    }
  });

  it("lists the refs that start with a prefix at /git/matching-refs, [] when none does", async () => {
    const heads = (await (await get(`${WEB}/git/matching-refs/heads/`)).json()) as Array<{ ref: string }>;
    expect(heads.length).toBeGreaterThan(1);
    expect(heads.every((r) => r.ref.startsWith("refs/heads/"))).toBe(true);
    const feature = (await (await get(`${WEB}/git/matching-refs/heads/fea`)).json()) as Array<{
      ref: string;
    }>;
    expect(feature.map((r) => r.ref)).toEqual(["refs/heads/feature/dark-mode", "refs/heads/feature/x"]);
    const none = await get(`${WEB}/git/matching-refs/heads/no-such-branch`);
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual([]);
  });

  it("answers the older /git/refs/{ref} with one ref for a whole name, a list for a namespace, else 404", async () => {
    const one = (await (await get(`${WEB}/git/refs/heads/feature/x`)).json()) as { ref: string };
    expect(one.ref).toBe("refs/heads/feature/x");
    const tags = (await (await get(`${WEB}/git/refs/tags`)).json()) as Array<{ ref: string }>;
    expect(tags.map((r) => r.ref)).toContain("refs/tags/v1.0.0");
    expect(tags.every((r) => r.ref.startsWith("refs/tags/"))).toBe(true);
    expect((await get(`${WEB}/git/refs/heads/fea`)).status).toBe(404);
  });

  it("hides the refs of a repository the token does not cover (404)", async () => {
    for (const path of ["git/refs", "git/refs/heads", "git/matching-refs/heads/"]) {
      const res = await get(`/repos/mycompany/api-server/${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });
});

describe("GET /repositories/{id}", () => {
  it("answers like GET /repos/{owner}/{repo}, shaped like GitHub's recorded repository", async () => {
    const byName = await get(WEB);
    const repo = (await byName.json()) as { id: number; full_name: string };
    const byId = await get(`/repositories/${repo.id}`);
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual(repo);
    // GitHub's recorded answer (to an owner's token) has every member the emulator sends by id, except the
    // merge settings and clone token that GitHub shows only to callers with push or admin access.
    const recordedRepo = recorded("get-repository").find((e) => e.method === "get")?.response as object;
    const pushOnly = [
      "temp_clone_token",
      "allow_squash_merge",
      "allow_merge_commit",
      "allow_rebase_merge",
      "allow_auto_merge",
      "delete_branch_on_merge",
      "allow_update_branch",
      "use_squash_pr_title_as_default",
    ];
    expect(Object.keys(recordedRepo).filter((k) => !(k in repo))).toEqual(pushOnly);
  });

  it("is 404 for a repository outside the token and for an unknown id", async () => {
    const other = fx.github.store.getRepository("mycompany", "api-server");
    expect((await get(`/repositories/${other?.id}`)).status).toBe(404);
    expect((await get("/repositories/999999999")).status).toBe(404);
  });
});

describe("a malformed JSON body", () => {
  const bad = "{not json";
  const parsingError = { message: "Problems parsing JSON", status: "400" };

  it("is 400 Problems parsing JSON on the mint and on a write endpoint, not 403 or 422", async () => {
    const mint = await post(
      `/app/installations/${INSTALLATIONS.mycompany}/access_tokens`,
      bad,
      `Bearer ${appJwt}`,
    );
    expect(mint.status).toBe(400);
    expect(await mint.json()).toMatchObject(parsingError);
    const write = await post(`${WEB}/git/refs`, bad, `token ${token}`);
    expect(write.status).toBe(400);
    expect(await write.json()).toMatchObject(parsingError);
  });

  it("keeps 422 for well-formed JSON that is not a valid request", async () => {
    const res = await post(
      `/app/installations/${INSTALLATIONS.mycompany}/access_tokens`,
      JSON.stringify({ repositories: "web" }),
      `Bearer ${appJwt}`,
    );
    expect(res.status).toBe(422);
    // A well-formed write with a read token is still GitHub's 403.
    const write = await post(
      `${WEB}/git/refs`,
      JSON.stringify({ ref: "refs/heads/x", sha: "0" }),
      `token ${token}`,
    );
    expect(write.status).toBe(403);
  });
});
