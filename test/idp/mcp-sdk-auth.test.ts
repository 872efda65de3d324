import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { auth, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInAtAuthorizationUrl } from "../../wrangler-free-local/idp/dev-login-client.ts";
import type { RunningDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { makeDataDir, removeDataDir, startTestIdp, verifyAccessToken } from "./fixture.ts";

/**
 * A stand-in for the broker's discovery surface only: Protected Resource Metadata (RFC 9728) naming
 * the dev IdP, as the broker will serve it. Everything else in this test is the real MCP SDK client.
 */
async function startResourceMetadataServer(
  issuer: () => string,
): Promise<{ server: Server; mcpUrl: string }> {
  let mcpUrl = "";
  const server = createServer((req, res) => {
    if (req.url === "/.well-known/oauth-protected-resource/mcp") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          resource: mcpUrl,
          authorization_servers: [issuer()],
          scopes_supported: ["mcp:tools"],
        }),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mcpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return { server, mcpUrl };
}

/** What mcp-remote's NodeOAuthClientProvider does, kept in memory. */
class InMemoryClientProvider implements OAuthClientProvider {
  readonly redirectUrl = "http://localhost:47111/oauth/callback";
  readonly clientMetadata: OAuthClientMetadata = {
    redirect_uris: [this.redirectUrl],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    client_name: "MCP CLI Proxy",
  };
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = "";
  authorizationUrl?: URL;

  state() {
    return "sdk-state";
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(client: OAuthClientInformationMixed) {
    this.client = client;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

let dataDir: string;
let idp: RunningDevIdp;
let prm: { server: Server; mcpUrl: string };

beforeAll(async () => {
  dataDir = await makeDataDir();
  prm = await startResourceMetadataServer(() => idp.issuer);
  idp = await startTestIdp(dataDir, { resourceUrls: [prm.mcpUrl] });
});

afterAll(async () => {
  await idp?.close();
  await new Promise((resolve) => prm?.server.close(resolve));
  await removeDataDir(dataDir);
});

describe("the MCP SDK's OAuth client against the dev IdP", () => {
  it("discovers, registers, sends the user to the IdP, and gets a token for the broker", async () => {
    const provider = new InMemoryClientProvider();
    expect(await auth(provider, { serverUrl: prm.mcpUrl })).toBe("REDIRECT");

    const url = provider.authorizationUrl;
    expect(url?.href.startsWith(`${idp.issuer}/auth?`)).toBe(true);
    expect(url?.searchParams.get("resource")).toBe(prm.mcpUrl);
    expect(url?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(provider.client?.client_id).toMatch(/.+/);

    const { code } = await signInAtAuthorizationUrl(url?.href ?? "", {
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      redirectUri: provider.redirectUrl,
      state: "sdk-state",
    });
    expect(await auth(provider, { serverUrl: prm.mcpUrl, authorizationCode: code })).toBe("AUTHORIZED");

    const claims = await verifyAccessToken(idp.issuer, provider.saved?.access_token ?? "", prm.mcpUrl);
    expect(claims).toMatchObject({
      aud: prm.mcpUrl,
      sub: "user-alice",
      email: "alice@mycompany.example",
      groups: ["eng"],
      scope: "mcp:tools",
      client_id: provider.client?.client_id,
    });
  });
});
