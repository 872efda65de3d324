/**
 * The container image's filesystem, built by the script the Dockerfile runs (Docker cannot run here), booted as
 * ECS runs it: configured only by the environment the CDK gives the task (infrastructure/lib/broker-environment.ts),
 * with the KMS signer, the Secrets Manager store and the CloudWatch audit sink pointed at the local AWS emulator.
 * It must answer /healthz and /readyz, serve an allowed tool call, write nothing outside its temp directory, and
 * stop cleanly on SIGTERM with its audit trail and metrics flushed.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { KMSClient } from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerEnvironment } from "../../infrastructure/lib/broker-environment.ts";
import { APP_KEY_ALIAS } from "../../infrastructure/lib/keys.ts";
import { parseDeploymentSettings } from "../../infrastructure/lib/settings.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../../wrangler-free-local/aws/kms/import-key.ts";
import { type RunningGitHubEmulator, startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { type RunningDevIdp, startDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { callTool, connectWithToken, USERS } from "../e2e/stack.ts";
import { freePort } from "../support/ports.ts";

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, "../..");
const CREDENTIALS = { accessKeyId: "emulator-test-key", secretAccessKey: "dummy-secret-for-tests" };
const AUDIT_LOG_GROUP = "/RepogateFargate/audit";

/** Every file below `dir` with its size and mtime, to prove the broker wrote nothing there. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const info = await stat(file);
    files.set(relative(dir, file), `${info.size}:${info.mtimeMs}`);
  }
  return files;
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string): Promise<Response> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`the broker exited (${child.exitCode}):\n${output()}`);
    const response = await fetch(url).catch(() => undefined);
    if (response) return response;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no answer from ${url}:\n${output()}`);
}

describe("container image build (scripts/build-image.mjs)", () => {
  let dir: string;
  let appDir: string;
  let github: RunningGitHubEmulator;
  let idp: RunningDevIdp;
  let aws: RunningAwsEmulator;
  let broker: ChildProcess | undefined;
  let stdout = "";
  let stderr = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "repogate-image-"));
    appDir = join(dir, "app");
    // The seed policy allows alice to read mycompany/web; the shipped infrastructure/policy.yaml denies all.
    await run(
      process.execPath,
      ["scripts/build-image.mjs", "--out", appDir, "--policy", "wrangler-free-local/seed/policy.yaml"],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
  }, 300_000);

  afterAll(async () => {
    if (broker && broker.exitCode === null) broker.kill("SIGKILL");
    await Promise.allSettled([github?.close(), idp?.close(), aws?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("holds the bundled CLI, production dependencies only, and the checked policy", async () => {
    const modules = await readdir(join(appDir, "node_modules"));
    expect(modules).toEqual(expect.arrayContaining(["hono", "jose", "@aws-sdk", "pino"]));
    for (const dev of ["vitest", "typescript", "aws-cdk-lib", "@biomejs", "fast-check", "mcp-remote"]) {
      expect(modules).not.toContain(dev);
    }
    const bundle = await readFile(join(appDir, "dist/repogate.mjs"), "utf8");
    expect(bundle).toContain("repogate local is not part of the production image");
    expect(await readFile(join(appDir, "policy.yaml"), "utf8")).toBe(
      await readFile(join(REPO_ROOT, "wrangler-free-local/seed/policy.yaml"), "utf8"),
    );
  });

  it("refuses a policy the broker would refuse, and an output directory that is not empty", async () => {
    const bad = join(REPO_ROOT, "test/fixtures/policies/bad-operation.yaml");
    await expect(
      run(process.execPath, ["scripts/build-image.mjs", "--out", join(dir, "bad"), "--policy", bad], {
        cwd: REPO_ROOT,
      }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('must be one of read, analyze, diff (got "write")'),
    });
    await expect(readdir(join(dir, "bad"))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(
      run(process.execPath, ["scripts/build-image.mjs", "--out", appDir], { cwd: REPO_ROOT }),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("is not empty") });
  }, 120_000);

  it("boots with the task's environment against the emulators, serves a tool call, and stops on SIGTERM", async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    github = await startGitHubEmulator({ dataDir: join(dir, "github"), port: 0 });
    aws = await startAwsEmulator({ dataDir: join(dir, "aws"), port: 0 });
    idp = await startDevIdp({ dataDir: join(dir, "idp"), port: 0, resourceUrls: [`${publicUrl}/mcp`] });

    // What `repogate setup github-app` and the stack leave in AWS: the App key under its alias, the secrets.
    const at = { endpoint: aws.url, region: "us-east-1", credentials: CREDENTIALS };
    const kms = new KMSClient(at);
    const secrets = new SecretsManagerClient(at);
    await importRsaKeyIntoKms(kms, await readFile(github.app.privateKeyPath, "utf8"), {
      alias: APP_KEY_ALIAS,
    });
    const apiKeys = await secrets.send(
      new CreateSecretCommand({ Name: "repogate-api-keys", SecretString: JSON.stringify({ apiKeys: [] }) }),
    );
    const webhook = await secrets.send(
      new CreateSecretCommand({ Name: "repogate-webhook", SecretString: "h" }),
    );
    kms.destroy();
    secrets.destroy();

    // The task definition's environment, as the CDK renders it for these values.
    const settings = parseDeploymentSettings({
      domainName: "repogate.example.com",
      certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc",
      oidcIssuer: "https://sso.example.com",
      githubAppId: github.app.id,
      imageTag: "test",
    });
    const taskEnvironment = brokerEnvironment(settings, {
      region: "us-east-1",
      policyFile: join(appDir, "policy.yaml"),
      trustProxyHops: 1,
      auditLogGroup: { logGroupName: AUDIT_LOG_GROUP } as logs.ILogGroup,
      secrets: {
        apiKeys: { secretArn: apiKeys.ARN } as secretsmanager.ISecret,
        webhookSecret: { secretArn: webhook.ARN } as secretsmanager.ISecret,
      },
      extra: { REPOGATE_HOST: "127.0.0.1", REPOGATE_PORT: String(port) },
    });
    // Only what differs between AWS and this machine: the endpoints, the plain-HTTP URLs, the temp directory.
    const endpoints = join(dir, "endpoints.yaml");
    await writeFile(
      endpoints,
      `github:\n  signer: { type: kms, keyId: ${APP_KEY_ALIAS}, endpoint: "${aws.url}", region: us-east-1 }\naws:\n  endpoint: "${aws.url}"\n`,
    );
    const environment = {
      ...taskEnvironment,
      REPOGATE_CONFIG: endpoints,
      REPOGATE_PUBLIC_URL: publicUrl,
      REPOGATE_OIDC_ISSUER: idp.issuer,
      REPOGATE_OIDC_AUDIENCES: `${publicUrl}/mcp`,
      REPOGATE_GITHUB_API_URL: github.url,
      REPOGATE_GITHUB_CLIENT_ID: github.app.clientId,
      REPOGATE_AUDIT_FILE: join(dir, "tmp/audit/audit.jsonl"),
      PATH: process.env.PATH,
      HOME: join(dir, "tmp"),
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const before = await snapshot(appDir);

    const child = spawn(process.execPath, [join(appDir, "dist/repogate.mjs"), "serve"], {
      cwd: appDir,
      env: environment,
      stdio: ["ignore", "pipe", "pipe"],
    });
    broker = child;
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const output = () => `${stdout}\n${stderr}`;
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));

    expect((await waitForHttp(`${publicUrl}/healthz`, child, output)).status).toBe(200);
    const ready = await fetch(`${publicUrl}/readyz`);
    expect(ready.status, await ready.text()).toBe(200);

    const token = (await devLogin({ issuer: idp.issuer, user: USERS.alice, resource: `${publicUrl}/mcp` }))
      .access_token;
    const client = await connectWithToken(`${publicUrl}/mcp`, token);
    const result = await callTool(client, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "README.md",
    });
    expect(result.isError, result.text).toBe(false);
    expect(result.text).toContain("# web");
    await client.close();

    child.kill("SIGTERM");
    expect(await exited).toBe(0);

    // The grant reached the CloudWatch audit trail (through the KMS-signed App JWT, the narrowed token).
    const logsClient = new CloudWatchLogsClient(at);
    const events = await logsClient.send(new FilterLogEventsCommand({ logGroupName: AUDIT_LOG_GROUP }));
    logsClient.destroy();
    const types = (events.events ?? []).map(
      (event) => (JSON.parse(event.message ?? "{}") as { type?: string }).type,
    );
    expect(types).toEqual(expect.arrayContaining(["token.grant", "token.revoke", "tool.call"]));
    // Metrics were flushed as EMF lines on stdout before exit.
    const emf = stdout
      .split("\n")
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) =>
          JSON.parse(line) as {
            ToolCalls?: number;
            Tool?: string;
            Route?: string;
            Status?: string;
            HttpRequests?: number;
          },
      );
    expect(emf.some((doc) => doc.ToolCalls === 1 && doc.Tool === "get_file_contents")).toBe(true);
    // The series the NoHealthyBroker alarm watches, with the route label the real app gives /healthz.
    expect(
      emf.some((doc) => doc.Route === "/healthz" && doc.Status === "200" && (doc.HttpRequests ?? 0) >= 1),
    ).toBe(true);
    // No token or JWT in anything it printed.
    expect(output()).not.toMatch(/ghs_[A-Za-z0-9_]{8,}|eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    // Read-only root filesystem: the app directory is exactly as built.
    expect(await snapshot(appDir)).toEqual(before);
  }, 120_000);
});
