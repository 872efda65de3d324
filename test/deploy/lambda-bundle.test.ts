/**
 * The Lambda variant's real artifact: the bundle the CDK app builds with the local esbuild (index.mjs and the
 * deployed policy beside it), loaded by Node as Lambda loads it, with the function's environment from the
 * synthesized template, invoked with API Gateway HTTP API events against the GitHub and AWS emulators.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { KMSClient } from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_KEY_ALIAS } from "../../infrastructure/lib/keys.ts";
import { synthesize } from "../../infrastructure/test/synthesize.ts";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../../wrangler-free-local/aws/kms/import-key.ts";
import { type RunningGitHubEmulator, startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, "../..");
const CREDENTIALS = { accessKeyId: "emulator-test-key", secretAccessKey: "dummy-secret-for-tests" };
const DOMAIN = "repogate.example.com"; // the checked-in context's domainName
const AUDIT_LOG_GROUP = "/RepogateLambda/audit";

/** Loads the bundle in a fresh Node process (as Lambda does), invokes its handler once, returns the response. */
const INVOKE = `
import { writeFileSync } from "node:fs";
const [bundle, eventFile, resultFile] = process.argv.slice(1);
const { handler } = await import(bundle);
const event = JSON.parse((await import("node:fs")).readFileSync(eventFile, "utf8"));
writeFileSync(resultFile, JSON.stringify(await handler(event, {})));
`;

