import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, failure, INSTALLATIONS, quietLog, startFixture } from "./harness.ts";

let fx: EmulatorFixture;
let token: string;
const repo = { owner: "mycompany", repo: "web" };

beforeAll(async () => {
  fx = await startFixture();
  ({ token } = await fx.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] }));
});
afterEach(() => {
  fx.github.faults.clear();
});
afterAll(async () => {
  await fx?.stop();
});

const RetryingOctokit = Octokit.plugin(retry, throttling);

function resilientClient(events: string[]) {
  return new RetryingOctokit({
    baseUrl: fx.github.url,
    auth: token,
    log: quietLog,
    // 429 is left to plugin-throttling (as octokit recommends when both plugins are used).
    retry: { retries: 2, retryAfterBaseValue: 1, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      fallbackSecondaryRateRetryAfter: 0,
      retryAfterBaseValue: 1,
      onRateLimit: (retryAfter: number) => {
        events.push(`primary:${retryAfter}`);
        return false;
      },
      onSecondaryRateLimit: (
        retryAfter: number,
        _options: unknown,
        _octokit: unknown,
        retryCount: number,
      ) => {
        events.push(`secondary:${retryAfter}`);
        return retryCount < 1;
      },
    },
  });
}

describe("rate-limit headers", () => {
  it("count down per installation", async () => {
    const octokit = new Octokit({ baseUrl: fx.github.url, auth: token, log: quietLog });
    const a = await octokit.rest.repos.get(repo);
    const b = await octokit.rest.repos.get(repo);
    expect(a.headers["x-ratelimit-limit"]).toBe("5000");
    expect(a.headers["x-ratelimit-resource"]).toBe("core");
    expect(Number(b.headers["x-ratelimit-remaining"])).toBe(Number(a.headers["x-ratelimit-remaining"]) - 1);
    expect(Number(b.headers["x-ratelimit-used"])).toBe(Number(a.headers["x-ratelimit-used"]) + 1);
    expect(Number(a.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000);
    // Another token of the same installation shares the counter.
    const { octokit: sibling } = await fx.installationOctokit(INSTALLATIONS.mycompany, {
      repositories: ["web"],
    });
    const c = await sibling.rest.repos.get(repo);
    expect(Number(c.headers["x-ratelimit-used"])).toBe(Number(b.headers["x-ratelimit-used"]) + 1);
    // A different installation has its own.
    const { octokit: fb } = await fx.installationOctokit(INSTALLATIONS.facebook);
    const d = await fb.rest.repos.get({ owner: "facebook", repo: "react" });
    expect(Number(d.headers["x-ratelimit-used"])).toBeLessThan(Number(c.headers["x-ratelimit-used"]));
  });

  it("GET /rate_limit reports the windows without counting itself", async () => {
    const octokit = new Octokit({ baseUrl: fx.github.url, auth: token, log: quietLog });
    const a = await octokit.rest.rateLimit.get();
    const b = await octokit.rest.rateLimit.get();
    expect(b.data.rate.used).toBe(a.data.rate.used);
    expect(a.data.resources.core.limit).toBe(5000);
    expect(a.data.resources.search.limit).toBe(30);
    expect(a.data.resources.code_search?.limit).toBe(10);
    await octokit.rest.repos.get(repo);
    expect((await octokit.rest.rateLimit.get()).data.rate.used).toBe(a.data.rate.used + 1);
  });

  it("code search has its own 10/minute window, and exhausting it is a 403 with remaining 0", async () => {
    const octokit = new Octokit({ baseUrl: fx.github.url, auth: token, log: quietLog });
    let last: Awaited<ReturnType<typeof octokit.rest.search.code>> | undefined;
    for (let i = 0; i < 10; i++) last = await octokit.rest.search.code({ q: "import repo:mycompany/web" });
    expect(last?.headers["x-ratelimit-resource"]).toBe("code_search");
    expect(last?.headers["x-ratelimit-remaining"]).toBe("0");
    const over = await failure(octokit.rest.search.code({ q: "import repo:mycompany/web" }));
    expect(over.status).toBe(403);
    expect(over.headers["x-ratelimit-remaining"]).toBe("0");
    expect(over.data.message).toMatch(/API rate limit exceeded/);
  });
});

describe("fault switch", () => {
  it("5xx for the next N requests: plugin-retry retries and succeeds", async () => {
    fx.github.faults.add({ kind: "server-error", status: 502, count: 2, pathPrefix: "/repos/mycompany/web" });
    const before = fx.github.log.countRequests({ pathPrefix: "/repos/mycompany/web" });
    const events: string[] = [];
    const res = await resilientClient(events).rest.repos.get(repo);
    expect(res.status).toBe(200);
    const requests = fx.github.log.requests.slice(-3);
    expect(requests.map((r) => r.status)).toEqual([502, 502, 200]);
    expect(fx.github.log.countRequests({ pathPrefix: "/repos/mycompany/web" }) - before).toBe(3);
    expect(fx.github.faults.list()).toEqual([]);
  });

  it("secondary rate limit (403 and 429): plugin-throttling sees retry-after and retries", async () => {
    for (const status of [403, 429]) {
      fx.github.faults.add({ kind: "secondary-rate-limit", status, retryAfterSeconds: 0, count: 1 });
      const events: string[] = [];
      const res = await resilientClient(events).rest.repos.get(repo);
      expect(res.status).toBe(200);
      expect(events, `status ${status}`).toEqual(["secondary:0"]);
    }
    fx.github.faults.add({ kind: "secondary-rate-limit", status: 429, retryAfterSeconds: 7, count: 1 });
    const raw = await failure(
      new Octokit({ baseUrl: fx.github.url, auth: token, log: quietLog }).rest.repos.get(repo),
    );
    expect(raw.status).toBe(429);
    expect(raw.headers["retry-after"]).toBe("7");
    expect(raw.data.message).toMatch(/^You have exceeded a secondary rate limit/);
  });

  it("primary limit exhausted: 403 with x-ratelimit-remaining 0, onRateLimit is called", async () => {
    fx.github.faults.add({ kind: "primary-rate-limit", retryAfterSeconds: 30 });
    const events: string[] = [];
    const res = await failure(resilientClient(events).rest.repos.get(repo));
    expect(res.status).toBe(403);
    expect(res.headers["x-ratelimit-remaining"]).toBe("0");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^primary:/);
    // Until cleared: the next request fails too.
    expect((await failure(resilientClient([]).rest.repos.get(repo))).status).toBe(403);
    fx.github.faults.clear();
    expect((await resilientClient([]).rest.repos.get(repo)).status).toBe(200);
  });

  it("adds latency, scoped to a path prefix", async () => {
    fx.github.faults.add({
      kind: "latency",
      latencyMs: 300,
      pathPrefix: "/repos/mycompany/web/languages",
      count: 1,
    });
    const octokit = new Octokit({ baseUrl: fx.github.url, auth: token, log: quietLog });
    const started = Date.now();
    await octokit.rest.repos.listLanguages(repo);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await octokit.rest.repos.get(repo);
    // Only the prefixed path was delayed: the log names the fault on that request and none on the other
    // (a wall-clock bound on the second request would flake on a loaded machine).
    const last = (path: string) => fx.github.log.requests.filter((r) => r.path === path).at(-1);
    expect(last("/repos/mycompany/web/languages")?.fault).toBe("latency");
    expect(last("/repos/mycompany/web")).toMatchObject({ status: 200 });
    expect(last("/repos/mycompany/web")?.fault).toBeUndefined();
  });
});

