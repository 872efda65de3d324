import type { Account, Configuration, ProviderContext } from "oidc-provider";
import type { DevIdpKeys } from "./keys.ts";
import type { loadOidcProvider } from "./load-oidc-provider.ts";
import type { ProviderAdapter } from "./store.ts";
import type { DevUser } from "./users.ts";

/** Client id of the pre-registered public client `repogate token` signs in with. */
export const REPOGATE_CLI_CLIENT_ID = "repogate-cli";

/** The scope a token needs to call the broker's MCP tools; the only scope the broker resource defines. */
export const BROKER_SCOPE = "mcp:tools";

/** Every scope the IdP advertises in `scopes_supported`. */
export const SUPPORTED_SCOPES = ["openid", "offline_access", "email", "profile", "groups", BROKER_SCOPE];

/** Lifetimes in seconds; access tokens are short like a real IdP's so expiry paths get exercised. */
const TTL = {
  AccessToken: 60 * 60,
  AuthorizationCode: 60,
  IdToken: 60 * 60,
  RefreshToken: 14 * 24 * 60 * 60,
  Interaction: 10 * 60,
  Session: 8 * 60 * 60,
  Grant: 14 * 24 * 60 * 60,
  ClientCredentials: 10 * 60,
};

export interface ProviderSetup {
  issuer: string;
  users: DevUser[];
  /** Broker resource URLs (RFC 8707 resource indicators); the first is the default. */
  resources: string[];
  keys: DevIdpKeys;
  adapter: (model: string) => ProviderAdapter;
  accessTokenTtlSeconds?: number;
}

type OidcModule = Awaited<ReturnType<typeof loadOidcProvider>>;

/** Resource indicators are compared without one trailing slash (some clients add it, see P12). */
export function canonicalResource(resources: string[], requested: string): string | undefined {
  const strip = (u: string) => (u.endsWith("/") ? u.slice(0, -1) : u);
  return resources.find((r) => strip(r) === strip(requested));
}

/** Builds the oidc-provider configuration of the dev IdP. */
export function buildProviderConfiguration(oidc: OidcModule, setup: ProviderSetup): Configuration {
  const bySub = new Map(setup.users.map((u) => [u.sub, u]));
  const accessTokenTtl = setup.accessTokenTtlSeconds ?? TTL.AccessToken;
  const [defaultResource] = setup.resources;
  if (!defaultResource) throw new TypeError("the dev IdP needs at least one broker resource URL");

  const policy = oidc.interactionPolicy.base();
  // Always show the user picker, even with a live IdP session, so a developer can switch users
  // by signing in again; the check passes once this authorization request has a login result.
  policy
    .get("login")
    ?.checks.push(
      new oidc.interactionPolicy.Check(
        "dev_pick_user",
        "the dev IdP asks which user to sign in as on every authorization",
        "login_required",
        (ctx) => (ctx.oidc.result?.login ? oidc.interactionPolicy.Check.NO_NEED_TO_PROMPT : true),
      ),
    );

  return {
    adapter: setup.adapter,
    jwks: setup.keys.jwks,
    cookies: { keys: setup.keys.cookieKeys },
    clients: [
      {
        client_id: REPOGATE_CLI_CLIENT_ID,
        client_name: "repogate CLI",
        application_type: "native",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        // Native loopback URIs: any port is accepted at /auth (RFC 8252 section 7.3).
        redirect_uris: ["http://127.0.0.1/callback", "http://localhost/callback"],
      },
    ],
    async findAccount(_ctx: ProviderContext, sub: string): Promise<Account | undefined> {
      const user = bySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        claims: () => ({
          sub: user.sub,
          email: user.email,
          email_verified: true,
          name: user.name,
          preferred_username: user.email,
          groups: user.groups,
        }),
      };
    },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username"],
      groups: ["groups"],
    },
    scopes: SUPPORTED_SCOPES,
    responseTypes: ["code"],
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    ttl: { ...TTL, AccessToken: accessTokenTtl },
    interactions: {
      url: (_ctx: ProviderContext, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      policy,
    },
    // Claims the broker authorizes on travel in the access token itself, whatever scopes were asked.
    async extraTokenClaims(_ctx: ProviderContext, token: { kind: string; accountId?: string }) {
      if (token.kind !== "AccessToken" || !token.accountId) return undefined;
      const user = bySub.get(token.accountId);
      return user ? { email: user.email, name: user.name, groups: user.groups } : undefined;
    },
    extraClientMetadata: {
      properties: ["scope"],
      validator: relaxRegisteredMetadata,
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: ProviderContext, _client: unknown, oneOf?: string[]) =>
          oneOf?.[0] ?? defaultResource,
        // Use the resource granted at /auth when the token request names none (openid would otherwise win).
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: ProviderContext, indicator: string) => {
          const audience = canonicalResource(setup.resources, indicator);
          if (!audience) throw new oidc.errors.InvalidTarget(`unknown resource indicator ${indicator}`);
          return {
            scope: BROKER_SCOPE,
            audience,
            accessTokenFormat: "jwt",
            accessTokenTTL: accessTokenTtl,
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    renderError: async (ctx: ProviderContext, out: Record<string, unknown>) => {
      if (ctx.accepts("html", "json") === "json") {
        ctx.type = "json";
        ctx.body = out.error === "invalid_client" ? staleClientAnswer(setup.issuer, out) : out;
        return;
      }
      ctx.type = "html";
      ctx.body = errorPage(String(out.error ?? "error"), String(out.error_description ?? ""));
    },
  };
}

/**
 * Registration-time adjustments (called by oidc-provider for every client before validation):
 * - a registered `scope` would cap what the client may ask for later, and MCP clients register the
 *   resource's scopes and then also ask for offline_access; the dev IdP lets any client ask for any
 *   supported scope instead.
 * - a client whose redirect URIs are all http loopback is a native app (RFC 8252), which makes
 *   oidc-provider accept any port on them, as mcp-remote and Claude Code pick a free port.
 */
function relaxRegisteredMetadata(
  _ctx: unknown,
  key: string,
  _value: unknown,
  metadata: Record<string, unknown>,
) {
  if (key !== "scope") return;
  delete metadata.scope;
  const uris = Array.isArray(metadata.redirect_uris) ? (metadata.redirect_uris as unknown[]) : [];
  const loopbackOnly =
    uris.length > 0 &&
    uris.every((u) => {
      const url = typeof u === "string" ? URL.parse(u) : null;
      return url?.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
    });
  if (loopbackOnly) metadata.application_type = "native";
}

/**
 * An unknown client_id at /auth usually means the IdP's data directory was wiped while a client
 * kept its registration. mcp-remote probes /auth with `Accept: application/json` and registers
 * again when the answer says the client is not registered and names the registration endpoint.
 */
function staleClientAnswer(issuer: string, out: Record<string, unknown>): Record<string, unknown> {
  return {
    ...out,
    error_description:
      "client is not registered at this dev IdP (was its data directory reset?); register again",
    registration_endpoint: `${issuer}/reg`,
  };
}

/** Minimal escaping for text put in the dev IdP's HTML pages. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

function errorPage(error: string, description: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>repogate dev IdP: ${escapeHtml(error)}</title></head>
<body><h1>Sign-in failed</h1><p><code>${escapeHtml(error)}</code></p><p>${escapeHtml(description)}</p></body></html>`;
}
