/**
 * The fault-injection soak of issue 9 §6 with smaller numbers (`npm run soak` runs 10,000 calls): the same
 * module, the same faults (GitHub 5xx and secondary rate limits, failed mints and revocations, KMS throttling,
 * SIGTERM and restart, a CloudWatch Logs outage under spool and under deny), the same figures and rules.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_SOAK_OPTIONS, runSoak } from "../../bench/soak/run-soak.ts";
import { formatSoakTable, soakProblems } from "../../bench/soak/soak-figures.ts";

describe("fault-injection soak", () => {
  it("loses nothing under faults: every mint granted and revoked, chains intact, no secrets, no mint while down", async () => {
    const figures = await runSoak({ ...DEFAULT_SOAK_OPTIONS, calls: 1000, thinkMs: 50, outageMs: 6000 });
    const problems = soakProblems(figures);
    // The table says what went wrong far better than a bare assertion diff.
    if (problems.length > 0) console.error(formatSoakTable(figures));
    expect(problems).toEqual([]);
    // The faults reached the broker: each shows in a figure of its own.
    expect(figures.tokens.revokeFailEvents).toBeGreaterThan(0);
    expect(figures.spool.spooledAtOutageEnd).toBeGreaterThan(0);
    expect(figures.denyOutage.knownDown).not.toBeNull();
    expect(figures.outcomes["rate-limited"]).toBeGreaterThan(0);
    expect(figures.brokers).toHaveLength(4);
  }, 600_000);
});
