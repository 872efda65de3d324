import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  type JWSHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import { BoundedFetchError, boundedFetch } from "./bounded-fetch.ts";
import { type ClaimNames, readClaim, readClientId, readGroups, readScopes } from "./claims.ts";
import { AuthError } from "./errors.ts";
import { type DiscoveredIssuer, discoverIssuer } from "./oidc-discovery.ts";
import type { Principal } from "./principal.ts";
import { VerifiedTokens } from "./verified-tokens.ts";

export { AuthError, type AuthErrorCode } from "./errors.ts";

/** Asymmetric algorithms only: `none` and HS* would let anyone holding public material forge tokens. */
const ACCEPTABLE_ALGORITHMS = new Set([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
]);
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ID_TOKEN_CLAIMS = ["nonce", "at_hash", "c_hash", "s_hash"];
const ACCESS_TOKEN_MARKERS = ["scope", "scp", "client_id", "cid"];

/** Tokens longer than this are refused before any decoding. */
const MAX_TOKEN_BYTES = 8192;
/**
 * Tokens whose `iat` is older than this are refused whatever their `exp` says; bounds a mis-issued token with an
 * absurd `exp`. 24 h: the longest access-token lifetime Okta or Entra allow.
 */
const MAX_TOKEN_AGE_SEC = 86_400;
/** RFC 8725 practice: clock skew beyond a minute is a clock to fix, not to tolerate. */
const MAX_CLOCK_TOLERANCE_SEC = 60;
/** jose `cacheMaxAge`: how long a fetched JWKS is trusted, so a retired key stops verifying within it. */
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
/** jose `cooldownDuration`: minimum spacing of JWKS refetches triggered by unknown `kid`s. */
const JWKS_COOLDOWN_MS = 30_000;
/** Limits of the discovery and JWKS fetches: an IdP that hangs or floods must not hold requests. */
const IDP_FETCH_LIMITS = { timeoutMs: 5_000, maxBytes: 64 * 1024 };
/** After a failed discovery, requests are refused (503) for this long before discovery is tried again. */
const DISCOVERY_RETRY_MS = 5_000;
/** A verified token's principal is reused this long (never past its `exp`): see VerifiedTokens. */
const VERIFIED_TOKEN_REUSE_MS = 60_000;
const VERIFIED_TOKEN_ENTRIES = 10_000;

/** How to verify access tokens of one OIDC issuer (config `auth.oidc`). */
export interface OidcVerifierOptions {
  /** Exactly as the IdP's discovery document spells it (no normalisation). */
  issuer: string;
  /** Accepted `aud` values: the public `/mcp` URL (Okta, Keycloak, dev IdP) or an API GUID (Entra). */
  audiences: string[];
  /** Default ["RS256","ES256","PS256"]; `none` and HS* are refused. */
  algorithms?: string[];
  /** Default 30, capped at 60. */
  clockToleranceSec?: number;
  claims?: ClaimNames;
}

/** Verifies bearer JWTs of one issuer and turns them into a Principal. */
export interface OidcVerifier {
  readonly issuer: string;
  /** Verifies an access token; throws AuthError (never with the token in it) when it is not acceptable. */
  verify(token: string): Promise<Principal>;
  /** Ensures discovery ran and the JWKS is cached and fresh (fetching if not); throws JWKS_UNAVAILABLE otherwise. */
  checkJwks(): Promise<void>;
}

