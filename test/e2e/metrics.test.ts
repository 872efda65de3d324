/**
 * The broker's operational numbers as Prometheus scrapes them: tool calls, decisions, grants, revocations,
 * failed sign-ins, GitHub requests by status and the installation's remaining rate limit, after real calls.
 */
import { rm } from "node:fs/promises";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { type LocalStack, startLocalStack } from "../../wrangler-free-local/stack.ts";
import { freePort } from "../support/ports.ts";
import { callTool, connectWithToken, makeDataDir, USERS, waitForRevocations } from "./stack.ts";

/** The value of one sample line `name{labels} value` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const wanted = Object.entries(labels).every(([k, v]) => match[2]?.includes(`${k}="${v}"`));
    if (wanted) return Number(match[3]);
  }
  return undefined;
}

describe("metrics of the running broker", () => {
  let dataDir: string;
  let stack: LocalStack;
  let client: Client;
  let metricsUrl: string;

  beforeAll(async () => {
    dataDir = await makeDataDir("repogate-e2e-metrics-");
    stack = await startLocalStack({
      dataDir,
      ports: { broker: await freePort(), github: 0, idp: 0, aws: 0 },
      metricsPort: 0,
      logLevel: "silent",
      print: () => {},
    });
    const { broker, idp, github } = stack.description;
    metricsUrl = broker.metricsUrl ?? "";
    const token = (await devLogin({ issuer: idp.issuer, user: USERS.alice, resource: broker.mcpUrl }))
      .access_token;
    client = await connectWithToken(broker.mcpUrl, token);
    expect(
      (await callTool(client, "get_file_contents", { owner: "mycompany", repo: "web", path: "README.md" }))
        .isError,
    ).toBe(false);
    expect(
      (await callTool(client, "get_file_contents", { owner: "othercorp", repo: "secret", path: "README.md" }))
        .isError,
    ).toBe(true);
    await fetch(broker.mcpUrl, { method: "POST", headers: { authorization: "Bearer nope" }, body: "{}" });
    await waitForRevocations(github.url);
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves them on their own port and not on the public one", async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const publicMetrics = await fetch(`${stack.description.broker.url}/metrics`);
    expect(publicMetrics.status).not.toBe(200);
  });

  it("counts tool calls, decisions, grants, revocations, auth failures and GitHub responses", async () => {
    const text = await (await fetch(metricsUrl)).text();
    expect(sample(text, "repogate_tool_calls_total", { tool: "get_file_contents", outcome: "ok" })).toBe(1);
    expect(sample(text, "repogate_tool_calls_total", { tool: "get_file_contents", outcome: "denied" })).toBe(
      1,
    );
    expect(
      sample(text, "repogate_policy_decisions_total", { decision: "deny", code: "NOT_IN_WHITELIST" }),
    ).toBe(1);
    expect(sample(text, "repogate_token_grants_total")).toBe(1);
    expect(sample(text, "repogate_token_revocations_total", { outcome: "ok" })).toBe(1);
    expect(sample(text, "repogate_auth_failures_total", { reason: "TOKEN_MALFORMED" })).toBe(1);
    expect(sample(text, "repogate_github_requests_total", { status: "201" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "repogate_github_requests_total", { status: "200" })).toBeGreaterThanOrEqual(1);
    const remaining = sample(text, "repogate_github_rate_limit_remaining", { installation_id: "2001" });
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThan(5000);
  });
});
