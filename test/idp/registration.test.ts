import {
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  refreshAuthorization,
  registerClient,
  startAuthorization,
} from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import { describe, expect, it } from "vitest";
import { devLogin, signInAtAuthorizationUrl } from "../../wrangler-free-local/idp/dev-login-client.ts";
import type { RunningDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { RESOURCE, useTestIdp, verifyAccessToken } from "./fixture.ts";

let idp: RunningDevIdp;
const testIdp = useTestIdp((started) => {
  idp = started;
});

/** What mcp-remote registers (its NodeOAuthClientProvider.clientMetadata). */
function mcpRemoteMetadata(port: number) {
  return {
    redirect_uris: [`http://localhost:${port}/oauth/callback`],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    client_name: "MCP CLI Proxy",
    client_uri: "https://github.com/modelcontextprotocol/mcp-cli",
    software_id: "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d",
    software_version: "0.1.0",
    scope: "openid mcp:tools",
  };
}

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  application_type: string;
  scope?: string;
}

async function register(body: Record<string, unknown>): Promise<Response> {
  return await fetch(`${idp.issuer}/reg`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "https://claude.ai" },
    body: JSON.stringify(body),
  });
}

describe("dynamic client registration", () => {
  it("registers mcp-remote's public loopback client as a native app, openly and with CORS", async () => {
    const res = await register(mcpRemoteMetadata(3334));
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const client = (await res.json()) as RegisteredClient;
    expect(client).toMatchObject({
      token_endpoint_auth_method: "none",
      application_type: "native",
      redirect_uris: ["http://localhost:3334/oauth/callback"],
      grant_types: ["authorization_code", "refresh_token"],
    });
    expect(client.client_secret).toBeUndefined();
    // A registered scope would cap later requests (offline_access); the dev IdP does not keep it.
    expect(client.scope).toBeUndefined();
  });

  it("lets the MCP SDK client run the whole code flow, refresh included, with a registered client", async () => {
    const metadata = await discoverAuthorizationServerMetadata(idp.issuer);
    const redirectUrl = "http://localhost:41999/oauth/callback";
    const clientInformation: OAuthClientInformationFull = await registerClient(idp.issuer, {
      metadata,
      clientMetadata: { ...mcpRemoteMetadata(41999), redirect_uris: [redirectUrl] },
      scope: "openid mcp:tools offline_access",
    });
    const { authorizationUrl, codeVerifier } = await startAuthorization(idp.issuer, {
      metadata,
      clientInformation,
      redirectUrl,
      scope: "openid mcp:tools offline_access",
      resource: new URL(RESOURCE),
      state: "sdk-state",
    });
    const { code } = await signInAtAuthorizationUrl(authorizationUrl.href, {
      issuer: idp.issuer,
      user: "pat@partner.example",
      redirectUri: redirectUrl,
      state: "sdk-state",
    });
    const tokens = await exchangeAuthorization(idp.issuer, {
      metadata,
      clientInformation,
      authorizationCode: code,
      codeVerifier,
      redirectUri: redirectUrl,
      resource: new URL(RESOURCE),
    });
    const claims = await verifyAccessToken(idp.issuer, tokens.access_token);
    expect(claims).toMatchObject({
      aud: RESOURCE,
      sub: "user-pat",
      groups: ["partner-integration"],
      client_id: clientInformation.client_id,
      scope: "mcp:tools",
    });
    expect(tokens.refresh_token).toBeDefined();

    const refreshed = await refreshAuthorization(idp.issuer, {
      metadata,
      clientInformation,
      refreshToken: tokens.refresh_token ?? "",
      resource: new URL(RESOURCE),
    });
    expect((await verifyAccessToken(idp.issuer, refreshed.access_token)).sub).toBe("user-pat");
  });

  it("accepts a registered loopback client on another port (RFC 8252), but not another path", async () => {
    const client = (await (await register(mcpRemoteMetadata(3335))).json()) as RegisteredClient;
    const tokens = await devLogin({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      clientId: client.client_id,
      redirectUri: "http://localhost:52001/oauth/callback",
    });
    expect((await verifyAccessToken(idp.issuer, tokens.access_token)).client_id).toBe(client.client_id);
    await expect(
      devLogin({
        issuer: idp.issuer,
        user: "alice@mycompany.example",
        clientId: client.client_id,
        redirectUri: "http://localhost:52001/other",
      }),
    ).rejects.toThrow(/redirect_uri/);
  });

  it("registers Claude's hosted callback as a web client and signs in through it", async () => {
    const res = await register({
      redirect_uris: ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      client_name: "Claude",
    });
    expect(res.status).toBe(201);
    const client = (await res.json()) as RegisteredClient;
    expect(client.application_type).toBe("web");
    const tokens = await devLogin({
      issuer: idp.issuer,
      user: "sam@mycompany.example",
      clientId: client.client_id,
      redirectUri: "https://claude.ai/api/mcp/auth_callback",
      resource: RESOURCE,
    });
    expect((await verifyAccessToken(idp.issuer, tokens.access_token)).groups).toEqual(["security"]);
  });

  it("refuses a registration without redirect URIs", async () => {
    const res = await register({ token_endpoint_auth_method: "none", client_name: "broken" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_redirect_uri");
  });

  it("keeps registered clients across a restart on the same data directory", async () => {
    const client = (await (await register(mcpRemoteMetadata(3336))).json()) as RegisteredClient;
    await testIdp.restart();
    const tokens = await devLogin({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      clientId: client.client_id,
      redirectUri: "http://localhost:3336/oauth/callback",
    });
    expect((await verifyAccessToken(idp.issuer, tokens.access_token)).client_id).toBe(client.client_id);
  });
});

describe("a client whose registration the IdP no longer has", () => {
  it("is told, in JSON when it asks for JSON, to register again and where", async () => {
    const url = new URL(`${idp.issuer}/auth`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: "forgotten-client",
      redirect_uri: "http://localhost:3337/oauth/callback",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      scope: "openid",
    }).toString();
    const asJson = await fetch(url, { redirect: "manual", headers: { accept: "application/json" } });
    expect(asJson.status).toBe(400);
    const body = (await asJson.json()) as Record<string, string>;
    expect(body.error).toBe("invalid_client");
    expect(body.error_description).toMatch(/client is not registered/);
    expect(body.registration_endpoint).toBe(`${idp.issuer}/reg`);

    const asPage = await fetch(url, { redirect: "manual", headers: { accept: "text/html" } });
    expect(asPage.status).toBe(400);
    expect(asPage.headers.get("content-type")).toMatch(/text\/html/);
    expect(await asPage.text()).toContain("invalid_client");
  });
});
