/** The shared listing of the installations' repositories: its cache under failures. */
import { describe, expect, it } from "vitest";
import { InstallationRepositoryIndex } from "../../src/mcp/index.ts";
import { brokerFor, type GitHubEmulator, useGitHubEmulator } from "../broker/harness.ts";

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
    const gh = await brokerFor(github, {
      hooks: {
        // The first listing's grant cannot be recorded (after a while); later ones can.
        onGrant: async () => {
          if (++grants === 1) {
            await firstGate;
            throw new Error("audit sink unavailable");
          }
        },
      },
    });
    const index = new InstallationRepositoryIndex({ github: gh, ttlMs: 1000, clock: () => now });
    const [installation] = (await index.installations()).filter((i) => i.account === "mycompany");
    if (!installation) throw new Error("seed installation mycompany missing");

    const first = index.repositories(installation);
    now = 2000; // the first entry has expired: the next caller starts a new listing
    const second = await index.repositories(installation);
    expect(second.map((r) => r.fullName)).toContain("mycompany/web");
    releaseFirst();
    await expect(first).rejects.toThrow("audit sink unavailable");

    const mints = github.log.mints.length;
    expect(await index.repositories(installation)).toBe(second);
    expect(github.log.mints.length).toBe(mints);
    await gh.broker.drain();
  });
});
