import { describe, expect, it } from "vitest";
import { createEmfMetrics, type EmfDocument } from "../../src/aws/emf-metrics.ts";

function capture() {
  const lines: string[] = [];
  return {
    lines,
    write: (line: string) => lines.push(line),
    docs: () => lines.map((l) => JSON.parse(l) as EmfDocument),
  };
}

/** Checks a document against the EMF specification's structural rules. */
function assertValidEmf(doc: EmfDocument) {
  expect(typeof doc._aws.Timestamp).toBe("number");
  expect(doc._aws.CloudWatchMetrics.length).toBeGreaterThan(0);
  for (const directive of doc._aws.CloudWatchMetrics) {
    expect(directive.Namespace).toBe("Repogate");
    expect(directive.Metrics.length).toBeLessThanOrEqual(100);
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const dimension of set) expect(typeof doc[dimension]).toBe("string");
      // Identity must never become a dimension.
      for (const banned of ["User", "Email", "Sub", "Repo", "Repository", "Principal"])
        expect(set).not.toContain(banned);
    }
    for (const metric of directive.Metrics) {
      const value = doc[metric.Name];
      if (Array.isArray(value)) {
        expect(value.length).toBeLessThanOrEqual(100);
        for (const v of value) expect(typeof v).toBe("number");
      } else {
        expect(typeof value).toBe("number");
      }
      expect(["Count", "Milliseconds", "None"]).toContain(metric.Unit);
    }
  }
}

describe("CloudWatch EMF metrics", () => {
  it("writes valid EMF lines with values as top-level fields, batched per flush", async () => {
    const out = capture();
    const metrics = createEmfMetrics({
      write: out.write,
      flushIntervalMs: 0,
      clock: () => 1_767_225_600_000,
    });
    metrics.recordToolCall({ tool: "get_file_contents", outcome: "ok", durationMs: 40 });
    metrics.recordToolCall({ tool: "get_file_contents", outcome: "ok", durationMs: 60 });
    metrics.recordToolCall({ tool: "list_branches", outcome: "denied", durationMs: 5 });
    metrics.recordPolicyDecision({ decision: "deny", code: "NOT_IN_WHITELIST" });
    metrics.recordTokenGrant();
    metrics.recordTokenRevocation({ outcome: "failed", reason: "502" });
    metrics.recordAuthFailure({ reason: "TOKEN_EXPIRED" });
    metrics.recordKmsSign({ outcome: "ok", durationMs: 25 });
    metrics.setAppKeyAgeDays(30);
    expect(out.lines).toHaveLength(0);
    await metrics.flush();
    const docs = out.docs();
    for (const doc of docs) assertValidEmf(doc);
    expect(docs.every((d) => d._aws.Timestamp === 1_767_225_600_000)).toBe(true);

    const okCalls = docs.find((d) => d.Tool === "get_file_contents" && d.Outcome === "ok");
    expect(okCalls).toMatchObject({ ToolCalls: 2 });
    expect(okCalls?._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: "Repogate",
      Dimensions: [["Tool", "Outcome"]],
      Metrics: [{ Name: "ToolCalls", Unit: "Count" }],
    });
    const latency = docs.find((d) => d.Tool === "get_file_contents" && d.Outcome === undefined);
    expect(latency?.ToolLatency).toEqual([40, 60]);
    expect(latency?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: "ToolLatency", Unit: "Milliseconds" },
    ]);
    expect(docs.find((d) => d.Decision === "deny")).toMatchObject({
      Code: "NOT_IN_WHITELIST",
      PolicyDecisions: 1,
    });
    expect(docs.find((d) => d.Reason === "TOKEN_EXPIRED")).toMatchObject({ AuthFailures: 1 });
    expect(docs.find((d) => d.Reason === "502")).toMatchObject({ TokenRevokeFailures: 1 });
    // Dimensionless metrics share one line with an empty dimension set.
    const global = docs.find((d) => "TokenGrants" in d);
    expect(global).toMatchObject({ TokenGrants: 1, KmsSignLatency: 25, AppKeyAgeDays: 30 });
    expect(global?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[]]);
  });

  it("resets counters after a flush but re-emits gauges, so alarms never see gaps", async () => {
    const out = capture();
    const metrics = createEmfMetrics({ write: out.write, flushIntervalMs: 0 });
    metrics.recordTokenGrant();
    metrics.setAuditQueueDepth(3);
    await metrics.flush();
    out.lines.length = 0;
    await metrics.flush();
    const docs = out.docs();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ AuditQueueDepth: 3 });
    expect(docs[0]).not.toHaveProperty("TokenGrants");
  });

  it("splits more than 100 values of one metric across lines", async () => {
    const out = capture();
    const metrics = createEmfMetrics({ write: out.write, flushIntervalMs: 0 });
    for (let i = 0; i < 250; i++)
      metrics.recordHttpRequest({ method: "POST", route: "/mcp", status: 200, durationMs: i });
    await metrics.flush();
    const docs = out.docs();
    for (const doc of docs) assertValidEmf(doc);
    const latency = docs.filter((d) => "HttpLatency" in d);
    expect(latency.map((d) => (d.HttpLatency as number[]).length)).toEqual([100, 100, 50]);
    expect(latency.flatMap((d) => d.HttpLatency as number[])).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    expect(docs.find((d) => "HttpRequests" in d)).toMatchObject({
      Route: "/mcp",
      Status: "200",
      HttpRequests: 250,
    });
  });

  it("flushes on its interval and on close", async () => {
    const out = capture();
    const metrics = createEmfMetrics({
      write: out.write,
      flushIntervalMs: 1_000,
      properties: { service: "repogate" },
    });
    metrics.recordRateLimitRefusal({ scope: "principal" });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(out.docs()[0]).toMatchObject({ service: "repogate", Scope: "principal", RateLimitRefusals: 1 });
    metrics.recordAuditDeliveryFailure({ sink: "cloudwatch", reason: "rejected" });
    await metrics.close();
    expect(out.docs().at(-1)).toMatchObject({ Sink: "cloudwatch", AuditDeliveryFailures: 1 });
  });
});
