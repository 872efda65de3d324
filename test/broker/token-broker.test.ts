import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TokenGrant, TokenRevocation } from "../../src/github/index.ts";
import { fingerprintToken } from "../../src/github/index.ts";
import {
  brokerFor,
  type GitHubEmulator,
  serializeError,
  startGitHub,
  TOKEN_PATTERN,
  tempDir,
} from "./harness.ts";

let github: GitHubEmulator;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir("repogate-broker-");
  github = await startGitHub(dir.path);
});
afterAll(async () => {
  await github?.close();
  await dir?.remove();
});
afterEach(() => {
  github.faults.clear();
  github.log.reset();
});

/** Grabs the token value the octokit was given, only to prove the broker never leaks it. */
async function tokenOf(octokit: { auth: () => Promise<unknown> }): Promise<string> {
  return ((await octokit.auth()) as { token: string }).token;
}

function revokedFingerprints(): string[] {
  return github.log.revocations.map((r) => r.tokenFingerprint);
}

describe("withToken", () => {
  it("mints one token narrowed to the repository with read permissions, hands out a grant, then revokes it", async () => {
    const grants: TokenGrant[] = [];
    const revocations: TokenRevocation[] = [];
    const { broker } = await brokerFor(github, {
      hooks: { onGrant: (g) => void grants.push(g), onRevoke: (r) => void revocations.push(r) },
    });
    let token = "";
    const result = await broker.withToken(
      { repository: "mycompany/web", operation: "read" },
      async (octokit, grant) => {
        token = await tokenOf(octokit);
        expect(grants).toEqual([grant]); // onGrant ran before fn
        const { data } = await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
        return data.full_name;
      },
    );
    expect(result).toBe("mycompany/web");

    expect(github.log.mints).toHaveLength(1);
    const mint = github.log.mints[0];
    expect(mint?.narrowed).toBe(true);
    expect(mint?.repositories).toEqual(["mycompany/web"]);
    expect(mint?.permissions).toEqual({ contents: "read", metadata: "read" });

    const grant = grants[0] as TokenGrant;
    expect(grant.fingerprint).toBe(fingerprintToken(token));
    expect(grant.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(grant.fingerprint.startsWith(mint?.tokenFingerprint ?? "x")).toBe(true);
    expect(grant.repositories).toEqual(["mycompany/web"]);
    expect(grant.permissions).toEqual({ contents: "read", metadata: "read" });
    expect(grant.installationId).toBe(mint?.installationId);
    expect(Date.parse(grant.expiresAt)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(grant)).not.toMatch(TOKEN_PATTERN);

    await broker.drain();
    expect(revokedFingerprints()).toEqual([mint?.tokenFingerprint]);
    expect(revocations).toMatchObject([{ fingerprint: grant.fingerprint, reason: "completed", attempts: 1 }]);
    // The revoked token is dead.
    const after = await fetch(`${github.url}/repos/mycompany/web`, {
      headers: { authorization: `token ${token}` },
    });
    expect(after.status).toBe(401);
  });

  it("returns before the revocation has finished", async () => {
    const { broker } = await brokerFor(github);
    github.faults.add({
      kind: "latency",
      latencyMs: 400,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    const started = performance.now();
    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => "ok");
    expect(performance.now() - started).toBeLessThan(350);
    expect(github.log.revocations).toHaveLength(0);
    await broker.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  it("gives a token for one repository a 404 on another repository of the same owner", async () => {
    const { broker } = await brokerFor(github);
    const status = await broker.withToken(
      { repository: "mycompany/web", operation: "read" },
      async (octokit) => {
        const other = await octokit
          .request("GET /repos/{owner}/{repo}", { owner: "mycompany", repo: "api-server" })
          .then(
            (r) => r.status,
            (e: { status?: number }) => e.status,
          );
        return other;
      },
    );
    expect(status).toBe(404);
    await broker.drain();
  });

  it("50 concurrent calls: 50 mints, each narrowed to one repository, 50 revocations, one App JWT", async () => {
    const { broker, jwt } = await brokerFor(github);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        broker.withToken(
          { repository: "mycompany/web", operation: i % 2 ? "analyze" : "diff" },
          async (_o, grant) => grant.fingerprint,
        ),
      ),
    );
    expect(new Set(results).size).toBe(50);
    expect(jwt.signatureCount).toBe(1);
    expect(github.log.mints).toHaveLength(50);
    for (const mint of github.log.mints) {
      expect(mint.repositories).toEqual(["mycompany/web"]);
      expect(mint.narrowed).toBe(true);
      expect(mint.permissions).toEqual({ contents: "read", metadata: "read" });
    }
    await broker.drain();
    expect(new Set(revokedFingerprints())).toEqual(new Set(github.log.mints.map((m) => m.tokenFingerprint)));
  });

  it("runs mints concurrently (mintConcurrency), not one at a time as plugin-throttling would", async () => {
    const { broker, installations } = await brokerFor(github, { throttle: { mintConcurrency: 8 } });
    await installations.resolve("mycompany");
    github.faults.add({ kind: "latency", latencyMs: 150, method: "POST", pathPrefix: "/app/installations" });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, () =>
        broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => 1),
      ),
    );
    // Serialized: 16 × 150 ms = 2.4 s; eight at a time: two rounds.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(github.log.mints).toHaveLength(16);
    await broker.drain();
  });

  it("revokes when fn throws, and rethrows the caller's error", async () => {
    const { broker } = await brokerFor(github);
    const boom = new Error("tool failed");
    await expect(
      broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await broker.drain();
    expect(github.log.mints).toHaveLength(1);
    expect(revokedFingerprints()).toEqual([github.log.mints[0]?.tokenFingerprint]);
  });

  it("revokes and never calls fn when onGrant throws", async () => {
    const revocations: TokenRevocation[] = [];
    const { broker } = await brokerFor(github, {
      hooks: {
        onGrant: async () => {
          throw Object.assign(new Error("audit sink unavailable"), { code: "AUDIT_UNAVAILABLE" });
        },
        onRevoke: (r) => void revocations.push(r),
      },
    });
    let called = false;
    await expect(
      broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => {
        called = true;
      }),
    ).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(called).toBe(false);
    await broker.drain();
    expect(revokedFingerprints()).toEqual([github.log.mints[0]?.tokenFingerprint]);
    expect(revocations[0]?.reason).toBe("grant-not-recorded");
  });

  it("fails with APP_NOT_INSTALLED for an owner without installation, without minting", async () => {
    const { broker } = await brokerFor(github);
    const error = await broker
      .withToken({ repository: "othercorp/secret", operation: "read" }, async () => "never")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "APP_NOT_INSTALLED", owner: "othercorp" });
    expect((error as Error).message).toMatch(/not installed on "othercorp".*install the App/);
    expect(github.log.mints).toHaveLength(0);
  });

  it("rejects invalid names before any request reaches GitHub", async () => {
    const { broker } = await brokerFor(github);
    for (const repository of [
      "mycompany/..",
      "mycompany/../othercorp/secret",
      "mycompany",
      "mycompany/web%2F..",
    ]) {
      await expect(
        broker.withToken({ repository, operation: "read" }, async () => "never"),
      ).rejects.toMatchObject({ code: "INVALID_REPOSITORY_SCOPE" });
    }
    await expect(
      broker.withToken({ repository: "mycompany/web", operation: "write" as "read" }, async () => "never"),
    ).rejects.toMatchObject({ code: "PERMISSION_ABOVE_CEILING" });
    expect(github.log.requests).toHaveLength(0);
  });

  it("surfaces GitHub's 422 for a repository outside the installation as GitHubUpstreamError", async () => {
    const { broker } = await brokerFor(github);
    const error = await broker
      .withToken({ repository: "partner-org/private-tools", operation: "read" }, async () => "never")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 422 });
    expect((error as { route?: string }).route).toMatch(/^POST \/app\/installations\/\d+\/access_tokens$/);
    expect(serializeError(error)).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no App JWT either
  });
});

