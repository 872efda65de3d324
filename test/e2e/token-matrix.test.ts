/**
 * Checklist item 13 against the running broker over HTTP: every bad credential is answered 401 (403 for
 * a valid token without the broker's scope) with a challenge naming the Protected Resource Metadata,
 * and the tool never runs: the GitHub emulator sees no request and no token mint at all.
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import {
  CompactSign,
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { type E2eStack, emulatorLog, startE2eStack, USERS } from "./stack.ts";

let stack: E2eStack;
let prmUrl: string;
/** A real access token for alice, and the claims and header to forge variants from. */
let realToken: string;
let realClaims: JWTPayload;
let realKid: string;
let idToken: string;
/** The dev IdP's own signing key (read from its data dir), so claim checks are tested in isolation. */
let idpKey: Awaited<ReturnType<typeof importJWK>>;
let idpPublicPem: string;
const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 });

const now = () => Math.floor(Date.now() / 1000);

async function signWith(
  key: Parameters<SignJWT["sign"]>[0],
  claims: JWTPayload,
  header: { alg: string; kid?: string; typ?: string },
): Promise<string> {
  return await new SignJWT(claims).setProtectedHeader(header).sign(key);
}

/** The real token's claims with some replaced or removed (undefined). */
function claimsWith(changes: Record<string, unknown>): JWTPayload {
  const claims: Record<string, unknown> = { ...realClaims, iat: now(), exp: now() + 600 };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  return claims as JWTPayload;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A tools/call that, were it to run, would mint a token at the GitHub emulator. */
async function probe(headers: Record<string, string>): Promise<Response> {
  return await fetch(stack.mcpUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name: "get_file_contents",
        arguments: { owner: "mycompany", repo: "web", path: "README.md" },
      },
    }),
  });
}

