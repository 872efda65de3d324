import { createPublicKey } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOidcVerifier } from "../../src/auth/oidc-verifier.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { type RunningDevIdp, startDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { accessTokenClaims, type StubIssuer, startStubIssuer } from "../auth/stub-issuer.ts";
import { INITIALIZE, postMcp, type ServedApp, serveApp } from "./harness.ts";

const SCOPE = "mcp:tools";

let dataDir: string;
let idp: RunningDevIdp;
let stub: StubIssuer;
let idpApp: ServedApp;
let stubApp: ServedApp;
let otherResource: string;
const tokens = {
  alice: "",
  aliceId: "",
  pat: "",
  sam: "",
  nobody: "",
  noScope: "",
  otherAudience: "",
};

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "repogate-http-idp-"));
  stub = await startStubIssuer();
  idpApp = await serveApp(async (publicUrl) => {
    otherResource = `${publicUrl}/other-resource`;
    idp = await startDevIdp({ port: 0, dataDir, resourceUrls: [`${publicUrl}/mcp`, otherResource] });
    return {
      auth: {
        verifier: createOidcVerifier({ issuer: idp.issuer, audiences: [`${publicUrl}/mcp`] }),
        requiredScopes: [SCOPE],
      },
      rateLimit: { failedAuth: { points: 1000 } },
    };
  });
  stubApp = await serveApp(async (publicUrl) => ({
    auth: {
      verifier: createOidcVerifier({
        issuer: stub.issuer,
        audiences: [`${publicUrl}/mcp`],
        clockToleranceSec: 30,
      }),
      requiredScopes: [SCOPE],
    },
    rateLimit: { failedAuth: { points: 1000 } },
  }));
  const login = (user: string, extra: { resource?: string; scope?: string } = {}) =>
    devLogin({ issuer: idp.issuer, user, resource: idpApp.mcpUrl, ...extra });
  const alice = await login("alice@mycompany.example");
  tokens.alice = alice.access_token;
  tokens.aliceId = alice.id_token ?? "";
  tokens.pat = (await login("pat@partner.example")).access_token;
  tokens.sam = (await login("sam@mycompany.example")).access_token;
  tokens.nobody = (await login("nobody@mycompany.example")).access_token;
  tokens.noScope = (await login("pat@partner.example", { scope: "openid email" })).access_token;
  tokens.otherAudience = (await login("alice@mycompany.example", { resource: otherResource })).access_token;
}, 60_000);

