import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
} from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, logsClient, startFixture } from "./fixture.ts";

let fixture: EmulatorFixture;
let logs: CloudWatchLogsClient;
const GROUP = "/repogate/audit";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeAll(async () => {
  fixture = await startFixture();
  logs = logsClient(fixture.emulator);
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  for (const stream of ["replica-a", "replica-b", "limits", "window"]) {
    await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: stream }));
  }
});

afterAll(async () => {
  logs?.destroy();
  await fixture?.stop();
});

function put(stream: string, events: { timestamp: number; message: string }[], logGroupName = GROUP) {
  return logs.send(new PutLogEventsCommand({ logGroupName, logStreamName: stream, logEvents: events }));
}

describe("log groups and streams", () => {
  it("refuses duplicates and unknown groups with the SDK's exception classes", async () => {
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
    await expect(
      logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: "replica-a" })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    const missing = await logs
      .send(new CreateLogStreamCommand({ logGroupName: "/nope", logStreamName: "s" }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as Error).message).toBe("The specified log group does not exist.");
    await expect(put("no-such-stream", [{ timestamp: Date.now(), message: "x" }])).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: "bad name!" }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
  });
});

describe("PutLogEvents and GetLogEvents", () => {
  it("stores a batch and pages through it forwards and backwards", async () => {
    const base = Date.now() - 60_000;
    const events = Array.from({ length: 5 }, (_, i) => ({ timestamp: base + i, message: `event ${i}` }));
    const response = await put("window", events);
    expect(response.nextSequenceToken).toMatch(/^\d+$/);
    expect(response.rejectedLogEventsInfo).toBeUndefined();

    const head = await logs.send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: "window",
        startFromHead: true,
        limit: 2,
      }),
    );
    expect(head.events?.map((e) => e.message)).toEqual(["event 0", "event 1"]);
    expect(head.events?.[0]?.ingestionTime).toBeGreaterThanOrEqual(base);
    let token = head.nextForwardToken;
    const seen = head.events?.map((e) => e.message) ?? [];
    for (;;) {
      const page = await logs.send(
        new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: "window", nextToken: token, limit: 2 }),
      );
      seen.push(...(page.events ?? []).map((e) => e.message as string));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    expect(seen).toEqual(events.map((e) => e.message));

    const tail = await logs.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: "window", limit: 2 }),
    );
    expect(tail.events?.map((e) => e.message)).toEqual(["event 3", "event 4"]);
    const before = await logs.send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: "window",
        nextToken: tail.nextBackwardToken,
        limit: 2,
      }),
    );
    expect(before.events?.map((e) => e.message)).toEqual(["event 1", "event 2"]);
  });

  it("enforces the count, size, order and 24-hour span rules", async () => {
    const now = Date.now();
    const tooMany = Array.from({ length: 10_001 }, () => ({ timestamp: now, message: "x" }));
    await expect(put("limits", tooMany)).rejects.toBeInstanceOf(InvalidParameterException);
    const exactlyMax = [{ timestamp: now, message: "a".repeat(1_048_576 - 26) }];
    await expect(put("limits", exactlyMax)).resolves.toBeDefined();
    const overMax = [
      // 1,048,576 counting characters, 10 bytes more in UTF-8: AWS counts bytes.
      { timestamp: now, message: "a".repeat(1_048_576 - 26 - 26 - 10) },
      { timestamp: now, message: "é".repeat(10) },
    ];
    const tooBig = await put("limits", overMax).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(InvalidParameterException);
    expect((tooBig as Error).message).toContain("1048576");
    const unordered = await put("limits", [
      { timestamp: now, message: "b" },
      { timestamp: now - 1, message: "a" },
    ]).catch((e: unknown) => e);
    expect(unordered).toBeInstanceOf(InvalidParameterException);
    expect((unordered as Error).message).toContain("chronological");
    await expect(
      put("limits", [
        { timestamp: now - DAY - 1, message: "a" },
        { timestamp: now, message: "b" },
      ]),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it("rejects too-old and too-new events in rejectedLogEventsInfo and stores the rest", async () => {
    const now = Date.now();
    const old = await put("replica-b", [
      { timestamp: now - 14 * DAY - 2 * HOUR, message: "too old 1" },
      { timestamp: now - 14 * DAY - HOUR, message: "too old 2" },
      { timestamp: now - 14 * DAY + HOUR, message: "kept old" },
    ]);
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 2 });
    const future = await put("replica-b", [
      { timestamp: now, message: "kept now" },
      { timestamp: now + 3 * HOUR, message: "too new" },
    ]);
    expect(future.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    const stored = await logs.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: "replica-b", startFromHead: true }),
    );
    expect(stored.events?.map((e) => e.message)).toEqual(["kept old", "kept now"]);
  });
});

describe("retention", () => {
  it("reports events older than the group's retention in expiredLogEventEndIndex and does not store them", async () => {
    const group = "/repogate/retention";
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "s" }));
    await expect(
      logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 2 })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      logs.send(new PutRetentionPolicyCommand({ logGroupName: "/nope", retentionInDays: 1 })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 1 }));
    const now = Date.now();
    // A batch may span 24 hours at most, so each batch straddles one boundary.
    const expired = await put(
      "s",
      [
        { timestamp: now - DAY - HOUR, message: "older than the retention" },
        { timestamp: now - HOUR, message: "kept" },
      ],
      group,
    );
    expect(expired.rejectedLogEventsInfo).toEqual({ expiredLogEventEndIndex: 1 });
    const both = await put(
      "s",
      [
        { timestamp: now - 14 * DAY - HOUR, message: "older than 14 days" },
        { timestamp: now - 14 * DAY + HOUR, message: "older than the retention too" },
      ],
      group,
    );
    expect(both.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, expiredLogEventEndIndex: 2 });
    const stored = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: "s", startFromHead: true }),
    );
    expect(stored.events?.map((e) => e.message)).toEqual(["kept"]);
  });
});

