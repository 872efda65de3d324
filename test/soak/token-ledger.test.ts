/** The soak's token ledger on hand-made inputs: which mints count as minted while the sink was known down. */
import { describe, expect, it } from "vitest";
import { balanceTokens } from "../../bench/soak/token-ledger.ts";

const KNOWN_DOWN = Date.parse("2026-12-07T12:00:01.000Z");
const outage = { faultOn: KNOWN_DOWN - 1000, knownDown: KNOWN_DOWN, faultOff: KNOWN_DOWN + 5000 };

/** A mint whose request the emulator started handling `afterKnownDownMs` after the broker knew. */
function mintAt(id: string, afterKnownDownMs: number) {
  const end = KNOWN_DOWN + afterKnownDownMs + 2;
  return {
    mint: { time: new Date(end).toISOString(), requestId: id, tokenFingerprint: `${id}`.padEnd(64, "0") },
    request: { requestId: id, time: new Date(end).toISOString(), durationMs: 2 },
  };
}

describe("balanceTokens: minted while known down", () => {
  it("counts a mint the emulator started well after the broker knew, not one still in flight then", () => {
    const inFlight = mintAt("aaaa", 40);
    const late = mintAt("bbbb", 800);
    const ledger = balanceTokens({
      mints: [inFlight.mint, late.mint],
      revokedFingerprints: [inFlight.mint.tokenFingerprint, late.mint.tokenFingerprint],
      requests: [inFlight.request, late.request],
      events: [],
      denyOutages: [outage],
    });
    expect(ledger.mintedWhileDown).toBe(1);
    expect(ledger.examples.join("\n")).toContain("bbbb");
    expect(ledger.examples.join("\n")).not.toContain("minted while the sink was known down: aaaa");
  });
});
