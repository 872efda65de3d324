/**
 * Start-up of the wired broker against its audit trail: with `audit.onFailure: deny`, a trail that cannot be
 * written stops the broker from starting (instead of a broker that looks ready and refuses every tool call),
 * and a broker that did start has its `policy.load` event on disk already.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { listJsonlFiles } from "../../src/audit/index.ts";
import { parseConfig } from "../../src/config/index.ts";
import { createRepogate } from "../../src/repogate.ts";
import { tempDir } from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function brokerConfig(auditFile: string, dir: string) {
  const keyPath = join(dir, "app.pem");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(keyPath, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  return parseConfig({
    publicUrl: "http://127.0.0.1:8700",
    // Nothing here is contacted at start-up.
    auth: { oidc: { issuer: "http://127.0.0.1:9/issuer", requiredScopes: ["mcp:tools"] } },
    github: { apiUrl: "http://127.0.0.1:9", appId: 1, signer: { type: "pem", privateKeyPath: keyPath } },
    policy: { file: resolve("wrangler-free-local/seed/policy.yaml"), watch: false },
    audit: { file: auditFile },
    metrics: { exporter: "none" },
  });
}

describe("broker start-up and the audit trail", () => {
  it("refuses to start under deny when the audit trail cannot be written", async () => {
    const { dir, cleanup } = await tempDir("startup-blocked");
    cleanups.push(cleanup);
    // The trail's directory is a file: nothing can be written there.
    await writeFile(join(dir, "blocked"), "x");
    const config = await brokerConfig(join(dir, "blocked", "audit.jsonl"), dir);
    await expect(createRepogate(config, { logger: pino({ level: "silent" }) })).rejects.toMatchObject({
      code: "AUDIT_UNAVAILABLE",
    });
  });

  it("has the policy.load event on disk once it has started", async () => {
    const { dir, cleanup } = await tempDir("startup-ok");
    cleanups.push(cleanup);
    const config = await brokerConfig(join(dir, "audit", "audit.jsonl"), dir);
    const repogate = await createRepogate(config, { logger: pino({ level: "silent" }) });
    cleanups.push(() => repogate.close());
    const [file] = await listJsonlFiles({ dir: join(dir, "audit"), prefix: "audit" });
    const first = JSON.parse((await readFile(file?.path as string, "utf8")).split("\n")[0] as string);
    expect(first).toMatchObject({ type: "policy.load", outcome: "ok" });
  });
});
