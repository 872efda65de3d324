/** Reusing a verified token's principal: never past its exp, never across a JWKS fetch, bounded, immutable. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AuthError, createOidcVerifier } from "../../src/auth/oidc-verifier.ts";
import type { Principal } from "../../src/auth/principal.ts";
import { VerifiedTokens } from "../../src/auth/verified-tokens.ts";
import { accessTokenClaims, type StubIssuer, startStubIssuer } from "./stub-issuer.ts";

const AUDIENCE = "https://repogate.test/mcp";
const alice: Principal = { sub: "alice", groups: ["eng"], via: "oidc", scopes: ["mcp:tools"] };

let stub: StubIssuer;
beforeAll(async () => {
  stub = await startStubIssuer();
});
afterAll(async () => {
  await stub.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("VerifiedTokens", () => {
  it("answers only for the same token, the same key-set generation and before min(exp, maxAge)", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_000_000_000_000 });
    const cache = new VerifiedTokens({ maxAgeMs: 60_000, maxEntries: 10 });
    const exp = Date.now() / 1000 + 30; // expires before maxAge
    cache.set("token-a", alice, exp, 3);
    expect(cache.get("token-a", 3)).toMatchObject({ sub: "alice" });
    expect(cache.get("token-b", 3)).toBeUndefined();
    expect(cache.get("token-a", 4)).toBeUndefined(); // a JWKS fetch since: forgotten
    expect(cache.get("token-a", 3)).toBeUndefined();
    cache.set("token-a", alice, exp, 3);
    vi.setSystemTime(Date.now() + 29_999);
    expect(cache.get("token-a", 3)).toBeDefined();
    vi.setSystemTime(Date.now() + 1);
    expect(cache.get("token-a", 3)).toBeUndefined(); // at exp
    cache.set("token-c", alice, Date.now() / 1000 + 3600, 3);
    vi.setSystemTime(Date.now() + 60_000);
    expect(cache.get("token-c", 3)).toBeUndefined(); // at maxAge
  });

  it("does not remember a token verified without a usable key set, and keeps at most maxEntries", () => {
    const cache = new VerifiedTokens({ maxAgeMs: 60_000, maxEntries: 2 });
    const exp = Date.now() / 1000 + 3600;
    cache.set("t1", alice, exp, -1);
    expect(cache.get("t1", -1)).toBeUndefined();
    cache.set("t1", alice, exp, 0);
    cache.set("t2", alice, exp, 0);
    cache.set("t3", alice, exp, 0);
    expect(cache.get("t1", 0)).toBeUndefined(); // the oldest went
    expect(cache.get("t2", 0)).toBeDefined();
    expect(cache.get("t3", 0)).toBeDefined();
  });

  it("hands out a frozen copy, so no caller can change what the next request sees", () => {
    const cache = new VerifiedTokens({ maxAgeMs: 60_000, maxEntries: 10 });
    const source = { ...alice, groups: [...alice.groups] };
    const stored = cache.set("t", source, Date.now() / 1000 + 3600, 0);
    source.groups.push("admins");
    expect(cache.get("t", 0)?.groups).toEqual(["eng"]);
    expect(() => (stored.groups as string[]).push("admins")).toThrow(TypeError);
    expect(Object.isFrozen(stored)).toBe(true);
  });
});

describe("the OIDC verifier with reuse", () => {
  it("refuses a reused token once it expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const v = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE, { exp: now + 20 }));
    await expect(v.verify(shortLived)).resolves.toMatchObject({ sub: "user-123" });
    await expect(v.verify(shortLived)).resolves.toMatchObject({ sub: "user-123" });
    vi.setSystemTime(Date.now() + 20_000 + 31_000); // past exp and the 30 s clock tolerance
    const expired = await v.verify(shortLived).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(AuthError);
    expect((expired as AuthError).code).toBe("TOKEN_EXPIRED");
  });

  it("refuses a reused token once it is older than the 24 h maximum age, whatever its exp says", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const v = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
    const now = Math.floor(Date.now() / 1000);
    const old = await stub.sign(
      accessTokenClaims(stub.issuer, AUDIENCE, { iat: now - 86_400 + 10, exp: now + 3600 }),
    );
    await expect(v.verify(old)).resolves.toMatchObject({ sub: "user-123" });
    vi.setSystemTime(Date.now() + 5_000);
    await expect(v.verify(old)).resolves.toMatchObject({ sub: "user-123" });
    vi.setSystemTime(Date.now() + 6_000 + 31_000); // past iat + 24 h and the clock tolerance
    const refused = await v.verify(old).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthError);
  });
});
