import {
  discoverAuthorizationServerMetadata,
  registerClient,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { describe, expect, it } from "vitest";
import type { RunningDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { useTestIdp } from "./fixture.ts";

let idp: RunningDevIdp;
useTestIdp((started) => {
  idp = started;
});

describe("dev IdP discovery", () => {
  it("publishes OIDC discovery naming its endpoints, S256 only, and the broker scope", async () => {
    const res = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: `${idp.issuer}/auth`,
      token_endpoint: `${idp.issuer}/token`,
      registration_endpoint: `${idp.issuer}/reg`,
      jwks_uri: `${idp.issuer}/jwks`,
      code_challenge_methods_supported: ["S256"],
      response_types_supported: ["code"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(["openid", "email", "groups", "offline_access", "mcp:tools"]),
    );
    expect(doc.token_endpoint_auth_methods_supported).toContain("none");
    expect(doc.grant_types_supported).toEqual(
      expect.arrayContaining(["authorization_code", "refresh_token"]),
    );
  });

  it("serves the same metadata at the RFC 8414 well-known path", async () => {
    const oidc = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    const res = await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(oidc);
  });

  it("publishes one RS256 public signing key and no private parts", async () => {
    const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect(typeof key?.kid).toBe("string");
    for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(secret);
  });

  it("answers CORS preflights for discovery, JWKS, token and registration from any origin", async () => {
    for (const path of ["/.well-known/openid-configuration", "/jwks", "/token", "/reg"]) {
      const res = await fetch(`${idp.issuer}${path}`, {
        method: "OPTIONS",
        headers: {
          origin: "https://claude.ai",
          "access-control-request-method": path === "/token" || path === "/reg" ? "POST" : "GET",
          "access-control-request-headers": "content-type, mcp-protocol-version",
        },
      });
      expect(res.status, path).toBe(204);
      expect(res.headers.get("access-control-allow-origin"), path).toMatch(/^(\*|https:\/\/claude\.ai)$/);
    }
    const discovery = await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`, {
      headers: { origin: "https://claude.ai" },
    });
    expect(discovery.headers.get("access-control-allow-origin")).toMatch(/^(\*|https:\/\/claude\.ai)$/);
  });

  it("is discovered by the MCP SDK, which can register a public client with it", async () => {
    const metadata = await discoverAuthorizationServerMetadata(idp.issuer);
    expect(metadata).toBeDefined();
    expect(metadata?.issuer).toBe(idp.issuer);
    expect(metadata?.authorization_endpoint).toBe(`${idp.issuer}/auth`);
    expect(metadata?.registration_endpoint).toBe(`${idp.issuer}/reg`);

    const client = await registerClient(idp.issuer, {
      metadata,
      clientMetadata: {
        redirect_uris: ["http://localhost:33418/oauth/callback"],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        client_name: "SDK test client",
      },
      scope: "openid mcp:tools",
    });
    expect(client.client_id).toMatch(/.+/);
    expect(client.client_secret).toBeUndefined();
    expect(client.redirect_uris).toEqual(["http://localhost:33418/oauth/callback"]);
  });
});
