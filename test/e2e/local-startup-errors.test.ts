/**
 * `repogate local` when it cannot start: a port taken (most often by another `repogate local`), a bad option or
 * setting. One line naming the problem and its fix, exit status 1, no stack trace, nothing left listening.
 */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack } from "../../wrangler-free-local/stack.ts";
import { freePort, portIsFree } from "../support/ports.ts";
import { makeDataDir } from "./stack.ts";

const BIN = path.join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "repogate.js");

let dataDir: string;
let blocker: Server;
let taken: number;

beforeAll(async () => {
  dataDir = await makeDataDir("repogate-e2e-port-");
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const address = blocker.address();
  taken = typeof address === "object" && address ? address.port : 0;
});

afterAll(async () => {
  await new Promise<void>((resolve) => blocker?.close(() => resolve()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function freePorts() {
  return { broker: await freePort(), github: await freePort(), idp: await freePort(), aws: await freePort() };
}

describe("a port of the local stack is already in use", () => {
  it("names the GitHub emulator and --github-port", async () => {
    const ports = { ...(await freePorts()), github: taken };
    const failure = startLocalStack({ dataDir, ports, logLevel: "silent", print: () => {} });
    await expect(failure).rejects.toMatchObject({ code: "LOCAL_PORT_IN_USE", port: taken });
    await expect(failure).rejects.toThrow(/GitHub API emulator .*--github-port <port>/);
  });

  it("names the broker and --broker-port, and stops the services it had started", async () => {
    const ports = { ...(await freePorts()), broker: taken };
    const failure = startLocalStack({ dataDir, ports, logLevel: "silent", print: () => {} });
    await expect(failure).rejects.toMatchObject({ code: "LOCAL_PORT_IN_USE", service: "broker" });
    await expect(failure).rejects.toThrow(/--broker-port <port>/);
    for (const port of [ports.github, ports.idp, ports.aws]) expect(await portIsFree(port)).toBe(true);
  });

  it("repogate local prints one line and exits 1, without a stack trace", async () => {
    const ports = { ...(await freePorts()), idp: taken };
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          BIN,
          "local",
          "--data-dir",
          dataDir,
          ...["--broker-port", String(ports.broker), "--github-port", String(ports.github)],
          ...["--idp-port", String(ports.idp), "--aws-port", String(ports.aws)],
          ...["--log-level", "silent"],
        ],
        { timeout: 60_000 },
        (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `repogate local: the dev OpenID provider cannot listen on 127.0.0.1:${taken}`,
    );
    expect(run.stderr).toContain("--idp-port <port>");
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});

describe("bad options", () => {
  async function local(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return await new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BIN, "local", "--data-dir", dataDir, ...args],
        { timeout: 60_000 },
        (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
  }

  it("a port that is not a number is a usage error naming the option", async () => {
    const run = await local(["--broker-port", "abc"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "error: option '--broker-port <port>' argument 'abc' is invalid. not a TCP port",
    );
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("an invalid setting is one line naming it", async () => {
    const ports = await freePorts();
    const run = await local([
      ...["--broker-port", String(ports.broker), "--github-port", String(ports.github)],
      ...["--idp-port", String(ports.idp), "--aws-port", String(ports.aws), "--log-level", "loud"],
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^repogate local: invalid configuration:\n\s+logLevel: /m);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    for (const port of Object.values(ports)) expect(await portIsFree(port)).toBe(true);
  }, 60_000);
});
