import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import {
  authorizeAsDevUser,
  createPkcePair,
  DevLoginError,
  devLogin,
  redeemAuthorizationCode,
  signInAtAuthorizationUrl,
  UnknownDevUserError,
} from "../../wrangler-free-local/idp/dev-login-client.ts";
import type { RunningDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { postRefreshGrant, RESOURCE, useTestIdp, verifyAccessToken } from "./fixture.ts";

let idp: RunningDevIdp;
useTestIdp((started) => {
  idp = started;
});

/** Runs a sign-in and returns the OAuth error the IdP answered with (or fails if it succeeded). */
async function oauthErrorOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DevLoginError);
  return (error as DevLoginError).oauthError;
}

describe("dev login: authorization code + PKCE", () => {
  it("gives alice an RS256 JWT access token for the broker with her email and groups", async () => {
    const tokens = await devLogin({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      resource: RESOURCE,
    });
    expect(tokens.token_type).toBe("Bearer");
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: "RS256", typ: "at+jwt" });
    const claims = await verifyAccessToken(idp.issuer, tokens.access_token);
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: RESOURCE,
      sub: "user-alice",
      email: "alice@mycompany.example",
      groups: ["eng"],
      scope: "mcp:tools",
      client_id: "repogate-cli",
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it("puts email and groups in the ID token too", async () => {
    const tokens = await devLogin({ issuer: idp.issuer, user: "pat@partner.example", resource: RESOURCE });
    expect(tokens.id_token).toBeDefined();
    const idToken = decodeJwt(tokens.id_token ?? "");
    expect(idToken).toMatchObject({
      iss: idp.issuer,
      aud: "repogate-cli",
      sub: "user-pat",
      email: "pat@partner.example",
      groups: ["partner-integration"],
    });
  });

  it("gives a user in no group an empty groups claim", async () => {
    const tokens = await devLogin({
      issuer: idp.issuer,
      user: "nobody@mycompany.example",
      resource: RESOURCE,
    });
    const claims = await verifyAccessToken(idp.issuer, tokens.access_token);
    expect(claims.groups).toEqual([]);
    expect(claims.sub).toBe("user-nobody");
  });

  it("uses the broker as audience when the client names no resource", async () => {
    const tokens = await devLogin({ issuer: idp.issuer, user: "sam@mycompany.example" });
    const claims = await verifyAccessToken(idp.issuer, tokens.access_token);
    expect(claims.aud).toBe(RESOURCE);
    expect(claims.groups).toEqual(["security"]);
  });

  it("treats a resource with one trailing slash as the configured one", async () => {
    const tokens = await devLogin({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      resource: `${RESOURCE}/`,
    });
    expect((await verifyAccessToken(idp.issuer, tokens.access_token)).aud).toBe(RESOURCE);
  });

  it("refuses a resource it does not know", async () => {
    const error = await oauthErrorOf(
      devLogin({
        issuer: idp.issuer,
        user: "alice@mycompany.example",
        resource: "https://other.example/mcp",
      }),
    );
    expect(error).toBe("invalid_target");
  });

  it("refuses the plain PKCE method", async () => {
    const { verifier } = createPkcePair();
    const error = await oauthErrorOf(
      authorizeAsDevUser({
        issuer: idp.issuer,
        user: "alice@mycompany.example",
        codeChallenge: verifier,
        codeChallengeMethod: "plain",
      }),
    );
    expect(error).toBe("invalid_request");
  });

  it("refuses an authorization request without a PKCE challenge", async () => {
    const redirectUri = "http://127.0.0.1:50123/callback";
    const url = new URL(`${idp.issuer}/auth`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: "repogate-cli",
      redirect_uri: redirectUri,
      scope: "openid mcp:tools",
      resource: RESOURCE,
    }).toString();
    const failure = await signInAtAuthorizationUrl(url.href, {
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      redirectUri,
    }).then(
      () => undefined,
      (e: unknown) => e as DevLoginError,
    );
    expect(failure?.oauthError).toBe("invalid_request");
    expect(failure?.message).toMatch(/PKCE/);
  });

  it("refuses to redeem a code without the verifier, or with a wrong one", async () => {
    for (const codeVerifier of [undefined, createPkcePair().verifier]) {
      const pkce = createPkcePair();
      const { code, redirectUri } = await authorizeAsDevUser({
        issuer: idp.issuer,
        user: "alice@mycompany.example",
        codeChallenge: pkce.challenge,
      });
      const error = await oauthErrorOf(
        redeemAuthorizationCode({
          issuer: idp.issuer,
          code,
          redirectUri,
          ...(codeVerifier ? { codeVerifier } : {}),
        }),
      );
      expect(error).toBe("invalid_grant");
    }
  });

  it("refuses to redeem a code twice", async () => {
    const pkce = createPkcePair();
    const { code, redirectUri } = await authorizeAsDevUser({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      codeChallenge: pkce.challenge,
    });
    await redeemAuthorizationCode({ issuer: idp.issuer, code, redirectUri, codeVerifier: pkce.verifier });
    const error = await oauthErrorOf(
      redeemAuthorizationCode({ issuer: idp.issuer, code, redirectUri, codeVerifier: pkce.verifier }),
    );
    expect(error).toBe("invalid_grant");
  });

  it("accepts the CLI's loopback redirect on any port but not another path or host", async () => {
    const ok = await devLogin({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      redirectUri: "http://127.0.0.1:61234/callback",
    });
    expect(ok.access_token).toMatch(/^ey/);
    for (const redirectUri of ["http://127.0.0.1:61234/elsewhere", "http://evil.example:61234/callback"]) {
      const error = await devLogin({ issuer: idp.issuer, user: "alice@mycompany.example", redirectUri }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // An unregistered redirect URI is never redirected to: the IdP shows an error page instead.
      expect(error).toBeInstanceOf(DevLoginError);
      expect((error as DevLoginError).message).toMatch(/redirect_uri/);
    }
  });

  it("names the known users when asked for an unknown one", async () => {
    const error = await devLogin({ issuer: idp.issuer, user: "mallory@mycompany.example" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnknownDevUserError);
    expect((error as UnknownDevUserError).code).toBe("IDP_UNKNOWN_USER");
    expect((error as UnknownDevUserError).knownUsers).toEqual([
      "alice@mycompany.example",
      "pat@partner.example",
      "nobody@mycompany.example",
      "sam@mycompany.example",
    ]);
    expect((error as Error).message).toContain("alice@mycompany.example");
  });

  it("issues a refresh token for offline_access whose access tokens keep the broker audience", async () => {
    const tokens = await devLogin({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      scope: "openid mcp:tools offline_access",
    });
    expect(tokens.refresh_token).toBeDefined();
    const res = await postRefreshGrant(idp.issuer, tokens.refresh_token ?? "", { resource: RESOURCE });
    expect(res.status).toBe(200);
    const refreshed = (await res.json()) as { access_token: string; refresh_token?: string };
    const claims = await verifyAccessToken(idp.issuer, refreshed.access_token);
    expect(claims).toMatchObject({ aud: RESOURCE, sub: "user-alice", groups: ["eng"] });
  });

  it("reports an unreachable IdP clearly", async () => {
    const error = await devLogin({ issuer: "http://127.0.0.1:1", user: "alice@mycompany.example" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DevLoginError);
    expect((error as DevLoginError).code).toBe("IDP_UNREACHABLE");
  });
});
