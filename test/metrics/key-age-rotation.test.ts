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
    const stop = trackAppKeyAge(
      metrics,
      oldKey,
      60_000,
      () => new Date(),
      async () => {
        if (behindAlias === "unreachable") throw new Error("KMS unreachable");
        return behindAlias;
      },
    );
    const age = async () => /repogate_app_key_age_days (\d+)/.exec(await metrics.exposition())?.[1];
    expect(await age()).toBe("97");
    behindAlias = "unreachable";
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await age()).toBe("97");
    behindAlias = new Date(now.getTime() + 60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await age()).toBe("0");
    stop();
  });
});
