import { z } from "zod";
import { type BoundedFetchOptions, boundedFetch } from "./bounded-fetch.ts";

const DiscoveryDocumentSchema = z.looseObject({
  issuer: z.string().min(1),
  jwks_uri: z.url(),
});

/** The parts of an issuer's OpenID discovery document the verifier relies on. */
export interface DiscoveredIssuer {
  issuer: string;
  jwksUri: URL;
}

/** Discovery failed or returned a document we refuse to trust. */
export class OidcDiscoveryError extends Error {
  readonly code = "OIDC_DISCOVERY_FAILED";
}

/** The discovery URL for an issuer per OpenID Connect Discovery §4 (path-appended, not path-inserted). */
export function discoveryUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
}

/**
 * Fetches `<issuer>/.well-known/openid-configuration` (size-capped, with a timeout), requires its `issuer`
 * to equal the configured issuer byte for byte, and returns the `jwks_uri`.
 */
export async function discoverIssuer(issuer: string, limits: BoundedFetchOptions): Promise<DiscoveredIssuer> {
  let body: unknown;
  try {
    const response = await boundedFetch(
      discoveryUrl(issuer),
      { headers: { accept: "application/json" } },
      limits,
    );
    body = await response.json();
  } catch (cause) {
    throw new OidcDiscoveryError(`OpenID discovery for issuer ${issuer} failed`, { cause });
  }
  const parsed = DiscoveryDocumentSchema.safeParse(body);
  if (!parsed.success) {
    throw new OidcDiscoveryError(`OpenID discovery document of ${issuer} lacks a valid issuer or jwks_uri`);
  }
  // RFC 8414 §3.3 / OIDC Discovery §4.3: a mismatch means we may be talking to the wrong provider.
  if (parsed.data.issuer !== issuer) {
    throw new OidcDiscoveryError(
      `discovery document names issuer ${JSON.stringify(parsed.data.issuer)}, expected ${JSON.stringify(issuer)}`,
    );
  }
  const jwksUri = new URL(parsed.data.jwks_uri);
  if (jwksUri.protocol !== "https:" && jwksUri.protocol !== new URL(issuer).protocol) {
    throw new OidcDiscoveryError(`jwks_uri of ${issuer} must use https`);
  }
  return { issuer, jwksUri };
}
