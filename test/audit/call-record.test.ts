import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { type CallObserver, CallTrail } from "../../src/audit/call-record.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { readJsonlEvents } from "../../src/audit/records.ts";
import { httpAuditEvents, policyAuditEvents } from "../../src/audit/service-events.ts";
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

/** A grant for mycompany/web, as the broker reports one. */
const webGrant = {
  fingerprint: "00112233445566ff",
  installationId: 7,
  repositories: ["mycompany/web"],
  permissions: { contents: "read" },
  expiresAt: "2026-11-30T03:00:00Z",
  reused: false,
};

const request = { id: "r2", ip: "10.2.2.2", userAgent: "claude-desktop/1.0", tool: "get_file_contents" };

/** A path the JSONL sink cannot write under (a file where its directory should be): every write fails. */
async function unwritableAuditDir(name: string): Promise<string> {
  const { dir, cleanup } = await tempDir(name);
  cleanups.push(cleanup);
  const { writeFile } = await import("node:fs/promises");
  const blocked = `${dir}/file-not-dir`;
  await writeFile(blocked, "");
  return blocked;
}

describe("call records, and the audit events of the HTTP layer and policy store", () => {
  it("turn each fact into one schema-valid audit event carrying the call's principal and request", async () => {
    const { dir, cleanup } = await tempDir("hooks");
    cleanups.push(cleanup);
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    const errors: unknown[] = [];
    const call = new CallTrail(log).open(principal, request);
    const http = httpAuditEvents(log, (e) => errors.push(e));
    const policy = policyAuditEvents(log, (e) => errors.push(e));
    const grant = {
      fingerprint: "00112233445566ff",
      installationId: 7,
      repositories: ["MyCompany/Web"],
      permissions: { contents: "read" },
      expiresAt: "2026-11-30T03:00:00Z",
      reused: false,
    };
    await call.beforeMint();
    // An installation-listing grant carries fields the audit schema does not know: they become details.
    await call.granted({
      fingerprint: "ffeeddccbbaa0011",
      installationId: 7,
      repositories: [],
      permissions: { metadata: "read" },
      expiresAt: "2026-11-30T03:00:00Z",
      reused: false,
      purpose: "installation-listing",
      repositorySelection: "all",
    } as never);
    await call.granted(grant);
    await call.revoked({ ...grant, reason: "completed", attempts: 1 });
    await call.revokeFailed(new Error("boom"), { ...grant, reason: "completed", attempts: 2 });
    const decision = {
      allowed: false,
      code: "NOT_IN_WHITELIST",
      reason: "no rule matches othercorp/secret",
      rulePattern: null,
    } as unknown as PolicyDecision;
    await call.decided({ repository: "othercorp/secret", operation: "read", ref: null, decision });
    await call.finished({
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
    http.onAuthFailure({
      reason: "INSUFFICIENT_SCOPE",
      status: 403,
      ip: "10.1.1.1",
      requestId: "r3b",
      credential: "bearer-jwt",
      principal,
    });
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
      "auth.fail",
      "rate.limit",
      "policy.load",
      "policy.load.fail",
    ]);
    // Every fact of the call carries who made it and the request it came in, exactly.
    for (const event of events.slice(0, 6)) {
      expect(event.principal).toEqual({
        sub: "u-1",
        email: "carol@mycompany.example",
        groups: ["eng"],
        via: "oidc",
      });
      expect(event.request).toEqual(request);
    }
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
    expect(events[5]?.principal).toBeUndefined();
    // A valid credential without the scope: the trail says who was refused.
    expect(events[6]).toMatchObject({
      error: { code: "INSUFFICIENT_SCOPE" },
      principal: { sub: "u-1", email: "carol@mycompany.example" },
    });
    expect(JSON.stringify(events)).not.toContain("scopes");
  });

  it("make granted fail when the grant cannot be recorded, so the broker revokes the token", async () => {
    const blocked = await unwritableAuditDir("hooks-down");
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir: blocked, prefix: "audit" }) });
    const call = new CallTrail(log).open(principal, request);
    await expect(call.beforeMint()).resolves.toBeUndefined();
    expect(() => call.assertMintable()).not.toThrow();
    await expect(call.granted(webGrant)).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    // Now known down: the next request is refused before anything is minted, and a mint request that passed
    // beforeMint earlier is not sent.
    await expect(call.beforeMint()).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(() => call.assertMintable()).toThrow(expect.objectContaining({ code: "AUDIT_UNAVAILABLE" }));
    await log.close();
  });

  it("keeps refusing mints at send time after the retry window, until the sink is proven again", async () => {
    const blocked = await unwritableAuditDir("hooks-window");
    const log = await AuditLog.open({
      sink: new JsonlAuditSink({ dir: blocked, prefix: "audit" }),
      retryAfterMs: 0,
    });
    const call = new CallTrail(log).open(principal, request);
    await expect(call.granted(webGrant)).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    // The window is over, so beforeMint would probe; nothing has proven the sink yet, so a send is refused.
    expect(() => log.assertWritable()).not.toThrow();
    expect(() => call.assertMintable()).toThrow(expect.objectContaining({ code: "AUDIT_UNAVAILABLE" }));
    await log.close();
  });

  it("tells the observers after the trail took a fact, and about failures even when the trail refused them", async () => {
    const blocked = await unwritableAuditDir("observers");
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir: blocked, prefix: "audit" }) });
    const seen: string[] = [];
    const observer: CallObserver = {
      revokeFailed: (call, _error, revocation) =>
        void seen.push(`revokeFailed ${call.request.tool} ${revocation.reason}`),
      finished: (call, result) => void seen.push(`finished ${call.request.tool} ${result.outcome}`),
      granted: () => void seen.push("granted"),
    };
    const call = new CallTrail(log, [observer]).open(principal, request);
    const revocation = {
      fingerprint: "00112233445566ff",
      installationId: 7,
      repositories: ["mycompany/web"],
      reason: "completed" as const,
      attempts: 2,
    };
    // The sink cannot be written: the audit record fails, and the failure is still observed (metrics, log).
    await expect(call.revokeFailed(new Error("GitHub 502"), revocation)).rejects.toMatchObject({
      code: "AUDIT_UNAVAILABLE",
    });
    await expect(call.finished({ repository: null, outcome: "error", latencyMs: 1 })).rejects.toMatchObject({
      code: "AUDIT_UNAVAILABLE",
    });
    // A grant the trail refused is never observed as granted: the token it names is revoked unused.
    await expect(
      call.granted({
        ...revocation,
        permissions: { contents: "read" },
        expiresAt: "2026-11-30T03:00:00Z",
        reused: false,
      }),
    ).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(seen).toEqual(["revokeFailed get_file_contents completed", "finished get_file_contents error"]);
    await log.close();
  });

  it("lets an observer that throws on a success path fail the step, after the trail has the fact", async () => {
    const { dir, cleanup } = await tempDir("observer-throws");
    cleanups.push(cleanup);
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    const call = new CallTrail(log, [
      {
        granted: () => {
          throw new Error("metrics broke");
        },
      },
    ]).open(principal, request);
    await expect(call.granted(webGrant)).rejects.toThrow("metrics broke");
    await log.close();
    const events: AuditEvent[] = [];
    for await (const e of readJsonlEvents(await listJsonlFiles({ dir, prefix: "audit" }))) events.push(e);
    expect(events.map((e) => e.type)).toEqual(["token.grant"]);
  });
});