/** Creates a verifier that discovers the issuer's JWKS lazily and caches it per jose's remote JWKS rules. */
export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const settings = resolveSettings(options);
  const verified = new VerifiedTokens({
    maxAgeMs: VERIFIED_TOKEN_REUSE_MS,
    maxEntries: VERIFIED_TOKEN_ENTRIES,
  });
  let keys: Promise<ResolvedKeys> | undefined;
  /**
   * The key set verified tokens are tied to: moves on when a JWKS fetch starts; -1 (nothing is reused or
   * remembered) before the first set, while a fetch is pending and once the set is past its cache age.
   */
  let remoteSet: ReturnType<typeof createRemoteJWKSet> | undefined;
  let jwksFetches = 0;
  const keySetGeneration = () => (remoteSet?.fresh && !remoteSet.reloading ? jwksFetches : -1);
  let lastDiscoveryFailure: { at: number; error: AuthError } | undefined;

  const resolveKeys = () => {
    if (lastDiscoveryFailure && Date.now() - lastDiscoveryFailure.at < DISCOVERY_RETRY_MS) {
      return Promise.reject(lastDiscoveryFailure.error);
    }
    keys ??= discoverIssuer(settings.issuer, IDP_FETCH_LIMITS).then(
      (discovered) => {
        lastDiscoveryFailure = undefined;
        const remote = createRemoteJWKSet(discovered.jwksUri, {
          cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
          cooldownDuration: JWKS_COOLDOWN_MS,
          timeoutDuration: IDP_FETCH_LIMITS.timeoutMs,
          [customFetch]: (url: string, init: RequestInit) => {
            jwksFetches += 1;
            return boundedFetch(
              url,
              { headers: init.headers, signal: init.signal ?? undefined },
              IDP_FETCH_LIMITS,
            );
          },
        });
        remoteSet = remote;
        const getKey: JWTVerifyGetKey = async (header, token) => {
          try {
            return await remote(header, token);
          } catch (error) {
            throw classifyKeyLookupError(error);
          }
        };
        return { discovered, getKey, remote };
      },
      (cause) => {
        keys = undefined;
        const error = new AuthError(
          "JWKS_UNAVAILABLE",
          "the identity provider is unreachable, try again later",
          {
            cause,
          },
        );
        lastDiscoveryFailure = { at: Date.now(), error };
        throw error;
      },
    );
    return keys;
  };

  return {
    issuer: settings.issuer,
    async verify(token) {
      const generation = keySetGeneration();
      const known = verified.get(token, generation);
      if (known) return known;
      precheck(token, settings);
      const { getKey } = await resolveKeys();
      let payload: JWTPayload;
      let header: JWSHeaderParameters;
      try {
        ({ payload, protectedHeader: header } = await jwtVerify(token, getKey, {
          issuer: settings.issuer,
          algorithms: settings.algorithms,
          clockTolerance: settings.clockToleranceSec,
          requiredClaims: ["exp", "iat", "sub"],
          // Also refuses an `iat` in the future (beyond the tolerance), which is never plausible.
          maxTokenAge: MAX_TOKEN_AGE_SEC,
        }));
      } catch (error) {
        throw mapVerifyError(error);
      }
      // jose accepts any JSON number; `"exp": 1e309` parses to Infinity and would never expire.
      if (!Number.isFinite(payload.exp)) {
        throw new AuthError("TOKEN_CLAIMS_INVALID", 'the token\'s "exp" claim is not a finite time');
      }
      checkAudience(payload, settings.audienceKeys);
      rejectIdToken(header, payload);
      // Scopes are the HTTP layer's check (`requireScopes`), so a token without them is a 403, not a 401.
      // Reused no longer than the checks above would pass: until exp (no clock tolerance) or the maximum age.
      const validUntil = Math.min(payload.exp as number, (payload.iat as number) + MAX_TOKEN_AGE_SEC);
      return verified.set(token, toPrincipal(payload, settings.claims), validUntil, generation);
    },
    async checkJwks() {
      const resolved = await resolveKeys();
      // Fresh cached keys still verify tokens, so only a stale or empty cache costs a fetch per probe.
      if (resolved.remote.fresh) return;
      try {
        await resolved.remote.reload();
      } catch (error) {
        throw classifyKeyLookupError(error);
      }
    },
  };
}

type Settings = ReturnType<typeof resolveSettings>;

interface ResolvedKeys {
  discovered: DiscoveredIssuer;
  getKey: JWTVerifyGetKey;
  remote: ReturnType<typeof createRemoteJWKSet>;
}

