import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, failure, INSTALLATIONS, startFixture } from "./harness.ts";

let fx: EmulatorFixture;
beforeAll(async () => {
  // Code search is limited to 10/min per caller on GitHub; this file searches more often than that.
  fx = await startFixture({ rateLimits: { codeSearchPerMinute: 1000 } });
});
afterAll(async () => {
  await fx?.stop();
});

describe("code search", () => {
  it("searches only the repositories the token covers, with repo: and org: qualifiers", async () => {
    const { octokit } = await fx.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] });
    const byRepo = await octokit.rest.search.code({ q: "import repo:mycompany/web" });
    expect(byRepo.data.total_count).toBeGreaterThan(0);
    expect(byRepo.data.incomplete_results).toBe(false);
    expect(new Set(byRepo.data.items.map((i) => i.repository.full_name))).toEqual(new Set(["mycompany/web"]));
    const item = byRepo.data.items[0];
    expect(item).toMatchObject({
      name: expect.any(String),
      path: expect.any(String),
      score: expect.any(Number),
    });
    expect(item?.sha).toMatch(/^[0-9a-f]{40}$/);

    // org: spans only what the token may see, even though the installation has more.
    const byOrg = await octokit.rest.search.code({ q: "import org:mycompany" });
    expect(new Set(byOrg.data.items.map((i) => i.repository.full_name))).toEqual(new Set(["mycompany/web"]));

    const hidden = await failure(octokit.rest.search.code({ q: "import repo:mycompany/api-server" }));
    expect(hidden.status).toBe(422);
    expect(JSON.stringify(hidden.data.errors)).toMatch(/cannot be searched/);
  });

  it("an installation-wide token searches every repository of the installation", async () => {
    const { octokit } = await fx.installationOctokit(INSTALLATIONS.mycompany);
    const res = await octokit.rest.search.code({ q: "package org:mycompany", per_page: 100 });
    const repos = new Set(res.data.items.map((i) => i.repository.full_name));
    expect(repos.size).toBeGreaterThan(1);
    expect([...repos].every((r) => r.startsWith("mycompany/"))).toBe(true);
  });

  it("applies path:, extension: and language: qualifiers", async () => {
    const { octokit } = await fx.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] });
    const ext = await octokit.rest.search.code({ q: "import extension:tsx repo:mycompany/web" });
    expect(ext.data.items.length).toBeGreaterThan(0);
    expect(ext.data.items.every((i) => i.path.endsWith(".tsx"))).toBe(true);
    const path = await octokit.rest.search.code({ q: "import path:src/app repo:mycompany/web" });
    expect(path.data.items.every((i) => i.path.startsWith("src/app"))).toBe(true);
    const lang = await octokit.rest.search.code({ q: "import language:TypeScript repo:mycompany/web" });
    expect(lang.data.items.every((i) => /\.(ts|tsx)$/.test(i.path))).toBe(true);
  });

  it("answers 422 Validation Failed without search terms", async () => {
    const { octokit } = await fx.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] });
    const empty = await failure(octokit.rest.search.code({ q: "" }));
    expect(empty.status).toBe(422);
    expect(empty.data.message).toBe("Validation Failed");
    const onlyQualifiers = await failure(octokit.rest.search.code({ q: "repo:mycompany/web" }));
    expect(onlyQualifiers.status).toBe(422);
  });
});
