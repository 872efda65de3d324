/**
 * The broker's one unnarrowed token: `withInstallationListingToken` mints with `metadata: read` only
 * and no repository list, records the grant before use, and revokes through the tracked path.
 */
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
useGitHubEmulator("repogate-listing-", (started) => {
  github = started;
});

/** The seed's `mycompany` installation (repository_selection: all). */
const MYCOMPANY = 2001;

async function listNames(octokit: {
  request: (route: string, params: object) => Promise<{ data: unknown }>;
}): Promise<string[]> {
  const { data } = await octokit.request("GET /installation/repositories", { per_page: 100 });
  return (data as { repositories: Array<{ full_name: string }> }).repositories.map((r) => r.full_name);
}

describe("withInstallationListingToken", () => {
  it("mints exactly {metadata: read} with no repositories, records the grant first, lists, then revokes", async () => {
    const events: string[] = [];
    const call = recordingCall({
      granted: async () => {
        // A slow, durable write: fn must not start before it has finished.
        await new Promise((resolve) => setTimeout(resolve, 50));
        events.push("grant-recorded");
      },
    });
    const { tokens } = await brokerFor(github);
    let token = "";
    const names = await tokens.withInstallationListingToken(
      { installationId: MYCOMPANY },
      call,
      async (octokit, grant) => {
        events.push("fn");
        expect(call.grants).toEqual([grant]);
        token = await tokenOf(octokit);
        return listNames(octokit);
      },
    );
    expect(events).toEqual(["grant-recorded", "fn"]);
    expect(names).toContain("mycompany/web");
    expect(names).toContain("mycompany/api-server");

    expect(github.log.mints).toHaveLength(1);
    const mint = github.log.mints[0];
    expect(mint?.narrowed).toBe(false);
    expect(mint?.permissions).toEqual({ metadata: "read" });
    expect(mint?.installationId).toBe(MYCOMPANY);

    const grant = call.grants[0] as TokenGrant;
    expect(grant).toEqual({
      fingerprint: fingerprintToken(token),
      installationId: MYCOMPANY,
      repositories: [],
      repositorySelection: "all",
      permissions: { metadata: "read" },
      expiresAt: expect.any(String),
      purpose: "installation-listing",
      reused: false,
    });
    expect(grant.fingerprint.startsWith(mint?.tokenFingerprint ?? "x")).toBe(true);
    expect(Date.parse(grant.expiresAt)).toBeGreaterThan(Date.now());
    expect(Object.isFrozen(grant)).toBe(true);
    expect(JSON.stringify(grant)).not.toMatch(TOKEN_PATTERN);
    expect(tokens.mintCount).toBe(1);

    await tokens.drain();
    expect(github.log.revocations.map((r) => r.tokenFingerprint)).toEqual([mint?.tokenFingerprint]);
    expect(call.revocations).toEqual([
      {
        fingerprint: grant.fingerprint,
        installationId: MYCOMPANY,
        repositories: [],
        reason: "completed",
        attempts: 1,
        purpose: "installation-listing",
      },
    ]);
    const after = await fetch(`${github.url}/installation/repositories`, {
      headers: { authorization: `token ${token}` },
    });
    expect(after.status).toBe(401);
  });

  it("resolves an owner to its installation", async () => {
    const { tokens } = await brokerFor(github);
    const grant = await tokens.withInstallationListingToken(
      { owner: "MyCompany" },
      recordingCall(),
      async (_o, g) => g,
    );
    expect(grant.installationId).toBe(MYCOMPANY);
    expect(github.log.mints).toMatchObject([{ installationId: MYCOMPANY, narrowed: false }]);
    await tokens.drain();
  });

  it("never runs fn when the record's granted throws, and revokes the unused token", async () => {
    const call = recordingCall({
      granted: () => {
        throw new Error("audit sink unavailable");
      },
    });
    const { tokens } = await brokerFor(github);
    let called = false;
    const error = await tokens
      .withInstallationListingToken({ installationId: MYCOMPANY }, call, async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("audit sink unavailable");
    expect(called).toBe(false);
    await tokens.drain();
    expect(github.log.mints).toHaveLength(1);
    expect(github.log.revocations.map((r) => r.tokenFingerprint)).toEqual([
      github.log.mints[0]?.tokenFingerprint,
    ]);
    expect(call.grants).toEqual([]);
    expect(call.revocations).toMatchObject([
      { reason: "grant-not-recorded", purpose: "installation-listing" },
    ]);
    // Only the mint and the revocation used the App's credentials or the token: no listing call.
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/installation/repositories" })).toBe(0);
  });

  it("revokes after fn fails and passes on a scrubbed error", async () => {
    const { tokens } = await brokerFor(github);
    let token = "";
    const error = await tokens
      .withInstallationListingToken({ installationId: MYCOMPANY }, recordingCall(), async (octokit) => {
        token = await tokenOf(octokit);
        throw new Error(`listing failed with ${token}`);
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("listing failed with [REDACTED]");
    expect(serializeError(error)).not.toContain(token);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  it("returns before the revocation finishes; drain() waits for it", async () => {
    const { tokens } = await brokerFor(github);
    github.faults.add({
      kind: "latency",
      latencyMs: 400,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    await tokens.withInstallationListingToken(
      { installationId: MYCOMPANY },
      recordingCall(),
      async (octokit) => listNames(octokit),
    );
    // Ordering, not a stopwatch: the emulator records the revocation only once its delayed DELETE completes.
    expect(github.log.revocations).toHaveLength(0);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  it("reports a revocation that fails twice to the record's revokeFailed", async () => {
    const call = recordingCall();
    const { tokens } = await brokerFor(github, { retries: 0 });
    github.faults.add({
      kind: "server-error",
      status: 500,
      count: 2,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    await tokens.withInstallationListingToken({ installationId: MYCOMPANY }, call, async () => undefined);
    await tokens.drain();
    expect(call.revocations).toEqual([]);
    const failures = call.revokeFailures;
    expect(failures).toHaveLength(1);
    expect(failures[0]?.revocation).toMatchObject({
      attempts: 2,
      repositories: [],
      purpose: "installation-listing",
    });
    expect(failures[0]?.error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 500 });
  });

  it("mints nothing for an owner without an installation or an invalid installation id", async () => {
    const { tokens } = await brokerFor(github);
    const notInstalled = await tokens
      .withInstallationListingToken({ owner: "othercorp" }, recordingCall(), async () => "ran")
      .catch((e: unknown) => e);
    expect(notInstalled).toMatchObject({ code: "APP_NOT_INSTALLED" });
    for (const installationId of [0, -1, 1.5, Number.NaN]) {
      const invalid = await tokens
        .withInstallationListingToken({ installationId }, recordingCall(), async () => "ran")
        .catch((e: unknown) => e);
      expect(invalid).toMatchObject({ code: "INVALID_INSTALLATION_ID" });
    }
    expect(github.log.mints).toHaveLength(0);
    expect(tokens.mintCount).toBe(0);
  });

  it("does not affect withToken grants, which stay narrowed and carry no listing purpose", async () => {
    const call = recordingCall();
    const { tokens } = await brokerFor(github);
    await tokens.withToken({ repository: "mycompany/web", operation: "read" }, call, async () => undefined);
    await tokens.drain();
    const grants = call.grants;
    expect(grants).toHaveLength(1);
    expect(grants[0]?.purpose).toBeUndefined();
    expect(grants[0]?.repositories).toEqual(["mycompany/web"]);
    expect(github.log.mints).toMatchObject([{ narrowed: true, repositories: ["mycompany/web"] }]);
  });
});
