import { createHash, randomBytes, randomInt } from "node:crypto";
import { BROKER_SCOPE, REPOGATE_CLI_CLIENT_ID } from "./provider-config.ts";

/** Scopes `repogate token` asks for: identity claims in the ID token plus the broker's scope. */
export const DEFAULT_DEV_LOGIN_SCOPE = `openid email profile groups ${BROKER_SCOPE}`;

/** The token endpoint's answer (RFC 6749 section 5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  id_token?: string;
  refresh_token?: string;
}

type DevLoginErrorCode = "IDP_UNREACHABLE" | "IDP_LOGIN_FAILED" | "IDP_TOKEN_REQUEST_FAILED";

/** A step of the sign-in failed; `oauthError` carries the IdP's OAuth error code when it sent one. */
export class DevLoginError extends Error {
  constructor(
    readonly code: DevLoginErrorCode,
    message: string,
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = "DevLoginError";
  }
}

/** The dev login page does not offer the requested user. */
export class UnknownDevUserError extends Error {
  readonly code = "IDP_UNKNOWN_USER";
  constructor(
    readonly user: string,
    readonly knownUsers: string[],
  ) {
    super(`no dev user "${user}" at the dev IdP; known users: ${knownUsers.join(", ")}`);
    this.name = "UnknownDevUserError";
  }
}

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface AuthorizeOptions {
  issuer: string;
  /** Email of the dev user to pick on the login page. */
  user: string;
  codeChallenge: string;
  /** Sent as is; the IdP only accepts S256, tests send other values to see them refused. */
  codeChallengeMethod?: string;
  clientId?: string;
  /** Defaults to http://127.0.0.1:<random port>/callback; nothing needs to listen there. */
  redirectUri?: string;
  resource?: string;
  scope?: string;
  fetch?: typeof fetch;
  /** Deadline per HTTP request to the IdP (default DEV_LOGIN_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** What the authorization endpoint sent back to the client's redirect URI. */
export interface AuthorizationResult {
  code: string;
  redirectUri: string;
}

/** Deadline per HTTP request: an IdP that accepts the connection but never answers must not hang `repogate token`. */
export const DEV_LOGIN_TIMEOUT_MS = 10_000;

/** The caller's fetch (or the global one) with a deadline on every request that does not bring its own signal. */
function timedFetch(options: { fetch?: typeof fetch; timeoutMs?: number }): typeof fetch {
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEV_LOGIN_TIMEOUT_MS;
  return (input, init) => fetchFn(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
}

interface Endpoints {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string, fetchFn: typeof fetch): Promise<Endpoints> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const res = await send(fetchFn, url, {});
  if (!res.ok) throw new DevLoginError("IDP_UNREACHABLE", `${url} answered HTTP ${res.status}`);
  const doc = (await res.json()) as Partial<Endpoints> & { issuer?: string };
  if (doc.issuer !== issuer || !doc.authorization_endpoint || !doc.token_endpoint) {
    throw new DevLoginError("IDP_UNREACHABLE", `${url} is not the discovery document of issuer ${issuer}`);
  }
  return { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint };
}

async function send(fetchFn: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchFn(url, { redirect: "manual", ...init });
  } catch (cause) {
    throw new DevLoginError(
      "IDP_UNREACHABLE",
      `cannot reach the dev IdP at ${new URL(url).origin} (${(cause as Error).message}); is \`repogate local\` running?`,
    );
  }
}

/**
 * Runs the browser part of the authorization-code flow as a user agent would: GET /auth, follow the
 * redirects with the IdP's cookies, submit the dev login form for `user`, and return the code the IdP
 * sends to the redirect URI.
 */
export async function authorizeAsDevUser(options: AuthorizeOptions): Promise<AuthorizationResult> {
  const fetchFn = timedFetch(options);
  const { authorization_endpoint } = await discover(options.issuer, fetchFn);
  const redirectUri = options.redirectUri ?? `http://127.0.0.1:${randomInt(49152, 65535)}/callback`;
  const state = randomBytes(16).toString("base64url");
  const scope = options.scope ?? DEFAULT_DEV_LOGIN_SCOPE;
  const authUrl = new URL(authorization_endpoint);
  const params: Record<string, string | undefined> = {
    response_type: "code",
    client_id: options.clientId ?? REPOGATE_CLI_CLIENT_ID,
    redirect_uri: redirectUri,
    scope,
    state,
    nonce: randomBytes(16).toString("base64url"),
    code_challenge: options.codeChallenge,
    code_challenge_method: options.codeChallengeMethod ?? "S256",
    resource: options.resource,
    login_hint: options.user,
    // oidc-provider only keeps offline_access when consent is explicitly prompted (OIDC Core 11).
    prompt: scope.split(" ").includes("offline_access") ? "consent" : undefined,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) authUrl.searchParams.set(k, v);

  return await signInAtAuthorizationUrl(authUrl.href, {
    issuer: options.issuer,
    user: options.user,
    redirectUri,
    state,
    fetch: fetchFn,
  });
}

export interface SignInOptions {
  issuer: string;
  user: string;
  /** Where the IdP sends the result; the walk stops at the first redirect there. */
  redirectUri: string;
  /** When given, the redirect must carry exactly this state. */
  state?: string;
  fetch?: typeof fetch;
  /** Deadline per HTTP request to the IdP (default DEV_LOGIN_TIMEOUT_MS). */
  timeoutMs?: number;
}

/**
 * Plays the user agent for an authorization URL built by any client (ours, the MCP SDK's): follows
 * the IdP's redirects with its cookies, submits the dev login form for `user`, and returns the code
 * sent to the redirect URI. Nothing needs to listen on the redirect URI.
 */
