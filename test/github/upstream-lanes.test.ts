import { describe, expect, it } from "vitest";
import { UpstreamLanes } from "../../src/github/upstream-lanes.ts";

/** A task that stays in flight until `release()` is called. */
function heldTask() {
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { done, release: () => release() };
}

describe("UpstreamLanes (the timer-free replacement for Bottleneck's groups)", () => {
  it("starts a request in the same tick when its lane has room (no timer hop)", async () => {
    const lanes = new UpstreamLanes();
    let started = false;
    const running = lanes.run("global:1", { maxConcurrent: 10 }, async () => {
      started = true;
    });
    expect(started).toBe(true);
    await running;
    expect(lanes.size).toBe(0);
  });

  it("holds the concurrency cap, queues the rest in order, and keeps ids apart", async () => {
    const lanes = new UpstreamLanes();
    let inFlight = 0;
    let peak = 0;
    const order: number[] = [];
    const held = Array.from({ length: 5 }, () => heldTask());
    const runs = held.map((task, i) =>
      lanes.run("auth:app", { maxConcurrent: 2 }, async () => {
        order.push(i);
        inFlight++;
        peak = Math.max(peak, inFlight);
        await task.done;
        inFlight--;
      }),
    );
    let otherStarted = false;
    const other = lanes.run("auth:other-app", { maxConcurrent: 2 }, async () => {
      otherStarted = true;
    });
    expect(order).toEqual([0, 1]);
    expect(otherStarted).toBe(true);
    for (const task of held) {
      task.release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([...runs, other]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(lanes.size).toBe(0);
  });

  it("lets retries past the cap (plugin-throttling's weight-0 retries)", async () => {
    const lanes = new UpstreamLanes();
    const held = heldTask();
    const first = lanes.run("global:1", { maxConcurrent: 1 }, () => held.done);
    let retried = false;
    const retry = lanes.run(
      "global:1",
      { maxConcurrent: 1 },
      async () => {
        retried = true;
      },
      true,
    );
    await retry;
    expect(retried).toBe(true);
    held.release();
    await first;
  });

  it("spaces starts by minSpacingMs and propagates a task's failure", async () => {
    const lanes = new UpstreamLanes();
    const starts: number[] = [];
    const spaced = { maxConcurrent: 1, minSpacingMs: 60 };
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, (_, i) =>
        lanes.run("write:1", spaced, async () => {
          starts.push(performance.now());
          if (i === 1) throw new Error("boom");
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(starts).toHaveLength(3);
    for (let i = 1; i < starts.length; i++) {
      // A lower bound only: spacing is a minimum, the machine may add more.
      expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(55);
    }
  });
});
