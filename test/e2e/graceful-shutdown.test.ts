/**
 * Shutdown as SIGTERM does it (`startServer().close()` is what `repogate serve` and `repogate local` run): the
 * broker stops taking requests, lets the in-flight tool call finish, revokes its token and flushes the audit
 * trail before the process would exit.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { verifyJsonlFiles } from "../../src/audit/index.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { startLocalStack } from "../../wrangler-free-local/stack.ts";
import { freePort } from "../support/ports.ts";
import { callTool, connectWithToken, emulatorLog, makeDataDir, USERS } from "./stack.ts";

describe("graceful shutdown", () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("finishes the in-flight call, revokes its token and flushes its audit events", async () => {
    dataDir = await makeDataDir("repogate-e2e-shutdown-");
    const stack = await startLocalStack({
      dataDir,
      ports: { broker: await freePort(), github: 0, idp: 0, aws: 0 },
      logLevel: "silent",
      print: () => {},
    });
    const { broker, idp, github } = stack.description;
    const token = (await devLogin({ issuer: idp.issuer, user: USERS.alice, resource: broker.mcpUrl }))
      .access_token;
    const client = await connectWithToken(broker.mcpUrl, token);

    // Slow the file read down so the call is still in flight when shutdown starts.
    const fault = await fetch(`${github.url}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        kind: "latency",
        latencyMs: 1500,
        pathPrefix: "/repos/mycompany/web/contents",
        count: 1,
      }),
    });
    expect(fault.ok).toBe(true);
    const inFlight = callTool(client, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "README.md",
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = await emulatorLog(github.url);
    expect(before.mints).toHaveLength(1);
    expect(before.revocations).toHaveLength(0);

    const closing = stack.close();
    // Shutdown has begun and the call is still in flight: a new request is already refused.
    await expect(fetch(`${broker.url}/healthz`)).rejects.toThrow();
    expect((await emulatorLog(github.url)).revocations).toHaveLength(0);
    const result = await inFlight;
    expect(result.isError).toBe(false);
    expect(result.text).toContain("# web");
    await closing;

    // Nothing new is accepted once the broker has stopped.
    await expect(fetch(broker.mcpUrl, { method: "POST", body: "{}" })).rejects.toThrow();

    const files = (await readdir(path.join(dataDir, "audit"))).filter((f) => f.endsWith(".jsonl")).sort();
    const lines = (await Promise.all(files.map((f) => readFile(path.join(dataDir, "audit", f), "utf8"))))
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; outcome?: string; token?: { fingerprint: string } });
    const grant = lines.find((l) => l.type === "token.grant");
    expect(grant).toBeDefined();
    expect(
      before.mints[0]?.tokenFingerprint &&
        grant?.token?.fingerprint.startsWith(before.mints[0].tokenFingerprint),
    ).toBe(true);
    expect(
      lines.filter((l) => l.type === "token.revoke" && l.token?.fingerprint === grant?.token?.fingerprint),
    ).toHaveLength(1);
    expect(lines.some((l) => l.type === "tool.call" && l.outcome === "ok")).toBe(true);
    const verified = await verifyJsonlFiles(
      files.map((f) => ({ path: path.join(dataDir, "audit", f) })),
      {
        requireGenesis: true,
      },
    );
    expect(verified.ok).toBe(true);
  }, 60_000);

  it("cuts off a request still running at the shutdown deadline, and still revokes its token", async () => {
    const dir = await makeDataDir("repogate-e2e-deadline-");
    try {
      const stack = await startLocalStack({
        dataDir: dir,
        ports: { broker: await freePort(), github: 0, idp: 0, aws: 0 },
        shutdownTimeoutMs: 300,
        logLevel: "silent",
        print: () => {},
      });
      const { broker, idp, github } = stack.description;
      const token = (await devLogin({ issuer: idp.issuer, user: USERS.alice, resource: broker.mcpUrl }))
        .access_token;
      const client = await connectWithToken(broker.mcpUrl, token);
      await fetch(`${github.url}/_emulator/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          kind: "latency",
          latencyMs: 4000,
          pathPrefix: "/repos/mycompany/web/contents",
          count: 1,
        }),
      });
      const hung = callTool(client, "get_file_contents", {
        owner: "mycompany",
        repo: "web",
        path: "README.md",
      }).then(
        () => "answered",
        () => "cut off",
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
      const mints = (await emulatorLog(github.url)).mints;
      expect(mints).toHaveLength(1);

      // The GitHub emulator outlives the broker in stack.close(), so the revocation can still reach it.
      await stack.close();
      expect(await hung).toBe("cut off");
      const lines = (await readdir(path.join(dir, "audit")))
        .filter((f) => f.endsWith(".jsonl"))
        .map((f) => path.join(dir, "audit", f));
      const events = (await Promise.all(lines.map((f) => readFile(f, "utf8"))))
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; token?: { fingerprint: string } });
      const grant = events.find((e) => e.type === "token.grant");
      expect(grant?.token?.fingerprint.startsWith(mints[0]?.tokenFingerprint ?? "-")).toBe(true);
      expect(
        events.some((e) => e.type === "token.revoke" && e.token?.fingerprint === grant?.token?.fingerprint),
      ).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
