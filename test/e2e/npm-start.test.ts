/**
 * `npm start` stopped the way a terminal does it: Ctrl-C sends SIGINT to the whole foreground process
 * group (npm, its shell, the repogate process and the git processes of the GitHub emulator). Nothing
 * may be left running and every port must be free again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { freePort, portIsFree } from "../support/ports.ts";
import { callTool, connectWithToken, makeDataDir, USERS } from "./stack.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let dataDir: string;
let ports: number[];
let child: ChildProcess;
let stdout = "";
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).replaceAll("\0", " ");
      if (cmdline.includes(needle)) found.push(`${entry} ${cmdline.trim()}`);
    } catch {}
  }
  return found;
}

beforeAll(async () => {
  dataDir = await makeDataDir("repogate-e2e-npm-");
  ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const [broker, github, idp, aws] = ports.map(String) as [string, string, string, string];
  child = spawn(
    "npm",
    [
      "start",
      "--",
      "--data-dir",
      dataDir,
      "--broker-port",
      broker,
      "--github-port",
      github,
      "--idp-port",
      idp,
      "--aws-port",
      aws,
      "--log-level",
      "warn",
    ],
    // Its own process group, so the test can signal the group as a terminal's Ctrl-C does.
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.stderr?.resume();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not start in 30 s:\n${stdout}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes("Press Ctrl-C")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${stdout}`));
    });
  });
}, 40_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid, "SIGKILL");
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("serves a tool call, then stops on Ctrl-C leaving no process behind and every port free", async () => {
    const local = JSON.parse(await readFile(path.join(dataDir, "local.json"), "utf8")) as {
      broker: { mcpUrl: string };
      idp: { issuer: string };
    };
    const { access_token } = await devLogin({
      issuer: local.idp.issuer,
      user: USERS.sam,
      resource: local.broker.mcpUrl,
    });
    const client = await connectWithToken(local.broker.mcpUrl, access_token);
    const r = await callTool(client, "list_branches", { owner: "facebook", repo: "react" });
    expect(r.isError).toBe(false);
    expect(r.text).toContain('"stable"');
    await client.close();
    expect((await processesMentioning(dataDir)).length).toBeGreaterThan(0);

    process.kill(-(child.pid ?? 0), "SIGINT");
    await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("npm start did not stop in 10 s")), 10_000),
      ),
    ]);
    const deadline = Date.now() + 3_000;
    let left = await processesMentioning(dataDir);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await processesMentioning(dataDir);
    }
    expect(left).toEqual([]);
    for (const port of ports) expect(await portIsFree(port), String(port)).toBe(true);
  }, 30_000);
});
