/**
 * `repogate serve` as a real process: `/metrics` on the public port is guarded by a token from the secret
 * store, which with the local store comes from a `REPOGATE_SECRET_*` variable of the process environment; and
 * SIGTERM ends the process cleanly.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.ts";

const TOKEN = "metrics-scrape-token-for-tests";

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`repogate serve exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error("repogate serve did not become healthy");
}

describe("repogate serve", () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let stderr = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "repogate-serve-"));
    const keyPath = join(dir, "app.pem");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await writeFile(keyPath, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = {
      publicUrl: url,
      listen: { host: "127.0.0.1", port },
      // Nothing here is contacted at start-up: the IdP and GitHub are only reached by requests.
      auth: { oidc: { issuer: "http://127.0.0.1:9/issuer", requiredScopes: ["mcp:tools"] } },
      github: { apiUrl: "http://127.0.0.1:9", appId: 1, signer: { type: "pem", privateKeyPath: keyPath } },
      policy: { file: resolve("wrangler-free-local/seed/policy.yaml"), watch: false },
      audit: { file: join(dir, "audit", "audit.jsonl") },
      metrics: { prometheus: { tokenSecret: "repogate/metrics-token", processMetrics: false } },
      logLevel: "warn",
    };
    const configPath = join(dir, "repogate.json");
    await writeFile(configPath, JSON.stringify(config));
    child = spawn(process.execPath, [resolve("bin/repogate.js"), "serve", "--config", configPath], {
      env: { ...process.env, REPOGATE_SECRET_REPOGATE_METRICS_TOKEN: TOKEN },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitForHealth(url, child);
  }, 30_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves /metrics to the token from REPOGATE_SECRET_* and refuses a wrong one", async () => {
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status, stderr).toBe(200);
    expect(await ok.text()).toMatch(/# TYPE /);
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
  });

  it("exits with code 0 on SIGTERM", async () => {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exited;
    expect(code, stderr).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 15_000);
});
