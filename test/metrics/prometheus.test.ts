import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { register as globalRegistry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.ts";
import {
  createMetricsFromConfig,
  createMetricsHandler,
  createPrometheusMetrics,
  instrumentSigner,
  keyAgeDays,
  type RunningMetricsServer,
  recordGitHubResponse,
  startMetricsServer,
} from "../../src/metrics/index.ts";

const servers: RunningMetricsServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function recordEverything(metrics: ReturnType<typeof createPrometheusMetrics>) {
  metrics.recordToolCall({ tool: "get_file_contents", outcome: "ok", durationMs: 42 });
  metrics.recordToolCall({ tool: "get_file_contents", outcome: "ok", durationMs: 8 });
  metrics.recordToolCall({ tool: "search_code", outcome: "denied", durationMs: 3 });
  metrics.recordPolicyDecision({ decision: "deny", code: "NOT_IN_WHITELIST" });
  metrics.recordTokenGrant();
  metrics.recordTokenRevocation({ outcome: "ok" });
  metrics.recordTokenRevocation({ outcome: "failed", reason: "502" });
  metrics.recordAuthFailure({ reason: "TOKEN_EXPIRED" });
  metrics.recordRateLimitRefusal({ scope: "principal" });
  metrics.recordGitHubRequest({ status: 200 });
  metrics.setGitHubRateLimitRemaining({ installationId: 4242, remaining: 4990 });
  metrics.recordKmsSign({ outcome: "ok", durationMs: 30 });
  metrics.setAuditQueueDepth(7);
  metrics.recordAuditDeliveryFailure({ sink: "cloudwatch", reason: "ThrottlingException" });
  metrics.recordHttpRequest({ method: "post", route: "/mcp", status: 200, durationMs: 55 });
  metrics.setAppKeyAgeDays(91);
  metrics.recordSecretRefreshFailure({ outcome: "stale-served" });
}

describe("Prometheus metrics", () => {
  it("exposes every instrument with its labels in the exposition text", async () => {
    const metrics = createPrometheusMetrics();
    recordEverything(metrics);
    const text = await metrics.exposition();
    const expected = [
      'repogate_tool_calls_total{tool="get_file_contents",outcome="ok"} 2',
      'repogate_tool_calls_total{tool="search_code",outcome="denied"} 1',
      'repogate_tool_call_duration_seconds_bucket{le="0.05",tool="get_file_contents"} 2',
      'repogate_tool_call_duration_seconds_count{tool="get_file_contents"} 2',
      'repogate_policy_decisions_total{decision="deny",code="NOT_IN_WHITELIST"} 1',
      "repogate_token_grants_total 1",
      'repogate_token_revocations_total{outcome="ok"} 1',
      'repogate_token_revocations_total{outcome="failed"} 1',
      'repogate_token_revoke_failures_total{reason="502"} 1',
      'repogate_auth_failures_total{reason="TOKEN_EXPIRED"} 1',
      'repogate_rate_limit_refusals_total{scope="principal"} 1',
      'repogate_github_requests_total{status="200"} 1',
      'repogate_github_rate_limit_remaining{installation_id="4242"} 4990',
      'repogate_kms_sign_total{outcome="ok"} 1',
      "repogate_kms_sign_duration_seconds_count 1",
      "repogate_audit_queue_depth 7",
      'repogate_audit_delivery_failures_total{sink="cloudwatch",reason="ThrottlingException"} 1',
      'repogate_http_request_duration_seconds_count{method="POST",route="/mcp",status="200"} 1',
      "repogate_app_key_age_days 91",
      'repogate_secret_refresh_failures_total{outcome="stale-served"} 1',
    ];
    for (const line of expected) expect(text).toContain(line);
    expect(text).toContain("# TYPE repogate_tool_call_duration_seconds histogram");
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it("keeps each instance in its own registry, never the global one", async () => {
    const a = createPrometheusMetrics();
    const b = createPrometheusMetrics();
    a.recordTokenGrant();
    a.recordTokenGrant();
    expect(await a.exposition()).toContain("repogate_token_grants_total 2");
    expect(await b.exposition()).toContain("repogate_token_grants_total 0");
    expect(await globalRegistry.metrics()).not.toContain("repogate_");
  });

  it("clamps label values so a bug cannot create unbounded or odd series", async () => {
    const metrics = createPrometheusMetrics();
    metrics.recordAuthFailure({ reason: `bad"reason\n${"x".repeat(200)}` });
    const line = (await metrics.exposition())
      .split("\n")
      .find((l) => l.startsWith("repogate_auth_failures_total{"));
    expect(line).toMatch(/^repogate_auth_failures_total\{reason="bad_reason_x+"\} 1$/);
    expect(line?.length).toBeLessThan(120);
  });

  it("adds process metrics when asked, and follows the config's exporter choice", async () => {
    const configured = createMetricsFromConfig(
      parseConfig({
        publicUrl: "http://127.0.0.1:8700",
        auth: { oidc: { issuer: "http://127.0.0.1:8702", requiredScopes: ["mcp:tools"] } },
        github: { appId: 1, signer: { type: "pem", privateKeyPath: "x.pem" } },
        policy: { file: "p.yaml" },
      }),
    );
    expect(configured.prometheus).toBeDefined();
    expect(await configured.prometheus?.exposition()).toContain("repogate_process_cpu_seconds_total");
    expect(() => createMetricsFromConfig({ metrics: { ...parseMetrics(), exporter: "emf" } })).toThrow(
      /needs a writer/,
    );
  });
});

function parseMetrics() {
  return parseConfig({
    publicUrl: "http://127.0.0.1:8700",
    auth: { oidc: { issuer: "http://127.0.0.1:8702", requiredScopes: ["mcp:tools"] } },
    github: { appId: 1, signer: { type: "pem", privateKeyPath: "x.pem" } },
    policy: { file: "p.yaml" },
  }).metrics;
}

describe("/metrics endpoint", () => {
  it("refuses without the bearer token on the main app, serves with it", async () => {
    const metrics = createPrometheusMetrics();
    metrics.recordTokenGrant();
    const app = new Hono();
    app.get("/metrics", createMetricsHandler({ metrics, token: "scrape-token-123" }));
    const none = await app.request("/metrics");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    expect(await none.text()).not.toContain("repogate_");
    const wrong = await app.request("/metrics", { headers: { Authorization: "Bearer scrape-token-124" } });
    expect(wrong.status).toBe(401);
    const ok = await app.request("/metrics", { headers: { Authorization: "Bearer scrape-token-123" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await ok.text()).toContain("repogate_token_grants_total 1");
  });

  it("answers 503 when the token (from the secret store) cannot be read", async () => {
    const metrics = createPrometheusMetrics();
    const errors: unknown[] = [];
    const app = new Hono();
    app.get(
      "/metrics",
      createMetricsHandler({
        metrics,
        token: async () => {
          throw new Error("secret store down");
        },
        onTokenError: (e) => errors.push(e),
      }),
    );
    const res = await app.request("/metrics", { headers: { Authorization: "Bearer x" } });
    expect(res.status).toBe(503);
    expect(errors).toHaveLength(1);
  });

  it("serves on a separate port over HTTP, optionally with a token too", async () => {
    const metrics = createPrometheusMetrics();
    metrics.recordAuthFailure({ reason: "TOKEN_MISSING" });
    const open = await startMetricsServer({ metrics, port: 0 });
    servers.push(open);
    const res = await fetch(`${open.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('repogate_auth_failures_total{reason="TOKEN_MISSING"} 1');
    expect((await fetch(`${open.url}/other`)).status).toBe(404);
    const guarded = await startMetricsServer({ metrics, port: 0, token: async () => "t0ken" });
    servers.push(guarded);
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    const authed = await fetch(`${guarded.url}/metrics`, { headers: { authorization: "Bearer t0ken" } });
    expect(authed.status).toBe(200);
  });
});

describe("instrumentation helpers", () => {
  it("times KMS signs (ok and error) and leaves PEM signers alone", async () => {
    const metrics = createPrometheusMetrics();
    let fail = false;
    const kmsLike = {
      describe: () => ({ kind: "kms" as const, summary: "kms key test" }),
      sign: async () => {
        if (fail) throw new Error("denied");
        return new Uint8Array([1, 2, 3]);
      },
    };
    const signer = instrumentSigner(kmsLike, metrics);
    await expect(signer.sign("a.b")).resolves.toEqual(new Uint8Array([1, 2, 3]));
    fail = true;
    await expect(signer.sign("a.b")).rejects.toThrow("denied");
    const text = await metrics.exposition();
    expect(text).toContain('repogate_kms_sign_total{outcome="ok"} 1');
    expect(text).toContain('repogate_kms_sign_total{outcome="error"} 1');
    expect(text).toContain("repogate_kms_sign_duration_seconds_count 2");
    const pem = { describe: () => ({ kind: "pem" as const, summary: "pem" }), sign: kmsLike.sign };
    expect(instrumentSigner(pem, metrics)).toBe(pem);
  });

  it("records GitHub status and remaining rate limit per installation", async () => {
    const metrics = createPrometheusMetrics();
    recordGitHubResponse(metrics, { status: 200, headers: { "x-ratelimit-remaining": "4999" } }, 17);
    recordGitHubResponse(metrics, { status: 403, headers: {} }, 17);
    const text = await metrics.exposition();
    expect(text).toContain('repogate_github_requests_total{status="200"} 1');
    expect(text).toContain('repogate_github_requests_total{status="403"} 1');
    expect(text).toContain('repogate_github_rate_limit_remaining{installation_id="17"} 4999');
    expect(keyAgeDays(new Date("2026-01-01T00:00:00Z"), new Date("2026-04-01T12:00:00Z"))).toBe(90);
  });
});

describe("HTTP metrics middleware", () => {
  it("labels requests by route pattern, never by raw path, and lumps unmatched paths together", async () => {
    const { httpMetrics } = await import("../../src/metrics/index.ts");
    const metrics = createPrometheusMetrics();
    const app = new Hono();
    app.use("*", httpMetrics(metrics));
    app.get("/repos/:owner/:repo", (c) => c.text("ok"));
    app.post("/mcp", (c) => c.json({}, 401));
    await app.request("/repos/acme/secret-project");
    await app.request("/repos/acme/other");
    await app.request("/mcp", { method: "POST" });
    await app.request("/wp-admin/login.php");
    const text = await metrics.exposition();
    expect(text).toContain(
      'repogate_http_request_duration_seconds_count{method="GET",route="/repos/:owner/:repo",status="200"} 2',
    );
    expect(text).toContain(
      'repogate_http_request_duration_seconds_count{method="POST",route="/mcp",status="401"} 1',
    );
    expect(text).toContain(
      'repogate_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1',
    );
    expect(text).not.toContain("secret-project");
    expect(text).not.toContain("wp-admin");
  });
});

describe("call metrics", () => {
  it("counts policy decisions by code, tokens and tool calls by outcome from the call records", async () => {
    const { callMetrics } = await import("../../src/metrics/index.ts");
    const { AuditLog, CallTrail, JsonlAuditSink } = await import("../../src/audit/index.ts");
    const dir = await mkdtemp(join(tmpdir(), "repogate-call-metrics-"));
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    const metrics = createPrometheusMetrics();
    const principal = { sub: "u1", email: "alice@example.com", groups: [], via: "oidc" as const, scopes: [] };
    const call = new CallTrail(log, [callMetrics(metrics)]).open(principal, {
      id: "r1",
      tool: "get_file_contents",
    });
    await call.decided({
      repository: "acme/api",
      operation: "read",
      ref: null,
      decision: {
        allowed: false,
        code: "NOT_IN_WHITELIST",
        reason: "no rule matches acme/api",
        rulePattern: null,
      } as never,
    });
    const token = { fingerprint: "0123456789abcdef", installationId: 1, repositories: ["acme/api"] };
    await call.granted({
      ...token,
      permissions: { contents: "read" },
      expiresAt: "2026-11-30T02:00:00Z",
      reused: false,
    });
    await call.revoked({ ...token, reason: "completed", attempts: 1 });
    await call.revokeFailed(new Error("GitHub 502"), { ...token, reason: "shutdown", attempts: 2 });
    await call.finished({
      repository: "acme/api",
      outcome: "denied",
      latencyMs: 4,
      errorCode: "NOT_IN_WHITELIST",
    });
    await log.close();
    await rm(dir, { recursive: true, force: true });
    const text = await metrics.exposition();
    expect(text).toContain('repogate_policy_decisions_total{decision="deny",code="NOT_IN_WHITELIST"} 1');
    expect(text).toContain('repogate_tool_calls_total{tool="get_file_contents",outcome="denied"} 1');
    expect(text).toContain("repogate_token_grants_total 1");
    expect(text).toContain('repogate_token_revocations_total{outcome="ok"} 1');
    expect(text).toContain('repogate_token_revocations_total{outcome="failed"} 1');
    expect(text).toContain('repogate_token_revoke_failures_total{reason="shutdown"} 1');
    expect(text).not.toContain("alice");
    expect(text).not.toContain("acme/api");
  });
});