function resolveSettings(options: OidcVerifierOptions) {
  if (!options.issuer) throw new TypeError("createOidcVerifier: issuer is required");
  if (options.audiences.length === 0) throw new TypeError("createOidcVerifier: audiences must not be empty");
  const algorithms = options.algorithms ?? ["RS256", "ES256", "PS256"];
  for (const alg of algorithms) {
    if (!ACCEPTABLE_ALGORITHMS.has(alg)) {
      throw new TypeError(`createOidcVerifier: algorithm ${alg} is not allowed (asymmetric algorithms only)`);
    }
  }
  const tolerance = options.clockToleranceSec ?? 30;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError("createOidcVerifier: clockToleranceSec must be a non-negative number");
  }
  return {
    issuer: options.issuer,
    // URL audiences compare with URL semantics (scheme and host case, default port, one trailing slash), since
    // RFC 8707 resources are spelled several ways by clients; anything else (GUIDs, api://…) exactly.
    audienceKeys: new Set(options.audiences.map(audienceKey)),
    algorithms,
    clockToleranceSec: Math.min(tolerance, MAX_CLOCK_TOLERANCE_SEC),
    claims: { email: options.claims?.email ?? "email", groups: options.claims?.groups ?? "groups" },
  };
}

/**
 * How an audience compares: for an http(s) URL, scheme and host case-insensitively, the scheme's default port
 * dropped and one trailing slash ignored, with the path and query exactly as written; anything else (GUIDs,
 * `api://…`, a URL with userinfo or characters a URL parser would rewrite) exactly as spelled.
 */
function audienceKey(audience: string): string {
  const match = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?([/?][\x21-\x7e]*)?$/i.exec(
    audience,
  );
  if (!match) return audience;
  const scheme = (match[1] as string).toLowerCase();
  const defaultPort = scheme === "https" ? "443" : "80";
  const port = match[3] === undefined || match[3] === defaultPort ? "" : `:${match[3]}`;
  const rest = (match[4] ?? "").replace(/\/$/, "");
  return `${scheme}://${(match[2] as string).toLowerCase()}${port}${rest}`;
}

/** The token must name one of the configured audiences (jose checks iss, exp, nbf, iat; this checks aud). */
function checkAudience(payload: JWTPayload, keys: ReadonlySet<string>): void {
  const aud = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (aud.some((value) => typeof value === "string" && keys.has(audienceKey(value)))) return;
  throw looksLikeIdToken(payload)
    ? new AuthError("TOKEN_IS_ID_TOKEN", "an ID token was presented where an access token is required")
    : new AuthError("TOKEN_WRONG_AUDIENCE", "the token was not issued for this resource");
}

function precheck(token: string, settings: Settings): void {
  if (token.length === 0) throw new AuthError("TOKEN_MISSING", "no bearer token was presented");
  if (token.length > MAX_TOKEN_BYTES) {
    throw new AuthError("TOKEN_TOO_LARGE", `the token is longer than ${MAX_TOKEN_BYTES} bytes`);
  }
  if (!COMPACT_JWS.test(token)) throw new AuthError("TOKEN_MALFORMED", "the token is not a signed JWT");
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch (cause) {
    throw new AuthError("TOKEN_MALFORMED", "the token header cannot be decoded", { cause });
  }
  if (typeof alg !== "string" || !settings.algorithms.includes(alg)) {
    throw new AuthError(
      "TOKEN_INVALID_SIGNATURE",
      "the token is signed with an algorithm that is not accepted",
    );
  }
}

function classifyKeyLookupError(error: unknown): unknown {
  if (error instanceof AuthError) return error;
  // A lookup that found the set but no usable key is the token's fault; anything else is the IdP's.
  if (
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JOSENotSupported
  ) {
    return error;
  }
  const reason = error instanceof BoundedFetchError ? error.message : "the key set could not be loaded";
  return new AuthError(
    "JWKS_UNAVAILABLE",
    "the identity provider's signing keys are unavailable, try again later",
    {
      cause: new Error(reason, { cause: error }),
    },
  );
}