describe("installation cache", () => {
  it("looks an owner up once, coalescing concurrent lookups, and caches 'not installed' too", async () => {
    const { broker, installations } = await brokerFor(github);
    await Promise.all(
      Array.from({ length: 10 }, () =>
        broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => 1),
      ),
    );
    await broker.withToken({ repository: "MyCompany/web", operation: "read" }, async () => 1);
    expect(github.log.countRequests({ pathPrefix: "/orgs/mycompany/installation" })).toBe(1);
    expect(installations.lookupCount).toBe(1);

    for (let i = 0; i < 3; i++) {
      await expect(installations.resolve("othercorp")).rejects.toMatchObject({ code: "APP_NOT_INSTALLED" });
    }
    expect(github.log.countRequests({ pathPrefix: "/orgs/othercorp/installation" })).toBe(1);
    expect(github.log.countRequests({ pathPrefix: "/users/othercorp/installation" })).toBe(1);

    installations.invalidate("mycompany");
    await installations.resolve("mycompany");
    expect(github.log.countRequests({ pathPrefix: "/orgs/mycompany/installation" })).toBe(2);
    await broker.drain();
  });

  it("expires entries after the TTL (injectable clock)", async () => {
    let now = Date.now();
    const { installations } = await brokerFor(github, { clock: () => now, installationCacheTtlMs: 1000 });
    const first = await installations.resolve("facebook");
    await installations.resolve("facebook");
    now += 1001;
    const second = await installations.resolve("facebook");
    expect(second.id).toBe(first.id);
    expect(github.log.countRequests({ pathPrefix: "/orgs/facebook/installation" })).toBe(2);
  });
});

