import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { runWithAuditContext } from "../../src/audit/context.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import {
  brokerAuditHooks,
  httpAuditHooks,
  policyAuditHooks,
  toolAuditEvents,
} from "../../src/audit/hooks.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { readJsonlEvents } from "../../src/audit/records.ts";
import type { PolicyDecision } from "../../src/policy/index.ts";
import { tempDir } from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const principal = {
  sub: "u-1",
  email: "carol@mycompany.example",
  groups: ["eng"],
  via: "oidc" as const,
  scopes: ["mcp"],
};

describe("audit hooks for the broker, tools, HTTP layer and policy store", () => {
  it("turn each peer event into one schema-valid audit event", async () => {
    const { dir, cleanup } = await tempDir("hooks");
    cleanups.push(cleanup);
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    const errors: unknown[] = [];
    const broker = brokerAuditHooks(log);
    const tools = toolAuditEvents(log);
    const http = httpAuditHooks(log, (e) => errors.push(e));
    const policy = policyAuditHooks(log, (e) => errors.push(e));
    const grant = {
      fingerprint: "00112233445566ff",
      installationId: 7,
      repositories: ["MyCompany/Web"],
      permissions: { contents: "read" },
      expiresAt: "2026-11-30T03:00:00Z",
      reused: false,
    };
    await broker.beforeMint();
    // An installation-listing grant carries fields the audit schema does not know: they become details.
    await broker.onGrant({
      fingerprint: "ffeeddccbbaa0011",
      installationId: 7,
      repositories: [],
      permissions: { metadata: "read" },
      expiresAt: "2026-11-30T03:00:00Z",
      reused: false,
      purpose: "installation-listing",
      repositorySelection: "all",
    } as never);
    await runWithAuditContext(
      { principal: { sub: "u-1", email: "carol@mycompany.example" }, request: { id: "r1" } },
      () => broker.onGrant(grant),
    );
    await broker.onRevoke({ ...grant, reason: "completed", attempts: 1 });
    await broker.onRevokeError(new Error("boom"), { ...grant, reason: "completed", attempts: 2 });
    const decision = {
      allowed: false,
      code: "NOT_IN_WHITELIST",
      reason: "no rule matches othercorp/secret",
      rulePattern: null,
    } as unknown as PolicyDecision;
    await tools.onDecision?.({
      principal,
      requestId: "r2",
      tool: "get_file_contents",
      repository: "othercorp/secret",
      operation: "read",
      ref: null,
      decision,
    });
    await tools.onToolResult?.({
      principal,
      requestId: "r2",
      tool: "get_file_contents",
      repository: "othercorp/secret",
      outcome: "denied",
      latencyMs: 3,
      errorCode: "NOT_IN_WHITELIST",
    });
    http.onAuthFailure({
      reason: "TOKEN_EXPIRED",
      status: 401,
      ip: "10.1.1.1",
      requestId: "r3",
      credential: "bearer-jwt",
    } as never);
    http.onRateLimited({
      limiter: "principal",
      retryAfterSec: 5,
      principal,
      ip: "10.1.1.1",
      requestId: "r4",
    });
    policy.onReload({
      policy: { digest: "d2", rules: [], source: "policy.yaml" } as never,
      previousDigest: "d1",
      trigger: "file-change",
    });
    policy.onReloadError(Object.assign(new Error("bad yaml"), { code: "POLICY_INVALID" }), {
      path: "policy.yaml",
      trigger: "signal",
      digestInForce: "d2",
    });
    await log.close();
    expect(errors).toEqual([]);
    const events: AuditEvent[] = [];
    for await (const e of readJsonlEvents(await listJsonlFiles({ dir, prefix: "audit" }))) events.push(e);
    expect(events.map((e) => e.type)).toEqual([
      "token.grant",
      "token.grant",
      "token.revoke",
      "token.revoke.fail",
      "access.deny",
      "tool.call",
      "auth.fail",
      "rate.limit",
      "policy.load",
      "policy.load.fail",
    ]);
    expect(events[0]).toMatchObject({
      details: { purpose: "installation-listing", repositorySelection: "all" },
      token: { repositories: [], permissions: { metadata: "read" } },
    });
    events.shift();
    expect(events[0]).toMatchObject({
      principal: { email: "carol@mycompany.example" },
      resource: { repo: "mycompany/web" },
    });
    expect(events[1]).toMatchObject({
      details: { reason: "completed" },
      token: { fingerprint: "00112233445566ff" },
    });
    expect(events[3]).toMatchObject({
      decision: { allowed: false, code: "NOT_IN_WHITELIST" },
      outcome: "denied",
    });
    expect(events[5]).toMatchObject({ error: { code: "TOKEN_EXPIRED" }, request: { ip: "10.1.1.1" } });
    expect(JSON.stringify(events)).not.toContain("scopes");
  });

  it("make onGrant fail when the grant cannot be recorded, so the broker revokes the token", async () => {
    const { dir, cleanup } = await tempDir("hooks-down");
    cleanups.push(cleanup);
    const { writeFile } = await import("node:fs/promises");
    const blocked = `${dir}/file-not-dir`;
    await writeFile(blocked, "");
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir: blocked, prefix: "audit" }) });
    const hooks = brokerAuditHooks(log);
    await expect(hooks.beforeMint()).resolves.toBeUndefined();
    await expect(
      hooks.onGrant({
        fingerprint: "00112233445566ff",
        installationId: 7,
        repositories: ["mycompany/web"],
        permissions: { contents: "read" },
        expiresAt: "2026-11-30T03:00:00Z",
        reused: false,
      }),
    ).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    // Now known down: the next request is refused before anything is minted.
    await expect(hooks.beforeMint()).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    await log.close();
  });
});
