/**
 * The Lambda handler, invoked as API Gateway (HTTP API, payload 2.0) invokes it: the broker is built from the
 * environment (config file, REPOGATE_SECRET_* secrets), a tool call is served, and by the time the invocation
 * returns (when Lambda freezes the environment) its token is revoked and every audit event is on disk.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listJsonlFiles } from "../../src/audit/index.ts";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import { createLambdaHandler, type RepogateLambda } from "../../src/lambda.ts";

type LambdaEvent = Parameters<RepogateLambda["handler"]>[0];
type LambdaContext = Parameters<RepogateLambda["handler"]>[1];

import { startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";

const DOMAIN = "repogate.example";

/** An API Gateway HTTP API (payload 2.0) event for `POST /mcp`. */
function apiGatewayEvent(body: unknown, headers: Record<string, string>): LambdaEvent {
  const event = {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/mcp",
    rawQueryString: "",
    headers: {
      host: DOMAIN,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: DOMAIN,
      domainPrefix: "repogate",
      http: { method: "POST", path: "/mcp", protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "t" },
      requestId: "lambda-req-1",
      routeKey: "$default",
      stage: "$default",
      time: "30/Nov/2026:02:00:00 +0000",
      timeEpoch: 0,
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
  return event as unknown as LambdaEvent;
}

describe("Lambda handler", () => {
  let dir: string;
  let github: Awaited<ReturnType<typeof startGitHubEmulator>>;
  let lambda: RepogateLambda;
  const key = generateApiKey();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "repogate-lambda-"));
    github = await startGitHubEmulator({ dataDir: join(dir, "github"), port: 0 });
    const configPath = join(dir, "repogate.json");
    await writeFile(
      configPath,
      JSON.stringify({
        publicUrl: `https://${DOMAIN}`,
        // Only API keys are used here; the IdP is never contacted.
        auth: { oidc: { issuer: "http://127.0.0.1:9/issuer", requiredScopes: ["mcp:tools"] } },
        github: {
          apiUrl: github.url,
          appId: github.app.id,
          signer: { type: "pem", privateKeyPath: github.app.privateKeyPath },
        },
        policy: { file: resolve("wrangler-free-local/seed/policy.yaml"), watch: false },
        audit: { file: join(dir, "audit", "audit.jsonl") },
        secrets: { apiKeysSecret: "repogate/api-keys" },
        metrics: { exporter: "none" },
        logLevel: "silent",
      }),
    );
    lambda = createLambdaHandler({
      REPOGATE_CONFIG: configPath,
      REPOGATE_SECRET_REPOGATE_API_KEYS: JSON.stringify([
        { id: key.id, hash: key.hash, principal: { sub: "svc-lambda", groups: ["eng"] } },
      ]),
    });
  }, 30_000);

  afterAll(async () => {
    await lambda?.close();
    await github?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves a tool call and returns only once its token is revoked and its audit events are stored", async () => {
    // A slow revocation: a server returns before it ends, a Lambda invocation must not.
    github.faults.add({
      kind: "latency",
      latencyMs: 300,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    const result = (await lambda.handler(
      apiGatewayEvent(
        {
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: {
            name: "get_file_contents",
            arguments: { owner: "mycompany", repo: "web", path: "README.md" },
          },
        },
        { authorization: `Bearer ${key.key}` },
      ),
      {} as LambdaContext,
    )) as { statusCode: number; body: string };
    expect(result.statusCode, result.body).toBe(200);
    const { result: toolResult } = JSON.parse(result.body);
    expect(toolResult.isError ?? false).toBe(false);
    expect(JSON.stringify(toolResult.content)).toContain("# web");

    // No waiting: at return the environment may be frozen, so the revocation must already have happened.
    expect(github.log.mints).toHaveLength(1);
    expect(github.log.revocations.map((r) => r.tokenFingerprint)).toEqual(
      github.log.mints.map((m) => m.tokenFingerprint),
    );
    const files = await listJsonlFiles({ dir: join(dir, "audit"), prefix: "audit" });
    const types = (await readFile(files.at(-1)?.path as string, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line).type);
    expect(types).toEqual(expect.arrayContaining(["token.grant", "token.revoke", "tool.call"]));
  });
});
