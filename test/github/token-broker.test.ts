import { describe, expect, it } from "vitest";
import type { TokenGrant, TokenRevocation } from "../../src/github/index.ts";
import { fingerprintToken } from "../../src/github/index.ts";
import {
  brokerFor,
  type GitHubEmulator,
  serializeError,
  TOKEN_PATTERN,
  tokenOf,
  useGitHubEmulator,
} from "./harness.ts";

let github: GitHubEmulator;
useGitHubEmulator("repogate-broker-", (started) => {
  github = started;
});

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
    await broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => "ok");
    // Ordering, not a stopwatch: the emulator records the revocation only once its delayed DELETE completes.
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
    github.faults.add({ kind: "latency", latencyMs: 500, method: "POST", pathPrefix: "/app/installations" });
    await Promise.all(
      Array.from({ length: 16 }, () =>
        broker.withToken({ repository: "mycompany/web", operation: "read" }, async () => 1),
      ),
    );
    expect(github.log.mints).toHaveLength(16);
    // How many mints the emulator was serving at once (each held ≥ 500 ms): more than one, never more than 8.
    const spans = github.log.requests
      .filter((r) => r.method === "POST" && r.path.endsWith("/access_tokens"))
      .map((r) => ({ end: Date.parse(r.time), start: Date.parse(r.time) - r.durationMs }));
    expect(spans).toHaveLength(16);
    const overlap = Math.max(
      ...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length),
    );
    expect(overlap).toBeGreaterThan(1);
    expect(overlap).toBeLessThanOrEqual(8);
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
