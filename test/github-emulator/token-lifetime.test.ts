import { generateKeyPairSync } from "node:crypto";
import { importPKCS8, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JWT_MESSAGES, verifyAppJwt } from "../../wrangler-free-local/github/auth/app-jwt.ts";
import { TOKEN_LIFETIME_MS, TokenRegistry } from "../../wrangler-free-local/github/auth/token-registry.ts";

describe("installation token lifetime", () => {
  it("is known for one hour, then unknown; revocation ends it at once", () => {
    const registry = new TokenRegistry();
    const t0 = Date.UTC(2026, 0, 1);
    const grant = {
      installationId: 1,
      repositoryIds: [7],
      permissions: { contents: "read" as const },
      repositorySelection: "selected" as const,
    };
    const { value, record } = registry.issue(grant, t0);
    expect(value).toMatch(/^ghs_[0-9A-Za-z]{36}$/);
    expect(record.expiresAt.getTime() - t0).toBe(TOKEN_LIFETIME_MS);
    expect(registry.lookup(value, t0 + TOKEN_LIFETIME_MS - 1)).toBeDefined();
    expect(registry.lookup(value, t0 + TOKEN_LIFETIME_MS)).toBeUndefined();
    const other = registry.issue(grant, t0).value;
    registry.revoke(other);
    expect(registry.lookup(other, t0 + 1)).toBeUndefined();
    expect(JSON.stringify(registry.describe(t0))).not.toContain("ghs_");
  });
});

describe("App JWT clock rules", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const app = { id: 1001, clientId: "Iv23liTest" };
  const at = 1_800_000_000;
  async function jwt(claims: Record<string, unknown>) {
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256" }).sign(await importPKCS8(pem, "RS256"));
  }

  it("accepts 10 minutes exactly and a little clock skew", async () => {
    await expect(
      verifyAppJwt(await jwt({ iss: 1001, iat: at - 60, exp: at + 540 }), app, publicKey, at * 1000),
    ).resolves.toBeDefined();
    // exp just passed, within the skew GitHub tolerates
    await expect(
      verifyAppJwt(await jwt({ iss: 1001, iat: at - 600, exp: at - 10 }), app, publicKey, at * 1000),
    ).resolves.toBeDefined();
  });

  it("rejects missing claims and far-future iat", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ iss: 1001, exp: at + 60 }, JWT_MESSAGES.badIssuedAt],
      [{ iss: 1001, iat: at }, JWT_MESSAGES.badExpiration],
      [{ iss: 1001, iat: at + 120, exp: at + 300 }, JWT_MESSAGES.badIssuedAt],
      [{ iss: 1001, iat: at - 1000, exp: at - 400 }, JWT_MESSAGES.badExpiration],
      [{ iss: 1001, iat: at, exp: at + 601 }, JWT_MESSAGES.expirationTooFar],
    ];
    for (const [claims, message] of cases) {
      await expect(verifyAppJwt(await jwt(claims), app, publicKey, at * 1000)).rejects.toMatchObject({
        status: 401,
        message,
      });
    }
  });
});