afterAll(async () => {
  await idpApp?.close();
  await stubApp?.close();
  await idp?.close();
  await stub?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("valid tokens from the dev IdP (real auth-code + PKCE flow)", () => {
  it("map each dev user to a principal with their groups", async () => {
    const expected: Record<string, { sub: string; groups: string[] }> = {
      alice: { sub: "user-alice", groups: ["eng"] },
      pat: { sub: "user-pat", groups: ["partner-integration"] },
      sam: { sub: "user-sam", groups: ["security"] },
      nobody: { sub: "user-nobody", groups: [] },
    };
    for (const [name, want] of Object.entries(expected)) {
      const before = idpApp.calls.length;
      const token = tokens[name as keyof typeof tokens];
      const res = await postMcp(idpApp.mcpUrl, { authorization: `Bearer ${token}` }, INITIALIZE);
      expect(res.status, name).toBe(200);
      expect(idpApp.calls[before]?.principal).toMatchObject({
        ...want,
        via: "oidc",
        clientId: "repogate-cli",
        scopes: [SCOPE],
      });
      expect(idpApp.calls[before]?.principal.email).toMatch(/@/);
    }
  });

  it("answers a token without the broker scope with 403 insufficient_scope", async () => {
    const before = idpApp.calls.length;
    const res = await postMcp(idpApp.mcpUrl, { authorization: `Bearer ${tokens.noScope}` });
    expect(res.status).toBe(403);
    const params = extractWWWAuthenticateParams(res);
    expect(params.error).toBe("insufficient_scope");
    expect(params.scope).toBe(SCOPE);
    expect(params.resourceMetadataUrl?.href).toBe(`${idpApp.url}/.well-known/oauth-protected-resource/mcp`);
    expect(idpApp.calls.length).toBe(before);
  });
});

describe("token matrix (checklist item 13): each is 401 and the handler never runs", () => {
  async function expectRefused(app: ServedApp, authorization: string | undefined, error: string | undefined) {
    const before = app.calls.length;
    const res = await postMcp(app.mcpUrl, authorization === undefined ? {} : { authorization });
    expect(res.status).toBe(401);
    const params = extractWWWAuthenticateParams(res);
    expect(params.resourceMetadataUrl?.href).toBe(`${app.url}/.well-known/oauth-protected-resource/mcp`);
    expect(params.scope).toBe(SCOPE);
    expect(params.error).toBe(error);
    const body = await res.text();
    expect(body).not.toMatch(/jwks|stack|at .*\.ts/i);
    expect(app.calls.length).toBe(before);
  }

  it("refuses missing and malformed credentials", async () => {
    await expectRefused(idpApp, undefined, undefined);
    await expectRefused(idpApp, "Basic dXNlcjpwYXNz", undefined);
    await expectRefused(idpApp, "Bearer ", "invalid_token");
    await expectRefused(idpApp, `Bearer ${tokens.alice} ${tokens.alice}`, "invalid_token");
    await expectRefused(idpApp, "Bearer garbage", "invalid_token");
    await expectRefused(idpApp, `Bearer ${"a".repeat(9000)}.b.c`, "invalid_token");
  });

  it("refuses forged signatures: alg none, HS256 keyed with the IdP's public key, another key with the same kid", async () => {
    const header = decodeProtectedHeader(tokens.alice);
    const claims = decodeJwt(tokens.alice);
    await expectRefused(idpApp, `Bearer ${b64({ ...header, alg: "none" })}.${b64(claims)}.`, "invalid_token");

    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: JWK[] };
    const idpKey = jwks.keys.find((k) => k.kid === header.kid);
    expect(idpKey).toBeDefined();
    const pem = createPublicKey({ key: idpKey as JWK & { kty: string }, format: "jwk" }).export({
      type: "spki",
      format: "pem",
    });
    for (const secret of [String(pem), JSON.stringify(idpKey)]) {
      const hs = await new SignJWT(claims)
        .setProtectedHeader({ alg: "HS256", kid: header.kid, typ: "at+jwt" })
        .sign(new TextEncoder().encode(secret));
      await expectRefused(idpApp, `Bearer ${hs}`, "invalid_token");
    }

    const attacker = await generateKeyPair("RS256");
    const forged = await new SignJWT({ ...claims, groups: ["security"] })
      .setProtectedHeader({ alg: "RS256", kid: header.kid, typ: "at+jwt" })
      .sign(attacker.privateKey);
    await expectRefused(idpApp, `Bearer ${forged}`, "invalid_token");

    const [h, , s] = tokens.alice.split(".");
    await expectRefused(
      idpApp,
      `Bearer ${h}.${b64({ ...claims, groups: ["security"] })}.${s}`,
      "invalid_token",
    );
  });

  it("refuses real IdP tokens meant for something else: another resource, and the ID token", async () => {
    await expectRefused(idpApp, `Bearer ${tokens.otherAudience}`, "invalid_token");
    expect(tokens.aliceId).not.toBe("");
    await expectRefused(idpApp, `Bearer ${tokens.aliceId}`, "invalid_token");
    const reasons = idpApp.authFailures.map((e) => e.reason);
    expect(reasons).toContain("TOKEN_WRONG_AUDIENCE");
    expect(reasons).toContain("TOKEN_IS_ID_TOKEN");
  });

  it("refuses a token of another issuer", async () => {
    await expectRefused(
      idpApp,
      `Bearer ${await stub.sign(accessTokenClaims(stub.issuer, idpApp.mcpUrl))}`,
      "invalid_token",
    );
  });

  it("refuses bad claims signed by a trusted key (second, test-held issuer)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = (extra: Record<string, unknown>) => accessTokenClaims(stub.issuer, stubApp.mcpUrl, extra);
    const good = await stub.sign(claims({}));
    expect((await postMcp(stubApp.mcpUrl, { authorization: `Bearer ${good}` })).status).toBe(200);
    const bad = {
      expired: claims({ exp: now - 120, iat: now - 3600 }),
      notYetValid: claims({ nbf: now + 600 }),
      issuedInFuture: claims({ iat: now + 600, exp: now + 4200 }),
      missingExp: claims({ exp: undefined }),
      wrongIssuer: claims({ iss: "https://login.other.example" }),
      wrongAudience: claims({ aud: "https://graph.other.example" }),
      idTokenShape: claims({ nonce: "abc" }),
    };
    for (const [name, payload] of Object.entries(bad)) {
      const before = stubApp.authFailures.length;
      await expectRefused(stubApp, `Bearer ${await stub.sign(payload)}`, "invalid_token");
      expect(stubApp.authFailures[before]?.reason, name).toMatch(/^TOKEN_/);
    }
    expect(stubApp.authFailures.map((e) => e.reason)).toEqual(
      expect.arrayContaining([
        "TOKEN_EXPIRED",
        "TOKEN_CLAIMS_INVALID",
        "TOKEN_WRONG_ISSUER",
        "TOKEN_WRONG_AUDIENCE",
        "TOKEN_IS_ID_TOKEN",
      ]),
    );
  });

  it("never wrote a token to the logs or the audit events", () => {
    const logs = [...idpApp.logs, ...stubApp.logs].join("\n");
    const events = JSON.stringify([...idpApp.authFailures, ...stubApp.authFailures]);
    for (const token of Object.values(tokens)) {
      const signature = token.split(".")[2] ?? "";
      expect(signature.length).toBeGreaterThan(20);
      expect(logs).not.toContain(signature);
      expect(events).not.toContain(signature);
    }
  });
});

