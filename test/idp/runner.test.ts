import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDataDir, removeDataDir } from "./fixture.ts";

const MAIN = fileURLToPath(new URL("../../wrangler-free-local/idp/main.ts", import.meta.url));

let dataDir: string;
beforeAll(async () => {
  dataDir = await makeDataDir();
});
afterAll(async () => {
  await removeDataDir(dataDir);
});

describe("wrangler-free-local/idp/main.ts", () => {
  it("serves discovery for the resource it is given and exits cleanly on SIGINT", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        MAIN,
        "--port",
        "0",
        "--data-dir",
        dataDir,
        "--resource",
        "http://127.0.0.1:9999/mcp",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const issuer = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        const match = /issuer (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`exited early (${code}): ${stderr}`)));
    });
    try {
      const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
      };
      expect(doc.issuer).toBe(issuer);
      expect(stdout).toContain("resources http://127.0.0.1:9999/mcp");
    } finally {
      child.kill("SIGINT");
    }
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    expect(stderr).toBe("");
  });
});
