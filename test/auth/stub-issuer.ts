import { KeyObject, sign as rsaSign, type webcrypto } from "node:crypto";
import { Hono } from "hono";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { listen } from "../../wrangler-free-local/service.ts";

type CryptoKey = webcrypto.CryptoKey;

/** How the stub's JWKS endpoint misbehaves (fault injection for the verifier tests). */
export type JwksMode = "ok" | "http-500" | "hang" | "redirect" | "oversized" | "not-json" | "empty-object";

/** A signing key of the stub issuer. */
export interface StubKey {
  kid: string;
  privateKey: CryptoKey | KeyObject;
  jwk: JWK;
}

/** A second, test-only OIDC issuer whose key the tests hold, to mint tokens with arbitrary claims. */
export interface StubIssuer {
  issuer: string;
  kid: string;
  publicJwk: JWK;
  /** Signs a JWT with the stub's key (or `key` when given), header `kid` = the stub's kid unless overridden. */
  sign(
    payload: JWTPayload,
    header?: { alg?: string; kid?: string; typ?: string; key?: CryptoKey | KeyObject },
  ): Promise<string>;
  /**
   * RS256-signs a payload given as raw text (claims JSON.stringify cannot produce, e.g. `1e309`) under any
   * protected header (`crit`, `b64`, `jku`, … that jose would refuse to produce); header defaults to the stub's.
   */
  signRaw(payloadJson: string, header?: Record<string, unknown>): string;
  jwksHits(): number;
  discoveryHits(): number;
  setJwksMode(mode: JwksMode): void;
  /** Makes the discovery document name another issuer. */
  setDiscoveryIssuer(issuer: string | undefined): void;
  /** A fresh signing key under a new kid, not yet in use (generating one takes a while; rotating does not). */
  generateKey(): Promise<StubKey>;
  /** Signs from now on with `key`; the JWKS lists it, and the previous keys too when `keepOld`. */
  rotateKey(key: StubKey, options: { keepOld: boolean }): void;
  /** Drops every key but the current one from the JWKS. */
  retireOldKeys(): void;
  close(): Promise<void>;
}

/** Starts the stub issuer on 127.0.0.1 with a fresh RS256 key. */
export async function startStubIssuer(): Promise<StubIssuer> {
  const newKey = async (): Promise<StubKey> => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    const kid = `stub-${Math.random().toString(36).slice(2, 10)}`;
    return {
      kid,
      privateKey: pair.privateKey,
      jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "RS256", use: "sig" },
    };
  };
  let current = await newKey();
  let published: JWK[] = [current.jwk];
  let mode: JwksMode = "ok";
  let jwksHits = 0;
  let discoveryHits = 0;
  let discoveryIssuer: string | undefined;
  let issuer = "";

  const app = new Hono();
  app.get("/.well-known/openid-configuration", (c) => {
    discoveryHits++;
    return c.json({ issuer: discoveryIssuer ?? issuer, jwks_uri: `${issuer}/jwks` });
  });
  app.get("/jwks", async (c) => {
    jwksHits++;
    switch (mode) {
      case "http-500":
        return c.text("boom", 500);
      case "hang": {
        // Answers only after the verifier's 5 s fetch limit, or never if the client gives up first.
        const signal = c.req.raw.signal;
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 15_000);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
        return c.json({ keys: published });
      }
      case "redirect":
        return c.redirect("http://127.0.0.1:1/internal", 302);
      case "oversized":
        return c.body(JSON.stringify({ keys: published, pad: "x".repeat(200_000) }), 200, {
          "content-type": "application/json",
        });
      case "not-json":
        return c.html("<html>login</html>");
      case "empty-object":
        return c.json({});
      default:
        return c.json({ keys: published });
    }
  });
  const service = await listen("stub-issuer", app);
  issuer = service.url;

  return {
    issuer,
    get kid() {
      return current.kid;
    },
    get publicJwk() {
      return current.jwk;
    },
    async sign(payload, header = {}) {
      return await new SignJWT(payload)
        .setProtectedHeader({
          alg: header.alg ?? "RS256",
          kid: header.kid ?? current.kid,
          ...(header.typ !== undefined ? { typ: header.typ } : {}),
        })
        .sign(header.key ?? current.privateKey);
    },
    signRaw(payloadJson, header = { alg: "RS256", kid: current.kid }) {
      const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(payloadJson).toString("base64url")}`;
      const key =
        current.privateKey instanceof KeyObject ? current.privateKey : KeyObject.from(current.privateKey);
      return `${input}.${rsaSign("sha256", Buffer.from(input), key).toString("base64url")}`;
    },
    jwksHits: () => jwksHits,
    discoveryHits: () => discoveryHits,
    setJwksMode: (next) => {
      mode = next;
    },
    setDiscoveryIssuer: (next) => {
      discoveryIssuer = next;
    },
    generateKey: newKey,
    rotateKey(key, { keepOld }) {
      current = key;
      published = keepOld ? [...published, key.jwk] : [key.jwk];
    },
    retireOldKeys() {
      published = [current.jwk];
    },
    close: () => service.close(),
  };
}

/** Claims of a well-formed access token for `audience` from `issuer`, valid for an hour. */
export function accessTokenClaims(issuer: string, audience: string, extra: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    aud: audience,
    sub: "user-123",
    email: "alice@mycompany.example",
    groups: ["eng"],
    scope: "mcp:tools",
    client_id: "test-client",
    iat: now,
    exp: now + 3600,
    ...extra,
  };
}
