/**
 * The MCP SDK client signs in the way Claude does: 401 on initialize → Protected Resource Metadata →
 * the dev IdP's metadata → dynamic client registration → authorization code + PKCE (S256) with a
 * resource indicator → token → the nine tools, each called once against the real broker.
 */
import { type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInAtAuthorizationUrl } from "../../wrangler-free-local/idp/dev-login-client.ts";
import {
  callTool,
  type E2eStack,
  emulatorLog,
  startE2eStack,
  TOOL_NAMES,
  toolJson,
  USERS,
  waitForRevocations,
} from "./stack.ts";

/** An in-memory OAuth client whose "browser" is the dev login page, driven for one dev user. */
class DevUserOAuthProvider implements OAuthClientProvider {
  readonly redirectUrl = "http://127.0.0.1:47123/oauth/callback";
  readonly clientMetadata: OAuthClientMetadata = {
    redirect_uris: [this.redirectUrl],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    client_name: "repogate e2e (MCP SDK)",
  };
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = "";
  authorizationUrl?: URL;
  /** The code the IdP sent to the redirect URI, once the user has signed in. */
  code?: string;
  readonly #state = `state-${Math.random().toString(36).slice(2)}`;

  constructor(
    private readonly issuer: string,
    private readonly user: string,
  ) {}

