import { describe, expect, it } from "vitest";
import type { TokenGrant } from "../../src/github/index.ts";
import { brokerFor, type GitHubEmulator, recordingCall, useGitHubEmulator } from "./harness.ts";

let github: GitHubEmulator;
useGitHubEmulator("repogate-reuse-", (started) => {
  github = started;
});

describe("tokenReuse", () => {
  it("is off by default: two sequential calls mint twice", async () => {
    const { tokens } = await brokerFor(github);
    await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async () => 1,
    );
    await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async () => 1,
    );
    expect(github.log.mints).toHaveLength(2);
    await tokens.drain();
  });

  it("when on, shares one token for the same repository within the TTL and revokes it once nobody holds it", async () => {
    // One record per call; `grants` has every call's grant in the order they were recorded.
    const grants: TokenGrant[] = [];
    const newCall = () =>
      recordingCall({
        granted: async (grant) => {
          grants.push(grant);
        },
      });
    const calls = Array.from({ length: 6 }, newCall);
    const { tokens } = await brokerFor(github, { tokenReuse: { enabled: true, ttlMs: 300 } });
    await Promise.all(
      calls.slice(0, 5).map((call) =>
        tokens.withToken({ repository: "mycompany/web", operation: "read" }, call, async () => {
          await new Promise((r) => setTimeout(r, 20));
        }),
      ),
    );
    await tokens.withToken(
      { repository: "mycompany/web", operation: "diff" },
      calls[5] ?? newCall(),
      async () => 1,
    );
    expect(github.log.mints).toHaveLength(1);
    expect(grants.map((g) => g.reused)).toEqual([false, true, true, true, true, true]);
    expect(new Set(grants.map((g) => g.fingerprint)).size).toBe(1);
    expect(github.log.revocations).toHaveLength(0);

    // A held token is not revoked when the TTL passes, only when its last user is done.
    let release: () => void = () => {};
    const holder = newCall();
    const holding = tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      holder,
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
    // The shared token's revocation is recorded once, on the call that minted it; its reusers record only a grant.
    const shared = grants[0]?.fingerprint;
    expect(holder.grants).toMatchObject([{ fingerprint: shared, reused: true }]);
    const minters = [...calls, holder].filter((call) => call.grants[0]?.reused === false);
    expect(minters).toHaveLength(1);
    expect(minters[0]?.revocations).toMatchObject([{ fingerprint: shared, attempts: 1 }]);
    expect([...calls, holder].flatMap((call) => call.revocations)).toHaveLength(1);

    const last = newCall();
    await tokens.withToken({ repository: "mycompany/web", operation: "read" }, last, async () => 1);
    expect(github.log.mints).toHaveLength(2);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(2);
    expect(last.grants).toMatchObject([{ reused: false }]);
    expect(last.revocations).toMatchObject([{ fingerprint: last.grants[0]?.fingerprint }]);
    expect(last.grants[0]?.fingerprint).not.toBe(shared);
  });
});
