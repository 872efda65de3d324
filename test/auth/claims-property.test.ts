import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError, createOidcVerifier, type OidcVerifier } from "../../src/auth/oidc-verifier.ts";
import { type StubIssuer, startStubIssuer } from "./stub-issuer.ts";

// Reliability anchors §2.4 J4: over generated claim sets the verifier accepts exactly when a hand-written
// oracle over (iss, aud, exp, nbf, iat, tolerance, max age) says so.
const AUDIENCE = "https://mcp.corp.example/mcp";
const TOLERANCE = 30;
/** The verifier's fixed maximum token age (24 h, the longest access-token lifetime Okta or Entra allow). */
const MAX_AGE = 86_400;
/** Offsets closer than this to a boundary are not generated: the clock moves while a run signs and verifies. */
const MARGIN = 3;

let stub: StubIssuer;
let verifier: OidcVerifier;

beforeAll(async () => {
  stub = await startStubIssuer();
  verifier = createOidcVerifier({
    issuer: stub.issuer,
    audiences: [AUDIENCE],
    clockToleranceSec: TOLERANCE,
  });
});
afterAll(async () => {
  await stub.close();
});

const awayFrom = (boundaries: number[]) => (offset: number) =>
  boundaries.every((b) => Math.abs(offset - b) > MARGIN);

describe("claim checks against an oracle (J4)", () => {
  it("accepts a generated claim set iff the oracle does", async () => {
    const claimSet = fc.record({
      iss: fc.constantFrom("issuer", "issuer/", "other", "missing"),
      aud: fc.constantFrom("exact", "slash", "list", "other", "empty", "missing"),
      exp: fc.option(fc.integer({ min: -600, max: 7_200 }).filter(awayFrom([-TOLERANCE])), {
        nil: undefined,
      }),
      nbf: fc.option(fc.integer({ min: -600, max: 600 }).filter(awayFrom([TOLERANCE])), { nil: undefined }),
      iat: fc.integer({ min: -2 * MAX_AGE, max: 600 }).filter(awayFrom([TOLERANCE, -MAX_AGE - TOLERANCE])),
    });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(claimSet, async (c) => {
        const now = Math.floor(Date.now() / 1000);
        const payload: Record<string, unknown> = {
          sub: "user-1",
          scope: "mcp:tools",
          client_id: "c",
          iat: now + c.iat,
        };
        if (c.iss !== "missing") {
          payload.iss = { issuer: stub.issuer, "issuer/": `${stub.issuer}/`, other: "https://idp.other" }[
            c.iss
          ];
        }
        const aud = {
          exact: AUDIENCE,
          slash: `${AUDIENCE}/`,
          list: ["x", AUDIENCE],
          other: "https://other/mcp",
          empty: [],
          missing: undefined,
        }[c.aud];
        if (aud !== undefined) payload.aud = aud;
        if (c.exp !== undefined) payload.exp = now + c.exp;
        if (c.nbf !== undefined) payload.nbf = now + c.nbf;

        const oracle =
          c.iss === "issuer" &&
          ["exact", "slash", "list"].includes(c.aud) &&
          c.exp !== undefined &&
          c.exp > -TOLERANCE &&
          (c.nbf === undefined || c.nbf <= TOLERANCE) &&
          c.iat <= TOLERANCE &&
          -c.iat - TOLERANCE <= MAX_AGE;

        const outcome = await verifier.verify(stub.signRaw(JSON.stringify(payload))).then(
          () => true,
          (e: unknown) => {
            if (!(e instanceof AuthError) || e.code === "JWKS_UNAVAILABLE") throw e;
            return false;
          },
        );
        if (outcome) accepted++;
        expect(outcome).toBe(oracle);
      }),
      { numRuns: 1_000 },
    );
    // The generator must reach both answers, or the property says little.
    expect(accepted).toBeGreaterThan(20);
    expect(accepted).toBeLessThan(980);
  });
});
