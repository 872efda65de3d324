/**
 * Installation changes end to end: the GitHub emulator's control API changes an installation and delivers the
 * signed webhook GitHub would send (payloads checked against @octokit/webhooks-schemas); the broker verifies it,
 * drops its cached installation, audits `app.installation.*` and counts it; a suspended installation then fails
 * with a clear error and nothing is minted. Bad signatures, replays and oversized bodies are refused.
 */
import { createHmac } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryRecord } from "../../wrangler-free-local/github/index.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { type LocalStack, startLocalStack } from "../../wrangler-free-local/stack.ts";
import { callTool, connectWithToken, emulatorLog, makeDataDir } from "../e2e/stack.ts";
import { freePort } from "../support/ports.ts";
import { webhookSchemaProblems } from "./schemas.ts";

let stack: LocalStack;
let dataDir: string;
let client: Client;
let githubUrl: string;
let webhookUrl: string;

interface ControlAnswer {
  delivery: DeliveryRecord | null;
  deliveries?: DeliveryRecord[];
}

async function control(method: string, route: string, body?: unknown): Promise<ControlAnswer> {
  const response = await fetch(`${githubUrl}/_emulator${route}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as ControlAnswer;
}

async function auditEvents(): Promise<
  { type: string; details?: Record<string, unknown>; principal?: { sub: string } }[]
> {
  const dir = path.join(dataDir, "audit");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".jsonl"));
  const lines = (await Promise.all(files.map((f) => readFile(path.join(dir, f), "utf8")))).join("\n");
  return lines
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function metricsText(): Promise<string> {
  return await (await fetch(stack.description.broker.metricsUrl as string)).text();
}

function expectValid(delivery: DeliveryRecord | null | undefined): DeliveryRecord {
  expect(delivery, "a delivery was sent").toBeTruthy();
  const d = delivery as DeliveryRecord;
  expect(d.status).toBe(200);
  expect(webhookSchemaProblems(d.event, d.action as string, d.payload)).toEqual([]);
  return d;
}

beforeAll(async () => {
  dataDir = await makeDataDir("repogate-webhooks-");
  stack = await startLocalStack({
    dataDir,
    ports: { broker: await freePort(), github: 0, idp: 0, aws: 0 },
    metricsPort: 0,
    logLevel: "silent",
    print: () => {},
  });
  githubUrl = stack.description.github.url;
  webhookUrl = stack.description.github.webhookUrl;
  const token = await devLogin({
    issuer: stack.description.idp.issuer,
    user: "alice@mycompany.example",
    resource: stack.description.broker.mcpUrl,
  });
  client = await connectWithToken(stack.description.broker.mcpUrl, token.access_token);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const readme = { owner: "mycompany", repo: "web", path: "README.md" };

describe("installation webhooks from the GitHub emulator to the broker", () => {
  it("npm start wires the emulator's App webhook to the broker, with the secret in local.json", async () => {
    const local = JSON.parse(await readFile(path.join(dataDir, "local.json"), "utf8"));
    expect(local.github.webhookUrl).toBe(`${stack.description.broker.url}/github/webhook`);
    expect(local.github.webhookSecret).toMatch(/^[0-9a-f]{48}$/);
    const app = (await (await fetch(`${githubUrl}/_emulator/app`)).json()) as { webhook: { url: string } };
    expect(app.webhook).toMatchObject({ url: local.github.webhookUrl, active: true, has_secret: true });
  });

  it("a suspension reaches the broker, which then refuses the owner's repositories without minting", async () => {
    expect((await callTool(client, "get_file_contents", readme)).isError).toBe(false);
    const mintsBefore = (await emulatorLog(githubUrl)).mints.length;

    const { delivery } = await control("POST", "/installations/2001/suspend", { sender: "octo-admin" });
    const d = expectValid(delivery);
    expect(d).toMatchObject({ event: "installation", action: "suspend", installationId: 2001 });

    const refused = await callTool(client, "get_file_contents", readme);
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain("APP_INSTALLATION_SUSPENDED");
    expect(refused.text).toContain("unsuspend it");
    expect((await emulatorLog(githubUrl)).mints.length).toBe(mintsBefore);

    const events = await auditEvents();
    const suspend = events.find((e) => e.type === "app.installation.suspend");
    expect(suspend).toMatchObject({
      principal: { sub: "github:octo-admin" },
      details: { installationId: 2001, account: "mycompany", deliveryId: d.id },
    });

    expectValid((await control("POST", "/installations/2001/unsuspend")).delivery);
    expect((await callTool(client, "get_file_contents", readme)).isError).toBe(false);
  });

  it("repository selection changes are delivered, validated and audited with the repositories", async () => {
    const removed = await control("POST", "/installations/2001/repositories", { remove: ["web"] });
    const d = expectValid(removed.deliveries?.[0]);
    expect(d.action).toBe("removed");
    const added = await control("POST", "/installations/2001/repositories", { add: ["web"] });
    expectValid(added.deliveries?.[0]);
    const events = await auditEvents();
    expect(events.find((e) => e.type === "app.installation.repositories_removed")?.details).toMatchObject({
      repositoriesRemoved: "mycompany/web",
      installationId: 2001,
    });
    expect(events.find((e) => e.type === "app.installation.repositories_added")?.details).toMatchObject({
      repositoriesAdded: "mycompany/web",
    });
  });

  it("install, new permissions and uninstall are delivered, validated and audited", async () => {
    const created = await control("POST", "/installations", {
      account: { login: "othercorp", type: "Organization" },
      repository_selection: "selected",
      repositories: ["secret"],
    });
    const d = expectValid(created.delivery);
    const installationId = d.installationId as number;
    expectValid(
      (
        await control("POST", `/installations/${installationId}/permissions`, {
          permissions: { contents: "read", metadata: "read" },
        })
      ).delivery,
    );
    expectValid((await control("DELETE", `/installations/${installationId}`)).delivery);
    const types = (await auditEvents()).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "app.installation.created",
        "app.installation.new_permissions_accepted",
        "app.installation.deleted",
      ]),
    );
  });

  it("a redelivered delivery id is answered 200 and processed once", async () => {
    const { delivery } = await control("POST", "/installations/2002/suspend");
    const first = expectValid(delivery);
    const again = (await (
      await fetch(`${githubUrl}/_emulator/deliveries/${first.id}/redeliver`, { method: "POST" })
    ).json()) as DeliveryRecord;
    expect(again).toMatchObject({ id: first.id, status: 200 });
    const processed = (await auditEvents()).filter((e) => e.details?.deliveryId === first.id);
    expect(processed).toHaveLength(1);
    expect(await metricsText()).toMatch(
      /repogate_github_webhook_deliveries_total\{event="installation.suspend",outcome="duplicate"\} 1/,
    );
    await control("POST", "/installations/2002/unsuspend");
  });

  it("refuses unsigned and wrongly signed deliveries with 401 and does nothing", async () => {
    const auditBefore = (await auditEvents()).length;
    const body = JSON.stringify({
      action: "deleted",
      installation: { id: 2001, account: { login: "mycompany" } },
      sender: { login: "x" },
    });
    const headers = {
      "content-type": "application/json",
      "x-github-event": "installation",
      "x-github-delivery": "forged-1",
    };
    const unsigned = await fetch(webhookUrl, { method: "POST", headers, body });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ error: "signature_missing" });
    const wrongSignature = `sha256=${createHmac("sha256", "not-the-secret").update(body).digest("hex")}`;
    const forged = await fetch(webhookUrl, {
      method: "POST",
      headers: { ...headers, "x-hub-signature-256": wrongSignature },
      body,
    });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: "signature_invalid" });
    expect((await auditEvents()).length).toBe(auditBefore);
    // The installation is still there: the forged "deleted" did nothing.
    expect((await callTool(client, "get_file_contents", readme)).isError).toBe(false);
    expect(await metricsText()).toMatch(
      /repogate_github_webhook_deliveries_total\{event="unverified",outcome="unauthorized"\} 2/,
    );
  });

  it("refuses a body over the cap with 413", async () => {
    const big = "x".repeat(1024 * 1024 + 1);
    const response = await fetch(webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "installation",
        "x-github-delivery": "big-1",
      },
      body: big,
    });
    expect(response.status).toBe(413);
  });
});