function httpApiEvent(body: unknown, authorization: string) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/mcp",
    rawQueryString: "",
    headers: {
      host: DOMAIN,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization,
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: DOMAIN,
      domainPrefix: "repogate",
      http: {
        method: "POST",
        path: "/mcp",
        protocol: "HTTP/1.1",
        sourceIp: "198.51.100.7",
        userAgent: "test",
      },
      requestId: "req-1",
      routeKey: "$default",
      stage: "$default",
      time: "07/Dec/2026:03:00:00 +0000",
      timeEpoch: 0,
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

describe("Lambda bundle", () => {
  let dir: string;
  let github: RunningGitHubEmulator;
  let aws: RunningAwsEmulator;
  let bundle: string;
  let environment: Record<string, string>;
  const key = generateApiKey();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "repogate-lambda-bundle-"));
    const { outdir, templates } = synthesize({ bundle: true });
    const manifest = JSON.parse(await readFile(join(outdir, "RepogateLambda.assets.json"), "utf8")) as {
      files: Record<string, { source: { path: string } }>;
    };
    const found = Object.values(manifest.files)
      .map((file) => join(outdir, file.source.path))
      .find((path) => existsSync(join(path, "index.mjs")));
    bundle = found as string;
    const fn = Object.values(
      templates.lambda.findResources("AWS::Lambda::Function", { Properties: { Handler: "index.handler" } }),
    )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };

    github = await startGitHubEmulator({ dataDir: join(dir, "github"), port: 0 });
    aws = await startAwsEmulator({ dataDir: join(dir, "aws"), port: 0 });
    const at = { endpoint: aws.url, region: "us-east-1", credentials: CREDENTIALS };
    const kms = new KMSClient(at);
    const secrets = new SecretsManagerClient(at);
    await importRsaKeyIntoKms(kms, await readFile(github.app.privateKeyPath, "utf8"), {
      alias: APP_KEY_ALIAS,
    });
    const apiKeys = await secrets.send(
      new CreateSecretCommand({
        Name: "repogate/api-keys",
        SecretString: JSON.stringify({
          apiKeys: [{ id: key.id, hash: key.hash, principal: { sub: "svc-ci" } }],
        }),
      }),
    );
    const webhook = await secrets.send(
      new CreateSecretCommand({ Name: "repogate/github-app/webhook-secret", SecretString: "h" }),
    );
    kms.destroy();
    secrets.destroy();

    // CloudFormation fills these references in at deploy time; here the emulators' values stand in.
    const resolved: Record<string, string> = {
      REPOGATE_AUDIT_LOG_GROUP: AUDIT_LOG_GROUP,
      REPOGATE_API_KEYS_SECRET: apiKeys.ARN as string,
      REPOGATE_WEBHOOK_SECRET_NAME: webhook.ARN as string,
    };
    const variables = fn.Properties.Environment.Variables;
    const references = Object.keys(variables).filter((name) => typeof variables[name] !== "string");
    expect(references.sort()).toEqual([...Object.keys(resolved), "REPOGATE_REDIS_URL"].sort());
    const endpoints = join(dir, "endpoints.yaml");
    await writeFile(
      endpoints,
      `github:\n  signer: { type: kms, keyId: ${APP_KEY_ALIAS}, endpoint: "${aws.url}", region: us-east-1 }\naws:\n  endpoint: "${aws.url}"\n`,
    );
    environment = {
      ...(Object.fromEntries(Object.entries(variables).filter(([, v]) => typeof v === "string")) as Record<
        string,
        string
      >),
      ...resolved,
      // Only what differs from AWS: the emulators' endpoints and App, and /var/task is the bundle directory.
      REPOGATE_CONFIG: endpoints,
      REPOGATE_GITHUB_API_URL: github.url,
      REPOGATE_GITHUB_APP_ID: String(github.app.id),
      REPOGATE_POLICY_FILE: join(bundle, "policy.yaml"),
      REPOGATE_AUDIT_FILE: join(dir, "tmp/audit/audit.jsonl"),
      PATH: process.env.PATH ?? "",
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: "true",
    };
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([github?.close(), aws?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function invoke(name: string, extraEnv: Record<string, string> = {}) {
    const eventFile = join(dir, `${name}.event.json`);
    const resultFile = join(dir, `${name}.result.json`);
    await writeFile(
      eventFile,
      JSON.stringify(
        httpApiEvent(
          {
            jsonrpc: "2.0",
            id: 1,
            method: "tools/call",
            params: {
              name: "get_file_contents",
              arguments: { owner: "mycompany", repo: "web", path: "README.md" },
            },
          },
          `Bearer ${key.key}`,
        ),
      ),
    );
    const { stdout } = await run(
      process.execPath,
      ["--input-type=module", "-e", INVOKE, join(bundle, "index.mjs"), eventFile, resultFile],
      { env: { ...environment, ...extraEnv }, cwd: bundle, maxBuffer: 16 * 1024 * 1024 },
    );
    const response = JSON.parse(await readFile(resultFile, "utf8")) as { statusCode: number; body: string };
    return { response, stdout };
  }

  it("enforces the deployed policy (it denies everything as shipped) and audits the denial in CloudWatch", async () => {
    const { response } = await invoke("deployed-policy");
    expect(response.statusCode, response.body).toBe(200);
    const result = JSON.parse(response.body).result as { isError?: boolean; content: { text: string }[] };
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/mycompany\/web/);
    expect(github.log.mints).toHaveLength(0);
  }, 60_000);

  it("serves an allowed tool call through the KMS-signed App JWT, revokes its token and flushes audit and EMF", async () => {
    const seedPolicy = join(REPO_ROOT, "wrangler-free-local/seed/policy.yaml");
    // The seed policy grants by group, which an API key does not carry; this rule allows the service account.
    const policy = join(dir, "allow-svc.yaml");
    await writeFile(
      policy,
      `${await readFile(seedPolicy, "utf8")}`.replace(
        /^repositories:\n/m,
        'repositories:\n  - pattern: "mycompany/web"\n    operations: [read]\n    subjects: [svc-ci]\n',
      ),
    );
    const { response, stdout } = await invoke("allowed", { REPOGATE_POLICY_FILE: policy });
    expect(response.statusCode, response.body).toBe(200);
    const result = JSON.parse(response.body).result as { isError?: boolean; content: unknown[] };
    expect(result.isError ?? false, JSON.stringify(result)).toBe(false);
    expect(JSON.stringify(result.content)).toContain("# web");
    expect(github.log.revocations.map((r) => r.tokenFingerprint)).toEqual(
      github.log.mints.map((m) => m.tokenFingerprint),
    );
    expect(stdout).toMatch(/"_aws":\{"Timestamp":\d+,"CloudWatchMetrics":\[\{"Namespace":"Repogate"/);

    const logs = new CloudWatchLogsClient({
      endpoint: aws.url,
      region: "us-east-1",
      credentials: CREDENTIALS,
    });
    const events = await logs.send(new FilterLogEventsCommand({ logGroupName: AUDIT_LOG_GROUP }));
    logs.destroy();
    const types = (events.events ?? []).map((e) => (JSON.parse(e.message ?? "{}") as { type?: string }).type);
    expect(types).toEqual(
      expect.arrayContaining(["access.deny", "token.grant", "token.revoke", "tool.call"]),
    );
  }, 60_000);
});
