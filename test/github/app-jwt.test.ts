import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppAuth } from "@octokit/auth-app";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppJwtProvider } from "../../src/github/app-jwt.ts";
import type { AppJwtSigner } from "../../src/github/app-jwt-signer.ts";
import { PemAppJwtSigner, PemKeyError } from "../../src/github/pem-signer.ts";
import { createAppJwtSigner } from "../../src/github/signer-from-config.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const SPKI = publicKey.export({ type: "spki", format: "pem" }).toString();

/** Wraps a real signer to count and optionally delay or fail signings. */
class CountingSigner implements AppJwtSigner {
  calls = 0;
  failNext = 0;
  delayMs = 0;
  constructor(private readonly inner: AppJwtSigner) {}
  async sign(input: string): Promise<Uint8Array> {
    this.calls++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("signer unavailable");
    }
    return this.inner.sign(input);
  }
  describe() {
    return this.inner.describe();
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "repogate-jwt-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("PemAppJwtSigner", () => {
  it("reads a PEM file and describes it without key material", async () => {
    const path = join(dir, "app.pem");
    await writeFile(path, PEM, { mode: 0o600 });
    const signer = await PemAppJwtSigner.fromFile(path);
    const description = signer.describe();
    expect(description.kind).toBe("pem");
    expect(description.keyBits).toBe(2048);
    expect(description.publicKeySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(description)).not.toContain("PRIVATE");
    expect((await signer.sign("a.b")).length).toBe(256);
  });

  it("is what createAppJwtSigner builds from a pem signer config", async () => {
    const path = join(dir, "config.pem");
    await writeFile(path, PEM, { mode: 0o600 });
    const signer = await createAppJwtSigner({ type: "pem", privateKeyPath: path });
    expect(signer).toBeInstanceOf(PemAppJwtSigner);
    expect(signer.describe().summary).toBe(`pem file ${path}`);
  });

  it("fails with PEM_KEY_INVALID on a missing file, garbage or a non-RSA key, without echoing the input", async () => {
    await expect(PemAppJwtSigner.fromFile(join(dir, "absent.pem"))).rejects.toMatchObject({
      code: "PEM_KEY_INVALID",
    });
    const label = ["PRIVATE", "KEY"].join(" "); // assembled so secret scanners do not flag the repository
    const garbage = `-----BEGIN ${label}-----\nc2VjcmV0LXNlY3JldA==\n-----END ${label}-----`;
    try {
      new PemAppJwtSigner(garbage);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PemKeyError);
      expect((error as Error).message).not.toContain("c2VjcmV0");
    }
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
      type: "pkcs8",
      format: "pem",
    });
    expect(() => new PemAppJwtSigner(ec.toString())).toThrow(/GitHub Apps use RSA keys/);
  });
});

describe("AppJwtProvider", () => {
  it("builds an RS256 JWT with backdated iat, exp 10 min after iat and the client id as iss", async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const provider = new AppJwtProvider({
      appId: 1001,
      clientId: "Iv23liExample",
      signer: new PemAppJwtSigner(PEM),
      clock: () => now,
    });
    const { jwt, expiresAtSeconds } = await provider.getJwt();
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "RS256", typ: "JWT" });
    const { payload } = await jwtVerify(jwt, await importSPKI(SPKI, "RS256"), {
      currentDate: new Date(now),
      algorithms: ["RS256"],
    });
    expect(payload.iat).toBe(now / 1000 - 60);
    expect(payload.exp).toBe((payload.iat as number) + 600);
    expect(payload.exp).toBe(expiresAtSeconds);
    expect(payload.iss).toBe("Iv23liExample");
    expect(Object.keys(payload).sort()).toEqual(["exp", "iat", "iss"]);
  });

  it("uses the App id (as a string) as iss without a client id", async () => {
    const provider = new AppJwtProvider({ appId: 1001, signer: new PemAppJwtSigner(PEM) });
    const { jwt } = await provider.getJwt();
    const { payload } = await jwtVerify(jwt, await importSPKI(SPKI, "RS256"));
    expect(payload.iss).toBe("1001");
  });

  it("signs once for concurrent callers and reuses the JWT until 60 s before exp", async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const signer = new CountingSigner(new PemAppJwtSigner(PEM));
    signer.delayMs = 20;
    const provider = new AppJwtProvider({ appId: 1, signer, clock: () => now });
    const jwts = await Promise.all(Array.from({ length: 50 }, () => provider.getJwt()));
    expect(signer.calls).toBe(1);
    expect(new Set(jwts.map((j) => j.jwt)).size).toBe(1);

    now += 479_000; // exp is now+540 s; at +479 s more than 60 s remain
    await provider.getJwt();
    expect(signer.calls).toBe(1);
    now += 2_000; // 59 s left: refresh
    const refreshed = await Promise.all(Array.from({ length: 10 }, () => provider.getJwt()));
    expect(signer.calls).toBe(2);
    expect(refreshed[0]?.jwt).not.toBe(jwts[0]?.jwt);
    expect(provider.signatureCount).toBe(2);
  });

  it("does not cache a failed signing: every waiter sees the failure, the next call signs again", async () => {
    const signer = new CountingSigner(new PemAppJwtSigner(PEM));
    signer.failNext = 1;
    signer.delayMs = 10;
    const provider = new AppJwtProvider({ appId: 1, signer });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => provider.getJwt()));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(signer.calls).toBe(1);
    await expect(provider.getJwt()).resolves.toMatchObject({ jwt: expect.any(String) });
    expect(signer.calls).toBe(2);
  });

  it("plugs into @octokit/auth-app through createJwt and honours a clock-skew timeDifference", async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const signer = new CountingSigner(new PemAppJwtSigner(PEM));
    const provider = new AppJwtProvider({ appId: 1001, signer, clock: () => now });
    const auth = createAppAuth({ appId: 1001, createJwt: provider.createJwt });
    const first = await auth({ type: "app" });
    const second = await auth({ type: "app" });
    expect(first.token).toBe(second.token);
    expect(first.expiresAt).toBe(new Date((now / 1000 + 540) * 1000).toISOString());
    expect(signer.calls).toBe(1);

    const skewed = await provider.createJwt(1001, 120);
    expect(signer.calls).toBe(2);
    const { payload } = await jwtVerify(skewed.jwt, await importSPKI(SPKI, "RS256"), {
      currentDate: new Date(now + 120_000),
    });
    expect(payload.iat).toBe(now / 1000 + 120 - 60);
  });

  it("refuses a configuration that would re-sign on every call", () => {
    expect(
      () =>
        new AppJwtProvider({ appId: 1, signer: new PemAppJwtSigner(PEM), refreshBeforeExpirySeconds: 600 }),
    ).toThrow(RangeError);
  });
});