function mapVerifyError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof joseErrors.JWTExpired) return new AuthError("TOKEN_EXPIRED", "the token has expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "iss":
        return new AuthError("TOKEN_WRONG_ISSUER", "the token was issued by another issuer");
      case "nbf":
      case "iat":
        return new AuthError(
          "TOKEN_CLAIMS_INVALID",
          `the token is not valid yet (${error.claim} in the future)`,
        );
      default:
        return new AuthError(
          "TOKEN_CLAIMS_INVALID",
          `the token's "${error.claim}" claim is missing or invalid (${error.reason})`,
        );
    }
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JOSENotSupported
  ) {
    return new AuthError(
      "TOKEN_INVALID_SIGNATURE",
      "the token signature cannot be verified with the issuer's keys",
    );
  }
  return new AuthError("TOKEN_MALFORMED", "the token is not a valid JWT", { cause: error });
}

function looksLikeIdToken(payload: JWTPayload): boolean {
  if (ID_TOKEN_CLAIMS.some((claim) => Object.hasOwn(payload, claim))) return true;
  const azp = typeof payload.azp === "string" ? payload.azp : undefined;
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  return azp !== undefined && aud.includes(azp) && !hasAccessTokenMarker(payload);
}

/**
 * Whether the payload carries a claim only access tokens have. `roles` alone does not count: Entra puts app
 * roles in ID tokens too, and its app-only access tokens also name the client (`azp`, or `appid` in v1).
 */
function hasAccessTokenMarker(payload: JWTPayload): boolean {
  if (ACCESS_TOKEN_MARKERS.some((claim) => Object.hasOwn(payload, claim))) return true;
  return (
    Object.hasOwn(payload, "roles") && (typeof payload.azp === "string" || typeof payload.appid === "string")
  );
}

/** `typ` values an access token may carry: none, the generic `JWT`, or RFC 9068's `at+jwt`. */
const ACCESS_TOKEN_TYPES = new Set(["jwt", "at+jwt"]);

/**
 * RFC 8725 §3.11–3.12: a JWT whose `typ` names another kind (`id_token+jwt`, `logout+jwt`, `secevent+jwt` …) is
 * refused whatever its claims look like, and an ID token (OIDC Core §2) is never accepted as an access token.
 */
function rejectIdToken(header: JWSHeaderParameters, payload: JWTPayload): void {
  if (header.typ !== undefined && typeof header.typ !== "string") {
    throw new AuthError("TOKEN_WRONG_TYPE", "the token's typ header is not a string");
  }
  const typ = header.typ?.toLowerCase().replace(/^application\//, "");
  if (typ !== undefined && !ACCESS_TOKEN_TYPES.has(typ)) {
    throw new AuthError(
      "TOKEN_WRONG_TYPE",
      "the token's typ header names another kind of JWT; an access token (typ at+jwt or JWT) is required",
    );
  }
  if (typ === "at+jwt") return;
  const hasIdTokenClaim =
    ID_TOKEN_CLAIMS.some((claim) => Object.hasOwn(payload, claim)) || payload.typ === "ID";
  if (hasIdTokenClaim || !hasAccessTokenMarker(payload)) {
    throw new AuthError("TOKEN_IS_ID_TOKEN", "an ID token was presented where an access token is required");
  }
}

function toPrincipal(payload: JWTPayload, claims: Required<ClaimNames>): Principal {
  if (typeof payload.sub !== "string" || payload.sub.length === 0) {
    throw new AuthError("TOKEN_CLAIMS_INVALID", 'the token\'s "sub" claim is missing or empty');
  }
  const email = readClaim(payload, claims.email);
  return {
    sub: payload.sub,
    email: typeof email === "string" && email.length > 0 ? email : undefined,
    groups: readGroups(payload, claims.groups),
    via: "oidc",
    clientId: readClientId(payload),
    scopes: readScopes(payload),
  };
}
