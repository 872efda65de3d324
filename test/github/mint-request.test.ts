/**
 * What the broker's mint requests carry, as the GitHub emulator received them. GitHub (and the emulator, which
 * mirrors it) answers `"permissions": {}` with the installation's whole grant, so a broker that sent `{}` would
 * still get a working token and no other test would notice: the request body itself is checked here.
 */
import { describe, expect, it } from "vitest";
import { brokerFor, type GitHubEmulator, recordingCall, useGitHubEmulator } from "./harness.ts";

let github: GitHubEmulator;
useGitHubEmulator("repogate-broker-mint-request-", (started) => {
  github = started;
});

const MYCOMPANY = 2001;

describe("the broker's token requests", () => {
  it.each(["read", "analyze", "diff"] as const)(
    "%s: names one repository and exactly contents:read + metadata:read, never {}",
    async (operation) => {
      const { tokens } = await brokerFor(github);
      await tokens.withToken(
        { repository: "mycompany/web", operation },
        recordingCall(),
        async () => undefined,
      );
      await tokens.drain();
      expect(github.log.mints).toHaveLength(1);
      const mint = github.log.mints[0];
      expect(mint?.requestedPermissions).toEqual({ contents: "read", metadata: "read" });
      expect(mint?.narrowed).toBe(true);
      expect(mint?.repositories).toEqual(["mycompany/web"]);
    },
  );

  it("the installation listing: exactly metadata:read and no repository list, never {}", async () => {
    const { tokens } = await brokerFor(github);
    await tokens.withInstallationListingToken(
      { installationId: MYCOMPANY },
      recordingCall(),
      async () => undefined,
    );
    await tokens.drain();
    expect(github.log.mints).toHaveLength(1);
    expect(github.log.mints[0]?.requestedPermissions).toEqual({ metadata: "read" });
    expect(github.log.mints[0]?.narrowed).toBe(false);
  });
});