describe("FilterLogEvents", () => {
  const audit = (type: string, email: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ type, principal: { email, groups: ["eng"] }, ...extra });
  let t0: number;

  const FILTER_GROUP = "/repogate/filter";

  beforeAll(async () => {
    t0 = Date.now() - 10_000;
    await logs.send(new CreateLogGroupCommand({ logGroupName: FILTER_GROUP }));
    for (const stream of ["replica-a", "replica-b"]) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: FILTER_GROUP, logStreamName: stream }));
    }
    await put(
      "replica-a",
      [
        { timestamp: t0 + 1, message: audit("access.deny", "alice@example.com", { latencyMs: 12 }) },
        { timestamp: t0 + 3, message: audit("token.grant", "alice@example.com", { latencyMs: 250 }) },
        { timestamp: t0 + 5, message: "ERROR upstream failed: GitHub 502" },
      ],
      FILTER_GROUP,
    );
    await put(
      "replica-b",
      [
        { timestamp: t0 + 2, message: audit("access.deny", "bob@example.com") },
        { timestamp: t0 + 4, message: "WARN slow response from KMS" },
      ],
      FILTER_GROUP,
    );
  });

  async function filter(filterPattern: string, extra: Record<string, unknown> = {}) {
    const response = await logs.send(
      new FilterLogEventsCommand({ logGroupName: FILTER_GROUP, filterPattern, startTime: t0, ...extra }),
    );
    return response.events?.map((e) => e.message) ?? [];
  }

  it("matches JSON patterns with =, !=, &&, || and numbers, interleaving streams by time", async () => {
    expect(await filter('{ $.type = "access.deny" }')).toEqual([
      audit("access.deny", "alice@example.com", { latencyMs: 12 }),
      audit("access.deny", "bob@example.com"),
    ]);
    expect(await filter('{ $.principal.email = "bob@example.com" }')).toEqual([
      audit("access.deny", "bob@example.com"),
    ]);
    expect(
      await filter('{ $.type = "access.deny" && $.principal.email != "alice@example.com" }'),
    ).toHaveLength(1);
    expect(
      await filter('{ ($.type = "token.grant" || $.type = "access.deny") && $.latencyMs > 100 }'),
    ).toEqual([audit("token.grant", "alice@example.com", { latencyMs: 250 })]);
    expect(await filter('{ $.principal.groups[0] = "eng" }')).toHaveLength(3);
    expect(await filter('{ $.type = "access.*" }')).toHaveLength(2);
  });

  it("matches plain terms, quoted phrases and ?alternatives, case-sensitively", async () => {
    expect(await filter("ERROR")).toEqual(["ERROR upstream failed: GitHub 502"]);
    expect(await filter("error")).toEqual([]);
    expect(await filter('"slow response"')).toEqual(["WARN slow response from KMS"]);
    expect(await filter("?ERROR ?WARN")).toHaveLength(2);
    expect(await filter("access.deny -bob")).toHaveLength(1);
  });

  it("restricts by stream and time, and pages with nextToken", async () => {
    expect(await filter("", { logStreamNames: ["replica-b"] })).toHaveLength(2);
    expect(await filter("", { startTime: t0 + 2, endTime: t0 + 4 })).toHaveLength(3);
    const first = await logs.send(
      new FilterLogEventsCommand({ logGroupIdentifier: FILTER_GROUP, startTime: t0, limit: 3 }),
    );
    expect(first.events).toHaveLength(3);
    expect(first.events?.[0]).toMatchObject({ logStreamName: "replica-a", timestamp: t0 + 1 });
    expect(first.events?.[0]?.eventId).toMatch(/^\d+$/);
    expect(first.nextToken).toBeDefined();
    const second = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: FILTER_GROUP,
        startTime: t0,
        limit: 3,
        nextToken: first.nextToken,
      }),
    );
    expect(second.events).toHaveLength(2);
    expect(second.nextToken).toBeUndefined();
  });

  it("refuses an invalid pattern with InvalidParameterException", async () => {
    await expect(filter("{ $.type = ")).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe("faults and persistence", () => {
  it("raises the Logs ThrottlingException class under a throttle fault", async () => {
    fixture.emulator.faults.set({ service: "logs", kind: "throttle", operation: "PutLogEvents", count: 1 });
    const noRetry = logsClient(fixture.emulator, { maxAttempts: 1 });
    await expect(
      noRetry.send(
        new PutLogEventsCommand({
          logGroupName: GROUP,
          logStreamName: "window",
          logEvents: [{ timestamp: Date.now(), message: "throttled" }],
        }),
      ),
    ).rejects.toBeInstanceOf(ThrottlingException);
    noRetry.destroy();
  });

  it("keeps log events across a restart", async () => {
    await fixture.restart();
    const stored = await logs.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: "replica-b", startFromHead: true }),
    );
    expect(stored.events?.map((e) => e.message)).toContain("kept now");
  });
});
