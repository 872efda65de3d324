import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
} from "node:crypto";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError, createOidcVerifier, type OidcVerifier } from "../../src/auth/oidc-verifier.ts";
import { listen, type RunningService } from "../../wrangler-free-local/service.ts";
import { accessTokenClaims, type StubIssuer, startStubIssuer } from "./stub-issuer.ts";

// Reliability anchors §2.4 J1: a corpus of malformed and forged tokens, each refused as the caller's fault
// (never JWKS_UNAVAILABLE, which the HTTP layer turns into a 503), and no URL named in a token is ever fetched.
const AUDIENCE = "https://mcp.corp.example/mcp";

let stub: StubIssuer;
let attackerSite: RunningService;
let attackerHits = 0;
let verifier: OidcVerifier;

const attackerRsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const attackerEc = generateKeyPairSync("ec", { namedCurve: "P-256" });

function b64(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** A compact JWS over any header and payload text, signed by `key` (RS256/PS256/ES256/HS* by `alg`). */
function forge(header: Record<string, unknown>, payload: string, key: KeyObject | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const alg = String(header.alg);
  let signature: Buffer;
  if (alg.startsWith("HS")) {
    signature = createHmac(`sha${alg.slice(2)}`, key as Buffer)
      .update(input)
      .digest();
  } else if (alg === "PS256") {
    signature = nodeSign("sha256", Buffer.from(input), {
      key: key as KeyObject,
      padding: 6, // RSA_PKCS1_PSS_PADDING
      saltLength: 32,
    });
  } else if (alg === "ES256") {
    signature = nodeSign("sha256", Buffer.from(input), { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
  } else {
    signature = nodeSign("sha256", Buffer.from(input), key as KeyObject);
  }
  return `${input}.${signature.toString("base64url")}`;
}

beforeAll(async () => {
  stub = await startStubIssuer();
  const app = new Hono();
  app.all("*", (c) => {
    attackerHits++;
    return c.json({ keys: [] });
  });
  attackerSite = await listen("attacker", app);
  verifier = createOidcVerifier({ issuer: stub.issuer, audiences: [AUDIENCE] });
  // Warm the JWKS cache, so a refused token below is refused on its merits and not on a fetch.
  await verifier.verify(await stub.sign(accessTokenClaims(stub.issuer, AUDIENCE)));
});
afterAll(async () => {
  await attackerSite.close();
  await stub.close();
});

describe("malformed-token corpus (J1)", () => {
  it("refuses every variant as a token error, fetches no URL named in a token, and still accepts the control", async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = accessTokenClaims(stub.issuer, AUDIENCE);
    const goodJson = JSON.stringify(good);
    const claims = (changes: Record<string, unknown>) => {
      const out: Record<string, unknown> = { ...good };
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined) delete out[k];
        else out[k] = v;
      }
      return JSON.stringify(out);
    };
    const kid = stub.kid;
    const real = (payload: string, header: Record<string, unknown> = {}) =>
      stub.signRaw(payload, { alg: "RS256", kid, ...header });
    const pem = Buffer.from(
      createPublicKey({ key: stub.publicJwk as never, format: "jwk" }).export({
        type: "spki",
        format: "pem",
      }),
    );
    const jwkBytes = Buffer.from(JSON.stringify(stub.publicJwk));
    const attackerJwk = attackerRsa.publicKey.export({ format: "jwk" });
    const attacker = (header: Record<string, unknown>, payload = goodJson) =>
      forge({ alg: "RS256", kid, ...header }, payload, attackerRsa.privateKey);
    const [h, p, s] = real(goodJson).split(".") as [string, string, string];

    const corpus: Record<string, string> = {
      "alg none": `${b64({ alg: "none" })}.${b64(goodJson)}.`,
      "alg None": `${b64({ alg: "None" })}.${b64(goodJson)}.`,
      "alg NONE with a signature": `${b64({ alg: "NONE", kid })}.${b64(goodJson)}.AAAA`,
      "HS256 keyed with the PEM": forge({ alg: "HS256", kid }, goodJson, pem),
      "HS384 keyed with the PEM": forge({ alg: "HS384", kid }, goodJson, pem),
      "HS512 keyed with the JWK": forge({ alg: "HS512", kid }, goodJson, jwkBytes),
      "RS256 by another key under the real kid": attacker({}),
      "PS256 by another key": forge({ alg: "PS256", kid }, goodJson, attackerRsa.privateKey),
      "ES256 by another key": forge({ alg: "ES256", kid: "ec-1" }, goodJson, attackerEc.privateKey),
      "kid path traversal": attacker({ kid: "../../etc/passwd" }),
      "kid SQL injection": attacker({ kid: "' OR '1'='1" }),
      "kid 4 KiB": attacker({ kid: "k".repeat(4096) }),
      "kid unicode": attacker({ kid: "ключ\u202e" }),
      "jku to an attacker": attacker({ jku: `${attackerSite.url}/jwks.json` }),
      "x5u to an attacker": attacker({ x5u: `${attackerSite.url}/cert.pem` }),
      "embedded jwk of the attacker": attacker({ jwk: attackerJwk }),
      "iss with a trailing slash": real(claims({ iss: `${stub.issuer}/` })),
      "iss https instead of http": real(claims({ iss: stub.issuer.replace("http:", "https:") })),
      "iss in upper case": real(claims({ iss: stub.issuer.toUpperCase() })),
      "iss missing": real(claims({ iss: undefined })),
      "aud other": real(claims({ aud: "https://other.example/mcp" })),
      "aud missing": real(claims({ aud: undefined })),
      "aud empty list": real(claims({ aud: [] })),
      "exp 61 s ago": real(claims({ exp: now - 61 })),
      "exp missing": real(claims({ exp: undefined })),
      "exp as a string": real(claims({ exp: "9999999999" })),
      "exp 1e309": real(claims({ exp: 0 }).replace('"exp":0', '"exp":1e309')),
      "nbf in 2 minutes": real(claims({ nbf: now + 120 })),
      "iat in 2 minutes": real(claims({ iat: now + 120 })),
      "iat 25 hours old": real(claims({ iat: now - 25 * 3600 })),
      "crit exp": real(goodJson, { crit: ["exp"] }),
      "crit empty": real(goodJson, { crit: [] }),
      "b64 false": real(goodJson, { b64: false, crit: ["b64"] }),
      "two dots only": `${h}.${p}`,
      "four dots": `${h}.${p}.${s}.x`,
      "JWE-shaped (5 parts)": `${h}.${p}.${s}.x.y`,
      "base64 padding": `${h}.${p}.${s}=`,
      "non-ASCII": `${h}.${p}.${s}é`,
      "payload []": real("[]"),
      "payload null": real("null"),
      'payload "x"': real('"x"'),
      "signature truncated": `${h}.${p}.${s.slice(0, -3)}`,
      "signature stripped": `${h}.${p}.`,
      "ID token for another client": real(
        JSON.stringify({
          iss: stub.issuer,
          sub: "user-123",
          aud: "other-client",
          azp: "other-client",
          iat: now,
          exp: now + 600,
          nonce: "n",
        }),
      ),
      "8 KiB + 1": `${h}.${"a".repeat(8192)}.${s}`,
      "17 KiB": `${h}.${"a".repeat(17 * 1024)}.${s}`,
    };

    const accepted: string[] = [];
    const wrongClass: string[] = [];
    for (const [name, token] of Object.entries(corpus)) {
      const outcome = await verifier.verify(token).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (outcome === undefined) accepted.push(name);
      else if (!(outcome instanceof AuthError) || outcome.code === "JWKS_UNAVAILABLE") {
        wrongClass.push(`${name}: ${outcome instanceof AuthError ? outcome.code : String(outcome)}`);
      }
    }
    expect(Object.keys(corpus).length).toBeGreaterThanOrEqual(45);
    expect(accepted).toEqual([]);
    expect(wrongClass).toEqual([]);
    expect(attackerHits).toBe(0);
    await expect(verifier.verify(real(goodJson))).resolves.toMatchObject({ sub: "user-123" });
  });
});