beforeAll(async () => {
  stack = await startE2eStack();
  prmUrl = `${new URL(stack.mcpUrl).origin}/.well-known/oauth-protected-resource/mcp`;
  const tokens = await devLogin({ issuer: stack.issuer, user: USERS.alice, resource: stack.mcpUrl });
  realToken = tokens.access_token;
  idToken = tokens.id_token ?? "";
  realClaims = decodeJwt(realToken);
  realKid = decodeProtectedHeader(realToken).kid ?? "";
  const jwks = JSON.parse(await readFile(path.join(stack.dataDir, "idp", "jwks.json"), "utf8")) as {
    keys: JWK[];
  };
  const jwk = jwks.keys.find((k) => k.kid === realKid);
  if (!jwk) throw new Error("the IdP's signing key is not in its data dir");
  idpKey = await importJWK(jwk, "RS256");
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  idpPublicPem = createPublicKey({ key: publicJwk as never, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();
}, 30_000);

afterAll(async () => {
  await stack?.close();
});

interface Case {
  name: string;
  headers: () => Promise<Record<string, string>>;
  status: 401 | 403;
  /** The `error` of the challenge; undefined when the request carried no bearer credential. */
  error?: "invalid_token" | "insufficient_scope";
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ATTACKER = () => ({ alg: "RS256", kid: realKid, typ: "at+jwt" });

const CASES: Case[] = [
  { name: "no Authorization header", headers: async () => ({}), status: 401 },
  {
    name: "another scheme (Basic)",
    headers: async () => ({ authorization: "Basic YWxpY2U6cHc=" }),
    status: 401,
  },
  {
    name: "Bearer with no token",
    headers: async () => ({ authorization: "Bearer " }),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "two bearer tokens",
    headers: async () => ({ authorization: `Bearer ${realToken} ${realToken}` }),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "garbage bearer token",
    headers: async () => bearer("not-a-jwt"),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "alg: none",
    headers: async () => bearer(`${b64url({ alg: "none", typ: "at+jwt" })}.${b64url(claimsWith({}))}.`),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "HS256 signed with the IdP's public key as the secret",
    headers: async () =>
      bearer(
        await signWith(new TextEncoder().encode(idpPublicPem), claimsWith({}), {
          alg: "HS256",
          kid: realKid,
          typ: "at+jwt",
        }),
      ),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "expired (signed by the IdP's key)",
    headers: async () =>
      bearer(await signWith(idpKey, claimsWith({ iat: now() - 7200, exp: now() - 3600 }), ATTACKER())),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "not yet valid: nbf in 10 minutes (IdP's key)",
    headers: async () => bearer(await signWith(idpKey, claimsWith({ nbf: now() + 600 }), ATTACKER())),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "no exp (IdP's key)",
    headers: async () => bearer(await signWith(idpKey, claimsWith({ exp: undefined }), ATTACKER())),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "another issuer (IdP's key)",
    headers: async () =>
      bearer(await signWith(idpKey, claimsWith({ iss: "http://127.0.0.1:1/other-idp" }), ATTACKER())),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "another audience (IdP's key)",
    headers: async () =>
      bearer(await signWith(idpKey, claimsWith({ aud: "https://graph.example/api" }), ATTACKER())),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "another audience signed by a second key (unknown kid)",
    headers: async () =>
      bearer(
        await signWith(otherKey.privateKey, claimsWith({ aud: "https://other.example/mcp" }), {
          alg: "RS256",
          kid: "attacker-key",
          typ: "at+jwt",
        }),
      ),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "a kid the IdP does not publish (IdP's key, claims valid)",
    headers: async () =>
      bearer(await signWith(idpKey, claimsWith({}), { alg: "RS256", kid: "retired-key", typ: "at+jwt" })),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "exp 1e309, which JSON parses to Infinity (IdP's key)",
    headers: async () => {
      const payload = JSON.stringify(claimsWith({ exp: 0 })).replace('"exp":0', '"exp":1e309');
      return bearer(
        await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(ATTACKER()).sign(idpKey),
      );
    },
    status: 401,
    error: "invalid_token",
  },
  {
    name: "issued more than 24 h ago, exp still ahead (IdP's key)",
    headers: async () =>
      bearer(await signWith(idpKey, claimsWith({ iat: now() - 25 * 3600, exp: now() + 600 }), ATTACKER())),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "signed by another key under the IdP's kid",
    headers: async () => bearer(await signWith(otherKey.privateKey, claimsWith({}), ATTACKER())),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "the ID token instead of the access token",
    headers: async () => bearer(idToken),
    status: 401,
    error: "invalid_token",
  },
  {
    name: "a valid token without the mcp:tools scope",
    headers: async () => bearer(await signWith(idpKey, claimsWith({ scope: "openid email" }), ATTACKER())),
    status: 403,
    error: "insufficient_scope",
  },
];

describe("checklist item 13: the token matrix on POST /mcp tools/call", () => {
  it("has a real ID token to present (aud is the client, not the broker)", () => {
    expect(idToken.split(".")).toHaveLength(3);
    expect(decodeJwt(idToken).aud).not.toBe(stack.mcpUrl);
  });

  for (const c of CASES) {
    it(`${c.name} → ${c.status}, challenge with resource_metadata, nothing reaches GitHub`, async () => {
      const headers = await c.headers();
      const before = await emulatorLog(stack.githubUrl);
      const response = await probe(headers);
      const body = await response.text();
      expect(response.status).toBe(c.status);
      const challenge = extractWWWAuthenticateParams(response);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(challenge.resourceMetadataUrl?.href).toBe(prmUrl);
      expect(challenge.scope).toContain("mcp:tools");
      expect(challenge.error).toBe(c.error);
      // The body says what is wrong without echoing the credential or a stack trace.
      const presented = headers.authorization?.split(" ")[1];
      if (presented) expect(body).not.toContain(presented);
      expect(body).not.toMatch(/\n\s+at /);
      const after = await emulatorLog(stack.githubUrl);
      expect(after.mints.length - before.mints.length).toBe(0);
      expect(after.requests.length - before.requests.length).toBe(0);
    });
  }

  it("the same probe with the real token runs the tool and mints exactly one narrowed token", async () => {
    const before = await emulatorLog(stack.githubUrl);
    const response = await probe(bearer(realToken));
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      result: { isError?: boolean; content: Array<{ text: string }> };
    };
    expect(body.result.isError ?? false).toBe(false);
    expect(body.result.content.map((c) => c.text).join("\n")).toContain("# web");
    const after = await emulatorLog(stack.githubUrl);
    const mints = after.mints.slice(before.mints.length);
    expect(mints).toHaveLength(1);
    expect(mints[0]?.repositories).toEqual(["mycompany/web"]);
  });

  it("an unchanged copy of the claims signed with the IdP's key is accepted (so the forged variants fail on their change)", async () => {
    const forged = await signWith(idpKey, claimsWith({}), ATTACKER());
    const response = await probe(bearer(forged));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { result: { isError?: boolean } };
    expect(body.result.isError ?? false).toBe(false);
  });

  it("GET and DELETE /mcp without a token are challenged too (auth before the 405 of stateless mode)", async () => {
    for (const method of ["GET", "DELETE"]) {
      const response = await fetch(stack.mcpUrl, { method, headers: { accept: "text/event-stream" } });
      expect(response.status, method).toBe(401);
      expect(extractWWWAuthenticateParams(response).resourceMetadataUrl?.href, method).toBe(prmUrl);
      const authorized = await fetch(stack.mcpUrl, {
        method,
        headers: { accept: "text/event-stream", ...bearer(realToken) },
      });
      expect(authorized.status, method).toBe(405);
    }
  });

  it("a token in the query string is not accepted (bearer in header only)", async () => {
    const before = await emulatorLog(stack.githubUrl);
    const response = await fetch(`${stack.mcpUrl}?access_token=${encodeURIComponent(realToken)}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(401);
    expect(extractWWWAuthenticateParams(response).resourceMetadataUrl?.href).toBe(prmUrl);
    expect((await emulatorLog(stack.githubUrl)).mints.length).toBe(before.mints.length);
  });
});
