/**
 * A request cut off at the shutdown deadline keeps running in the process: found by the fault soak
 * (bench/soak), where such a call minted a token after the broker's shutdown drain had finished, so its grant
 * met a closed audit log and its revocation raced the process exit. A shutdown drain now waits for mints in
 * flight and revokes what they return, and no mint starts after it.
 */
import { describe, expect, it } from "vitest";
import { BrokerShuttingDownError } from "../../src/github/index.ts";
import type { GitHubEmulator } from "./harness.ts";
import { brokerFor, recordingCall, useGitHubEmulator } from "./harness.ts";

let github: GitHubEmulator;
useGitHubEmulator("repogate-shutdown-mint-", (started) => {
  github = started;
});

/** Resolves once the emulator has taken the fault's first request, i.e. the mint is on its way. */
async function mintArrived(): Promise<void> {
  for (;;) {
    if (github.faults.list().some((f) => f.hits > 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("token broker shutdown", () => {
  it("revokes a token whose mint was in flight when the shutdown drain began, before the drain resolves", async () => {
    const { tokens } = await brokerFor(github);
    // Warm the installation look-up so the fault below delays only the mint.
    await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async () => "warm",
    );
    await tokens.drain();
    github.log.reset();
    github.faults.add({ kind: "latency", latencyMs: 500, method: "POST", pathPrefix: "/app/installations/" });
    let used = false;
    const cutOff = recordingCall();
    const call = tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, cutOff, async () => {
        used = true;
      })
      .catch((error: unknown) => error);
    await mintArrived();
    await tokens.drain({ revokeInUse: true });

    // The mint completed during the drain; the drain waited for it and for the revocation of what it returned.
    expect(github.log.mints).toHaveLength(1);
    expect(github.log.revocations.map((r) => r.tokenFingerprint)).toEqual([
      github.log.mints[0]?.tokenFingerprint,
    ]);
    const outcome = await call;
    expect(outcome).toBeInstanceOf(BrokerShuttingDownError);
    expect((outcome as BrokerShuttingDownError).code).toBe("BROKER_SHUTTING_DOWN");
    expect(used).toBe(false);
    // Its revocation is recorded on the call that caused the mint, which never got a grant.
    expect(cutOff.grants).toEqual([]);
    expect(cutOff.revocations).toMatchObject([{ reason: "shutdown", attempts: 1 }]);
    expect(cutOff.revocations[0]?.fingerprint.startsWith(github.log.mints[0]?.tokenFingerprint ?? "x")).toBe(
      true,
    );
  });

  it("mints nothing once a shutdown drain has begun", async () => {
    const { tokens } = await brokerFor(github);
    await tokens.drain({ revokeInUse: true });
    await expect(
      tokens.withToken(
        { repository: "mycompany/web", operation: "read" },
        recordingCall(),
        async () => "late",
      ),
    ).rejects.toBeInstanceOf(BrokerShuttingDownError);
    expect(github.log.mints).toHaveLength(0);
  });
});
