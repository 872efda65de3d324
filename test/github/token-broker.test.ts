import { describe, expect, it } from "vitest";
import type { TokenGrant } from "../../src/github/index.ts";
import { fingerprintToken } from "../../src/github/index.ts";
import {
  brokerFor,
  type GitHubEmulator,
  recordingCall,
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
    const call = recordingCall();
    const { tokens } = await brokerFor(github);
    let token = "";
    const result = await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      call,
      async (octokit, grant) => {
        token = await tokenOf(octokit);
        expect(call.grants).toEqual([grant]); // granted was recorded before fn
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

    const grant = call.grants[0] as TokenGrant;
    expect(grant.fingerprint).toBe(fingerprintToken(token));
    expect(grant.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(grant.fingerprint.startsWith(mint?.tokenFingerprint ?? "x")).toBe(true);
    expect(grant.repositories).toEqual(["mycompany/web"]);
    expect(grant.permissions).toEqual({ contents: "read", metadata: "read" });
    expect(grant.installationId).toBe(mint?.installationId);
    expect(Date.parse(grant.expiresAt)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(grant)).not.toMatch(TOKEN_PATTERN);

    await tokens.drain();
    expect(revokedFingerprints()).toEqual([mint?.tokenFingerprint]);
    expect(call.revocations).toMatchObject([
      { fingerprint: grant.fingerprint, reason: "completed", attempts: 1 },
    ]);
    expect(call.revokeFailures).toEqual([]);
    // The revoked token is dead.
    const after = await fetch(`${github.url}/repos/mycompany/web`, {
      headers: { authorization: `token ${token}` },
    });
    expect(after.status).toBe(401);
  });

  it("returns before the revocation has finished", async () => {
    const { tokens } = await brokerFor(github);
    github.faults.add({
      kind: "latency",
      latencyMs: 400,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async () => "ok",
    );
    // Ordering, not a stopwatch: the emulator records the revocation only once its delayed DELETE completes.
    expect(github.log.revocations).toHaveLength(0);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  it("gives a token for one repository a 404 on another repository of the same owner", async () => {
    const { tokens } = await brokerFor(github);
    const status = await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
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
    await tokens.drain();
  });

  it("50 concurrent calls: 50 mints, each narrowed to one repository, 50 revocations, one App JWT", async () => {
    const { tokens, jwt } = await brokerFor(github);
    const calls = Array.from({ length: 50 }, () => recordingCall());
    const results = await Promise.all(
      calls.map((call, i) =>
        tokens.withToken(
          { repository: "mycompany/web", operation: i % 2 ? "analyze" : "diff" },
          call,
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
    await tokens.drain();
    expect(new Set(revokedFingerprints())).toEqual(new Set(github.log.mints.map((m) => m.tokenFingerprint)));
    // Each call's record has its own token's grant and revocation, and no other call's.
    calls.forEach((call, i) => {
      expect(call.grants.map((g) => g.fingerprint)).toEqual([results[i]]);
      expect(call.revocations).toMatchObject([{ fingerprint: results[i], reason: "completed", attempts: 1 }]);
    });
  });

  it("runs mints concurrently (mintConcurrency), not one at a time as plugin-throttling would", async () => {
    const { tokens, installations } = await brokerFor(github, { throttle: { mintConcurrency: 8 } });
    await installations.resolve("mycompany");
    github.faults.add({ kind: "latency", latencyMs: 500, method: "POST", pathPrefix: "/app/installations" });
    await Promise.all(
      Array.from({ length: 16 }, () =>
        tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => 1),
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
    await tokens.drain();
  });

  it("does not send a mint whose record stops allowing mints while it waits for a mint slot", async () => {
    const { tokens, installations } = await brokerFor(github, { throttle: { mintConcurrency: 1 } });
    await installations.resolve("mycompany");
    github.faults.add({ kind: "latency", latencyMs: 300, method: "POST", pathPrefix: "/app/installations" });
    // The second call passes beforeMint, then waits behind the first mint; meanwhile its audit sink is found down.
    let sinkDown = false;
    const refusal = new Error("the audit sink is known down");
    const first = tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async () => 1,
    );
    const second = tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall({
        assertMintable: () => {
          if (sinkDown) throw refusal;
        },
      }),
      async () => 2,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    sinkDown = true;
    await expect(first).resolves.toBe(1);
    await expect(second).rejects.toBe(refusal);
    await tokens.drain();
    // One mint reached GitHub; the queued one was never sent.
    expect(github.log.requests.filter((r) => r.path.endsWith("/access_tokens"))).toHaveLength(1);
    expect(github.log.mints).toHaveLength(1);
  });

  it("does not retry a failed mint once its record stops allowing mints", async () => {
    const { tokens, installations } = await brokerFor(github);
    await installations.resolve("mycompany");
    github.faults.add({
      kind: "server-error",
      status: 502,
      count: 1,
      method: "POST",
      pathPrefix: "/app/installations",
    });
    let checks = 0;
    const refusal = new Error("the audit sink is known down");
    const call = tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall({
        // The first attempt is allowed and meets the 502; the sink fails during the back-off.
        assertMintable: () => {
          if (++checks > 1) throw refusal;
        },
      }),
      async () => 1,
    );
    await expect(call).rejects.toBe(refusal);
    await tokens.drain();
    expect(checks).toBe(2);
    expect(github.log.requests.filter((r) => r.path.endsWith("/access_tokens"))).toHaveLength(1);
    expect(github.log.mints).toHaveLength(0);
  });

  it("revokes when fn throws, and rethrows the caller's error", async () => {
    const { tokens } = await brokerFor(github);
    const boom = new Error("tool failed");
    await expect(
      tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await tokens.drain();
    expect(github.log.mints).toHaveLength(1);
    expect(revokedFingerprints()).toEqual([github.log.mints[0]?.tokenFingerprint]);
  });

  it("revokes and never calls fn when the record's granted throws", async () => {
    const call = recordingCall({
      granted: async () => {
        throw Object.assign(new Error("audit sink unavailable"), { code: "AUDIT_UNAVAILABLE" });
      },
    });
    const { tokens } = await brokerFor(github);
    let called = false;
    await expect(
      tokens.withToken({ repository: "mycompany/web", operation: "read" }, call, async () => {
        called = true;
      }),
    ).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(called).toBe(false);
    await tokens.drain();
    expect(revokedFingerprints()).toEqual([github.log.mints[0]?.tokenFingerprint]);
    expect(call.revocations[0]?.reason).toBe("grant-not-recorded");
  });

  it("mints nothing when the record's beforeMint refuses, and passes its error on", async () => {
    const refusal = Object.assign(new Error("audit sink unavailable"), { code: "AUDIT_UNAVAILABLE" });
    const call = recordingCall({
      beforeMint: async () => {
        throw refusal;
      },
    });
    const { tokens } = await brokerFor(github);
    let called = false;
    await expect(
      tokens.withToken({ repository: "mycompany/web", operation: "read" }, call, async () => {
        called = true;
      }),
    ).rejects.toBe(refusal);
    await tokens.drain();
    expect(called).toBe(false);
    expect(github.log.mints).toHaveLength(0);
    expect(tokens.mintCount).toBe(0);
    expect(call.grants).toEqual([]);
    expect(call.revocations).toEqual([]);
  });

  it("fails with APP_NOT_INSTALLED for an owner without installation, without minting", async () => {
    const { tokens } = await brokerFor(github);
    const error = await tokens
      .withToken({ repository: "othercorp/secret", operation: "read" }, recordingCall(), async () => "never")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "APP_NOT_INSTALLED", owner: "othercorp" });
    expect((error as Error).message).toMatch(/not installed on "othercorp".*install the App/);
    expect(github.log.mints).toHaveLength(0);
  });

  it("rejects invalid names before any request reaches GitHub", async () => {
    const { tokens } = await brokerFor(github);
    for (const repository of [
      "mycompany/..",
      "mycompany/../othercorp/secret",
      "mycompany",
      "mycompany/web%2F..",
    ]) {
      await expect(
        tokens.withToken({ repository, operation: "read" }, recordingCall(), async () => "never"),
      ).rejects.toMatchObject({ code: "INVALID_REPOSITORY_SCOPE" });
    }
    await expect(
      tokens.withToken(
        { repository: "mycompany/web", operation: "write" as "read" },
        recordingCall(),
        async () => "never",
      ),
    ).rejects.toMatchObject({ code: "PERMISSION_ABOVE_CEILING" });
    expect(github.log.requests).toHaveLength(0);
  });

  it("surfaces GitHub's 422 for a repository outside the installation as GitHubUpstreamError", async () => {
    const { tokens } = await brokerFor(github);
    const error = await tokens
      .withToken(
        { repository: "partner-org/private-tools", operation: "read" },
        recordingCall(),
        async () => "never",
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 422 });
    expect((error as { route?: string }).route).toMatch(/^POST \/app\/installations\/\d+\/access_tokens$/);
    expect(serializeError(error)).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no App JWT either
  });
});

describe("installation cache", () => {
  it("looks an owner up once, coalescing concurrent lookups, and caches 'not installed' too", async () => {
    const { tokens, installations } = await brokerFor(github);
    await Promise.all(
      Array.from({ length: 10 }, () =>
        tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => 1),
      ),
    );
    await tokens.withToken(
      { repository: "MyCompany/web", operation: "read" },
      recordingCall(),
      async () => 1,
    );
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
    await tokens.drain();
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