  state() {
    return this.#state;
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
  async redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
    const { code } = await signInAtAuthorizationUrl(url.href, {
      issuer: this.issuer,
      user: this.user,
      redirectUri: this.redirectUrl,
      state: this.#state,
    });
    this.code = code;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

let stack: E2eStack;
let provider: DevUserOAuthProvider;
let alice: Client;

beforeAll(async () => {
  stack = await startE2eStack();
}, 30_000);

afterAll(async () => {
  await alice?.close();
  await stack?.close();
});

describe("the MCP SDK client with OAuth against the running broker", () => {
  it("is sent to the IdP by the 401 on initialize, registers, signs in with PKCE and connects", async () => {
    provider = new DevUserOAuthProvider(stack.issuer, USERS.alice);
    const first = new Client({ name: "e2e-oauth", version: "0.0.0" });
    const firstTransport = new StreamableHTTPClientTransport(new URL(stack.mcpUrl), {
      authProvider: provider,
    });
    await expect(first.connect(firstTransport)).rejects.toBeInstanceOf(UnauthorizedError);

    // Discovery went broker 401 → PRM → the dev IdP, and the SDK asked for exactly what the broker needs.
    const url = provider.authorizationUrl;
    expect(url?.origin).toBe(new URL(stack.issuer).origin);
    expect(url?.href.startsWith(`${stack.issuer}/auth?`)).toBe(true);
    expect(url?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url?.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(url?.searchParams.get("resource")).toBe(stack.mcpUrl);
    expect(url?.searchParams.get("scope")).toContain("mcp:tools");
    // Dynamic client registration happened at the dev IdP.
    expect(provider.client?.client_id).toMatch(/.+/);
    expect(provider.code).toMatch(/.+/);

    await firstTransport.finishAuth(provider.code ?? "");
    const token = provider.saved?.access_token ?? "";
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: stack.issuer,
      aud: stack.mcpUrl,
      email: USERS.alice,
      groups: ["eng"],
      client_id: provider.client?.client_id,
    });
    expect(String(claims.scope).split(" ")).toContain("mcp:tools");
    await first.close();

    alice = new Client({ name: "e2e-oauth", version: "0.0.0" });
    await alice.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider }));
    expect(alice.getServerVersion()?.name).toBe("repogate");
  });

  it("lists the nine tools", async () => {
    const { tools } = await alice.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
  });

  it("list_repositories: alice sees the mycompany repositories and facebook/react, no partner or denied ones", async () => {
    const r = await callTool(alice, "list_repositories", {});
    expect(r.isError).toBe(false);
    expect(r.text).toContain("mycompany/web");
    expect(r.text).toContain("mycompany/api-server");
    expect(r.text).toContain("facebook/react");
    expect(r.text).not.toContain("partner-org/");
    expect(r.text).not.toContain("mycompany/secrets-vault");
    expect(r.text).not.toContain("othercorp/secret");
  });

  it("get_file_contents returns the README of mycompany/web", async () => {
    const r = await callTool(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "README.md",
    });
    expect(r.isError).toBe(false);
    expect(r.text).toContain("# web");
    expect(r.text).toContain("The customer-facing web application of MyCompany");
  });

  it("get_repository_tree lists src/ of mycompany/web", async () => {
    const r = await callTool(alice, "get_repository_tree", {
      owner: "mycompany",
      repo: "web",
      path: "src",
      recursive: false,
    });
    expect(r.isError).toBe(false);
    const tree = toolJson(r) as { entries: Array<{ path: string; type: string }> };
    expect(tree.entries).toContainEqual(expect.objectContaining({ path: "src/app", type: "tree" }));
  });

  it("list_branches shows only main and stable on facebook/react", async () => {
    const r = await callTool(alice, "list_branches", { owner: "facebook", repo: "react" });
    expect(r.isError).toBe(false);
    const names = (toolJson(r).branches as Array<{ name: string }>).map((b) => b.name).sort();
    expect(names).toEqual(["main", "stable"]);
  });

  it("list_commits returns commits with SHAs", async () => {
    const r = await callTool(alice, "list_commits", { owner: "mycompany", repo: "web", per_page: 3 });
    expect(r.isError).toBe(false);
    const commits = toolJson(r).commits as Array<{ sha: string; message: string }>;
    expect(commits).toHaveLength(3);
    for (const c of commits) expect(c.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("get_commit returns the head of main with patches", async () => {
    const r = await callTool(alice, "get_commit", { owner: "mycompany", repo: "web", ref: "main" });
    expect(r.isError).toBe(false);
    const commit = toolJson(r) as { sha: string; files: Array<{ patch?: string }> };
    expect(commit.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(commit.files.some((f) => f.patch?.startsWith("@@"))).toBe(true);
  });

  it("compare_refs says feature/x is 3 commits ahead of main", async () => {
    const r = await callTool(alice, "compare_refs", {
      owner: "mycompany",
      repo: "web",
      base: "main",
      head: "feature/x",
    });
    expect(r.isError).toBe(false);
    expect(toolJson(r)).toMatchObject({ status: "ahead", ahead_by: 3 });
  });

  it("get_repository_overview has languages and the README", async () => {
    const r = await callTool(alice, "get_repository_overview", { owner: "mycompany", repo: "web" });
    expect(r.isError).toBe(false);
    const o = toolJson(r) as { default_branch: string; languages: Record<string, number> };
    expect(o.default_branch).toBe("main");
    expect(Object.keys(o.languages)).toContain("TypeScript");
    expect(r.text).toContain("README (README.md):\n# web");
  });

  it("search_code finds hits only in repositories alice may analyze", async () => {
    const r = await callTool(alice, "search_code", { query: "React" });
    expect(r.isError).toBe(false);
    const s = toolJson(r) as { searched_repositories: string[]; items: Array<{ repository: string }> };
    expect(s.searched_repositories.sort()).toEqual(["mycompany/api-server", "mycompany/web"]);
    expect(s.items.length).toBeGreaterThan(0);
    for (const item of s.items) expect(s.searched_repositories).toContain(item.repository);
  });

  it("narrowed every token (one repository per call; search: exactly the searched ones) and revoked each", async () => {
    const log = await waitForRevocations(stack.githubUrl);
    expect(log.mints.length).toBeGreaterThanOrEqual(9);
    const revoked = new Set(log.revocations.map((r) => r.tokenFingerprint));
    const multi: string[][] = [];
    for (const mint of log.mints) {
      expect(revoked.has(mint.tokenFingerprint), mint.tokenFingerprint).toBe(true);
      if (!mint.narrowed) {
        // list_repositories' installation listing: metadata only, never contents.
        expect(mint.permissions).toEqual({ metadata: "read" });
        continue;
      }
      expect(mint.permissions).toEqual({ contents: "read", metadata: "read" });
      if (mint.repositories.length > 1) multi.push([...mint.repositories].sort());
      else expect(mint.repositories).toHaveLength(1);
    }
    // search_code searches one owner's allowed repositories with one token narrowed to exactly those.
    expect(multi).toEqual([["mycompany/api-server", "mycompany/web"]]);
    // The SSO token never reached GitHub: every upstream request used an App JWT or a minted token.
    const after = await emulatorLog(stack.githubUrl);
    const minted = new Set(after.mints.map((m) => m.tokenFingerprint));
    expect(after.requests.length).toBeGreaterThan(0);
    for (const request of after.requests) {
      expect(request.auth, `${request.method} ${request.path}`).not.toBe("anonymous");
      expect(request.status, `${request.method} ${request.path}`).not.toBe(401);
      if (request.auth === "installation") expect(minted.has(request.tokenFingerprint ?? "")).toBe(true);
    }
  });
});
