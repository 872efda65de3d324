/** After a key rotation the App-key-age metric restarts: each update asks again when the key behind the alias was created. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { trackAppKeyAge } from "../../src/metrics/key-age.ts";
import { createPrometheusMetrics } from "../../src/metrics/prometheus.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("app_key_age_days across a rotation", () => {
  it("restarts at 0 once the alias points at a new key, and keeps the last date when the re-read fails", async () => {
    vi.useFakeTimers();
    const now = new Date("2026-12-07T00:00:00Z");
    vi.setSystemTime(now);
    const metrics = createPrometheusMetrics();
    const oldKey = new Date("2026-09-01T00:00:00Z");
    let behindAlias: Date | "unreachable" = oldKey;
    const readErrors: Array<Date | undefined> = [];
    const stop = await trackAppKeyAge(
      metrics,
      async () => {
        if (behindAlias === "unreachable") throw new Error("KMS unreachable");
        return behindAlias;
      },
      { intervalMs: 60_000, onReadError: (_error, lastKnown) => readErrors.push(lastKnown) },
    );
    const age = async () => /repogate_app_key_age_days (\d+)/.exec(await metrics.exposition())?.[1];
    expect(await age()).toBe("97");
    behindAlias = "unreachable";
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await age()).toBe("97");
    expect(readErrors).toEqual([oldKey]);
    behindAlias = new Date(now.getTime() + 60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await age()).toBe("0");
    stop();
  });

  it("retries a failed first read at the next update, and schedules nothing when no date is known", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-12-07T00:00:00Z"));
    // Every value the gauge is set to, in order (an unlabelled prom-client gauge would read 0 before any set).
    const ages: number[] = [];
    const gauge = { setAppKeyAgeDays: (days: number) => ages.push(days) };
    let reachable = false;
    const readErrors: Array<Date | undefined> = [];
    const stop = await trackAppKeyAge(
      gauge,
      async () => {
        if (!reachable) throw new Error("KMS unreachable");
        return new Date("2026-12-01T00:00:00Z");
      },
      { intervalMs: 60_000, onReadError: (_error, lastKnown) => readErrors.push(lastKnown) },
    );
    expect(ages).toEqual([]);
    expect(readErrors).toEqual([undefined]);
    reachable = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ages).toEqual([6]);
    stop();

    let reads = 0;
    const unknownAges: number[] = [];
    await trackAppKeyAge({ setAppKeyAgeDays: (days) => unknownAges.push(days) }, async () => {
      reads++;
      return undefined;
    });
    await vi.advanceTimersByTimeAsync(7 * 60 * 60_000);
    expect(reads).toBe(1);
    expect(unknownAges).toEqual([]);
  });
});
