import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "repogate-gh-standalone-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("wrangler-free-local/github/main.ts", () => {
  it("prints URL, App id and key path, serves GET /app, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "wrangler-free-local/github/main.ts", "--port", "0", "--data-dir", dataDir],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const started = Date.now();
      while (!/App private key: (\S+)/.test(output)) {
        if (Date.now() - started > 30_000) throw new Error(`runner did not start:\n${output}`);
        if (child.exitCode !== null) throw new Error(`runner exited early:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1] ?? "";
      const keyPath = /App private key: (\S+)/.exec(output)?.[1] ?? "";
      expect(output).toMatch(/App id 1001/);
      expect(keyPath).toBe(join(dataDir, "github", "app-private-key.pem"));
      expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
      const privateKey = await readFile(keyPath, "utf8");
      expect(privateKey.startsWith(`-----BEGIN ${["PRIVATE", "KEY"].join(" ")}-----`)).toBe(true);
      const octokit = new Octokit({
        baseUrl: url,
        authStrategy: createAppAuth,
        auth: { appId: 1001, privateKey },
      });
      const { data } = await octokit.request("GET /app");
      expect(data?.id).toBe(1001);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
