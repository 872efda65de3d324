import { describe, expect, it } from "vitest";
import { EmulatorLog } from "../../wrangler-free-local/github/http/emulator-log.ts";

const mint = (n: number) => ({
  time: new Date(0).toISOString(),
  requestId: `r${n}`,
  installationId: 1,
  repositories: [],
  narrowed: false,
  permissions: {},
  tokenFingerprint: `fp${n}`,
  expiresAt: new Date(0).toISOString(),
});

describe("the emulator's bounded log", () => {
  it("keeps the newest entries and says how many it let go, so a count from it cannot pass for complete", () => {
    const log = new EmulatorLog(3);
    for (let n = 1; n <= 5; n++) log.recordMint(mint(n));
    const snapshot = log.snapshot();
    expect(snapshot.mints.map((m) => m.tokenFingerprint)).toEqual(["fp3", "fp4", "fp5"]);
    expect(snapshot.dropped).toBe(2);
    log.reset();
    expect(log.snapshot()).toMatchObject({ mints: [], dropped: 0 });
  });
});
