/** `repogate setup github-app` as the admin runs it: the CLI spawned, its page driven over HTTP, its exit status. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { clickThroughToRedirect, ORG, PUBLIC_URL, type SetupFixture, startSetupFixture } from "./harness.ts";

const REPO_ROOT = join(import.meta.dirname, "../..");
let fx: SetupFixture;

beforeAll(async () => {
  fx = await startSetupFixture();
}, 60_000);
afterAll(async () => {
  await fx?.stop();
});

function runCli(args: string[]): {
  child: ChildProcess;
  stdout: () => string;
  exit: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ["bin/repogate.js", "setup", "github-app", ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_NO_WARNINGS: "1",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // The launcher's Node-version notice (bin/repogate.js) is not the command's output.
  const withoutNotice = () =>
    stderr
      .split("\n")
      .filter((line) => !line.startsWith("repogate: Node "))
      .join("\n");
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stderr: withoutNotice() })),
  );
  return { child, stdout: () => stdout, exit };
}

async function pageUrlFrom(stdout: () => string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const match = /Open (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout());
    if (match) return match[1] as string;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the command printed no page URL: ${stdout()}`);
}

const common = () => [
  "--org",
  ORG,
  "--public-url",
  PUBLIC_URL,
  "--github-url",
  fx.github.github.url,
  "--api-url",
  fx.github.github.url,
  "--aws-endpoint",
  fx.aws.emulator.url,
];

describe("repogate setup github-app (CLI)", () => {
  it("creates the App, prints the config lines, writes the config and exits 0", async () => {
    const configFile = join(fx.workDir, "cli.yaml");
    const run = runCli([...common(), "--create-key", "--name", "repogate-cli", "--write-config", configFile]);
    const redirect = await clickThroughToRedirect(await pageUrlFrom(run.stdout));
    expect((await fetch(redirect)).status).toBe(200);
    const { code, stderr } = await run.exit;
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(run.stdout()).toMatch(
      /GitHub App repogate-cli \(id \d+\) is ready; its key is in KMS arn:aws:kms:/,
    );
    expect(run.stdout()).toContain("signer: { type: kms, keyId: alias/repogate-github-app");
    expect(run.stdout()).toContain(
      `Install the App: ${fx.github.github.url}/apps/repogate-cli/installations/new`,
    );
    expect(run.stdout()).not.toMatch(/PRIVATE KEY/);
    const written = parseYaml(await readFile(configFile, "utf8"));
    expect(written.github.signer).toEqual({
      type: "kms",
      keyId: "alias/repogate-github-app",
      region: "us-east-1",
    });
  }, 90_000);

  it("refuses an unknown KMS key in one line naming the fix, before serving any page", async () => {
    const run = runCli([...common(), "--kms-key", "0b0e0d0c-0000-4000-8000-000000000000"]);
    const { code, stderr } = await run.exit;
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^repogate: KMS key .* does not exist .*--create-key\. \(KMS_KEY_NOT_FOUND\)/);
    expect(run.stdout()).not.toContain("Open http");
  }, 60_000);
});