describe("identity provider faults (checklist item 22): 503 with Retry-After, never a 401 blamed on the caller", () => {
  it("answers 503 while the JWKS cannot be fetched, without running the handler or counting a failed sign-in", async () => {
    const fresh = await serveApp(async (publicUrl) => ({
      auth: {
        verifier: createOidcVerifier({ issuer: stub.issuer, audiences: [`${publicUrl}/mcp`] }),
        requiredScopes: [SCOPE],
      },
      rateLimit: { failedAuth: { points: 1 } },
    }));
    try {
      const token = await stub.sign(accessTokenClaims(stub.issuer, fresh.mcpUrl));
      for (const mode of ["http-500", "hang", "redirect", "not-json", "empty-object"] as const) {
        stub.setJwksMode(mode);
        try {
          const res = await postMcp(fresh.mcpUrl, { authorization: `Bearer ${token}` });
          expect(res.status, mode).toBe(503);
          expect(Number(res.headers.get("retry-after")), mode).toBeGreaterThan(0);
          expect(res.headers.get("www-authenticate"), mode).toBeNull();
          expect(await res.text(), mode).not.toMatch(/jwks|127\.0\.0\.1/i);
        } finally {
          stub.setJwksMode("ok");
        }
      }
      expect(fresh.calls).toHaveLength(0);
      // Reported (for metrics and the audit trail) as the IdP's failure, not the caller's.
      expect(fresh.authFailures.map((e) => `${e.reason} ${e.status}`)).toEqual(
        Array(5).fill("JWKS_UNAVAILABLE 503"),
      );
      // One allowed failure per IP: had the 503s counted, this would be a 429.
      expect((await postMcp(fresh.mcpUrl, { authorization: `Bearer ${token}` })).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});