describe("/_emulator control API over HTTP", () => {
  it("flips faults, counts requests and resets the log", async () => {
    const base = fx.github.url;
    const reset = await fetch(`${base}/_emulator/reset-log`, { method: "POST" });
    expect(reset.status).toBe(204);
    const added = await fetch(`${base}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "server-error", status: 503, count: 1, pathPrefix: "/repos/" }),
    });
    expect(added.status).toBe(201);
    const octokit = new Octokit({ baseUrl: base, auth: token, log: quietLog });
    expect((await failure(octokit.rest.repos.get(repo))).status).toBe(503);
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);

    const log = (await (await fetch(`${base}/_emulator/requests?path_prefix=/repos/`)).json()) as {
      count: number;
      requests: Array<{ status: number; fault?: string; installationId?: number }>;
    };
    expect(log.count).toBe(2);
    expect(log.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(log.requests[0]?.fault).toBe("server-error");
    expect(log.requests[1]?.installationId).toBe(INSTALLATIONS.mycompany);

    await fetch(`${base}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "server-error" }),
    });
    expect((await failure(octokit.rest.repos.get(repo))).status).toBe(502);
    expect((await fetch(`${base}/_emulator/faults`, { method: "DELETE" })).status).toBe(204);
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);

    const invalid = await fetch(`${base}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "latency" }),
    });
    expect(invalid.status).toBe(422);
  });

  it("answers unknown routes with GitHub's 404 body", async () => {
    const res = await fetch(`${fx.github.url}/definitely/not/an/endpoint`, {
      headers: { authorization: `token ${token}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({
      message: "Not Found",
      documentation_url: "https://docs.github.com/rest",
      status: "404",
    });
  });
});