describe("upstream faults", () => {
  it("retries a 5xx on the GitHub call inside fn", async () => {
    const { broker } = await brokerFor(github);
    github.faults.add({
      kind: "server-error",
      status: 502,
      count: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const name = await broker.withToken(
      { repository: "mycompany/web", operation: "read" },
      async (octokit) => {
        const { data } = await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
        return data.name;
      },
    );
    expect(name).toBe("web");
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    await broker.drain();
  });

  it("retries a 5xx on the mint itself", async () => {
    const { broker } = await brokerFor(github);
    github.faults.add({
      kind: "server-error",
      status: 503,
      count: 1,
      method: "POST",
      pathPrefix: "/app/installations",
    });
    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => "ok");
    expect(github.log.countRequests({ method: "POST", pathPrefix: "/app/installations" })).toBe(2);
    expect(github.log.mints).toHaveLength(1);
    await broker.drain();
  });

  it("gives up after the configured retries with a redacted GitHubUpstreamError", async () => {
    const { broker } = await brokerFor(github, { retries: 1 });
    github.faults.add({
      kind: "server-error",
      status: 500,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    let token = "";
    const error = await broker
      .withToken({ repository: "mycompany/web", operation: "read" }, async (octokit) => {
        token = await tokenOf(octokit);
        return octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "GITHUB_UPSTREAM_ERROR",
      status: 500,
      route: "GET /repos/mycompany/web",
    });
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    const serialized = serializeError(error);
    expect(token).toMatch(TOKEN_PATTERN);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toMatch(TOKEN_PATTERN);
    await broker.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  it("waits retry-after on a secondary rate limit, then retries", async () => {
    const { broker } = await brokerFor(github);
    github.faults.add({
      kind: "secondary-rate-limit",
      retryAfterSeconds: 1,
      count: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const started = performance.now();
    const name = await broker.withToken(
      { repository: "mycompany/web", operation: "read" },
      async (octokit) => {
        const { data } = await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
        return data.name;
      },
    );
    expect(name).toBe("web");
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    await broker.drain();
  });

  it("stops retrying secondary rate limits after the configured count", async () => {
    const { broker } = await brokerFor(github, { throttle: { secondaryRateLimitRetries: 1 } });
    github.faults.add({
      kind: "secondary-rate-limit",
      status: 429,
      retryAfterSeconds: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const error = await broker
      .withToken({ repository: "mycompany/web", operation: "read" }, (octokit) =>
        octokit.rest.repos.get({ owner: "mycompany", repo: "web" }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 429 });
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    await broker.drain();
  });

  it("aborts a hung GitHub call after requestTimeoutMs and reports GITHUB_UNREACHABLE", async () => {
    const { broker } = await brokerFor(github, { retries: 0, requestTimeoutMs: 200 });
    github.faults.add({
      kind: "latency",
      latencyMs: 1500,
      count: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const started = performance.now();
    const error = await broker
      .withToken({ repository: "mycompany/web", operation: "read" }, (octokit) =>
        octokit.rest.repos.get({ owner: "mycompany", repo: "web" }),
      )
      .catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1200);
    expect(error).toMatchObject({ code: "GITHUB_UNREACHABLE", status: 0, route: "GET /repos/mycompany/web" });
    await broker.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  it("reports GITHUB_UNREACHABLE when nothing listens at baseUrl", async () => {
    const { broker } = await brokerFor(github, { baseUrl: "http://127.0.0.1:9", retries: 0 });
    await expect(
      broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => "never"),
    ).rejects.toMatchObject({ code: "GITHUB_UNREACHABLE", status: 0 });
  });

  it("reports a revocation that fails twice to onRevokeError, without the token", async () => {
    const errors: Array<{ error: unknown; revocation: TokenRevocation }> = [];
    const { broker } = await brokerFor(github, {
      retries: 0,
      hooks: { onRevokeError: (error, revocation) => void errors.push({ error, revocation }) },
    });
    github.faults.add({
      kind: "server-error",
      status: 500,
      count: 2,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    let token = "";
    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async (octokit) => {
      token = await tokenOf(octokit);
    });
    await broker.drain();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.revocation).toMatchObject({ attempts: 2, repositories: ["mycompany/web"] });
    expect(errors[0]?.error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 500 });
    expect(serializeError(errors[0]?.error)).not.toContain(token);
    expect(github.log.countRequests({ method: "DELETE", pathPrefix: "/installation/token" })).toBe(2);
  });

  it("retries a failed revocation once", async () => {
    const revocations: TokenRevocation[] = [];
    const { broker } = await brokerFor(github, {
      retries: 0,
      hooks: { onRevoke: (r) => void revocations.push(r) },
    });
    github.faults.add({
      kind: "server-error",
      status: 502,
      count: 1,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => undefined);
    await broker.drain();
    expect(revocations).toMatchObject([{ attempts: 2 }]);
    expect(github.log.revocations).toHaveLength(1);
  });
});

describe("tokenReuse", () => {
  it("is off by default: two sequential calls mint twice", async () => {
    const { broker } = await brokerFor(github);
    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => 1);
    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => 1);
    expect(github.log.mints).toHaveLength(2);
    await broker.drain();
  });

  it("when on, shares one token for the same repository within the TTL and revokes it once nobody holds it", async () => {
    const grants: TokenGrant[] = [];
    const { broker } = await brokerFor(github, {
      tokenReuse: { enabled: true, ttlMs: 300 },
      hooks: { onGrant: (g) => void grants.push(g) },
    });
    await Promise.all(
      Array.from({ length: 5 }, () =>
        broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => {
          await new Promise((r) => setTimeout(r, 20));
        }),
      ),
    );
    await broker.withToken({ repository: "mycompany/web", operation: "diff" }, async () => 1);
    expect(github.log.mints).toHaveLength(1);
    expect(grants.map((g) => g.reused)).toEqual([false, true, true, true, true, true]);
    expect(new Set(grants.map((g) => g.fingerprint)).size).toBe(1);
    expect(github.log.revocations).toHaveLength(0);

    // A held token is not revoked when the TTL passes, only when its last user is done.
    let release: () => void = () => {};
    const holding = broker.withToken(
      { repository: "mycompany/web", operation: "read" },
      () =>
        new Promise<void>((r) => {
          release = r;
        }),
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(github.log.revocations).toHaveLength(0);
    release();
    await holding;
    await new Promise((r) => setTimeout(r, 50));
    expect(github.log.revocations).toHaveLength(1);

    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => 1);
    expect(github.log.mints).toHaveLength(2);
    await broker.drain();
    expect(github.log.revocations).toHaveLength(2);
  });
});
