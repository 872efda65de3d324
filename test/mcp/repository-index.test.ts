/** The shared listing of the installations' repositories: its cache under failures. */
import { describe, expect, it } from "vitest";
import type { TokenCallRecord } from "../../src/github/index.ts";
import { InstallationRepositoryIndex } from "../../src/mcp/index.ts";
import { brokerFor, type GitHubEmulator, useGitHubEmulator } from "../github/harness.ts";

let github: GitHubEmulator;
useGitHubEmulator("repogate-index-", (started) => {
  github = started;
});

describe("InstallationRepositoryIndex", () => {
  it("a listing that fails after a newer one was cached does not evict the newer one", async () => {
    let now = 0;
    let releaseFirst: () => void = () => {};
    const firstGate = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let grants = 0;
    const gh = await brokerFor(github);
    // The call record of each listing: the first listing's grant cannot be recorded (after a while); later ones can.
    const record: TokenCallRecord = {
      beforeMint: async () => {},
      assertMintable: () => {},
      granted: async () => {
        if (++grants === 1) {
          await firstGate;
          throw new Error("audit sink unavailable");
        }
      },
      revoked: async () => {},
      revokeFailed: async () => {},
    };
    const index = new InstallationRepositoryIndex({ github: gh, ttlMs: 1000, clock: () => now });
    const [installation] = (await index.installations()).filter((i) => i.account === "mycompany");
    if (!installation) throw new Error("seed installation mycompany missing");

    const first = index.repositories(installation, record);
    now = 2000; // the first entry has expired: the next caller starts a new listing
    const second = await index.repositories(installation, record);
    expect(second.map((r) => r.fullName)).toContain("mycompany/web");
    releaseFirst();
    await expect(first).rejects.toThrow("audit sink unavailable");

    const mints = github.log.mints.length;
    expect(await index.repositories(installation, record)).toBe(second);
    expect(github.log.mints.length).toBe(mints);
    await gh.tokens.drain();
  });
});