export async function signInAtAuthorizationUrl(
  authorizationUrl: string,
  options: SignInOptions,
): Promise<AuthorizationResult> {
  const fetchFn = timedFetch(options);
  const { redirectUri } = options;
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  let url = authorizationUrl;
  let res = await send(fetchFn, url, { headers: {} });
  for (let step = 0; step < 12; step++) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";", 1);
      const eq = pair?.indexOf("=") ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1);
      // The IdP clears finished interaction cookies by sending them empty.
      if (value) cookies.set(name, value);
      else cookies.delete(name);
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (sameEndpoint(next, redirectUri))
        return readRedirect(next, redirectUri, options.state, options.issuer);
      url = next.href;
      res = await send(fetchFn, url, { headers: { cookie: cookieHeader() } });
      continue;
    }
    const body = await res.text();
    const form = res.status === 200 ? parseLoginForm(body) : undefined;
    if (!form) {
      throw new DevLoginError(
        "IDP_LOGIN_FAILED",
        `unexpected answer from the dev IdP at ${new URL(url).pathname}: HTTP ${res.status} ${summarize(body)}`,
      );
    }
    const chosen = form.users.find((u) => u.toLowerCase() === options.user.toLowerCase());
    if (!chosen) throw new UnknownDevUserError(options.user, form.users);
    url = new URL(form.action, url).href;
    res = await send(fetchFn, url, {
      method: "POST",
      headers: { cookie: cookieHeader(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: chosen }).toString(),
    });
  }
  throw new DevLoginError("IDP_LOGIN_FAILED", "the dev IdP redirected too many times");
}

export interface RedeemCodeOptions {
  issuer: string;
  code: string;
  redirectUri: string;
  /** Omit to see the IdP refuse a code issued with a PKCE challenge. */
  codeVerifier?: string;
  clientId?: string;
  resource?: string;
  fetch?: typeof fetch;
  /** Deadline per HTTP request to the IdP (default DEV_LOGIN_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** Exchanges an authorization code at the token endpoint (public client: no secret, PKCE verifier). */
export async function redeemAuthorizationCode(options: RedeemCodeOptions): Promise<TokenResponse> {
  const fetchFn = timedFetch(options);
  const { token_endpoint } = await discover(options.issuer, fetchFn);
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: options.code,
    redirect_uri: options.redirectUri,
    client_id: options.clientId ?? REPOGATE_CLI_CLIENT_ID,
  });
  if (options.codeVerifier !== undefined) form.set("code_verifier", options.codeVerifier);
  if (options.resource !== undefined) form.set("resource", options.resource);
  const res = await send(fetchFn, token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form.toString(),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<TokenResponse> & {
    error?: string;
    error_description?: string;
  };
  if (!res.ok || typeof body.access_token !== "string") {
    throw new DevLoginError(
      "IDP_TOKEN_REQUEST_FAILED",
      `token request refused: ${body.error ?? `HTTP ${res.status}`}${body.error_description ? ` (${body.error_description})` : ""}`,
      body.error,
    );
  }
  return body as TokenResponse;
}

export interface DevLoginOptions {
  issuer: string;
  user: string;
  resource?: string;
  scope?: string;
  clientId?: string;
  redirectUri?: string;
  fetch?: typeof fetch;
  /** Deadline per HTTP request to the IdP (default DEV_LOGIN_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** Signs `user` in at the dev IdP through the full authorization-code + PKCE flow and returns the tokens. */
export async function devLogin(options: DevLoginOptions): Promise<TokenResponse> {
  const pkce = createPkcePair();
  const { code, redirectUri } = await authorizeAsDevUser({ ...options, codeChallenge: pkce.challenge });
  return await redeemAuthorizationCode({
    issuer: options.issuer,
    code,
    redirectUri,
    codeVerifier: pkce.verifier,
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(options.resource ? { resource: options.resource } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

function sameEndpoint(url: URL, redirectUri: string): boolean {
  const expected = new URL(redirectUri);
  return url.origin === expected.origin && url.pathname === expected.pathname;
}

function readRedirect(
  url: URL,
  redirectUri: string,
  state: string | undefined,
  issuer: string,
): AuthorizationResult {
  const q = url.searchParams;
  const error = q.get("error");
  if (error) {
    const description = q.get("error_description");
    throw new DevLoginError(
      "IDP_LOGIN_FAILED",
      `authorization refused: ${error}${description ? ` (${description})` : ""}`,
      error,
    );
  }
  if (state !== undefined && q.get("state") !== state)
    throw new DevLoginError("IDP_LOGIN_FAILED", "state mismatch in the redirect");
  // RFC 9207: the IdP names itself in the response, which guards against mix-up attacks.
  if (q.get("iss") !== null && q.get("iss") !== issuer) {
    throw new DevLoginError(
      "IDP_LOGIN_FAILED",
      `redirect came from issuer ${q.get("iss")}, expected ${issuer}`,
    );
  }
  const code = q.get("code");
  if (!code) throw new DevLoginError("IDP_LOGIN_FAILED", "the redirect carries no authorization code");
  return { code, redirectUri };
}

/** Finds the dev login form: its action and the user emails it offers as submit buttons. */
function parseLoginForm(html: string): { action: string; users: string[] } | undefined {
  const action = /<form method="post" action="([^"]*\/login)"/.exec(html)?.[1];
  if (!action) return undefined;
  const users = [...html.matchAll(/<button type="submit" name="email" value="([^"]*)"/g)].map((m) =>
    decodeHtml(m[1] ?? ""),
  );
  return { action: decodeHtml(action), users };
}

function decodeHtml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e] ?? _,
  );
}

function summarize(body: string): string {
  const text = decodeHtml(body.replace(/<title>.*?<\/title>/s, ""))
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
