import { describe, expect, it } from "vitest";
import type { TokenGrant } from "../../src/github/index.ts";
import { brokerFor, type GitHubEmulator, useGitHubEmulator } from "./harness.ts";

let github: GitHubEmulator;
useGitHubEmulator("repogate-reuse-", (started) => {
  github = started;
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
