import { createPublicKey } from "node:crypto";
import { generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AuthError, type AuthErrorCode, createOidcVerifier } from "../../src/auth/oidc-verifier.ts";
import { accessTokenClaims, type StubIssuer, startStubIssuer } from "./stub-issuer.ts";

const AUDIENCE = "https://mcp.corp.example/mcp";

let stub: StubIssuer;
beforeAll(async () => {
  stub = await startStubIssuer();
});
afterAll(async () => {
  await stub.close();
});

async function expectCode(promise: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected AuthError ${code}`).toBeInstanceOf(AuthError);
  expect((error as AuthError).code).toBe(code);
  return error as AuthError;
}

/**
 * Moves the wall clock jose and the verifier read (Date only: timers and sockets keep real time), so the fixed
 * JWKS cooldown, cache age and discovery retry can be stepped past without waiting them out.
 */
function steppedClock(): { advance(ms: number): void } {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
  return { advance: (ms) => vi.setSystemTime(Date.now() + ms) };
}
afterEach(() => {
  vi.useRealTimers();
});

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

describe("createOidcVerifier against a stub issuer", () => {
  const verifier = () =>
    createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE], claims: { groups: "groups" } });

  it("accepts a well-formed access token and builds the principal", async () => {
    const token = await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE));
    const principal = await verifier().verify(token);
    expect(principal).toEqual({
      sub: "user-123",
      email: "alice@mycompany.example",
      groups: ["eng"],
      via: "oidc",
      clientId: "test-client",
      scopes: ["mcp:tools"],
    });
  });

  it("accepts the audience with one trailing slash and an aud array that contains it", async () => {
    const v = verifier();
    await expect(
      v.verify(await stub.sign(accessTokenClaims(stub.issuer, `${AUDIENCE}/`))),
    ).resolves.toBeTruthy();
    await expect(
      v.verify(await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE, { aud: ["other", AUDIENCE] }))),
    ).resolves.toBeTruthy();
  });

  it("compares URL audiences with URL semantics (scheme and host case, default port), paths and GUIDs exactly", async () => {
    const v = verifier();
    for (const aud of [
      "HTTPS://MCP.Corp.Example/mcp",
      "https://mcp.corp.example:443/mcp",
      "https://mcp.corp.example:443/mcp/",
    ]) {
      await expect(v.verify(await stub.sign(accessTokenClaims(stub.issuer, aud))), aud).resolves.toBeTruthy();
    }
    for (const aud of [
      "https://mcp.corp.example/MCP",
      "http://mcp.corp.example/mcp",
      "https://mcp.corp.example:8443/mcp",
      "https://mcp.corp.example/mcp//",
      "https://mcp.corp.example.attacker.example/mcp",
      "https://mcp.corp.example/mcp?x=1",
      "https://mcp.corp.example/x/../mcp",
      "https://mcp.corp.example/./mcp",
      "https://mcp.corp.example\\mcp",
      "https://user@mcp.corp.example/mcp",
      "https://mcp.corp.example./mcp",
      "https://mcp.corp.example/mcp#",
    ]) {
      await expectCode(
        v.verify(await stub.sign(accessTokenClaims(stub.issuer, aud))),
        "TOKEN_WRONG_AUDIENCE",
      );
    }
    const guid = "00000000-aaaa-bbbb-cccc-000000000001";
    const byGuid = createOidcVerifier({ issuer: stub.issuer, audiences: [guid] });
    await expect(byGuid.verify(await stub.sign(accessTokenClaims(stub.issuer, guid)))).resolves.toBeTruthy();
    await expectCode(
      byGuid.verify(await stub.sign(accessTokenClaims(stub.issuer, guid.toUpperCase()))),
      "TOKEN_WRONG_AUDIENCE",
    );
    await expectCode(
      byGuid.verify(await stub.sign(accessTokenClaims(stub.issuer, `${guid}/`))),
      "TOKEN_WRONG_AUDIENCE",
    );
  });

  it("refuses a typ header naming another kind of JWT, whatever the claims look like", async () => {
    const v = verifier();
    const good = accessTokenClaims(stub.issuer, AUDIENCE);
    for (const typ of [
      "id_token+jwt",
      "logout+jwt",
      "secevent+jwt",
      "dpop+jwt",
      "application/logout+jwt",
      "JOSE",
      "jwt+ID",
    ]) {
      await expectCode(v.verify(await stub.sign(good, { typ })), "TOKEN_WRONG_TYPE");
    }
    for (const typ of [["at+jwt"], 1, { typ: "at+jwt" }]) {
      await expectCode(v.verify(await stub.sign(good, { typ } as never)), "TOKEN_WRONG_TYPE");
    }
    for (const typ of ["JWT", "at+jwt", "application/at+jwt", "AT+JWT"]) {
      await expect(v.verify(await stub.sign(good, { typ })), typ).resolves.toBeTruthy();
    }
  });

  it("reads groups from a string claim, a dotted path, and scopes from scp arrays", async () => {
    const v = createOidcVerifier({
      issuer: stub.issuer,
      audiences: ["00000000-aaaa-bbbb-cccc-000000000001"],
      claims: { email: "preferred_username", groups: "realm_access.roles" },
    });
    const token = await stub.sign(
      accessTokenClaims(stub.issuer, "00000000-aaaa-bbbb-cccc-000000000001", {
        scope: undefined,
        scp: ["mcp:tools", "other"],
        preferred_username: "sam@mycompany.example",
        realm_access: { roles: ["security", 7] },
      }),
    );
    const principal = await v.verify(token);
    expect(principal.groups).toEqual(["security"]);
    expect(principal.email).toBe("sam@mycompany.example");
    expect(principal.scopes).toEqual(["mcp:tools", "other"]);

    const single = await createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] }).verify(
      await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE, { groups: "partner-integration" })),
    );
    expect(single.groups).toEqual(["partner-integration"]);
  });

  it("maps every bad token of the matrix to a stable code", async () => {
    const v = verifier();
    const now = Math.floor(Date.now() / 1000);
    const good = accessTokenClaims(stub.issuer, AUDIENCE);
    const attacker = await generateKeyPair("RS256");
    const signed = (claims: JWTPayload) => stub.sign(claims);

    await expectCode(v.verify(""), "TOKEN_MISSING");
    await expectCode(v.verify("garbage"), "TOKEN_MALFORMED");
    await expectCode(v.verify("a.b"), "TOKEN_MALFORMED");
    await expectCode(v.verify(`${base64url({ alg: "none" })}.${base64url(good)}.`), "TOKEN_MALFORMED");
    await expectCode(
      v.verify(`${base64url({ alg: "none" })}.${base64url(good)}.x`),
      "TOKEN_INVALID_SIGNATURE",
    );
    // Key confusion: HS256 keyed with the issuer's public key bytes.
    const pem = createPublicKey({ key: stub.publicJwk, format: "jwk" }).export({
      type: "spki",
      format: "pem",
    });
    const hs = await new SignJWT(good)
      .setProtectedHeader({ alg: "HS256", kid: stub.kid })
      .sign(new TextEncoder().encode(String(pem)));
    await expectCode(v.verify(hs), "TOKEN_INVALID_SIGNATURE");
    await expectCode(
      v.verify(await stub.sign(good, { key: attacker.privateKey })),
      "TOKEN_INVALID_SIGNATURE",
    );
    await expectCode(v.verify(await stub.sign(good, { kid: "unknown-kid" })), "TOKEN_INVALID_SIGNATURE");
    await expectCode(v.verify(await signed({ ...good, exp: now - 120, iat: now - 3700 })), "TOKEN_EXPIRED");
    await expectCode(v.verify(await signed({ ...good, nbf: now + 600 })), "TOKEN_CLAIMS_INVALID");
    await expectCode(v.verify(await signed({ ...good, iat: now + 600 })), "TOKEN_CLAIMS_INVALID");
    await expectCode(v.verify(await signed({ ...good, exp: undefined })), "TOKEN_CLAIMS_INVALID");
    await expectCode(v.verify(await signed({ ...good, sub: undefined })), "TOKEN_CLAIMS_INVALID");
    await expectCode(v.verify(await signed({ ...good, iss: `${stub.issuer}/` })), "TOKEN_WRONG_ISSUER");
    await expectCode(v.verify(await signed({ ...good, aud: "https://other.api" })), "TOKEN_WRONG_AUDIENCE");
    await expectCode(v.verify(await signed({ ...good, aud: undefined })), "TOKEN_WRONG_AUDIENCE");
    await expectCode(v.verify(`${"a".repeat(5000)}.${"b".repeat(5000)}.c`), "TOKEN_TOO_LARGE");
    // ID tokens: audience = client id, or audience in the allowlist but with ID-token claims or no AT marker.
    const idToken = {
      iss: stub.issuer,
      sub: "user-123",
      aud: "test-client",
      azp: "test-client",
      iat: now,
      exp: now + 3600,
    };
    await expectCode(v.verify(await signed(idToken)), "TOKEN_IS_ID_TOKEN");
    await expectCode(v.verify(await signed({ ...idToken, aud: AUDIENCE, nonce: "n" })), "TOKEN_IS_ID_TOKEN");
    await expectCode(
      v.verify(await signed({ ...idToken, aud: AUDIENCE, at_hash: "x" })),
      "TOKEN_IS_ID_TOKEN",
    );
    await expectCode(v.verify(await signed({ ...idToken, aud: AUDIENCE })), "TOKEN_IS_ID_TOKEN");
    // Entra with one app registration for client and API: the ID token's aud is the API's id, and it carries
    // the user's app roles. Without a client claim (azp/appid) roles do not make it an access token.
    const entraIdToken = { iss: stub.issuer, sub: "user-123", aud: AUDIENCE, iat: now, exp: now + 3600 };
    await expectCode(
      v.verify(await signed({ ...entraIdToken, roles: ["Reader"], ver: "2.0" })),
      "TOKEN_IS_ID_TOKEN",
    );
    await expect(
      v.verify(await signed({ ...entraIdToken, roles: ["Reader"], azp: "daemon-app", ver: "2.0" })),
    ).resolves.toMatchObject({ clientId: "daemon-app" });
    // Keycloak marks its ID tokens in the payload.
    await expectCode(v.verify(await signed({ ...good, typ: "ID" })), "TOKEN_IS_ID_TOKEN");
  });

  it("bounds the clock tolerance at 60 s and honours smaller tolerances", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expiredTenMinutes = await stub.sign(
      accessTokenClaims(stub.issuer, AUDIENCE, { exp: now - 600, iat: now - 4000 }),
    );
    await expectCode(
      createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE], clockToleranceSec: 100_000 }).verify(
        expiredTenMinutes,
      ),
      "TOKEN_EXPIRED",
    );
    const expiredNinetySeconds = await stub.sign(
      accessTokenClaims(stub.issuer, AUDIENCE, { exp: now - 90, iat: now - 3000 }),
    );
    await expectCode(
      createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE], clockToleranceSec: 300 }).verify(
        expiredNinetySeconds,
      ),
      "TOKEN_EXPIRED",
    );
    const expiredTwentySeconds = await stub.sign(
      accessTokenClaims(stub.issuer, AUDIENCE, { exp: now - 20, iat: now - 3000 }),
    );
    await expect(
      createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] }).verify(expiredTwentySeconds),
    ).resolves.toBeTruthy();
    await expectCode(
      createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE], clockToleranceSec: 0 }).verify(
        expiredTwentySeconds,
      ),
      "TOKEN_EXPIRED",
    );
  });

  it("never accepts a token for ever: exp 1e309 (Infinity) is refused, and iat older than 24 h by default", async () => {
    const now = Math.floor(Date.now() / 1000);
    const v = verifier();
    const claims = JSON.stringify(accessTokenClaims(stub.issuer, AUDIENCE, { exp: 0 })).replace(
      '"exp":0',
      '"exp":1e309',
    );
    expect(claims).toContain('"exp":1e309');
    await expectCode(v.verify(stub.signRaw(claims)), "TOKEN_CLAIMS_INVALID");
    const twoDaysOld = await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE, { iat: now - 2 * 86_400 }));
    await expectCode(v.verify(twoDaysOld), "TOKEN_EXPIRED");
    const almostADayOld = await stub.sign(
      accessTokenClaims(stub.issuer, AUDIENCE, { iat: now - 23 * 3_600 }),
    );
    await expect(v.verify(almostADayOld)).resolves.toMatchObject({ sub: "user-123" });
  });

  it("leaves scopes to the HTTP layer: a token without the broker's scope verifies and carries its own", async () => {
    const principal = await verifier().verify(
      await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE, { scope: "openid email" })),
    );
    expect(principal.scopes).toEqual(["openid", "email"]);
  });

  it("refuses dangerous configuration", () => {
    expect(() =>
      createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE], algorithms: ["HS256"] }),
    ).toThrow(/not allowed/);
    expect(() =>
      createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE], algorithms: ["none"] }),
    ).toThrow(/not allowed/);
    expect(() => createOidcVerifier({ issuer: stub.issuer, audiences: [] })).toThrow(/audiences/);
  });

  it("never puts the token in an error message", async () => {
    const token = await stub.sign(accessTokenClaims(stub.issuer, "https://other.api"));
    const error = await expectCode(verifier().verify(token), "TOKEN_WRONG_AUDIENCE");
    const signature = token.split(".")[2] ?? "";
    expect(error.message).not.toContain(signature);
    expect(JSON.stringify(error)).not.toContain(signature);
  });
});

describe("discovery and JWKS faults", () => {
  it("refuses a discovery document naming another issuer", async () => {
    stub.setDiscoveryIssuer("https://evil.example");
    try {
      const v = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
      await expectCode(
        v.verify(await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE))),
        "JWKS_UNAVAILABLE",
      );
      await expectCode(v.checkJwks(), "JWKS_UNAVAILABLE");
    } finally {
      stub.setDiscoveryIssuer(undefined);
    }
  });

  for (const mode of ["http-500", "hang", "redirect", "oversized", "not-json", "empty-object"] as const) {
    it(`answers JWKS_UNAVAILABLE (not a token error) when the JWKS endpoint is ${mode}`, async () => {
      stub.setJwksMode(mode);
      try {
        const v = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
        const token = await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE));
        const error = await expectCode(v.verify(token), "JWKS_UNAVAILABLE");
        expect(error.message).not.toContain("/jwks");
      } finally {
        stub.setJwksMode("ok");
      }
    });
  }

  it("reports an unreachable JWKS in checkJwks until it is fetched, then serves from cache", async () => {
    const v = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
    stub.setJwksMode("http-500");
    try {
      await expectCode(v.checkJwks(), "JWKS_UNAVAILABLE");
    } finally {
      stub.setJwksMode("ok");
    }
    await expect(v.checkJwks()).resolves.toBeUndefined();
    const hits = stub.jwksHits();
    await v.checkJwks();
    expect(stub.jwksHits()).toBe(hits);
  });

  it("fetches the JWKS at most once per cooldown under a flood of unknown kids", async () => {
    const v = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
    await v.verify(await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE)));
    const before = stub.jwksHits();
    const claims = accessTokenClaims(stub.issuer, AUDIENCE);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, async (_, i) => v.verify(await stub.sign(claims, { kid: `random-${i}` }))),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(stub.jwksHits() - before).toBeLessThanOrEqual(1);
  });

  it("follows key rotation: a new kid is accepted after the 30 s cooldown, a retired key is refused after the 10 min cache age", async () => {
    const rotating = await startStubIssuer();
    try {
      const cooldownMs = 30_000;
      const cacheMaxAgeMs = 10 * 60_000;
      const clock = steppedClock();
      const v = createOidcVerifier({ issuer: rotating.issuer, audiences: [AUDIENCE] });
      const claims = accessTokenClaims(rotating.issuer, AUDIENCE);
      const oldToken = await rotating.sign(claims);
      const k2 = await rotating.generateKey();
      await expect(v.verify(oldToken)).resolves.toMatchObject({ sub: "user-123" });

      // (a) The IdP publishes K2 next to K1 and signs with K2; within the cooldown the new kid is unknown.
      rotating.rotateKey(k2, { keepOld: true });
      const newToken = await rotating.sign(claims);
      await expectCode(v.verify(newToken), "TOKEN_INVALID_SIGNATURE");
      clock.advance(cooldownMs - 1_000);
      await expectCode(v.verify(newToken), "TOKEN_INVALID_SIGNATURE");
      clock.advance(1_050);
      await expect(v.verify(newToken)).resolves.toMatchObject({ sub: "user-123" });
      await expect(v.verify(oldToken)).resolves.toMatchObject({ sub: "user-123" });

      // (b) K1 is retired: tokens under it stop verifying once the cached set is older than cacheMaxAge.
      rotating.retireOldKeys();
      const hits = rotating.jwksHits();
      await expect(v.verify(oldToken)).resolves.toMatchObject({ sub: "user-123" });
      expect(rotating.jwksHits()).toBe(hits);
      clock.advance(cacheMaxAgeMs - 1_000);
      await expect(v.verify(oldToken)).resolves.toMatchObject({ sub: "user-123" });
      clock.advance(1_050);
      await expectCode(v.verify(oldToken), "TOKEN_INVALID_SIGNATURE");
      await expect(v.verify(newToken)).resolves.toMatchObject({ sub: "user-123" });
    } finally {
      await rotating.close();
    }
  });

  it("recovers after the IdP comes back (discovery is retried 5 s after a failure, not per request)", async () => {
    const clock = steppedClock();
    stub.setDiscoveryIssuer("https://evil.example");
    const v = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
    const token = await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE));
    await expectCode(v.verify(token), "JWKS_UNAVAILABLE");
    stub.setDiscoveryIssuer(undefined);
    const hits = stub.discoveryHits();
    clock.advance(4_000);
    await expectCode(v.verify(token), "JWKS_UNAVAILABLE");
    expect(stub.discoveryHits()).toBe(hits);
    clock.advance(1_050);
    await expect(v.verify(token)).resolves.toMatchObject({ sub: "user-123" });
  });
});
