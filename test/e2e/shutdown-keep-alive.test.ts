/**
 * Shutdown under steady load: clients keep their connections alive and send the next request on them, so a
 * broker that only stopped accepting new connections kept serving until the shutdown deadline and then cut off
 * whatever was in flight (seen in the fault soak, bench/soak). Once shutdown begins, responses say
 * `connection: close`, so each connection ends after its current request.
 */

import { rm } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { startLocalStack } from "../../wrangler-free-local/stack.ts";
import { freePort } from "../support/ports.ts";
import { makeDataDir, USERS } from "./stack.ts";

/** POSTs one JSON-RPC message over the agent's kept-alive connection; resolves with status and headers. */
function post(url: string, agent: Agent, token: string, body: unknown) {
  return new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-03-26",
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("shutdown with kept-alive connections", () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("answers the in-flight request with connection: close, so the client's connection ends with it", async () => {
    dataDir = await makeDataDir("repogate-e2e-keepalive-");
    const stack = await startLocalStack({
      dataDir,
      ports: { broker: await freePort(), github: 0, idp: 0, aws: 0 },
      logLevel: "silent",
      print: () => {},
    });
    const { broker, idp, github } = stack.description;
    const token = (await devLogin({ issuer: idp.issuer, user: USERS.alice, resource: broker.mcpUrl }))
      .access_token;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const call = (id: number) =>
        post(broker.mcpUrl, agent, token, {
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: {
            name: "get_file_contents",
            arguments: { owner: "mycompany", repo: "web", path: "README.md" },
          },
        });
      // Before shutdown the connection is kept alive.
      expect((await call(1)).connection).not.toBe("close");
      await fetch(`${github.url}/_emulator/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          kind: "latency",
          latencyMs: 1500,
          pathPrefix: "/repos/mycompany/web/contents",
          count: 1,
        }),
      });
      const inFlight = call(2);
      // Wait until the call is being served (its read is delayed at the emulator), then begin shutdown.
      for (;;) {
        const { faults } = (await (await fetch(`${github.url}/_emulator/faults`)).json()) as {
          faults: unknown[];
        };
        if (faults.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const closing = stack.close();
      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.connection).toBe("close");
      await closing;
    } finally {
      agent.destroy();
    }
  }, 60_000);
});
